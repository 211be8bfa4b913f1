"""The lab's handle on one sibling: send a command, get its one-line answer.

Two channels speak the same JSON lines: the sibling's stdin and stdout (a host process), or one
TCP connection (`--listen`, for a sibling in a container).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from scenarios.lab.line_pump import LinePump
from scenarios.siblings.wire import REFRESH_URL_OVERRIDE, REVOKE_URL_OVERRIDE


class SiblingError(Exception):
    """The sibling died or answered something that is not a reply."""


@dataclass(frozen=True)
class SiblingSpec:
    """Where a sibling lives and what it talks to."""

    codex_home: Path
    issuer: str
    base_url: str
    ca_cert: Path | None
    clock_file: Path | None
    home: Path | None = None
    log_path: Path | None = None
    timeout: float = 60.0
    # Variables of the sibling's environment: the token URL overrides of a machine's broker.
    env: Mapping[str, str] = field(default_factory=dict)

    def process_env(self, inherited: Mapping[str, str]) -> dict[str, str]:
        """`inherited` without any override of the caller's, plus this sibling's own `env`."""
        overrides = (REFRESH_URL_OVERRIDE, REVOKE_URL_OVERRIDE)
        return {
            **{key: value for key, value in inherited.items() if key not in overrides},
            **self.env,
        }

    def flags(self) -> list[str]:
        argv = ["--codex-home", str(self.codex_home), "--issuer", self.issuer]
        argv += ["--base-url", self.base_url]
        if self.ca_cert:
            argv += ["--ca-cert", str(self.ca_cert)]
        if self.clock_file:
            argv += ["--clock-file", str(self.clock_file)]
        if self.home:
            argv += ["--home", str(self.home)]
        return argv


@dataclass
class SiblingReply:
    ok: bool
    result: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str | None:
        return self.error.get("code") if not self.ok else None


class SiblingChannel(Protocol):
    kind: str

    def command(self, cmd: str, **fields: Any) -> SiblingReply: ...

    def close(self) -> None: ...


class LineChannel:
    """JSON lines over any pair of text streams, with a reader thread and a deadline."""

    def __init__(self, kind: str, reader: IO[str], write: Callable[[str], None], timeout: float):
        self.kind = kind
        self.timeout = timeout
        self._write = write
        self._lines = LinePump(iter(reader.readline, ""))
        self._next_id = 0
        self._lock = threading.Lock()

    def read(self) -> dict[str, Any]:
        try:
            line = self._lines.next(self.timeout)
        except TimeoutError as exc:
            raise SiblingError(f"{self.kind} gave no answer in {self.timeout} s") from exc
        if not line:
            raise SiblingError(f"{self.kind} went away")
        parsed: dict[str, Any] = json.loads(line)
        return parsed

    def command(self, cmd: str, **fields: Any) -> SiblingReply:
        with self._lock:
            self._next_id += 1
            self._write(json.dumps({"id": self._next_id, "cmd": cmd, **fields}) + "\n")
            reply = self.read()
        return SiblingReply(
            ok=bool(reply.get("ok")), result=reply.get("result", {}), error=reply.get("error", {})
        )


class SiblingProcess:
    """A sibling as a process of this machine, commanded over its stdin."""

    def __init__(self, kind: str, spec: SiblingSpec) -> None:
        self.kind = kind
        argv = [sys.executable, "-m", "scenarios.siblings", kind, *spec.flags()]
        self._stderr = open(spec.log_path, "ab") if spec.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._proc = subprocess.Popen(
            argv,
            env=spec.process_env(os.environ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
        )
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        stdin = self._proc.stdin

        def write(text: str) -> None:
            stdin.write(text)
            stdin.flush()

        self._channel = LineChannel(kind, self._proc.stdout, write, spec.timeout)
        ready = self._channel.read()
        if not ready.get("ready"):
            raise SiblingError(f"{kind} did not start: {ready}")

    def command(self, cmd: str, **fields: Any) -> SiblingReply:
        return self._channel.command(cmd, **fields)

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                self.command("exit")
            except (SiblingError, OSError, ValueError):
                pass
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._stderr is not subprocess.DEVNULL:
            self._stderr.close()  # type: ignore[union-attr]


class TcpSibling:
    """A sibling listening on 127.0.0.1 (`--listen`), wherever it runs."""

    def __init__(self, kind: str, port: int, timeout: float, on_close: Callable[[], None]):
        self.kind = kind
        self._on_close = on_close
        self._socket = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self._socket.settimeout(None)
        self._stream = self._socket.makefile("rw", encoding="utf-8")
        stream = self._stream

        def write(text: str) -> None:
            stream.write(text)
            stream.flush()

        self._channel = LineChannel(kind, stream, write, timeout)

    def command(self, cmd: str, **fields: Any) -> SiblingReply:
        return self._channel.command(cmd, **fields)

    def close(self) -> None:
        try:
            self.command("exit")
        except (SiblingError, OSError, ValueError):
            pass
        self._stream.close()
        self._socket.close()
        self._on_close()
