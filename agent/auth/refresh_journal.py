"""The refresh journal: `<home>/refresh-journal.json`, the one refresh attempt in flight.

A refresh rotates the token at the server before the agent can save the answer; a process that
dies in between (kill -9, a crash, power loss) leaves a store holding a token the server may
already have retired. Presenting it again is a replay, which a strict server punishes by
revoking the whole login. So every attempt is written down, durably and before it can matter:

    {"version": 1, "attempt": "<random id>", "presented": "t_…", "phase": "prepared" | "sent",
     "started_at": "<RFC 3339>", "pid": 1234}

- `prepared` is written (fsync) before the call; `sent` just before the request's headers go out
  (the HTTP client's trace hook). An attempt that died while `prepared` never reached the server.
- The entry is removed once the outcome is recorded in the store (a new pair, or an error).
- Only the fingerprint of the refresh token is written, never a token.

Refreshes are serialized by the store lock, so there is at most one entry; it is read, written
and removed only while holding that lock.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from agent.auth.atomic import fsync_dir, write_atomic
from agent.auth.local_json import BadContent, UnusablePath, decode_json, read_small_file

JOURNAL_NAME = "refresh-journal.json"
TEMP_PREFIX = f".{JOURNAL_NAME}.tmp-"
PREPARED = "prepared"
SENT = "sent"


@dataclass(frozen=True)
class RefreshAttempt:
    attempt: str
    presented: str | None  # None: the entry was unreadable, so the token is not known
    phase: str
    started_at: str
    pid: int

    @property
    def may_have_reached_the_server(self) -> bool:
        return self.phase != PREPARED

    def to_json(self) -> dict[str, object]:
        return {
            "version": 1,
            "attempt": self.attempt,
            "presented": self.presented,
            "phase": self.phase,
            "started_at": self.started_at,
            "pid": self.pid,
        }


class RefreshJournal:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / JOURNAL_NAME

    def begin(self, presented: str, *, started_at: str) -> RefreshAttempt:
        """Write down (durably) that `presented` is about to be sent."""
        entry = RefreshAttempt(os.urandom(8).hex(), presented, PREPARED, started_at, os.getpid())
        self._write(entry)
        return entry

    def mark_sent(self, entry: RefreshAttempt) -> RefreshAttempt:
        """From now on the server may act on the attempt; written before the request goes out."""
        sent = RefreshAttempt(entry.attempt, entry.presented, SENT, entry.started_at, entry.pid)
        self._write(sent)
        return sent

    def open_entry(self) -> RefreshAttempt | None:
        """The attempt a dead process left, if any. An unreadable entry is treated as sent."""
        try:
            raw = read_small_file(self.path, 64 * 1024)
            if raw is None:
                return None
            doc = decode_json(raw)
        except (UnusablePath, BadContent):
            doc = None
        if not isinstance(doc, dict):
            return RefreshAttempt("unknown", None, SENT, "", 0)
        presented = doc.get("presented")
        phase = doc.get("phase")
        pid = doc.get("pid")
        return RefreshAttempt(
            attempt=str(doc.get("attempt"))[:64],
            presented=presented if isinstance(presented, str) else None,
            phase=PREPARED if phase == PREPARED else SENT,
            started_at=str(doc.get("started_at"))[:64],
            pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else 0,
        )

    def close(self) -> None:
        """The outcome is recorded (or no longer matters): forget the attempt."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return
        except IsADirectoryError:
            return  # not ours to remove; `open_entry` keeps reporting it as unreadable
        fsync_dir(self.home)

    def stale_temp_files(self) -> list[Path]:
        try:
            return sorted(self.home.glob(TEMP_PREFIX + "*"))
        except OSError:
            return []

    def _write(self, entry: RefreshAttempt) -> None:
        write_atomic(self.path, json.dumps(entry.to_json()).encode("utf-8") + b"\n")
