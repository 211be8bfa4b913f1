"""Requests no client library sends, by hand over plain and TLS sockets, against all three servers:
oversized header lines (plain and on a WebSocket upgrade), an oversized Content-Length, malformed
request lines, unknown methods, bodies cut off mid-way, slow headers and bodies (slowloris) and
many idle connections. Each is refused (a 4xx JSON answer, or closed) within a bound, and the
server keeps serving with a clean stderr."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass

import pytest
from advkit.probe import (
    REFUSED,
    REQUEST_TIMEOUT,
    Target,
    assert_responsive,
    assert_stderr_clean,
    judge_raw,
    raw_case,
)
from advkit.raw_http import RawAnswer, read_answer, request_bytes
from advkit.verdict import Outcome, json_error_body
from advkit.world import FAKE_READ_TIMEOUT, World

from agent.local_http.server import Limits
from fake_codex_ws.options import DEFAULT_BETA

SERVERS = ["oauth", "codex", "gateway"]
POST_PATHS = {"oauth": "/oauth/token", "codex": "/backend-api/codex/responses",
              "gateway": "/v1/chat"}  # fmt: skip
HEALTH = {"oauth": "/.well-known/openid-configuration", "codex": "/healthz", "gateway": "/healthz"}
# Safety bounds, not speed limits: each server's read deadline plus a margin for a loaded
# machine; a server with a read timeout answers or closes long before its bound.
_MARGIN = 15.0
SLOW_BOUND = {
    "oauth": FAKE_READ_TIMEOUT + _MARGIN,
    "codex": FAKE_READ_TIMEOUT + _MARGIN,
    "gateway": Limits().read_timeout + _MARGIN,  # `gateway run` has no flag for it
}
TRICKLE_EVERY = 1.0


@pytest.fixture(scope="module")
def targets(oauth: Target, backend: Target, gateway: Target) -> dict[str, Target]:
    return {"oauth": oauth, "codex": backend, "gateway": gateway}


@pytest.fixture(scope="module")
def post_headers(world: World) -> dict[str, list[tuple[str, str]]]:
    """Headers that pass each server's checks before the body, so the body is what is tested."""
    tokens = world.oauth.login()
    codex = [
        ("Authorization", f"Bearer {tokens.access_token}"),
        ("ChatGPT-Account-ID", tokens.account_id),
        ("OpenAI-Beta", DEFAULT_BETA),
    ]
    json_type = [("Content-Type", "application/json")]
    return {"oauth": json_type, "codex": json_type + codex, "gateway": json_type}


def _category(name: str) -> str:
    return f"raw {name}"


# --- oversized and malformed requests -----------------------------------------------------------


@pytest.mark.parametrize("size", [9 * 1024, 70 * 1024, 1024 * 1024])
@pytest.mark.parametrize("name", SERVERS)
def test_an_oversized_header_line_is_refused(
    targets: dict[str, Target], name: str, size: int
) -> None:
    target = targets[name]
    payload = request_bytes(
        "GET", HEALTH[name], target.endpoint.host_header(), [("X-Big", "a" * size)]
    )
    # A 9 KiB header may be served; from 64 KiB on it must be refused.
    allowed = REFUSED | {Outcome.OK} if size < 64 * 1024 else REFUSED
    raw_case(target, _category(name), payload, allowed=allowed, what=f"a {size}-byte header")


@pytest.mark.parametrize("size", [9 * 1024, 70 * 1024])
@pytest.mark.parametrize("where", ["authorization", "user-agent", "other"])
def test_an_oversized_header_on_a_websocket_upgrade_is_answered(
    world: World, backend: Target, where: str, size: int
) -> None:
    """Issue 12 item 6: the upgrade with an ~8 KiB header got no answer at all."""
    tokens = world.oauth.login()
    headers = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
        ("OpenAI-Beta", DEFAULT_BETA),
        ("ChatGPT-Account-ID", tokens.account_id),
        ("Authorization", f"Bearer {tokens.access_token}"),
        ("User-Agent", "codex_cli_rs/0.1"),
    ]
    big = "a" * size
    if where == "authorization":
        headers[6] = ("Authorization", f"Bearer {big}")
    elif where == "user-agent":
        headers[7] = ("User-Agent", big)
    else:
        headers.append(("X-Big", big))
    payload = request_bytes(
        "GET", "/backend-api/codex/responses", backend.endpoint.host_header(), headers
    )
    raw_case(backend, "raw codex upgrade", payload, what=f"an upgrade with a {size}-byte {where}")


