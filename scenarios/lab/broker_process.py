"""A long-running `codex-agent` server (the refresh broker) as the lab starts it: a process of
the host, or (through the same interface) wherever a world puts it.

The lab needs three things of it: its ready line, a clean stop, and `kill -9` (a crash between
the issuer's answer and the broker's write, which only a signal that cannot be caught shows).
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from scenarios.lab.launch import agent_argv, host_env
from scenarios.lab.ready_line import start_server, stop_server


class AgentServer(Protocol):
    def kill9(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or removed."""
        ...

    def stop(self) -> int:
        """SIGTERM and wait; the exit code."""
        ...


class HostAgentServer:
    """`python -m agent …` as a process of this machine, its stderr in `log_path`."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._proc = proc

    @classmethod
    def start(
        cls, args: list[str], env: Mapping[str, str], log_path: Path
    ) -> tuple[HostAgentServer, dict[str, Any]]:
        proc, ready = start_server(agent_argv(args), log_path, env=host_env(env))
        return cls(proc), ready

    def kill9(self) -> None:
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
        self._proc.wait()

    def stop(self) -> int:
        return stop_server(self._proc)
