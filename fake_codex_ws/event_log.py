"""Who made which request with what outcome: fingerprints only, never a token or key.

Some fields come straight from a caller's headers (`User-Agent`, `originator`), so an
unauthenticated client decides their size: each text is cut to `field_chars` with a marker, and
the log drops its oldest events past `limit` events or `max_bytes` of stored text.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from fake_codex_ws.clock import Clock

FIELD_CHARS = 512
MAX_BYTES = 32 * 1024 * 1024
EVENT_OVERHEAD = 64  # what an event costs besides its texts, roughly: keeps counting honest


def truncated(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marker included, saying how much was dropped."""
    if len(text) <= limit:
        return text
    marker = f"…[{len(text)} chars, truncated]"
    return text[: max(0, limit - len(marker))] + marker


def capped(value: Any, limit: int) -> Any:
    """`value` with every text in it (nested lists and dicts too) cut by `truncated`."""
    if isinstance(value, str):
        return truncated(value, limit)
    if isinstance(value, dict):
        return {truncated(str(k), limit): capped(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [capped(v, limit) for v in value]
    return value


def stored_size(value: Any) -> int:
    """The characters of text `value` keeps (keys included), plus a small cost per item."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(len(str(k)) + stored_size(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(stored_size(v) for v in value)
    return 8


class EventLog:
    """An append-only, numbered list of request outcomes that tests and scenarios read back."""

    def __init__(
        self,
        clock: Clock,
        *,
        limit: int = 100_000,
        max_bytes: int = MAX_BYTES,
        field_chars: int = FIELD_CHARS,
    ) -> None:
        if field_chars < 64:
            raise ValueError("field_chars must be at least 64 (room for the marker)")
        self._clock = clock
        self._lock = threading.Lock()
        self._events: deque[tuple[dict[str, Any], int]] = deque()
        self._seq = 0
        self._limit = limit
        self._max_bytes = max_bytes
        self._field_chars = field_chars
        self._bytes = 0

    def record(self, type_: str, outcome: str, **fields: Any) -> dict[str, Any]:
        """Append one event; `fields` must already be free of secrets."""
        with self._lock:
            self._seq += 1
            event: dict[str, Any] = {
                "seq": self._seq,
                "at": self._clock.now(),
                "type": type_,
                "outcome": outcome,
            }
            event.update(
                {k: capped(v, self._field_chars) for k, v in fields.items() if v is not None}
            )
            size = EVENT_OVERHEAD + stored_size(event)
            self._events.append((event, size))
            self._bytes += size
            while len(self._events) > self._limit or (
                self._bytes > self._max_bytes and len(self._events) > 1
            ):
                _, dropped = self._events.popleft()
                self._bytes -= dropped
            return event

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e, _ in self._events if e["seq"] > seq]

    @property
    def stored_bytes(self) -> int:
        """What the kept events hold, as `stored_size` counts it."""
        with self._lock:
            return self._bytes

    @property
    def last_seq(self) -> int:
        with self._lock:
            return self._seq
