"""Servers as the user starts them: real processes through their CLIs, stderr kept in a file so a
traceback there fails the case that caused it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# What a crash looks like on a server's stderr (Python, uvicorn, socketserver, asyncio).
CRASH_MARKERS = (
    "Traceback (most recent call last)",
    "Exception in ASGI application",
    "Exception occurred during processing of request",
    "Task exception was never retrieved",
    "Exception in callback",
    "this is a bug",
)
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any Codex, harness or proxy setting, plus `extra`."""
    drop = ("CODEX_", "OPENAI_", "HARNESS_", "FAKE_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(drop)}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def cli(name: str) -> list[str]:
    """The argv prefix of one of the project's console scripts, run by this interpreter."""
    modules = {
        "fake-oauth-server": "fake_oauth_server",
        "fake-codex-ws": "fake_codex_ws",
        "codex-agent": "agent",
    }
    return [sys.executable, "-m", modules[name]]


@dataclass
class ServerProcess:
    """One started server; `stderr_path` collects everything it says on stderr."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints fixtures of a failing example: never their tokens."""
        printer.text(f"<{type(self).__name__}>")

    name: str
    proc: subprocess.Popen[bytes]
    stderr_path: Path
    info: dict[str, Any] = field(default_factory=dict, repr=False)  # may hold a control token

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stderr_text(self, since: int = 0) -> str:
        with self.stderr_path.open("rb") as handle:
            handle.seek(since)
            return handle.read().decode("utf-8", "replace")

    def stderr_mark(self) -> int:
        return self.stderr_path.stat().st_size

    def crashes_since(self, mark: int) -> str:
        """The stderr written since `mark` if it shows a crash, else ''."""
        text = self.stderr_text(mark)
        return text if any(marker in text for marker in CRASH_MARKERS) else ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_kib(self) -> int:
        """Resident memory of the process, from /proc/<pid>/status."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError(f"no VmRSS for {self.name} (pid {self.pid})")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout,):
            if stream is not None:
                stream.close()


def start_json_server(
    name: str, argv: list[str], workdir: Path, env: Mapping[str, str]
) -> ServerProcess:
    """Start a fake that prints one JSON line on stdout once it listens."""
    workdir.mkdir(parents=True, exist_ok=True)
    stderr_path = workdir / f"{name}.stderr"
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=dict(env),
            start_new_session=True,
        )
    server = ServerProcess(name, proc, stderr_path)
    assert proc.stdout is not None
    line = _first_line(proc, START_TIMEOUT)
    if not line:
        server.stop()
        raise RuntimeError(f"{name} did not start: {server.stderr_text()[-3000:]}")
    server.info = json.loads(line)
    return server


def _first_line(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    """The first stdout line, or b'' if the process ends or stays silent until `timeout`."""
    import selectors

    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buffer = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                return b""
            chunk = os.read(fd, 65536)
            if not chunk:
                return b""
            buffer += chunk
    return buffer.split(b"\n", 1)[0]


def start_gateway(home: Path, workdir: Path, env: Mapping[str, str]) -> ServerProcess:
    """`codex-agent gateway run --port 0`; ready once its pid file names it."""
    workdir.mkdir(parents=True, exist_ok=True)
    stderr_path = workdir / "gateway.stderr"
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(
            [*cli("codex-agent"), "gateway", "run", "--port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=dict(env),
            cwd=workdir,
            start_new_session=True,
        )
    server = ServerProcess("gateway", proc, stderr_path)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            record = json.loads((home / "gateway.pid").read_text())
        except (OSError, ValueError):
            record = None
        if isinstance(record, dict) and record.get("pid") == proc.pid:
            server.info = record
            return server
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"the gateway did not start: {server.stderr_text()[-3000:]}")
