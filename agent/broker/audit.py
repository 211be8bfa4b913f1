"""The broker's audit log: one JSON line per decision, fingerprints only, never a token.

`<home>/broker/audit.log` (0600), rotated to `audit.log.1` past `MAX_BYTES`. Each line:
`{"at", "event", "family", "generation", "presented", "client", "reason", "status",
"upstream_calls", "code"}`. `presented` is the fingerprint (`t_` + 12 hex) of the refresh
token a client showed; `client` is its User-Agent, cut to 120 printable characters.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from agent.auth.atomic import PRIVATE_FILE_MODE, ensure_private_dir

AUDIT_NAME = "audit.log"
MAX_BYTES = 5 * 1024 * 1024
MAX_CLIENT = 120


def printable(text: str | None, limit: int = MAX_CLIENT) -> str | None:
    if text is None:
        return None
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


class AuditLog:
    def __init__(self, folder: Path) -> None:
        self.path = folder / AUDIT_NAME
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=True, sort_keys=True) + "\n"
        with self._lock:
            ensure_private_dir(self.path.parent)
            self._rotate_if_full()
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(line)

    def _rotate_if_full(self) -> None:
        try:
            if self.path.stat().st_size < MAX_BYTES:
                return
            os.replace(self.path, self.path.with_name(AUDIT_NAME + ".1"))
        except FileNotFoundError:
            return

    def tail(self, count: int) -> list[dict[str, Any]]:
        """The last `count` records (for `broker status`); unreadable lines are skipped."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - 64 * 1024))
                lines = handle.read().splitlines()[-count:]
        except OSError:
            return []
        records = []
        for raw in lines:
            try:
                doc = json.loads(raw)
            except (ValueError, RecursionError):
                continue
            if isinstance(doc, dict):
                records.append(doc)
        return records
