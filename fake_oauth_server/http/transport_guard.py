"""uvicorn's httptools protocol with the limits it lacks: bounded request heads, read deadlines,
JSON refusals instead of text or silence, and client departures counted instead of logged.

Both fakes serve through it (the fake Codex backend imports it from here): a pure utility that
knows nothing of either server beyond the error body each one passes in.
"""

from __future__ import annotations

import asyncio
import enum
import http
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from fake_oauth_server.http.transport_limits import TransportCounters, TransportLimits

# How long a refused connection is drained before it is closed.
_LINGER_SECONDS = 2.0

# (code, message) -> the JSON object a server answers errors with.
ErrorBody = Callable[[str, str], dict[str, Any]]
# Told the counter's name each time one is bumped (the Codex backend records it in its event log).
Observer = Callable[[str], None]


@dataclass(frozen=True)
class TransportGuard:
    limits: TransportLimits
    counters: TransportCounters
    error_body: ErrorBody
    observer: Observer | None = None

    def count(self, name: str) -> None:
        setattr(self.counters, name, getattr(self.counters, name) + 1)
        if self.observer is not None:
            self.observer(name)


class _Phase(enum.Enum):
    WAITING = "waiting"  # open, no byte of the next request yet
    HEAD = "head"
    BODY = "body"
    IDLE = "idle"  # request read; uvicorn's keep-alive timer governs until the next one
    UPGRADED = "upgraded"  # the WebSocket protocol owns the transport now


@dataclass
class _Refusal(Exception):
    status: int
    code: str
    message: str
    counter: str


class GuardedHttpProtocol(HttpToolsProtocol):
    """Subclass through `guarded_protocol`, which sets `guard`."""

    guard: ClassVar[TransportGuard]

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._phase = _Phase.WAITING
        self._deadline: asyncio.TimerHandle | None = None
        self._head_fed = 0  # bytes fed to the parser while the head is incomplete
        self._head_bytes = 0  # header lines parsed so far, framing included
        self._finished = False  # refused or timed out: nothing more to read or count

    # The connection's life.

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.guard.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if not self._finished and self._left_unanswered():
            self.guard.count("client_disconnects")
        super().connection_lost(exc)

    def _left_unanswered(self) -> bool:
        if self._phase is _Phase.HEAD:
            return True
        cycle = self.cycle
        return self._phase is _Phase.BODY and cycle is not None and not cycle.response_complete

    def data_received(self, data: bytes) -> None:
        if self._finished:
            return
        self._unset_keepalive_if_required()
        # A chunk that starts inside a body may end with the next head: its bytes are not head
        # bytes, and the parser's own callbacks still count that head exactly.
        counted = self._phase is not _Phase.BODY
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            refusal = exc.__context__
            if not isinstance(refusal, _Refusal):
                refusal = _Refusal(400, "invalid_http", "Invalid HTTP request.", "malformed")
            self._refuse(refusal)
            return
        if counted and self._phase is _Phase.HEAD:
            self._head_fed += len(data)
            if self._head_fed > self.guard.limits.max_header_bytes:
                self._refuse(self._head_too_large())

    # Parser callbacks: the head's size, and the phase each deadline belongs to.

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._phase is not _Phase.WAITING:  # a fresh connection's deadline already runs
            self._arm(self.guard.limits.header_timeout)
        self._phase = _Phase.HEAD
        self._head_fed = 0
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        # The request line: method, blanks, version and CRLF fit in 20 bytes.
        if len(self.url) + 20 > self.guard.limits.max_header_line_bytes:
            raise _Refusal(
                414, "uri_too_long", "The request line is too long.", "headers_too_large"
            )

    def on_header(self, name: bytes, value: bytes) -> None:
        line = len(name) + len(value) + 4  # "name: value\r\n"
        limits = self.guard.limits
        self._head_bytes += line
        if line > limits.max_header_line_bytes:
            raise self._head_too_large("A request header line")
        if len(self.headers) >= limits.max_header_count:
            raise self._head_too_large(f"More than {limits.max_header_count} request headers")
        if self._head_bytes + len(self.url) > limits.max_header_bytes:
            raise self._head_too_large()
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        if self.parser.should_upgrade() and self._should_upgrade():
            self._phase = _Phase.UPGRADED
            return
        self._phase = _Phase.BODY
        self._arm(self.guard.limits.body_timeout)

    def on_message_complete(self) -> None:
        self._disarm()
        self._phase = _Phase.IDLE
        super().on_message_complete()

    # Refusals and deadlines.

    def _head_too_large(self, what: str = "The request head") -> _Refusal:
        limits = self.guard.limits
        return _Refusal(
            431,
            "request_header_fields_too_large",
            f"{what} is larger than the server accepts (at most "
            f"{limits.max_header_line_bytes} bytes a line, {limits.max_header_bytes} in all).",
            "headers_too_large",
        )

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._on_deadline)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _on_deadline(self) -> None:
        self._deadline = None
        what = "body" if self._phase is _Phase.BODY else "headers"
        refusal = _Refusal(
            408, "request_timeout", f"The request {what} did not arrive in time.", "read_timeouts"
        )
        # A connection that never began a request gets no answer, only closed.
        self._refuse(refusal, answer=self._phase is not _Phase.WAITING)

    def _refuse(self, refusal: _Refusal, *, answer: bool = True) -> None:
        """Answer in JSON unless another answer has begun, and close: the rest is not read."""
        self._finished = True
        self._disarm()
        self.guard.count(refusal.counter)
        cycle: Any = self.cycle
        if self._phase is _Phase.BODY:
            # The app may wait for this body: it is told the client left, and its answer dropped.
            answer = answer and not cycle.response_started
            cycle.disconnected = True
            cycle.message_event.set()
        elif cycle is not None and not cycle.response_complete:
            answer = False  # a pipelined head while the previous answer is still being written
        if not answer or self.transport.is_closing():
            self.transport.close()
            return
        self.transport.write(self._response(refusal))
        # Closing with unread bytes queued makes the kernel reset the connection, and the client
        # may lose the answer: read and drop what still comes until it closes, briefly.
        self.flow.resume_reading()
        self._deadline = self.loop.call_later(_LINGER_SECONDS, self.transport.close)

    def _response(self, refusal: _Refusal) -> bytes:
        body = json.dumps(self.guard.error_body(refusal.code, refusal.message)).encode()
        phrase = http.HTTPStatus(refusal.status).phrase
        head = [f"HTTP/1.1 {refusal.status} {phrase}".encode()]
        head += [name + b": " + value for name, value in self.server_state.default_headers]
        head += [
            b"content-type: application/json",
            b"content-length: " + str(len(body)).encode(),
            b"connection: close",
        ]
        return b"\r\n".join(head) + b"\r\n\r\n" + body


def guarded_protocol(
    guard: TransportGuard, base: type[GuardedHttpProtocol] = GuardedHttpProtocol
) -> type[GuardedHttpProtocol]:
    """A protocol class for `uvicorn.Config(http=...)` bound to one server's guard."""
    return type(base.__name__, (base,), {"guard": guard})
