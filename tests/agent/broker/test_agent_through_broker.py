"""The agent itself goes through the broker: configured (`broker_url`) or found running for its
home (`<home>/broker.pid`), so a machine has one refresher. A configured broker that is down is
an error that says how to start it, never a reason to go around it to the issuer."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from broker_testkit import RunningBroker, TokenRequests, ledger, mint

from agent.auth.manager import CredentialManager
from agent.auth.tokens import TokenSet
from agent.clock import ManualClock
from agent.config import AgentConfig, load_config
from agent.errors import ConfigError, NetworkError
from agent.gateway import pidfile
from agent.gateway.pidfile import GatewayRecord
from agent.http import agent_version

BROKER_AGENT = f"codex-agent/{agent_version()} (refresh broker)"


def signed_in(config: AgentConfig, clock: ManualClock, upstream: Any, account: dict[str, Any],
              ) -> tuple[CredentialManager, dict[str, Any]]:  # fmt: skip
    family = mint(upstream, account)
    manager = CredentialManager(config, clock=clock)
    tokens = TokenSet(family["id_token"], family["access_token"], family["refresh_token"],
                      account["account_id"])  # fmt: skip
    manager.save_new_login(tokens, method="device_code")
    return manager, family


def rotated_by(upstream: Any, account: dict[str, Any]) -> list[str]:
    return [e["user_agent"] for e in ledger(upstream, account)["events"] if e["type"] == "rotated"]


def test_a_configured_broker_refreshes_for_the_agent(
    broker: RunningBroker, upstream: Any, account: dict[str, Any], clock: ManualClock,
    make_config: Callable[..., AgentConfig], tmp_path: Path,
) -> None:  # fmt: skip
    config = make_config(upstream.issuer, ca_bundle=upstream.ca_cert, broker_url=broker.url,
                         home=tmp_path / "agent-own-home")  # fmt: skip
    manager, family = signed_in(config, clock, upstream, account)
    with manager:
        creds = manager.refresh(force=True)
    assert creds.source == "refreshed"
    assert rotated_by(upstream, account) == [BROKER_AGENT]
    (record,) = broker.audit()
    assert (record["action"], record["client"]) == ("new_family", f"codex-agent/{agent_version()}")
    stored = manager.store.read()
    assert stored is not None
    current = broker.book.families()[0].current_login()
    assert current is not None
    assert stored.tokens == current.tokens  # the agent holds the broker's current pair
    assert stored.tokens.refresh_token != family["refresh_token"]


def test_a_broker_running_for_the_home_is_found_without_configuration(
    broker: RunningBroker, upstream: Any, account: dict[str, Any], clock: ManualClock,
    broker_config: AgentConfig,
) -> None:  # fmt: skip
    assert broker_config.broker_url is None
    pidfile.write_record(
        broker_config.home,
        GatewayRecord(pid=os.getpid(), host="127.0.0.1", port=broker.server.port,
                      started_at=datetime.now(UTC).isoformat(), version=agent_version(),
                      control="control-for-tests"),
        "broker.pid",
    )  # fmt: skip
    manager, _ = signed_in(broker_config, clock, upstream, account)
    with manager:
        manager.refresh(force=True)
        manager.refresh(force=True)
    assert rotated_by(upstream, account) == [BROKER_AGENT, BROKER_AGENT]
    assert [r["action"] for r in broker.audit()] == ["new_family", "rotated"]


def test_a_configured_broker_that_is_down_is_never_gone_around(
    upstream: Any, account: dict[str, Any], clock: ManualClock,
    make_config: Callable[..., AgentConfig],
) -> None:  # fmt: skip
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = make_config(upstream.issuer, ca_bundle=upstream.ca_cert,
                         broker_url=f"http://127.0.0.1:{port}")  # fmt: skip
    manager, family = signed_in(config, clock, upstream, account)
    requests = TokenRequests(upstream)
    with manager, pytest.raises(NetworkError) as caught:
        manager.refresh(force=True)
    assert "codex-agent broker run" in (caught.value.remedy or "")
    assert f"127.0.0.1:{port}" in caught.value.message
    assert requests.count() == 0
    stored = manager.store.read()
    assert stored is not None
    assert stored.tokens.refresh_token == family["refresh_token"]


@pytest.mark.parametrize(
    "url",
    ["http://192.168.1.5:8788", "http://localhost.evil.example:8788", "http://example.com",
     "http://0.0.0.0:8788"],
)  # fmt: skip
def test_a_broker_url_off_loopback_is_a_config_error(tmp_path: Path, url: str) -> None:
    env = {"CODEX_AGENT_HOME": str(tmp_path / "home"), "CODEX_AGENT_BROKER_URL": url}
    with pytest.raises(ConfigError) as caught:
        load_config(env)
    assert "CODEX_AGENT_BROKER_URL" in caught.value.message
    assert "loopback" in caught.value.message
