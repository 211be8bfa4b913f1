"""HTTP/1.1 by hand over a plain or TLS socket: for requests no client library will send
(malformed, oversized, slow, cut off), and to see exactly what the server answers."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from dataclasses import dataclass, field


@dataclass
class RawAnswer:
    """What came back: a parsed response, or how the connection ended without one."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    closed: bool = False  # the server closed (or reset) the connection
    timed_out: bool = False  # nothing conclusive before the deadline
    raw: bytes = b""

    def describe(self) -> str:
        if self.status is not None:
            return f"{self.status} {self.headers.get('content-type', '')} {self.body[:300]!r}"
        return "timed out" if self.timed_out else f"closed without an answer ({self.raw[:200]!r})"


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    tls: ssl.SSLContext | None

    def connect(self, timeout: float) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        if self.tls is None:
            return sock
        return self.tls.wrap_socket(sock, server_hostname=self.host)

    def host_header(self) -> str:
        return f"{self.host}:{self.port}"


def read_answer(sock: socket.socket, deadline: float) -> RawAnswer:
    """Read one response (head, then a Content-Length body) or until close or `deadline`."""
    answer = RawAnswer()
    buffer = b""
    head_end = -1
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            answer.timed_out = True
            break
        sock.settimeout(min(remaining, 1.0))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ssl.SSLWantReadError:
            continue
        except (ConnectionError, ssl.SSLError, OSError):
            answer.closed = True
            break
        if not chunk:
            answer.closed = True
            break
        buffer += chunk
        if head_end < 0:
            head_end = buffer.find(b"\r\n\r\n")
            if head_end >= 0:
                _parse_head(answer, buffer[:head_end])
        if head_end >= 0 and answer.status is not None:
            body = buffer[head_end + 4 :]
            length = answer.headers.get("content-length")
            if length is not None and length.isdigit() and len(body) >= int(length):
                answer.body = body[: int(length)]
                answer.closed = False
                answer.raw = buffer
                return answer
    answer.raw = buffer
    if head_end >= 0:
        answer.body = buffer[head_end + 4 :]
    if answer.status is not None:
        answer.timed_out = False  # an answer without a length: the body ran to the close
    return answer


def _parse_head(answer: RawAnswer, head: bytes) -> None:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) >= 2 and parts[0].startswith("HTTP/") and parts[1].isdigit():
        answer.status = int(parts[1])
    for line in lines[1:]:
        name, _, value = line.partition(":")
        answer.headers[name.strip().lower()] = value.strip()


def exchange(endpoint: Endpoint, payload: bytes, timeout: float) -> RawAnswer:
    """Send `payload` on a new connection and read the answer."""
    deadline = time.monotonic() + timeout
    try:
        sock = endpoint.connect(timeout)
    except OSError:
        return RawAnswer(closed=True)
    with contextlib.closing(sock):
        try:
            sock.sendall(payload)
        except OSError:
            pass  # the server may answer (413, 431) and close before reading it all
        return read_answer(sock, deadline)


def request_bytes(
    method: str,
    path: str,
    host: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    *,
    content_length: int | None = None,
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for name, value in headers or []:
        lines.append(f"{name}: {value}")
    if body or content_length is not None:
        lines.append(f"Content-Length: {len(body) if content_length is None else content_length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
