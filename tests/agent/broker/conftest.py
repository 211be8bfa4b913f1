"""A broker served in a thread in front of the fake OAuth server (TLS, strict, frozen clock)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from agent_testkit import START
from broker_testkit import CLIENT_ID, RunningBroker

from agent.broker.audit import AuditLog
from agent.broker.book import FamilyBook
from agent.broker.server import BrokerServer
from agent.broker.window import AdoptionWindow
from agent.clock import ManualClock
from agent.config import AgentConfig
from agent.http import build_http_client
from agent.local_http.access import AccessPolicy
from fake_oauth_server.testing import OAuthServerOptions


@pytest.fixture
def upstream(oauth_server_factory: Callable[..., Any]) -> Any:
    return oauth_server_factory(
        OAuthServerOptions(tls=True, policy="strict", clock_start=START, clock_frozen=True, seed=11)
    )


@pytest.fixture
def account(upstream: Any) -> dict[str, Any]:
    return upstream.admin.create_account(email="ada@example.test", plan="pro")  # type: ignore[no-any-return]


@pytest.fixture
def broker_config(upstream: Any, make_config: Callable[..., AgentConfig]) -> AgentConfig:
    return make_config(upstream.issuer, ca_bundle=upstream.ca_cert)


@pytest.fixture
def start_broker(
    broker_config: AgentConfig, clock: ManualClock
) -> Iterator[Callable[..., RunningBroker]]:
    started: list[tuple[BrokerServer, threading.Thread, httpx.Client]] = []

    def start(
        window: AdoptionWindow | None = None, retry_interrupted: bool = False
    ) -> RunningBroker:
        http = build_http_client(broker_config)
        book = FamilyBook(
            broker_config,
            http=http,
            clock=clock,
            window=window or AdoptionWindow(),
            retry_interrupted=retry_interrupted,
        )
        server = BrokerServer(
            ("127.0.0.1", 0),
            book=book,
            audit=AuditLog(broker_config.home / "broker"),
            client_id=CLIENT_ID,
            control_token="control-for-tests",
            policy=AccessPolicy.build("127.0.0.1"),
            status=lambda: {"families": book.snapshot()},
        )
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        started.append((server, thread, http))
        return RunningBroker(server, book, f"http://127.0.0.1:{server.port}", broker_config.home)

    yield start
    for server, thread, http in started:
        server.shutdown()
        server.server_close()
        thread.join(10)
        http.close()


@pytest.fixture
def broker(start_broker: Callable[..., RunningBroker]) -> RunningBroker:
    return start_broker()
