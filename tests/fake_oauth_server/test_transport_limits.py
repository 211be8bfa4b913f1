"""The transport both fakes serve through: oversized heads get a prompt 431 JSON, stalled heads
and bodies a 408 JSON, and a client that leaves early is counted, never logged as a crash.

Raw TLS sockets, as an attacker would send them; every read has a generous safety bound, and a
read that hits it means the server held the connection without answering (a hang).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from fake_codex_ws.authority import Presenter, TokenInfo
from fake_codex_ws.probe import codex_headers
from fake_codex_ws.testing import running_codex_backend
from fake_oauth_server.http.transport_limits import TransportLimits
from fake_oauth_server.testing import OAuthServerOptions, running_oauth_server

SAFETY = 30.0  # seconds: far above any deadline used here; reaching it is a hang
SHORT = TransportLimits(header_timeout=0.5, body_timeout=0.5)
API_KEY = "sk-transport-test-key"


class _NoTokens:
    async def introspect(self, token: str, presenter: Presenter | None = None) -> TokenInfo:
        return TokenInfo.from_introspection({"active": False, "token_status": "unknown"})

    async def aclose(self) -> None:
        return None


@dataclass
class Fake:
    """One running fake, seen from a raw socket."""

    name: str
    host: str
    port: int
    ca_cert: Path
    post_path: str  # a route that reads a JSON body
    post_headers: bytes
    counts: Callable[[], dict[str, int]]
    error_code: Callable[[dict[str, Any]], str]
    ws_url: str = ""

    def open(self) -> ssl.SSLSocket:
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        raw = socket.create_connection((self.host, self.port), timeout=SAFETY)
        return context.wrap_socket(raw, server_hostname=self.host)

    def post_head(self, length: int) -> bytes:
        return (
            f"POST {self.post_path} HTTP/1.1\r\nHost: {self.host}\r\n".encode()
            + self.post_headers
            + f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n".encode()
        )


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


def read_to_close(sock: ssl.SSLSocket) -> bytes:
    """Everything the server sends until it closes; a socket timeout here is a hang."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def read_answer(sock: ssl.SSLSocket, data: bytes = b"") -> Answer:
    """One answer, by its Content-Length; a socket timeout here is a hang."""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed without an answer after {data[:200]!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines)
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, "closed in the middle of the answer"
        body += chunk
    return Answer(int(status_line.split()[1]), headers, json.loads(body))


def exchange(fake: Fake, payload: bytes) -> Answer:
    with fake.open() as sock:
        sock.sendall(payload)
        return read_answer(sock)


def _oauth_code(body: dict[str, Any]) -> str:
    return str(body["error"])


def _codex_code(body: dict[str, Any]) -> str:
    return str(body["error"]["code"])


@contextlib.contextmanager
def serve(kind: str, limits: TransportLimits) -> Iterator[Fake]:
    if kind == "oauth":
        with running_oauth_server(OAuthServerOptions(transport=limits)) as srv:
            host, port = srv.issuer.removeprefix("https://").rsplit(":", 1)
            assert srv.ca_cert is not None
            yield Fake(
                "oauth",
                host,
                int(port),
                srv.ca_cert,
                "/oauth/token",
                b"",
                srv.server.transport_counters.snapshot,
                _oauth_code,
            )
        return
    with running_codex_backend(
        authority=_NoTokens(), api_keys=[API_KEY], transport=limits
    ) as backend:
        host, port = backend.url.removeprefix("https://").rsplit(":", 1)
        assert backend.ca_cert is not None

        def counts() -> dict[str, int]:
            found: dict[str, int] = {}
            for event in backend.state.log.since():
                if event["type"] == "transport":
                    found[event["outcome"]] = found.get(event["outcome"], 0) + 1
            return found

        yield Fake(
            "codex",
            host,
            int(port),
            backend.ca_cert,
            "/v1/responses",
            f"Authorization: Bearer {API_KEY}\r\n".encode(),
            counts,
            _codex_code,
            ws_url=backend.ws_url,
        )


@pytest.fixture(params=["oauth", "codex"])
def fake(request: pytest.FixtureRequest) -> Iterator[Fake]:
    with serve(request.param, TransportLimits()) as running:
        yield running


@pytest.fixture(params=["oauth", "codex"])
def impatient(request: pytest.FixtureRequest) -> Iterator[Fake]:
    """A fake whose read deadlines are half a second."""
    with serve(request.param, SHORT) as running:
        yield running


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    caplog.set_level(logging.WARNING)

    def found() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]

    return found


def wait_for_count(fake: Fake, name: str) -> int:
    """The counter once the server's loop has seen the socket close (bounded by SAFETY)."""
    done = threading.Event()
    for _ in range(int(SAFETY / 0.05)):
        if fake.counts().get(name):
            break
        done.wait(0.05)
    return fake.counts().get(name, 0)


# Oversized heads.

HEADS = {
    "one line over 8 KiB": b"X-Big: " + b"a" * 9000 + b"\r\n",
    "40 KiB in all": b"".join(b"X-Pad-%d: %s\r\n" % (i, b"b" * 1000) for i in range(40)),
    "101 headers": b"".join(b"X-N-%d: 1\r\n" % i for i in range(101)),
    "a 1 MiB line": b"X-Huge: " + b"c" * (1 << 20) + b"\r\n",
}


