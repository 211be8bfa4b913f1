"""One request head sent to the world's proxy, parsed and bounded by h11, and the authority a
CONNECT asks for (RFC 9110 §9.3.6, `host:port`). Pure functions: no sockets, so hypothesis can
drive them with any bytes."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

# A DNS name (labels of letters, digits, '-' and '_', at most 63 each) or an IPv4 literal.
_REG_NAME = re.compile(
    r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*"
    r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?"
)
_PORT = re.compile(r"[0-9]{1,5}")


class BadProxyRequest(Exception):
    """The head cannot be answered: `status` says which 4xx (400, 431) tells the client why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class ClientGone(Exception):
    """The client closed before it finished a request head."""


@dataclass(frozen=True, order=True)
class Authority:
    """A lower-case host without a trailing dot (IPv6 without brackets) and a port."""

    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class ProxyRequest:
    method: str
    target: str  # as sent; may hold a path and query, so it is never recorded whole
    leftover: bytes  # what the client sent after the head (a TLS ClientHello, eagerly)

    def authority(self) -> Authority | None:
        """Where the request wants to go: the CONNECT authority or an absolute URL's host."""
        if self.method == "CONNECT":
            return parse_authority(self.target)
        try:
            parts = urlsplit(self.target)
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                return None
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
            return parse_authority(str(Authority(parts.hostname, port)))
        except (ValueError, BadProxyRequest):
            return None


def parse_authority(target: str) -> Authority:
    """`host:port` with a DNS name, an IPv4 literal or a bracketed IPv6 literal; port 1..65535."""
    if target.startswith("["):
        literal, sep, port_text = target[1:].partition("]:")
        if not sep:
            raise BadProxyRequest(f"CONNECT target {target[:80]!r} is not [ipv6]:port")
        try:
            host = str(ipaddress.IPv6Address(literal))
        except ValueError:
            raise BadProxyRequest(f"CONNECT target {target[:80]!r} is not [ipv6]:port") from None
    else:
        host, sep, port_text = target.rpartition(":")
        if not sep or not _REG_NAME.fullmatch(host) or len(host.rstrip(".")) > 253:
            raise BadProxyRequest(f"CONNECT target {target[:80]!r} is not host:port")
        host = host.rstrip(".").lower()
    if not _PORT.fullmatch(port_text) or not 1 <= int(port_text) <= 65535:
        raise BadProxyRequest(f"CONNECT target {target[:80]!r} has no port in 1..65535")
    return Authority(host, int(port_text))


class HeadParser:
    """Feed bytes until a request head is complete; h11 enforces the size cap and the syntax."""

    def __init__(self, max_head_bytes: int) -> None:
        self._conn = h11.Connection(h11.SERVER, max_incomplete_event_size=max_head_bytes)

    def feed(self, data: bytes) -> ProxyRequest | None:
        """The request once its head is complete, else None; `b""` means the client closed."""
        if not data:
            raise ClientGone()  # nobody is left to read a 400 for a head cut short
        self._conn.receive_data(data)
        try:
            event = self._conn.next_event()
        except h11.RemoteProtocolError as exc:
            status = exc.error_status_hint if exc.error_status_hint in (400, 431) else 400
            raise BadProxyRequest(f"malformed request head: {exc}", status) from None
        if event is h11.NEED_DATA:
            return None
        if isinstance(event, h11.Request):
            return ProxyRequest(
                method=event.method.decode("ascii", "replace"),
                target=event.target.decode("ascii", "replace"),
                leftover=self._conn.trailing_data[0],
            )
        raise ClientGone()
