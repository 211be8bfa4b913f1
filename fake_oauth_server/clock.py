"""The server's virtual clock: it decides every expiry and reuse window, never time.time()."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fake_oauth_server.ranges import MAX_EPOCH, MAX_SECONDS, OutOfRange, number


class VirtualClock:
    """Real time by default; can be frozen, set and advanced from any thread."""

    def __init__(
        self,
        *,
        start: float | None = None,
        frozen: bool = False,
        source: Callable[[], float] = time.time,
    ) -> None:
        if start is not None:
            start = number(start, "clock_start", 0.0, MAX_EPOCH)
        self._source = source
        self._lock = threading.Lock()
        real = source()
        self._offset = 0.0 if start is None else start - real
        self._frozen_at: float | None = (real + self._offset) if frozen else None

    def now(self) -> float:
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        return self._source() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self) -> float:
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = self._source() + self._offset
            return self._frozen_at

    def resume(self) -> float:
        """Let time flow again from the frozen reading (no jump)."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - self._source()
                self._frozen_at = None
            return self._source() + self._offset

    def set(self, epoch: float) -> float:
        epoch = number(epoch, "epoch", 0.0, MAX_EPOCH)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = float(epoch)
            else:
                self._offset = float(epoch) - self._source()
            return float(epoch)

    def advance(self, seconds: float) -> float:
        """Move forward (use set() to go back); never past MAX_EPOCH."""
        seconds = number(seconds, "seconds", 0.0, MAX_SECONDS)
        with self._lock:
            now = self._frozen_at if self._frozen_at is not None else self._source() + self._offset
            if now + seconds > MAX_EPOCH:
                raise OutOfRange("seconds", 0.0, max(0.0, MAX_EPOCH - now))
            if self._frozen_at is not None:
                self._frozen_at += seconds
                return self._frozen_at
            self._offset += seconds
            return self._source() + self._offset
