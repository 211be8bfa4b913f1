"""Start a server process and wait for the one JSON line it prints when it is ready."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scenarios.lab.line_pump import LinePump


class StartError(Exception):
    """A server process died or stayed silent before it was ready."""


def start_server(
    argv: list[str], log_path: Path, *, timeout: float = 60.0, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    log = open(log_path, "ab")  # noqa: SIM115  (closed when the process ends, by stop_server)
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=log, text=True, env=env, start_new_session=True
    )
    assert proc.stdout is not None
    try:
        first = LinePump(proc.stdout).next(timeout)
    except TimeoutError as exc:
        stop_server(proc)
        raise StartError(f"{argv[2]} printed nothing in {timeout:.0f} s (log: {log_path})") from exc
    if not first:
        raise StartError(
            f"{argv[2]} exited with {proc.wait()} before it was ready (log: {log_path})"
        )
    log.close()
    return proc, json.loads(first)


def stop_server(proc: subprocess.Popen[str], timeout: float = 10.0) -> int:
    return stop_servers([proc], timeout)[0]


def stop_servers(procs: Iterable[subprocess.Popen[str]], timeout: float = 10.0) -> list[int]:
    """SIGTERM to every one first, then wait for each: they shut down side by side, not one
    after another. One still running `timeout` seconds after its signal is killed."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + timeout
    codes = []
    for proc in procs:
        try:
            codes.append(proc.wait(timeout=max(0.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            proc.kill()
            codes.append(proc.wait())
    return codes
