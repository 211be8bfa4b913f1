"""The benches' server processes: wait for the one JSON line a server prints once it listens,
and stop it (SIGTERM, then SIGKILL after 15 s)."""

from __future__ import annotations

import json
import select
import signal
import subprocess
from pathlib import Path
from typing import Any


def read_ready_line(
    proc: subprocess.Popen[bytes], what: str, *, log: Path | None = None, timeout: float = 60.0
) -> dict[str, Any]:
    """The ready line of `proc`; a server that dies or stays silent ends the bench, saying why
    (with the tail of its `log` when there is one)."""
    assert proc.stdout is not None
    readable, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if readable else b""
    if not line.endswith(b"\n"):
        proc.kill()
        proc.wait(timeout)
        tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
        raise SystemExit(f"{what} exited {proc.returncode} before its ready line:\n{tail}")
    doc: dict[str, Any] = json.loads(line)
    return doc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
