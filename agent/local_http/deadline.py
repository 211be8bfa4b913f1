"""One deadline over the whole read of a request (request line, headers and body).

A per-`recv` timeout is not enough: a client that sends one byte every few seconds never
trips it and holds a server thread forever (slowloris). `DeadlineReader` sets the socket's
timeout to the time left before every `recv`, so the total is bounded.
"""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Callable


class DeadlineExceeded(TimeoutError):
    """The request was not read in time."""


class DeadlineReader(io.RawIOBase):
    """A socket's receiving side, read under the deadline set by `arm` (wrap it in a buffer)."""

    def __init__(self, sock: socket.socket, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._sock = sock
        self._clock = clock
        self._deadline: float | None = None
        self.received = 0

    def arm(self, seconds: float) -> None:
        """Start a request: it must be read within `seconds` from now."""
        self._deadline = self._clock() + seconds
        self.received = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._deadline is None:
            raise DeadlineExceeded("read without a deadline")
        remaining = self._deadline - self._clock()
        if remaining <= 0:
            raise DeadlineExceeded("the request was not read in time")
        self._sock.settimeout(remaining)
        try:
            count = self._sock.recv_into(buffer)
        except TimeoutError:
            raise DeadlineExceeded("the request was not read in time") from None
        self.received += count
        return count