@pytest.mark.parametrize("name", SERVERS)
def test_an_oversized_content_length_is_refused_at_once(
    targets: dict[str, Target], post_headers: dict[str, list[tuple[str, str]]], name: str
) -> None:
    """413 without waiting for a body that would never fit (nothing but the head is sent)."""
    target = targets[name]
    payload = request_bytes(
        "POST", POST_PATHS[name], target.endpoint.host_header(),
        post_headers[name], content_length=10 * 1024**3,
    )  # fmt: skip
    answer = raw_case(
        target,
        _category(name),
        payload,
        allowed={Outcome.CLIENT_JSON},
        what="Content-Length 10 GiB",
    )
    assert answer.status == 413, answer.describe()


MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 40,
    b"\xff\xfe\xfd\r\n\r\n",
    b"GET / HTTP/1.1\nHost: x\n\n",
]


@pytest.mark.parametrize("payload", MALFORMED, ids=lambda p: repr(p[:24]))
@pytest.mark.parametrize("name", SERVERS)
def test_a_malformed_request_is_refused(
    targets: dict[str, Target], name: str, payload: bytes
) -> None:
    allowed = set(REFUSED)
    if payload.endswith(b"\n\n") and b"\r" not in payload:
        allowed.add(Outcome.OK)  # bare LF line ends: tolerated by some parsers, fine either way
    if b"HTTP/9.9" in payload:
        allowed.add(Outcome.SERVER_ERROR)  # 505 is the status for it; checked below
    # No line end at all: only the server's read timeout can end it.
    timeout = SLOW_BOUND[name] if b"\n" not in payload else REQUEST_TIMEOUT
    answer = raw_case(targets[name], _category(name), payload, allowed=allowed, timeout=timeout)
    if answer.status is not None and answer.status >= 500:
        assert answer.status == 505, answer.describe()
        assert json_error_body(answer.body) is not None, answer.describe()


@pytest.mark.parametrize("method", ["FOO", "BREW", "PROPFIND", "CONNECT", "TRACE", "PATCH"])
@pytest.mark.parametrize("name", SERVERS)
def test_an_unknown_method_gets_json(targets: dict[str, Target], name: str, method: str) -> None:
    target = targets[name]
    path = "127.0.0.1:1" if method == "CONNECT" else POST_PATHS[name]
    payload = request_bytes(method, path, target.endpoint.host_header())
    raw_case(target, _category(name), payload, allowed={Outcome.CLIENT_JSON}, what=method)


@pytest.mark.parametrize("name", SERVERS)
def test_a_body_cut_off_midway_leaves_the_server_serving(
    targets: dict[str, Target], name: str
) -> None:
    """Issue 12 item 11: the disconnect was logged as an internal error with a traceback."""
    target = targets[name]
    mark = target.server.stderr_mark()
    for declared in (100, 70_000):
        head = request_bytes(
            "POST", POST_PATHS[name], target.endpoint.host_header(),
            [("Content-Type", "application/json")], content_length=declared,
        )  # fmt: skip
        with contextlib.closing(target.endpoint.connect(10)) as sock:
            sock.sendall(head + b'{"message": "half')
    assert_responsive(target, HEALTH[name])
    # The server notices the disconnect on its own time: a second request gives it that time.
    assert_responsive(target, HEALTH[name])
    judge_raw(target, _category(name), RawAnswer(closed=True), mark, what="a body cut off")


