"""A text message that is not UTF-8 is the client's error: close 1007, nothing in the server log."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from fake_codex_ws.probe import codex_headers
from fake_codex_ws.testing import RunningCodexBackend

BAD_UTF8 = b'{"type": "\xff\xfe"}'


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_log() -> Iterator[list[logging.LogRecord]]:
    """What the server logs at WARNING or above (uvicorn's own and asyncio's callback errors)."""
    handler = _Records()
    loggers = [logging.getLogger("uvicorn.error"), logging.getLogger("asyncio")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


@pytest.fixture
def token(authority) -> str:
    return authority.issue("acc_1")


def _open(backend: RunningCodexBackend, ctx: ssl.SSLContext, token: str) -> ClientConnection:
    return connect(backend.ws_url, ssl=ctx, additional_headers=codex_headers(token))


def _close_code(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=30)
    rcvd = closed.value.rcvd
    return rcvd.code if rcvd else None


def _send_raw(ws: ClientConnection, *frames: bytes) -> None:
    """Text frames with these bytes, in one write (the client library would refuse them)."""
    with ws.protocol_mutex:
        for frame in frames:
            ws.protocol.send_text(frame)
        ws.send_data()


def _shown(records: list[logging.LogRecord]) -> str:
    return "\n".join(f"{r.name}: {r.getMessage()} {r.exc_info!r}" for r in records)


def test_a_text_message_that_is_not_utf8_closes_1007_quietly(
    backend, tls_context, token, server_log
):
    with _open(backend, tls_context, token) as ws:
        _send_raw(ws, BAD_UTF8)
        code = _close_code(ws)
    assert code == 1007
    event = backend.admin.wait_for_event(lambda e: e["type"] == "ws_closed")
    assert (event["outcome"], event["close_code"]) == ("invalid_utf8", 1007)
    assert server_log == [], _shown(server_log)


def test_two_bad_messages_in_one_read_close_once_quietly(backend, tls_context, token, server_log):
    with _open(backend, tls_context, token) as ws:
        _send_raw(ws, BAD_UTF8, BAD_UTF8)
        code = _close_code(ws)
    assert code == 1007
    assert server_log == [], _shown(server_log)


def test_a_bad_message_then_a_close_in_one_read_is_quiet(backend, tls_context, token, server_log):
    """The connection is already closing when the bad message is read: the client's close is
    answered (uvicorn's own 1007 raised InvalidState here and answered nothing)."""
    with _open(backend, tls_context, token) as ws:
        with ws.protocol_mutex:
            ws.protocol.send_text(BAD_UTF8)
            ws.protocol.send_close(1000)
            ws.send_data()
        code = _close_code(ws)
    assert code == 1000
    assert server_log == [], _shown(server_log)
