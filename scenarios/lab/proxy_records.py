"""What real clients tried to reach through the world's proxy: every tunnel and every refusal,
kept in memory (thread-safe) and, when asked, appended to a JSON-lines file another process
reads. Only method, host, port, peer and outcome are kept: a target's path or query could
carry a code or a token."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

Outcome = Literal[
    "tunnelled",  # 200, bytes flow to the mapped fake
    "refused",  # 403: a name outside the world, or a plain-HTTP proxy request
    "bad_request",  # 400: not HTTP, or a CONNECT target that is not host:port
    "too_large",  # 431: the head passed the size cap
    "timeout",  # 408: no complete head within the deadline
    "busy",  # 503: the connection cap was reached
    "upstream_failed",  # 502: the mapped fake did not accept the connection
]


@dataclass(frozen=True)
class ProxyAttempt:
    at: float  # the proxy's clock, seconds since the epoch
    peer: str  # the client's address, "127.0.0.1:54321"
    outcome: Outcome
    status: int
    method: str | None = None
    host: str | None = None
    port: int | None = None
    upstream: str | None = None  # where a tunnel went, "127.0.0.1:8443"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProxyAttempt:
        return cls(**data)


class ProxyRecords:
    """Attempts in arrival order; `path`, when given, gets one JSON line per attempt (0600)."""

    def __init__(self, path: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._attempts: list[ProxyAttempt] = []
        self._path = path
        if path is not None:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.close(fd)

    def add(self, attempt: ProxyAttempt) -> None:
        with self._lock:
            self._attempts.append(attempt)
            if self._path is not None:
                with open(self._path, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(attempt.to_json(), sort_keys=True) + "\n")

    def attempts(self) -> list[ProxyAttempt]:
        with self._lock:
            return list(self._attempts)

    def tunnelled(self) -> list[ProxyAttempt]:
        return [a for a in self.attempts() if a.outcome == "tunnelled"]

    def refused(self) -> list[ProxyAttempt]:
        """Everything that did not become a tunnel."""
        return [a for a in self.attempts() if a.outcome != "tunnelled"]


def read_records_file(path: Path) -> list[ProxyAttempt]:
    """The attempts a proxy process wrote; a line cut short by a crash is skipped."""
    attempts: list[ProxyAttempt] = []
    if not path.exists():
        return attempts
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            attempts.append(ProxyAttempt.from_json(json.loads(line)))
        except (ValueError, TypeError):
            continue
    return attempts
