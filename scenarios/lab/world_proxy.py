"""The hostname-faithful world's HTTPS proxy: unmodified clients get `HTTPS_PROXY` and reach
`auth.openai.com:443` and `chatgpt.com:443`, which it tunnels to the local fakes. Every other
CONNECT, and every plain-HTTP proxy request, is refused with 403 and recorded, so the world
never depends on or leaks to a real host. After a 200 it only copies bytes, so TLS, WebSocket,
SSE and keep-alive all pass through unchanged.

Why not a proxy library: proxy.py runs its acceptors in worker processes (records would need IPC)
and resolves names itself; mitmproxy intercepts TLS and brings a large pinned dependency tree.
What is needed here is a CONNECT allowlist; h11 (already a dependency) parses and bounds heads."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from scenarios.lab.proxy_records import Outcome, ProxyAttempt, ProxyRecords
from scenarios.lab.proxy_request import (
    Authority,
    BadProxyRequest,
    ClientGone,
    HeadParser,
    ProxyRequest,
)
from scenarios.lab.proxy_routes import Routes, Upstream

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
Dialer = Callable[[Upstream], Awaitable[Streams]]

_REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
_QUIET = (ConnectionError, OSError, asyncio.IncompleteReadError)
_CHUNK = 64 * 1024
_LINGER_SECONDS = 2.0  # how long a refused client may go on sending before we close
_LINGER_BYTES = 256 * 1024


@dataclass(frozen=True)
class ProxyLimits:
    max_head_bytes: int = 16 * 1024
    head_timeout: float = 10.0  # seconds to send a complete request head
    max_connections: int = 256  # open at once, tunnels included
    connect_timeout: float = 10.0  # seconds for a fake to accept the tunnel

    def __post_init__(self) -> None:
        if self.max_head_bytes < 256:
            raise ValueError("max_head_bytes must be at least 256")
        if not self.head_timeout > 0 or not self.connect_timeout > 0:
            raise ValueError("timeouts must be positive")
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")


async def dial_loopback(upstream: Upstream) -> Streams:
    """Connect to a fake; a non-loopback address is refused here too, whoever built the route."""
    if not ipaddress.ip_address(upstream.host).is_loopback:
        raise ConnectionRefusedError(f"{upstream.host} is not loopback")
    return await asyncio.open_connection(upstream.host, upstream.port)


class WorldProxy:
    """Serve on 127.0.0.1 from `start()` until `close()`, within one event loop."""

    def __init__(
        self,
        routes: Routes,
        *,
        records: ProxyRecords | None = None,
        limits: ProxyLimits | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        dial: Dialer = dial_loopback,
    ) -> None:
        self.routes = routes
        self.records = records if records is not None else ProxyRecords()
        self.limits = limits or ProxyLimits()
        self._host, self._port = host, port
        self._clock = clock
        self._dial = dial
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self._host, self._port)
        self._port = self._server.sockets[0].getsockname()[1]

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """What clients get as `HTTPS_PROXY` (the proxy itself speaks plain HTTP)."""
        return f"http://{self._host}:{self._port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def ready_info(self) -> dict[str, object]:
        return {"proxy_url": self.url, "port": self._port, "routes": self.routes.as_dict()}

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        busy = len(self._handlers) >= self.limits.max_connections
        self._handlers.add(task)
        peer = _peer(writer)
        try:
            if busy:
                self._record(peer, None, None, "busy", 503)
                await _answer(
                    reader, writer, 503, "too many open connections through the world's proxy"
                )
                return
            await self._serve(reader, writer, peer)
        except _QUIET:
            pass
        except asyncio.CancelledError:
            # close() ends open tunnels. The task ends normally: Python 3.11's stream server
            # logs a cancelled handler as an error ("Exception in callback").
            pass
        finally:
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(*_QUIET):
                await writer.wait_closed()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        try:
            async with asyncio.timeout(self.limits.head_timeout):
                request = await _read_head(reader, self.limits.max_head_bytes)
        except TimeoutError:
            self._record(peer, None, None, "timeout", 408)
            await _answer(reader, writer, 408, "no complete request head in time")
            return
        except ClientGone:
            return
        except BadProxyRequest as exc:
            outcome: Outcome = "too_large" if exc.status == 431 else "bad_request"
            self._record(peer, None, None, outcome, exc.status)
            await _answer(reader, writer, exc.status, str(exc))
            return
        try:
            authority = request.authority()
        except BadProxyRequest as exc:
            self._record(peer, request.method, None, "bad_request", 400)
            await _answer(reader, writer, 400, str(exc))
            return
        upstream = self.routes.upstream_for(authority) if authority else None
        if request.method != "CONNECT" or upstream is None or authority is None:
            self._record(peer, request.method, authority, "refused", 403)
            await _answer(reader, writer, 403, self._refusal(request, authority))
            return
        try:
            async with asyncio.timeout(self.limits.connect_timeout):
                up_reader, up_writer = await self._dial(upstream)
        except (TimeoutError, *_QUIET):
            self._record(peer, request.method, authority, "upstream_failed", 502, upstream)
            await _answer(
                reader, writer, 502, f"the world's {authority} ({upstream}) did not answer"
            )
            return
        self._record(peer, request.method, authority, "tunnelled", 200, upstream)
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        try:
            if request.leftover:
                up_writer.write(request.leftover)
            await _splice((reader, writer), (up_reader, up_writer))
        finally:
            up_writer.close()
            with contextlib.suppress(*_QUIET):
                await up_writer.wait_closed()

    def _refusal(self, request: ProxyRequest, authority: Authority | None) -> str:
        world = ", ".join(self.routes.names()) or "nothing"
        if request.method != "CONNECT":
            return f"the world's proxy only tunnels CONNECT to {world}"
        return f"{authority} is outside the world (it tunnels {world})"

    def _record(
        self,
        peer: str,
        method: str | None,
        authority: Authority | None,
        outcome: Outcome,
        status: int,
        upstream: Upstream | None = None,
    ) -> None:
        self.records.add(
            ProxyAttempt(
                at=self._clock(),
                peer=peer,
                outcome=outcome,
                status=status,
                method=method,
                host=authority.host if authority else None,
                port=authority.port if authority else None,
                upstream=str(upstream) if upstream else None,
            )
        )


async def _read_head(reader: asyncio.StreamReader, max_head_bytes: int) -> ProxyRequest:
    parser = HeadParser(max_head_bytes)
    while True:
        data = await reader.read(4096)
        request = parser.feed(data)
        if request is not None:
            return request


async def _answer(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, status: int, message: str
) -> None:
    """Answer and close without a reset: after our FIN, read what the client still sends (a
    little, briefly), since closing with unread bytes sends RST and can destroy the answer."""
    body = json.dumps({"error": _REASONS[status].lower().replace(" ", "_"), "message": message})
    head = (
        f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    with contextlib.suppress(TimeoutError, *_QUIET):
        writer.write(head.encode("ascii") + body.encode("utf-8"))
        await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        async with asyncio.timeout(_LINGER_SECONDS):
            discarded = 0
            while discarded < _LINGER_BYTES and (chunk := await reader.read(_CHUNK)):
                discarded += len(chunk)


async def _splice(client: Streams, upstream: Streams) -> None:
    """Copy both ways; a clean EOF is passed on as a half-close, a reset ends both directions."""
    tasks = [
        asyncio.create_task(_copy(client[0], upstream[1])),
        asyncio.create_task(_copy(upstream[0], client[1])),
    ]
    try:
        for finished in asyncio.as_completed(tasks):
            if not await finished:
                break
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> bool:
    """True when the source ended cleanly (and the sink was told), False when a side broke."""
    try:
        while data := await source.read(_CHUNK):
            sink.write(data)
            await sink.drain()
        if sink.can_write_eof():
            sink.write_eof()
        return True
    except _QUIET:
        return False


def _peer(writer: asyncio.StreamWriter) -> str:
    info = writer.get_extra_info("peername")
    if isinstance(info, tuple) and len(info) >= 2:
        return f"{info[0]}:{info[1]}"
    return "unknown"


def client_proxy_env(proxy_url: str) -> dict[str, str]:
    """What a client's environment needs to go through the world: every public name via the
    proxy (plain HTTP too, so it is refused and recorded rather than leaked), loopback direct."""
    direct = "127.0.0.1,localhost,::1"
    env: dict[str, str] = {}
    for name in ("HTTPS_PROXY", "HTTP_PROXY"):
        env[name] = env[name.lower()] = proxy_url
    env["NO_PROXY"] = env["no_proxy"] = direct
    return env
