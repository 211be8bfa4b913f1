"""A refusal: the JSON error answer a guarded server sends, and how many of each it sent."""

from __future__ import annotations

import threading
from collections import Counter
from http import HTTPStatus


class Refusal(Exception):
    """Raised anywhere in a request's handling; answered as `{"error": {"code", "message"}}`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = HTTPStatus(status)
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def payload(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


class RefusalCounters:
    """Per-reason counts (thread-safe): what the server refused, and clients that went away."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def count(self, reason: str) -> None:
        with self._lock:
            self._counts[reason] += 1
            self._changed.notify_all()

    def wait_for(self, reason: str, at_least: int, timeout: float) -> bool:
        """Block until `reason` was counted `at_least` times (tests, the adversarial suite)."""
        with self._lock:
            return self._changed.wait_for(lambda: self._counts[reason] >= at_least, timeout)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))
