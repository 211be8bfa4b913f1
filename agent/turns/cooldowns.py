"""Providers to skip for a while after a rate limit, shared by every turn of this home.

Kept in `<home>/cooldowns.json` (`{"<provider label>": <until, epoch seconds>}`) so that separate
`codex-agent ask` processes honour a usage limit the previous one met, as the gateway does in
memory. Times come from the agent's clock (`now`), so the lab's virtual time applies. A missing
or unreadable file means no cooldown: it only ever saves requests, never blocks an answer. A file
that is not a cooldowns file (garbage, nested brackets, a huge file) is moved aside to
`cooldowns.json.corrupt-*` for a look, and the next cooldown starts a new one.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import stat
import threading
from pathlib import Path
from typing import Any

COOLDOWNS_FILE = "cooldowns.json"
# A few labels and times; anything larger was not written by the agent.
MAX_COOLDOWNS_BYTES = 64 * 1024


class Cooldowns:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def active(self, label: str, now: float) -> float | None:
        """When the cooldown of `label` ends, if it has not yet."""
        with self._lock:
            self._load()
            until = self._until.get(label)
            if until is None or until <= now:
                return None
            return until

    def start(self, label: str, until: float) -> None:
        with self._lock:
            self._load()
            self._until[label] = until
            self._save()

    def clear(self, label: str) -> None:
        with self._lock:
            self._load()
            if self._until.pop(label, None) is not None:
                self._save()

    def _load(self) -> None:
        if self.path is None:
            return
        data = self._read(self.path)
        self._until = {
            str(k): float(v)
            for k, v in data.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        }

    def _read(self, path: Path) -> dict[str, Any]:
        try:
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                return {}  # a directory or a device: nothing to honour, nothing to move
            with path.open("rb") as handle:
                raw = handle.read(MAX_COOLDOWNS_BYTES + 1)
        except OSError:
            return {}
        try:
            if len(raw) > MAX_COOLDOWNS_BYTES:
                raise ValueError("too large")
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict):
            return data
        self._move_aside(path)
        return {}

    @staticmethod
    def _move_aside(path: Path) -> None:
        with contextlib.suppress(OSError):
            os.replace(path, path.with_name(f"{path.name}.corrupt-{secrets.token_hex(4)}"))

    def _save(self) -> None:
        if self.path is None:
            return
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._until, handle)
            os.replace(temp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink()  # the home is read-only or cooldowns.json is a folder: no litter
