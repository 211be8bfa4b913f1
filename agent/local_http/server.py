"""`GuardedServer` and `GuardedHandler`: `http.server` with the local servers' guard built in.

A request is read under one deadline (`Limits.read_timeout`), checked by the `AccessPolicy`
(Host, Origin, bearer token), routed through the handler's `routes` table (404, 405), and for
POST checked for `application/json` (415), a `Content-Length` (411) within `Limits.max_body`
(413, without reading the body) and read whole before the endpoint runs. Every refusal,
including the ones `http.server` itself makes (bad request line, header line too long, too
many headers), is a JSON answer counted per reason in `server.counters`; a client that goes
away is counted as `client_gone`, never printed as a traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import socket
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from agent.local_http.access import AccessPolicy
from agent.local_http.deadline import DeadlineExceeded, DeadlineReader
from agent.local_http.json_body import json_object
from agent.local_http.refusal import Refusal, RefusalCounters

MAX_REQUEST_LINE = 65536
_LENGTH = re.compile(r"[0-9]{1,12}")
# What `http.server` refuses by itself (in `parse_request`), by status.
_STOCK_REFUSALS = {
    HTTPStatus.BAD_REQUEST: "bad_request",
    HTTPStatus.REQUEST_URI_TOO_LONG: "uri_too_long",
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: "header_too_large",
    HTTPStatus.HTTP_VERSION_NOT_SUPPORTED: "http_version_not_supported",
    HTTPStatus.NOT_IMPLEMENTED: "method_not_implemented",
}


@dataclass(frozen=True)
class Limits:
    max_body: int = 1024 * 1024
    # The whole request (the wait for it, its line, headers and body) must arrive within this.
    read_timeout: float = 30.0
    # Each write of an answer; a client that reads nothing cannot hold a thread either.
    write_timeout: float = 30.0
    # After refusing a request whose body may still be arriving: read and drop it for up to
    # this long, so the client reads the refusal instead of a connection reset.
    linger: float = 1.0


class GuardedServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # http.server's default backlog of 5 resets connections when a burst of clients (16 CLIs
    # and agents refreshing at once through the broker) arrives together.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[GuardedHandler],
        *,
        policy: AccessPolicy,
        limits: Limits | None = None,
    ) -> None:
        self.policy = policy
        self.limits = limits or Limits()
        self.counters = RefusalCounters()
        self.started = time.monotonic()
        super().__init__(address, handler)

    def health(self, version: str) -> dict[str, Any]:
        """The fields of every local server's `GET /healthz`."""
        return {
            "ok": True,
            "pid": os.getpid(),
            "version": version,
            "uptime_seconds": round(time.monotonic() - self.started, 3),
            "refused": self.counters.snapshot(),
        }

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away is counted; anything else is a bug and says where."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            self.counters.count("client_gone")
            return
        self.counters.count("internal_error")
        traceback.print_exc(file=sys.stderr)

    def shutdown_request(self, request: Any) -> None:
        """Close after a lingering read, so a refused client sees the answer (not a reset)."""
        deadline = time.monotonic() + self.limits.linger
        drained = 0
        with contextlib.suppress(OSError):
            request.shutdown(socket.SHUT_WR)
            while drained <= self.limits.max_body:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                request.settimeout(remaining)
                chunk = request.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)
        self.close_request(request)


