"""The backend sends no TLS 1.3 session tickets: threaded clients lost their upgrade to them.

A TLS 1.3 server sends its tickets just after the handshake. A client that reads on one thread
while it writes on another (websockets' sync client, the OpenAI SDK's sync WebSocket) then runs
OpenSSL's read (taking the tickets) and write (the upgrade request) on one connection at once,
which CPython's ssl module does not make safe: now and then the request never reached the wire,
and the backend closed the silent connection at its header deadline with no answer.
"""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit

from fake_codex_ws.testing import RunningCodexBackend


def test_no_session_ticket_arrives_before_the_first_answer(
    backend: RunningCodexBackend, tls_context: ssl.SSLContext
) -> None:
    url = urlsplit(backend.url)
    assert url.hostname is not None
    assert url.port is not None
    with (
        socket.create_connection((url.hostname, url.port), timeout=30) as raw,
        tls_context.wrap_socket(raw, server_hostname=url.hostname) as tls,
    ):
        tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := tls.recv(4096):
            answer += chunk
        # Tickets come before any answer, so the session holds one by now if any was sent.
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert tls.version() == "TLSv1.3"
        assert tls.session is not None
        assert not tls.session.has_ticket
