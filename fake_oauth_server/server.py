"""Running the fake: uvicorn on a socket bound before start (port 0 works), TLS by default,
either on a background thread (tests, the lab) or in the main thread (the CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import secrets
import signal
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import uvicorn

from fake_oauth_server.authority import Authority, AuthorityConfig
from fake_oauth_server.http.app import build_app
from fake_oauth_server.http.responses import TRANSPORT_KEY
from fake_oauth_server.http.transport_guard import (
    GuardedHttpProtocol,
    TransportGuard,
    guarded_protocol,
)
from fake_oauth_server.http.transport_limits import TransportCounters
from fake_oauth_server.options import OAuthServerOptions
from fake_oauth_server.tls import TlsFiles, given_tls_files, make_tls_files

log = logging.getLogger("fake_oauth_server")


def _error_body(code: str, message: str) -> dict[str, Any]:
    """Transport refusals in the RFC 6749 shape of every other error here."""
    return {"error": code, "error_description": message}


class _TransportExposingProtocol(GuardedHttpProtocol):
    """Exposes the transport (for dropped-connection faults) through the request scope's
    `state`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.app_state = {**self.app_state, TRANSPORT_KEY: transport}


def _loop_name() -> str:
    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


class _Server(uvicorn.Server):
    on_started: Callable[[], None] | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """uvicorn re-raises a caught SIGTERM after shutdown (exit status -15); the CLI wants a
        clean exit 0, so signals are handled by `OAuthServer.serve` instead."""
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self.on_started is not None:
            self.on_started()


class OAuthServer:
    """One server: its socket, TLS files, authority and ASGI app. Start it once."""

    def __init__(self, options: OAuthServerOptions) -> None:
        self.options = options
        # Checked before anything is bound or created: a wrong file is a start-up error.
        given = given_tls_files(options.cert_chain, options.private_key, options.ca_cert)
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        if options.state_dir is not None:
            self.state_dir: Path = Path(options.state_dir)
            self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        else:
            self._tempdir = tempfile.TemporaryDirectory(prefix="fake-oauth-")
            self.state_dir = Path(self._tempdir.name)
        # proto=IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without it a
        # second small write waits ~40 ms for the delayed ACK.
        self.socket = socket.socket(
            socket.AF_INET6 if ":" in options.host else socket.AF_INET,
            socket.SOCK_STREAM,
            socket.IPPROTO_TCP,
        )
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((options.host, options.port))
        self.port: int = self.socket.getsockname()[1]
        self.tls: TlsFiles | None = None
        if options.tls:
            self.tls = given or make_tls_files(self.state_dir, options.host)
        scheme = "https" if options.tls else "http"
        host = f"[{options.host}]" if ":" in options.host else options.host
        self.issuer = f"{scheme}://{host}:{self.port}"
        self.admin_token = options.admin_token or "adm_" + secrets.token_urlsafe(24)
        self.authority = Authority(
            AuthorityConfig(
                issuer=self.issuer,
                policy=options.policy_spec(),
                seed=options.seed,
                clients=tuple(options.clients),
                state_dir=options.state_dir,
                clock_start=options.clock_start,
                clock_frozen=options.clock_frozen,
                settings=options.settings(),
            )
        )
        if options.auto_approve:
            self.authority.logins.auto_approve_devices = True
            self.authority.logins.auto_consent = True
        self.app = build_app(self.authority, self.admin_token)
        # What the transport refused or saw cut short; logged in one line when serving ends.
        self.transport_counters = TransportCounters()
        guard = TransportGuard(options.transport, self.transport_counters, _error_body)
        config = uvicorn.Config(
            self.app,
            loop=_loop_name(),
            http=guarded_protocol(guard, _TransportExposingProtocol),
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=3,
            ssl_certfile=str(self.tls.cert_chain) if self.tls else None,
            ssl_keyfile=str(self.tls.private_key) if self.tls else None,
            backlog=2048,
        )
        self._server = _Server(config)
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    @property
    def ca_cert(self) -> Path | None:
        return self.tls.ca_cert if self.tls else None

    def ready_info(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "ca_cert": str(self.ca_cert) if self.ca_cert else None,
            "admin_token": self.admin_token,
            "host": self.options.host,
            "port": self.port,
            "policy": self.authority.ledger.default_policy.to_dict(),
            "seed": self.options.seed,
            "state_dir": str(self.state_dir) if self.options.state_dir else None,
        }

    def serve(self, on_started: Callable[[], None] | None = None) -> None:
        """Serve in this thread until asked to stop (SIGTERM/SIGINT in the main thread)."""
        self._server.on_started = self._mark_started(on_started)
        previous: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, self._on_signal)
        try:
            self._server.run(sockets=[self.socket])
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.authority.pauses.release_all()
            self.socket.close()
            self._started.set()
            if summary := self.transport_counters.summary():
                log.warning("requests the transport refused or lost: %s", summary)

    def _on_signal(self, signum: int, frame: object) -> None:
        if self._server.should_exit:
            self._server.force_exit = True  # a second signal: stop waiting for connections
        self._server.should_exit = True
        # Not here: the interrupted frame may hold the pauses' lock. Another thread may wait.
        threading.Thread(target=self.authority.pauses.release_all, daemon=True).start()

    def _mark_started(self, then: Callable[[], None] | None) -> Callable[[], None]:
        def started() -> None:
            self._started.set()
            if then is not None:
                then()

        return started

    def start_in_thread(self, timeout: float = 30.0) -> None:
        self._thread = threading.Thread(target=self.serve, name="fake-oauth-server", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout) or not self._server.started:
            self.stop()
            raise RuntimeError("the fake OAuth server did not start")

    def stop(self) -> None:
        self.authority.pauses.release_all()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None
