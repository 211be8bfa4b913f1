"""`status` says where refreshes go: the issuer, or a refresh broker (configured or found
running for the home), and warns when that broker does not answer."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator

import pytest
from agent_testkit import make_tokens, write_codex_cli_store

from agent.auth.status import collect_status, render_text
from agent.auth.store import AuthStore, Origin, StoredLogin
from agent.clock import ManualClock
from agent.config import AgentConfig
from agent.gateway import pidfile
from agent.gateway.pidfile import GatewayRecord


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_refreshes_go_to_the_issuer_without_a_broker(
    make_config: Callable[..., AgentConfig], clock: ManualClock
) -> None:
    report = collect_status(make_config(), clock)
    assert report.data["refresh_route"] == {
        "via": "issuer",
        "token_url": "https://auth.test/oauth/token",
    }
    assert "refresh broker" not in render_text(report)


def test_a_configured_broker_that_does_not_answer_is_a_warning(
    make_config: Callable[..., AgentConfig], clock: ManualClock
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    text = render_text(collect_status(make_config(broker_url=url), clock))
    assert f"refreshes: through the refresh broker at {url} (configured)" in text
    assert "warning: the broker is not answering" in text


def test_a_broker_running_for_the_home_is_found(
    make_config: Callable[..., AgentConfig], clock: ManualClock, listening: int
) -> None:
    config = make_config()
    record = GatewayRecord(os.getpid(), "127.0.0.1", listening, "2026-01-01T00:00:00Z", "t", "c")
    pidfile.write_record(config.home, record, "broker.pid")
    report = collect_status(config, clock)
    route = report.data["refresh_route"]
    assert route["via"] == "broker"
    assert route["discovered"]
    assert route["reachable"]
    assert route["token_url"] == f"http://127.0.0.1:{listening}/oauth/token"
    text = render_text(report)
    assert "(found running for this home)" in text
    assert "not answering" not in text


def test_a_stale_codex_cli_copy_is_a_note_not_a_warning_behind_a_broker(
    make_config: Callable[..., AgentConfig], clock: ManualClock, listening: int
) -> None:
    config = make_config(broker_url=f"http://127.0.0.1:{listening}")
    old, new = make_tokens(), make_tokens()
    write_codex_cli_store(config.codex_home, old)
    origin = Origin("codex_cli_import", codex_home=str(config.codex_home))
    login = StoredLogin(tokens=old, origin=origin)
    login = login.with_tokens(new, refreshed_at=None)
    AuthStore(config.home, clock=clock, lock_timeout=1).save(login)
    cli = collect_status(config, clock).data["codex_cli"]
    assert cli["shares_login"] == "stale copy"
    assert "warning" not in cli
    assert "the refresh broker hands it the current pair" in cli["note"]
