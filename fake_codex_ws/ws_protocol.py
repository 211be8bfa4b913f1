"""uvicorn's websockets-sansio protocol, closing a text message that is not UTF-8 quietly.

uvicorn decodes each text message itself and, when that fails, logs the UnicodeDecodeError with
its traceback before it closes with 1007; and if the connection is already closing by then (a
close frame, or a second bad message, parsed from the same read), its `send_close` raises
InvalidState out of `data_received` as well. A client's bad bytes are the client's error: this
closes with 1007 and no log, once.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

INVALID_UTF8_REASON = "text message is not valid UTF-8"


class QuietWebSocketProtocol(WebSocketsSansIOProtocol):
    """Pass as `uvicorn.Config(ws=...)`."""

    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type != "text" or self.close_sent:
            super().send_receive_event_to_app()
            return
        data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
        try:
            text = data.decode()
        except UnicodeDecodeError:
            self.frames = []
            self._close_invalid_utf8()
            return
        self.frames = []
        self.queue.put_nowait({"type": "websocket.receive", "text": text})
        if not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()

    def _close_invalid_utf8(self) -> None:
        """Tell the app the client left with 1007, send that close if still open, and hang up."""
        self.queue.put_nowait(
            {"type": "websocket.disconnect", "code": 1007, "reason": INVALID_UTF8_REASON}
        )
        if self.conn.state is State.OPEN:
            self.conn.send_close(1007, INVALID_UTF8_REASON)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.transport.close()