@pytest.mark.parametrize("extra", HEADS.values(), ids=HEADS.keys())
def test_an_oversized_head_gets_a_431_in_json(fake: Fake, extra: bytes) -> None:
    answer = exchange(fake, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
    assert answer.status == 431
    assert answer.headers["content-type"] == "application/json"
    assert fake.error_code(answer.body) == "request_header_fields_too_large"
    assert fake.counts()["headers_too_large"] == 1


def test_an_overlong_request_line_gets_a_414_in_json(fake: Fake) -> None:
    answer = exchange(fake, b"GET /" + b"p" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.status == 414
    assert fake.error_code(answer.body) == "uri_too_long"


def test_a_large_head_under_the_limits_is_served(fake: Fake) -> None:
    head = b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: "
    answer = exchange(fake, head + b"d" * 7000 + b"\r\n\r\n")
    assert answer.status == 404
    assert fake.counts().get("headers_too_large", 0) == 0


def test_a_malformed_request_gets_a_400_in_json(fake: Fake) -> None:
    answer = exchange(fake, b"GET / HTTP/1.1\r\nBad Header Name: x\r\n\r\n")
    assert answer.status == 400
    assert answer.headers["content-type"] == "application/json"
    assert fake.error_code(answer.body) == "invalid_http"


# Slow and stalled requests.


def test_a_head_that_never_ends_gets_a_408(impatient: Fake) -> None:
    answer = exchange(impatient, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert answer.status == 408
    assert impatient.error_code(answer.body) == "request_timeout"
    assert impatient.counts()["read_timeouts"] == 1


def test_a_head_dripped_a_byte_at_a_time_still_times_out(impatient: Fake) -> None:
    """The deadline is for the whole head: steady progress does not extend it."""
    drip = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Drip: " + b"e" * 4000
    with impatient.open() as sock:
        sock.settimeout(0.05)  # the pace: 20 bytes a second, 200 s for the whole head
        answered = b""
        sent = 0
        while sent < len(drip) and not answered:
            sock.sendall(drip[sent : sent + 1])
            sent += 1
            with contextlib.suppress(TimeoutError):
                answered = sock.recv(65536)
        sock.settimeout(SAFETY)
        answer = read_answer(sock, answered)
    assert sent < len(drip), "answered only once the whole head was sent"
    assert answer.status == 408


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(impatient: Fake) -> None:
    with impatient.open() as sock:
        assert read_to_close(sock) == b""
    assert impatient.counts()["read_timeouts"] == 1


def test_a_body_that_never_ends_gets_a_408_and_no_traceback(
    impatient: Fake, errors_logged: Callable[[], list[str]]
) -> None:
    answer = exchange(impatient, impatient.post_head(100) + b'{"a":')
    assert answer.status == 408
    assert impatient.error_code(answer.body) == "request_timeout"
    assert impatient.counts()["read_timeouts"] == 1
    assert errors_logged() == []


def test_a_client_leaving_mid_body_is_counted_not_logged(
    fake: Fake, errors_logged: Callable[[], list[str]]
) -> None:
    with fake.open() as sock:
        sock.sendall(fake.post_head(100) + b'{"a":')
    assert wait_for_count(fake, "client_disconnects") == 1
    assert errors_logged() == []


def test_a_request_after_a_refusal_is_served_as_usual(fake: Fake) -> None:
    exchange(fake, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"f" * 9000 + b"\r\n\r\n")
    answer = exchange(fake, b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.status == 404


# The fake Codex backend's own paths.


@pytest.fixture
def codex() -> Iterator[Fake]:
    with serve("codex", TransportLimits()) as running:
        yield running


def test_a_websocket_upgrade_with_an_oversized_header_is_refused_not_hung(codex: Fake) -> None:
    """uvicorn passes the upgrade to websockets, whose 431 it never sends: the guard answers."""
    context = ssl.create_default_context(cafile=str(codex.ca_cert))
    headers = {**codex_headers("some-token"), "X-Big": "g" * 9000}

    async def upgrade() -> None:
        async with connect(
            codex.ws_url, ssl=context, additional_headers=headers, open_timeout=SAFETY
        ):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(upgrade())
    response = refused.value.response
    assert response.status_code == 431
    assert _codex_code(json.loads(response.body)) == "request_header_fields_too_large"


def test_an_oversized_content_length_is_refused_before_the_body(codex: Fake) -> None:
    answer = exchange(codex, codex.post_head(10**9))  # not one byte of the body sent
    assert answer.status == 413
    assert _codex_code(answer.body) == "request_too_large"


# The limits themselves.


@pytest.mark.parametrize(
    "bad",
    [
        {"header_timeout": float("nan")},
        {"body_timeout": float("inf")},
        {"header_timeout": 0},
        {"max_header_line_bytes": 100_000},
        {"max_header_count": 500},
        {"max_header_bytes": 300},
    ],
)
def test_limits_out_of_range_are_refused_with_the_setting_named(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad)).split("_")[-1]):
        TransportLimits(**bad)
