"""Issue 12 items 8 and 11: bad requests get a JSON answer and a count, never a traceback.

Deeply nested JSON, unknown methods, oversized header lines, too many headers, bad request
lines; clients that go away mid-request or before reading the answer.
"""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.local_http.json_body import json_object
from agent.local_http.refusal import Refusal

from .conftest import SAFETY, RunningGateway, StartGateway


def _answer(raw: bytes) -> tuple[int, dict[str, object], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 "), head[:80]
    assert b"content-type: application/json" in head.lower()
    return int(head.split()[1]), json.loads(body), head


def _post(gateway: RunningGateway, body: bytes) -> bytes:
    head = (
        f"POST /v1/chat HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return gateway.exchange(head + body)


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_deeply_nested_json_is_a_400(start_gateway: StartGateway, opening: str) -> None:
    gateway = start_gateway()
    status, body, _ = _answer(_post(gateway, (opening * 100_000).encode()))
    assert status == 400
    assert body["error"] == {"code": "invalid_json", "message": "the body is nested too deeply"}
    assert gateway.asked == []


@settings(max_examples=50, deadline=None)
@given(depth=st.integers(0, 200_000), opening=st.sampled_from(["[", '{"k":']))
def test_any_nesting_is_parsed_or_refused_never_raised(depth: int, opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    raw = (opening * depth + "1" + closing * depth).encode()
    outcome: object
    try:
        outcome = json_object(raw)
    except Refusal as refusal:
        outcome = refusal.status
    assert outcome == 400 or isinstance(outcome, dict)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD", "TRACE", "FOO", "G\x01T"])
def test_unknown_methods_are_answered_in_json(start_gateway: StartGateway, method: str) -> None:
    gateway = start_gateway()
    raw = gateway.exchange(
        f"{method} /v1/chat HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n\r\n".encode()
    )
    if method == "HEAD":
        head = raw.partition(b"\r\n\r\n")[0]
        assert head.split()[1] == b"405"
        return
    status, body, head = _answer(raw)
    assert status == 405
    assert body["error"]["code"] == "method_not_allowed"  # type: ignore[index]
    assert b"allow: options, post" in head.lower()
    assert gateway.refused() == {"method_not_allowed": 1}


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (
            b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
            431,
            "header_too_large",
        ),
        (b"GET /healthz HTTP/1.1\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", 431, "header_too_large"),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, "uri_too_long"),
        (b"GET / HTTP/1.1 extra words\r\n\r\n", 400, "bad_request"),
        (b"GET / HTTX/1.1\r\n\r\n", 400, "bad_request"),
        (b"GET / HTTP/2.0\r\n\r\n", 505, "http_version_not_supported"),
        (b"NONSENSE\r\n\r\n", 400, "bad_request"),
        (b"GET /healthz\r\n\r\n", 400, "missing_host"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 tls hello\r\n\r\n", 400, "bad_request"),
    ],
)
def test_malformed_requests_are_answered_in_json(
    start_gateway: StartGateway, request_bytes: bytes, status: int, code: str
) -> None:
    gateway = start_gateway()
    got, body, _ = _answer(gateway.exchange(request_bytes))
    assert (got, body["error"]["code"]) == (status, code)  # type: ignore[index]
    assert gateway.refused() == {code: 1}


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Content-Length": "99999999999"}, 413, "body_too_large"),
        ({"Content-Length": "1_0"}, 400, "bad_request"),
        ({"Content-Length": "-1"}, 400, "bad_request"),
        ({"Transfer-Encoding": "chunked"}, 411, "length_required"),
        ({}, 411, "length_required"),
    ],
)
def test_bad_lengths_are_refused_without_reading_a_body(
    start_gateway: StartGateway, headers: dict[str, str], status: int, code: str
) -> None:
    gateway = start_gateway()
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    raw = gateway.exchange(
        f"POST /v1/chat HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n"
        f"Content-Type: application/json\r\n{lines}\r\n".encode()
    )
    got, body, _ = _answer(raw)
    assert (got, body["error"]["code"]) == (status, code)  # type: ignore[index]


def test_clients_that_go_away_leave_no_traceback(
    start_gateway: StartGateway, capfd: pytest.CaptureFixture[str]
) -> None:
    gateway = start_gateway()
    big = b'{"message": "' + b"x" * 500_000 + b'"}'
    head = (
        f"POST /v1/chat HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(big)}\r\n\r\n"
    ).encode()
    for _ in range(3):
        with gateway.connect() as sock:  # gone in the middle of the body
            sock.sendall(head + big[:1000])
        with gateway.connect() as sock:  # gone before reading the answer, with a reset
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            sock.sendall(head + big)
    assert gateway.server.counters.wait_for("client_gone", 3, SAFETY)
    with httpx.Client(base_url=gateway.url, timeout=SAFETY, trust_env=False) as client:
        assert client.get("/healthz").json()["refused"]["client_gone"] >= 3
    err = capfd.readouterr().err
    for word in ("Traceback", "BrokenPipe", "ConnectionReset", "Exception"):
        assert word not in err
