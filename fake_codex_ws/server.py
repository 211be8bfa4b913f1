"""Serving the app with uvicorn: in a background thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from fake_codex_ws.app import API_PREFIX, CODEX_PREFIX, build_app
from fake_codex_ws.errors import error_body
from fake_codex_ws.state import BackendState
from fake_codex_ws.tls import (
    TlsFiles,
    given_tls_files,
    make_tls_files,
    without_session_tickets,
)
from fake_codex_ws.ws_protocol import QuietWebSocketProtocol
from fake_oauth_server.http.transport_guard import TransportGuard, guarded_protocol
from fake_oauth_server.http.transport_limits import TransportCounters


class _DenialLogFilter(logging.Filter):
    """Drops uvicorn's false alarm after a WebSocket denial response.

    uvicorn's websockets-sansio protocol does not mark the handshake complete after a
    `websocket.http.response` (a refusal before the upgrade, which this server sends on purpose),
    and then logs "ASGI callable returned without completing handshake." for every refusal.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing handshake" not in record.getMessage()


_DENIAL_FILTER = _DenialLogFilter()


def _transport_guard(state: BackendState) -> TransportGuard:
    """The shared transport limits, refusing in this backend's error shape; each refusal or
    early departure is an event (type `transport`) that tests and scenarios can count."""

    def answer(code: str, message: str) -> dict[str, Any]:
        return error_body(message, code)

    def observe(counter: str) -> None:
        state.log.record("transport", counter)

    return TransportGuard(state.options.transport, TransportCounters(), answer, observe)


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its owner."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@dataclass(frozen=True)
class Endpoints:
    root: str
    base_url: str
    api_base_url: str
    ws_url: str
    ca_cert: Path | None


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only turns Nagle off (TCP_NODELAY) on accepted sockets
    # of that protocol, and with Nagle on every event after the first waits ~40 ms for an ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.setblocking(False)
    return sock


def prepare(state: BackendState, state_dir: Path) -> tuple[_QuietServer, socket.socket, Endpoints]:
    """Bind the port and build the uvicorn server, without serving yet."""
    options = state.options
    tls: TlsFiles | None = None
    given = given_tls_files(options.cert_chain, options.private_key, options.ca_cert)
    if options.tls:
        tls = given or make_tls_files(state_dir / "tls", options.extra_hostnames)
    config = uvicorn.Config(
        build_app(state),
        http=guarded_protocol(_transport_guard(state)),
        ws=QuietWebSocketProtocol,
        ws_max_size=options.max_message_bytes,
        ws_per_message_deflate=options.per_message_deflate,
        lifespan="on",
        log_level="warning",
        access_log=False,
        ssl_certfile=str(tls.cert_chain) if tls else None,
        ssl_keyfile=str(tls.private_key) if tls else None,
        ssl_context_factory=without_session_tickets if tls else None,
        timeout_graceful_shutdown=3,
        server_header=False,
    )
    error_log = logging.getLogger("uvicorn.error")
    if _DENIAL_FILTER not in error_log.filters:
        error_log.addFilter(_DENIAL_FILTER)
    sock = bind_socket(options.host, options.port)
    port = sock.getsockname()[1]
    host = f"[{options.host}]" if ":" in options.host else options.host
    scheme = "https" if tls else "http"
    root = f"{scheme}://{host}:{port}"
    ws_scheme = "wss" if tls else "ws"
    endpoints = Endpoints(
        root=root,
        base_url=root + CODEX_PREFIX,
        api_base_url=root + API_PREFIX,
        ws_url=f"{ws_scheme}://{host}:{port}{CODEX_PREFIX}/responses",
        ca_cert=tls.ca_cert if tls else None,
    )
    return _QuietServer(config), sock, endpoints


class BackgroundServer:
    """uvicorn on its own event loop in a daemon thread; `start()` returns once it listens."""

    def __init__(self, server: _QuietServer, sock: socket.socket) -> None:
        self._server = server
        self._sock = sock
        self._thread = threading.Thread(target=self._run, name="fake-codex-ws", daemon=True)
        self._error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self._server.serve(sockets=[self._sock])

    def start(self, timeout: float = 30.0) -> None:
        self._thread.start()
        deadline = threading.Event()
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the fake Codex backend failed to start: {self._error!r}")
            deadline.wait(0.01)
            waited += 0.01
            if waited > timeout:
                raise TimeoutError("the fake Codex backend did not start in time")

    def stop(self, timeout: float = 15.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        self._sock.close()
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(5)