# --- slow requests ------------------------------------------------------------------------------


@dataclass
class SlowResult:
    answer: RawAnswer
    mark: int


def _slow(
    target: Target, path: str, headers: list[tuple[str, str]], body: bool, bound: float
) -> SlowResult:
    """Trickle a request (headers or body) that never completes; see what the server does."""
    mark = target.server.stderr_mark()
    deadline = time.monotonic() + bound
    answer = RawAnswer()
    try:
        sock = target.endpoint.connect(10)
    except OSError:
        return SlowResult(RawAnswer(closed=True), mark)
    with contextlib.closing(sock):
        try:
            if body:
                sock.sendall(
                    request_bytes(
                        "POST",
                        path,
                        target.endpoint.host_header(),
                        headers,
                        content_length=100_000,
                    )
                    + b"{"
                )
            else:
                sock.sendall(
                    f"GET {path} HTTP/1.1\r\nHost: {target.endpoint.host_header()}\r\n".encode()
                )
            n = 0
            while time.monotonic() < deadline:
                answer = read_answer(sock, min(deadline, time.monotonic() + TRICKLE_EVERY))
                if answer.status is not None or answer.closed:
                    return SlowResult(answer, mark)
                n += 1
                sock.sendall(b" " if body else f"X-Slow-{n}: 1\r\n".encode())
        except OSError:
            return SlowResult(RawAnswer(closed=True), mark)
    answer.timed_out = True
    return SlowResult(answer, mark)


@pytest.fixture(scope="module")
def slow_results(
    targets: dict[str, Target], post_headers: dict[str, list[tuple[str, str]]]
) -> dict[tuple[str, str], SlowResult]:
    """Every slow case at once (threads), so the suite waits for the bound at most once."""
    results: dict[tuple[str, str], SlowResult] = {}

    def run(name: str, kind: str) -> None:
        path = HEALTH[name] if kind == "headers" else POST_PATHS[name]
        results[(name, kind)] = _slow(
            targets[name], path, post_headers[name], kind == "body", SLOW_BOUND[name]
        )

    threads = [
        threading.Thread(target=run, args=(name, kind), daemon=True)
        for name in SERVERS
        for kind in ("headers", "body")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(SLOW_BOUND.values()) + 30)
    return results


@pytest.mark.parametrize("kind", ["headers", "body"])
@pytest.mark.parametrize("name", SERVERS)
def test_a_slow_request_is_timed_out(
    targets: dict[str, Target],
    slow_results: dict[tuple[str, str], SlowResult],
    name: str,
    kind: str,
) -> None:
    """Issue 12 item 7 (slowloris): a request trickled byte by byte is answered 408 or closed."""
    result = slow_results[(name, kind)]
    outcome = judge_raw(
        targets[name], _category(name), result.answer, result.mark,
        allowed=REFUSED, what=f"slow {kind}",
    )  # fmt: skip
    if outcome == Outcome.CLIENT_JSON:
        assert result.answer.status in (400, 408, 413), result.answer.describe()


# --- many idle connections ----------------------------------------------------------------------


@pytest.mark.parametrize("name", SERVERS)
def test_many_idle_connections_do_not_stop_service(targets: dict[str, Target], name: str) -> None:
    target = targets[name]
    endpoint = target.endpoint
    idle: list[socket.socket] = []
    try:
        for i in range(150):
            if endpoint.tls is not None and i % 2:
                idle.append(endpoint.connect(10))  # a finished TLS handshake, then silence
            else:
                idle.append(socket.create_connection((endpoint.host, endpoint.port), timeout=10))
        assert_responsive(target, HEALTH[name])
    finally:
        for sock in idle:
            sock.close()
    assert_responsive(target, HEALTH[name])


@pytest.mark.parametrize("name", SERVERS)
def test_the_server_stayed_up_and_quiet(targets: dict[str, Target], name: str) -> None:
    assert_responsive(targets[name], HEALTH[name])
    assert_stderr_clean(targets[name].server)
