"""Issue 12 item 7: one deadline over a request's whole read; a slow client is answered 408.

The gateway is built with a short read timeout; the clients below would hold a thread forever
without it (each sends a byte well within any per-recv timeout).
"""

from __future__ import annotations

import json
import select
import socket

import httpx

from agent.local_http.server import Limits

from .conftest import SAFETY, RunningGateway, StartGateway, read_all

SHORT = Limits(read_timeout=0.5, linger=0.5)


def _trickle(gateway: RunningGateway, request: bytes, every: float) -> bytes:
    """Send `request` one byte at a time, `every` seconds apart, until the server answers."""
    with gateway.connect() as sock:
        for byte in request:
            sock.sendall(bytes([byte]))
            readable, _, _ = select.select([sock], [], [], every)
            if readable:
                return read_all(sock)
        readable, _, _ = select.select([sock], [], [], SAFETY)
        assert readable, "the server never answered a request that kept trickling"
        return read_all(sock)


def _status_and_body(raw: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_headers_that_trickle_in_are_answered_408(start_gateway: StartGateway) -> None:
    gateway = start_gateway(limits=SHORT)
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 10_000
    status, body = _status_and_body(_trickle(gateway, request, every=0.05))
    assert status == 408
    assert body["error"]["code"] == "read_timeout"  # type: ignore[index]
    assert gateway.refused() == {"read_timeout": 1}


def test_a_body_that_never_arrives_is_answered_408(start_gateway: StartGateway) -> None:
    gateway = start_gateway(limits=SHORT)
    head = (
        f"POST /v1/chat HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    ).encode()
    status, body = _status_and_body(gateway.exchange(head))
    assert status == 408
    assert body["error"]["code"] == "read_timeout"  # type: ignore[index]
    assert gateway.asked == []


def test_a_body_that_trickles_in_is_answered_408(start_gateway: StartGateway) -> None:
    gateway = start_gateway(limits=SHORT)
    payload = b'{"message": "' + b"x" * 5000 + b'"}'
    request = (
        f"POST /v1/chat HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    status, _ = _status_and_body(_trickle(gateway, request, every=0.05))
    assert status == 408
    assert gateway.asked == []


def test_a_silent_connection_is_closed(start_gateway: StartGateway) -> None:
    gateway = start_gateway(limits=SHORT)
    with gateway.connect() as sock:
        assert read_all(sock) == b""  # closed without an answer: nothing was asked
    assert gateway.refused() == {}


def test_a_slow_client_does_not_stop_the_others(start_gateway: StartGateway) -> None:
    gateway = start_gateway(limits=Limits(read_timeout=SAFETY))
    with gateway.connect() as slow:
        slow.sendall(b"POST /v1/chat HTTP/1.1\r\n")
        with httpx.Client(base_url=gateway.url, timeout=SAFETY, trust_env=False) as client:
            assert client.post("/v1/chat", json={"message": "meanwhile"}).status_code == 200
        slow.shutdown(socket.SHUT_WR)


def test_keep_alive_requests_each_get_their_own_deadline(start_gateway: StartGateway) -> None:
    gateway = start_gateway(limits=Limits(read_timeout=SAFETY))
    with httpx.Client(base_url=gateway.url, timeout=SAFETY, trust_env=False) as client:
        for n in range(5):
            assert client.post("/v1/chat", json={"message": f"m{n}"}).status_code == 200
    assert gateway.asked == [f"m{n}" for n in range(5)]
