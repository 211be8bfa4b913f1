"""kill -9 of a real broker process while the issuer has rotated but not yet answered: the one
loss no broker can avoid. The next broker must diagnose it (refresh_interrupted) and never
replay the token, unless told to (`--retry-interrupted`, for an issuer with a grace period)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from agent_testkit import cli_env
from broker_testkit import (
    BrokerProcess,
    event_types,
    family_view,
    mint,
    pair_of,
    presentations,
    rotations,
    start_broker_process,
)


def killed_mid_refresh(
    upstream: Any, env: dict[str, str], tmp_path: Path, family: dict[str, Any], first_contact: bool
) -> str:
    """Run a broker, have it refresh, kill -9 it once the issuer rotated; the token it sent."""
    broker = start_broker_process(env, stderr_path=tmp_path / "first.err")
    try:
        token, generation = family["refresh_token"], 0
        if not first_contact:
            token, generation = broker.refresh(token).json()["refresh_token"], 1
        pause = upstream.admin.arm_pause(
            "after_commit", match={"family_id": family["family_id"], "generation": generation}
        )
        thread = threading.Thread(target=_present_and_lose, args=(broker, token))
        thread.start()
        upstream.admin.wait_paused(pause, timeout=60)  # the issuer rotated; no answer yet
        broker.kill9()
        upstream.admin.release(pause)
        thread.join(60)
    finally:
        broker.stop()
    return token


def _present_and_lose(broker: BrokerProcess, token: str) -> None:
    try:
        broker.refresh(token)
    except httpx.HTTPError:
        pass  # the broker died under us: what a client sees


@pytest.fixture
def env(upstream: Any, tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "agent-home", tmp_path / "codex-home", upstream.issuer,
                   upstream.ca_cert)  # fmt: skip


@pytest.mark.parametrize("first_contact", [False, True], ids=["owned", "first-contact"])
def test_strict_the_interrupted_token_is_refused_never_replayed(
    upstream: Any, account: dict[str, Any], env: dict[str, str], tmp_path: Path,
    first_contact: bool,
) -> None:  # fmt: skip
    family = mint(upstream, account)
    token = killed_mid_refresh(upstream, env, tmp_path, family, first_contact)
    expected_rotations = [0] if first_contact else [0, 1]
    assert rotations(upstream, account) == expected_rotations
    broker = start_broker_process(env, stderr_path=tmp_path / "second.err")
    try:
        seen = presentations(upstream, account)
        for _ in range(2):
            answer = broker.refresh(token)
            assert answer.status_code == 401, answer.text
            error = answer.json()["error"]
            assert error["code"] == "refresh_interrupted"
            assert "--retry-interrupted" in error["message"]
            assert token not in answer.text
        assert presentations(upstream, account) == seen
    finally:
        broker.stop()
    assert rotations(upstream, account) == expected_rotations
    assert "reuse_detected" not in event_types(upstream, account)
    assert family_view(upstream, account, family["family_id"])["state"] == "active"


@pytest.mark.parametrize("first_contact", [False, True], ids=["owned", "first-contact"])
def test_grace_retry_interrupted_gets_the_next_presenter_a_fresh_pair(
    upstream: Any, account: dict[str, Any], env: dict[str, str], tmp_path: Path,
    first_contact: bool,
) -> None:  # fmt: skip
    upstream.admin.set_policy("grace", {"window": 3600}, account_id=account["account_id"])
    family = mint(upstream, account)
    token = killed_mid_refresh(upstream, env, tmp_path, family, first_contact)
    broker = start_broker_process(env, "--retry-interrupted", stderr_path=tmp_path / "second.err")
    try:
        answer = broker.refresh(token)
        assert answer.status_code == 200, answer.text
        pair = answer.json()
        seen = presentations(upstream, account)
        again = broker.refresh(token)  # retried once; now a stale copy like any other
        assert (again.status_code, pair_of(again.json())) == (200, pair_of(pair))
        assert presentations(upstream, account) == seen
    finally:
        broker.stop()
    events = event_types(upstream, account)
    assert events.count("grace_reuse") == 1
    assert "reuse_detected" not in events
    view = family_view(upstream, account, family["family_id"])
    assert view["state"] == "active"
    current = [t for t in view["tokens"] if t["kind"] == "refresh" and t["state"] == "active"]
    assert len(current) == 2  # the lost successor and the retried one's: both still valid
