"""The session log: one JSONL file per session under `<home>/sessions/`, a record per turn.

A turn record says which providers were tried in order, which one answered, why the turn
stopped (`completed`, `fallback`, `error`) and, for every failure, an error envelope
`{code, provider, diagnosis, remedy, retryable}`. A turn without content is an `error`, never a
success. Everything written passes through `redact`, so a token or key pasted into a prompt or
echoed by a server never reaches the disk. Files are 0600 in a 0700 folder.

Reading a log back (`--session <id>`) skips any line that is not a record (cut short by a crash,
not UTF-8, nested too deeply, longer than `MAX_RECORD_BYTES`) and leaves it in the file; a new
record never joins a line cut short.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from agent.clock import Clock
from agent.fingerprint import token_fingerprint
from agent.http import agent_version
from agent.turns.cascade import TurnOutcome
from agent.turns.notice import outcome_envelopes

# A record holds one prompt and one reply; a line longer than this was not written by the agent.
MAX_RECORD_BYTES = 16 * 1024 * 1024
SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

# Shapes of secrets that must never be written: JWTs, OpenAI-style keys, bearer values.
_SECRET_PATTERNS = (
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_-]{16,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{12,}"),
    re.compile(r"\brt_[A-Za-z0-9._-]{16,}"),
)


class InvalidSessionId(ValueError):
    pass


def check_session_id(value: str) -> str:
    if not SESSION_ID.match(value) or ".." in value:
        raise InvalidSessionId(
            "a session id is 1-128 characters: letters, digits, '_', '-' and '.', "
            "starting with a letter or digit"
        )
    return value


def sessions_dir(home: Path) -> Path:
    return home / "sessions"


class Redactor:
    """Replaces known secret values and secret-shaped strings by their fingerprints."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, f"[redacted {token_fingerprint(secret)}]")
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub(lambda m: f"[redacted {token_fingerprint(m.group(0))}]", text)
        return text

    def value(self, data: Any) -> Any:
        if isinstance(data, str):
            return self(data)
        if isinstance(data, dict):
            return {k: self.value(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.value(v) for v in data]
        return data


class SessionLog:
    """Appends the records of one session; safe to share between threads."""

    def __init__(
        self,
        home: Path,
        session_id: str,
        *,
        clock: Clock,
        redactor: Redactor | None = None,
    ) -> None:
        self.session_id = check_session_id(session_id)
        self.home = home
        self.path = sessions_dir(home) / f"{session_id}.jsonl"
        self._clock = clock
        self._redact = redactor or Redactor()
        self._lock = threading.Lock()
        self._turns = sum(1 for r in self.records() if r.get("type") == "turn")
        # Why the last write failed (disk full, permissions); a turn's answer is never lost to it.
        self.write_error: str | None = None

    @property
    def turn_count(self) -> int:
        return self._turns

    def start(self, origin: str) -> None:
        """The session's header record, written once when the file is new."""
        if self.path.exists():
            return
        self._append(
            {
                "type": "session",
                "session_id": self.session_id,
                "started_at": self.now(),
                "origin": origin,
                "agent_version": agent_version(),
                "pid": os.getpid(),
            }
        )

    def record_turn(
        self,
        *,
        turn_id: str,
        prompt: str,
        outcome: TurnOutcome,
        notice: str | None,
        started_at: str,
    ) -> dict[str, Any]:
        with self._lock:
            self._turns += 1
            number = self._turns
        completion = outcome.completion
        record: dict[str, Any] = {
            "type": "turn",
            "turn": number,
            "turn_id": turn_id,
            "started_at": started_at,
            "ended_at": self.now(),
            "prompt": prompt,
            "providers_tried": [
                {
                    "provider": a.provider,
                    "model": a.model,
                    "outcome": a.outcome,
                    "retries": a.retries,
                    "recovery": (
                        "failed"
                        if a.recovery_error is not None
                        else "recovered"
                        if a.recovered
                        else None
                    ),
                    "transport": a.transport,
                    "notes": list(a.notes),
                }
                for a in outcome.attempts
            ],
            "answered_by": (
                {"provider": completion.provider, "model": completion.model}
                if completion is not None
                else None
            ),
            "stop_reason": outcome.stop_reason if completion is not None else "error",
            "reply": completion.text if completion is not None else None,
            "response_id": completion.response_id if completion is not None else None,
            "usage": completion.usage if completion is not None else {},
            "errors": outcome_envelopes(outcome),
            "notice": notice,
        }
        self._append(record)
        return record

    def records(self) -> Iterator[dict[str, Any]]:
        """The records written so far; unreadable lines are skipped, never fatal."""
        try:
            if not stat.S_ISREG(self.path.stat().st_mode):
                return  # a folder or a pipe (whose reading would never end): no history
            with self.path.open("rb") as handle:
                for line in _lines(handle, MAX_RECORD_BYTES):
                    try:
                        record = json.loads(line.decode("utf-8"))
                    except (ValueError, RecursionError):
                        continue
                    if isinstance(record, dict):
                        yield record
        except OSError:
            return  # no log yet, or none readable: the session starts without history

    def _append(self, record: dict[str, Any]) -> None:
        try:
            self._write(record)
        except OSError as exc:
            self.write_error = f"{self.path}: {exc.strerror or exc}"
        else:
            self.write_error = None

    def _write(self, record: dict[str, Any]) -> None:
        line = json.dumps(self._redact.value(record), ensure_ascii=False) + "\n"
        with self._lock:
            if not self.home.exists():
                self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.path.parent.mkdir(mode=0o700, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise OSError(errno.EINVAL, "not a regular file")
                if _ends_mid_line(fd):
                    line = "\n" + line  # the last write was cut short: keep it a line of its own
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)

    def now(self) -> str:
        moment = datetime.fromtimestamp(self._clock.now(), UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _lines(handle: BinaryIO, limit: int) -> Iterator[bytes]:
    """The lines of `handle`, each at most `limit` bytes: a longer one is skipped, unread."""
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while line and not line.endswith(b"\n"):  # the rest of the overlong line
            line = handle.readline(limit)


def _ends_mid_line(fd: int) -> bool:
    """Whether the file's last write was cut short (no newline at the end)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return False
    os.lseek(fd, size - 1, os.SEEK_SET)
    return os.read(fd, 1) != b"\n"
