"""The limits of the fakes' HTTP transport, and the counts of what they stopped.

Shared by both fakes (the fake Codex backend imports it from here); no server code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from websockets.http11 import MAX_LINE_LENGTH, MAX_NUM_HEADERS

# uvicorn hands an upgrade's head to websockets, which refuses a line over MAX_LINE_LENGTH (8192)
# or more than MAX_NUM_HEADERS (128) headers with an answer uvicorn never sends: the client hangs.
# Staying under both keeps every upgrade that passes here parseable there.
_WEBSOCKETS_LINE_LIMIT = MAX_LINE_LENGTH
_WEBSOCKETS_HEADER_COUNT_LIMIT = MAX_NUM_HEADERS


@dataclass(frozen=True)
class TransportLimits:
    """How long and how large a request's head and body may be.

    Real clients send a head in one write and these fakes' bodies (at most 1 MiB) in well under a
    second, so the deadlines only ever end stalled or hostile requests; they are generous for a
    loaded machine. The head caps are nginx's (8 KiB a line) and well above any real Codex
    request (a bearer JWT is ~2 KiB).
    """

    # From the connection's first byte (or its opening) to the end of the head.
    header_timeout: float = 10.0
    # From the end of the head to the end of the body: a total, not an idle timer, so that one
    # byte every few seconds cannot hold a request open.
    body_timeout: float = 30.0
    max_header_bytes: int = 32 * 1024
    max_header_line_bytes: int = min(8 * 1024, _WEBSOCKETS_LINE_LIMIT)
    max_header_count: int = min(100, _WEBSOCKETS_HEADER_COUNT_LIMIT - 1)

    def __post_init__(self) -> None:
        for name in ("header_timeout", "body_timeout"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
        if not 256 <= self.max_header_line_bytes <= _WEBSOCKETS_LINE_LIMIT:
            raise ValueError(f"max_header_line_bytes must be in [256, {_WEBSOCKETS_LINE_LIMIT}]")
        if self.max_header_bytes < self.max_header_line_bytes:
            raise ValueError("max_header_bytes must be at least max_header_line_bytes")
        if not 1 <= self.max_header_count < _WEBSOCKETS_HEADER_COUNT_LIMIT:
            raise ValueError(f"max_header_count must be in [1, {_WEBSOCKETS_HEADER_COUNT_LIMIT})")


@dataclass
class TransportCounters:
    """What the transport refused or saw end early; bumped on the server's event loop only."""

    headers_too_large: int = 0
    malformed: int = 0
    read_timeouts: int = 0
    client_disconnects: int = 0

    def snapshot(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def summary(self) -> str:
        """One line for the server's log at exit, or "" when nothing happened."""
        counts = {name: n for name, n in self.snapshot().items() if n}
        return ", ".join(f"{name.replace('_', ' ')}: {n}" for name, n in counts.items())
