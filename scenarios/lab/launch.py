"""How the lab starts the agent's commands: as host processes (the default) or, through the
same interface, wherever a world puts them (containers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass
class Completed:
    exit_code: int
    stdout: str
    stderr: str


class Running(Protocol):
    """A started command whose stderr can be read line by line while it runs."""

    def stderr_lines(self) -> Iterator[str]: ...

    def finish(self, timeout: float) -> Completed:
        """Wait for the end; stdout and the rest of stderr."""
        ...

    def terminate(self) -> None:
        """SIGTERM, as a service manager stops it."""
        ...


# A lab machine's own trust store holds no public CA: nothing public is reachable from it, and
# the agent trusts the world's CA through CODEX_AGENT_CA_BUNDLE, the setting a scenario tests.
# Loading the system's ~150 CAs would cost each of the suite's agent processes ~20 ms of CPU.
EMPTY_TRUST_STORE = {"SSL_CERT_FILE": os.devnull}


def host_env(explicit: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any Codex or harness setting, with the lab's empty
    trust store, plus `explicit`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CODEX_", "OPENAI_", "HARNESS_"))
    }
    env.update(EMPTY_TRUST_STORE)
    env.update(explicit)
    return env


def write_secret(path: Path, value: str) -> Path:
    """`value` in a 0600 file of a 0700 folder, for a command line to name instead of holding
    it: argv is visible to every local user in `ps`."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
    path.chmod(0o600)
    return path


def agent_argv(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "agent", *args]


class AgentTimeout(Exception):
    """A `codex-agent` command outlived the lab's limit; carries the stack it was stuck in."""


def run_on_host(args: list[str], env: Mapping[str, str], stdin: str, timeout: float) -> Completed:
    proc = subprocess.Popen(
        agent_argv(args),
        env={**host_env(env), "PYTHONFAULTHANDLER": "1"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        # faulthandler prints every thread's stack on SIGABRT: say where it hung.
        proc.send_signal(signal.SIGABRT)
        try:
            stdout, stderr = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        raise AgentTimeout(
            f"codex-agent {' '.join(args[:1])} still running after {timeout:g} s; "
            f"its stacks:\n{stderr[-6000:]}"
        ) from None
    return Completed(proc.returncode, stdout, stderr)


class HostProcess:
    def __init__(self, args: list[str], env: Mapping[str, str]) -> None:
        self._proc = subprocess.Popen(
            agent_argv(args),
            env=host_env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._seen: list[str] = []

    def stderr_lines(self) -> Iterator[str]:
        assert self._proc.stderr is not None
        for line in iter(self._proc.stderr.readline, ""):
            self._seen.append(line)
            yield line

    def finish(self, timeout: float) -> Completed:
        stdout, rest = self._proc.communicate(timeout=timeout)
        return Completed(self._proc.returncode, stdout, "".join(self._seen) + rest)

    def terminate(self) -> None:
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
