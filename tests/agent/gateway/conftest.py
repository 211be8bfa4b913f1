"""An in-process gateway on 127.0.0.1:0 whose turns are recorded, not run: the guard's tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from agent.gateway.server import GatewayServer
from agent.local_http.access import AccessPolicy
from agent.local_http.server import Limits
from agent.providers.base import Completion
from agent.turns.cascade import TurnOutcome
from agent.turns.conversation import TurnResult

SAFETY = 30.0  # seconds; a bound against hangs, never a measured limit


@dataclass
class RecordedConversation:
    session_id: str
    asked: list[str]

    def ask(self, prompt: str) -> TurnResult:
        self.asked.append(prompt)
        completion = Completion(f"you said: {prompt}", "fake", "fake-model", "test")
        outcome = TurnOutcome(attempts=[], completion=completion, stop_reason="completed")
        return TurnResult(outcome=outcome, notice=None, record={"stop_reason": "completed"})


@dataclass
class RunningGateway:
    server: GatewayServer
    asked: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=SAFETY)
        return sock

    def exchange(self, request: bytes) -> bytes:
        """Send raw bytes, read until the server closes (every refusal closes)."""
        with self.connect() as sock:
            sock.sendall(request)
            return read_all(sock)

    def refused(self) -> dict[str, int]:
        return self.server.counters.snapshot()


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


StartGateway = Callable[..., RunningGateway]


@pytest.fixture
def start_gateway() -> Iterator[StartGateway]:
    started: list[tuple[GatewayServer, threading.Thread]] = []

    def start(
        *, origins: tuple[str, ...] = (), token: str | None = None, limits: Limits | None = None
    ) -> RunningGateway:
        asked: list[str] = []
        counter = iter(range(1_000_000))
        policy = AccessPolicy.build("127.0.0.1", origins=origins, bearer_token=token)
        server = GatewayServer(
            ("127.0.0.1", 0),
            conversations=lambda sid: RecordedConversation(sid or f"s{next(counter)}", asked),
            status=lambda: {"ready": True},
            control_token="control-token-for-tests",
            policy=policy,
            limits=limits,
        )
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        started.append((server, thread))
        return RunningGateway(server, asked)

    yield start
    for server, thread in started:
        server.shutdown()
        thread.join(SAFETY)
        server.server_close()
