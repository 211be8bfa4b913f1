"""Real processes for `--launch`: started in their own session, output to a file, stopped
with SIGTERM (then SIGKILL), and checked without being their parent (a zombie is dead)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

STOP_GRACE_SECONDS = 20.0  # what a service manager waits before SIGKILL (systemd: 90 s)


def spawn(
    argv: Sequence[str],
    *,
    cwd: str,
    env: Mapping[str, str],
    out: Path,
    err: Path,
    executable: str | None = None,
) -> int | str:
    """The pid, or why it could not start (as systemd would log it)."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        err.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "ab") as stdout, open(err, "ab") as stderr:
            process = subprocess.Popen(
                list(argv),
                executable=executable,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                close_fds=True,
                start_new_session=True,
            )
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror or exc}"
    return int(process.pid)


def alive(pid: int | None) -> bool:
    if not pid or pid <= 0:
        return False
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap it when it is ours
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def stop(pid: int | None) -> None:
    if not alive(pid):
        return
    assert pid is not None
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