class GuardedHandler(BaseHTTPRequestHandler):
    """Subclasses set `routes` ({path: {method: name of the method that answers}})."""

    server: GuardedServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm and the client's
    # delayed ACK every answer on a kept-open connection would wait about 40 ms.
    disable_nagle_algorithm = True
    # A request line without a version is answered as HTTP/1.1 (with headers), not as 0.9.
    default_request_version = "HTTP/1.1"
    routes: ClassVar[Mapping[str, Mapping[str, str]]] = {}
    # What a POST body may be. Only JSON by default: a browser cannot send it cross-origin
    # without a preflight. A server that must take forms (the broker's OAuth endpoints, as
    # real clients post them) widens this and relies on the Origin check instead.
    body_media_types: ClassVar[frozenset[str]] = frozenset({"application/json"})

    body: bytes = b""

    def setup(self) -> None:
        super().setup()
        self.rfile.close()
        self._reader = DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)
        self._origin: str | None = None

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: nothing of a request (a header may hold a token) goes to the server's log."""
        del format, args

    # --- one request --------------------------------------------------------------------------

    def handle_one_request(self) -> None:
        self._reader.arm(self.server.limits.read_timeout)
        self._origin = None
        self.requestline, self.command, self.body = "", "", b""
        self.request_version = self.default_request_version
        try:
            try:
                self._read_and_answer()
            except Refusal as refusal:
                self.refuse(refusal)
            except DeadlineExceeded:
                self.close_connection = True
                if self._reader.received:  # an idle keep-alive connection just closes
                    self.refuse(
                        Refusal(
                            HTTPStatus.REQUEST_TIMEOUT,
                            "read_timeout",
                            "the request did not arrive within "
                            f"{self.server.limits.read_timeout:g} s",
                        )
                    )
            self.wfile.flush()
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            self.server.counters.count("client_gone")

    def _read_and_answer(self) -> None:
        line = self.rfile.readline(MAX_REQUEST_LINE + 1)
        if not line:
            self.close_connection = True
            return
        if len(line) > MAX_REQUEST_LINE:
            raise Refusal(HTTPStatus.REQUEST_URI_TOO_LONG, "uri_too_long", "request line too long")
        self.raw_requestline = line
        if not self.parse_request():  # it answered (through send_error), or the line was blank
            return
        answer = self._admit()
        if self.command == "POST":
            self.body = self._read_body()
        elif "Content-Length" in self.headers or "Transfer-Encoding" in self.headers:
            self.close_connection = True  # a body nobody reads must not pass for a request
        answer()

    def _admit(self) -> Callable[[], None]:
        """The guard's checks and the route; raises the `Refusal` for the first that fails."""
        self._origin = self.headers.get("Origin")
        self.server.policy.check(
            self.command,
            self.server.port,
            host=self.headers.get("Host"),
            origin=self._origin,
            authorization=self.headers.get("Authorization"),
        )
        path = self.path.split("?", 1)[0]
        methods = self.routes.get(path)
        if methods is None:
            raise Refusal(HTTPStatus.NOT_FOUND, "not_found", f"no such endpoint: {path[:200]}")
        allowed = ", ".join(sorted({*methods, "OPTIONS"}))
        if self.command == "OPTIONS":
            return lambda: self._answer_options(allowed)
        name = methods.get(self.command)
        if name is None:
            raise Refusal(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "method_not_allowed",
                f"use {' or '.join(sorted(methods))}",
                headers={"Allow": allowed},
            )
        if self.command == "POST":
            self._check_body_headers()
        answer: Callable[[], None] = getattr(self, name)
        return answer

    def _check_body_headers(self) -> None:
        media = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if media not in self.body_media_types:
            raise Refusal(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be sent as Content-Type: "
                + " or ".join(sorted(self.body_media_types)),
            )
        lengths = self.headers.get_all("Content-Length") or []
        if "Transfer-Encoding" in self.headers or len(lengths) != 1:
            raise Refusal(
                HTTPStatus.LENGTH_REQUIRED,
                "length_required",
                "one Content-Length header is needed (no chunked bodies)",
            )
        if not _LENGTH.fullmatch(lengths[0].strip()):
            raise Refusal(HTTPStatus.BAD_REQUEST, "bad_request", "Content-Length is not a number")
        if int(lengths[0]) > self.server.limits.max_body:
            raise Refusal(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "body_too_large",
                f"the body exceeds {self.server.limits.max_body} bytes",
            )

    def _read_body(self) -> bytes:
        length = int(self.headers["Content-Length"])
        raw = self.rfile.read(length)
        if len(raw) < length:
            raise ConnectionAbortedError("the client closed the connection before its body")
        return raw

    def handle_expect_100(self) -> bool:
        """Refuse before the client sends its body, not after."""
        try:
            self._admit()
        except Refusal as refusal:
            self.refuse(refusal)
            return False
        return super().handle_expect_100()

    # --- answers ------------------------------------------------------------------------------

    def json_body(self) -> dict[str, Any]:
        """The POST body as a JSON object (a `Refusal` otherwise)."""
        return json_object(self.body)

    def refuse(self, refusal: Refusal) -> None:
        self.server.counters.count(refusal.code)
        self.send_json(refusal.status, refusal.payload(), refusal.headers)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """`http.server`'s own refusals, as JSON and counted (not its HTML page)."""
        del explain
        status = HTTPStatus(code)
        text = (message or status.phrase)[:200]
        self.refuse(Refusal(status, _STOCK_REFUSALS.get(status, "bad_request"), text))

    def send_json(
        self, status: int, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        if status >= 400 and status != HTTPStatus.BAD_GATEWAY:
            # The request body may be unread: do not let it be parsed as the next request.
            self.close_connection = True
        self._start(status, headers)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _answer_options(self, allowed: str) -> None:
        """A preflight from an allowed origin gets its grant (others were refused already)."""
        headers = {"Allow": allowed}
        if self._origin is not None:
            headers.update(
                {
                    "Access-Control-Allow-Methods": allowed,
                    "Access-Control-Allow-Headers": "Authorization, Content-Type",
                    "Access-Control-Max-Age": "600",
                }
            )
        self._start(HTTPStatus.NO_CONTENT, headers)
        self.end_headers()

    def _start(self, status: int, headers: Mapping[str, str] | None) -> None:
        self.connection.settimeout(self.server.limits.write_timeout)
        self.send_response(status)
        self.send_header("Cache-Control", "no-store")
        for name, value in {
            **self.server.policy.cors_headers(self._origin),
            **(headers or {}),
        }.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
