"""Linux and macOS on this machine, whose `systemctl` and `launchctl` are the recording shims.

`linux.service()` is the real `SystemdService`, `mac.service()` the real `LaunchdService`,
each handed a `SimulatedPosixHost` whose PATH starts with the shims; nothing is patched.
Golden recordings live in `goldens/`; regenerate them with
`CODEX_UPDATE_GOLDENS=1 pytest tests/agent/service` and review the diff.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from service_testkit import RecordedCalls, compare_golden

from agent.host import RunLimits, SimulatedPosixHost
from agent.service.choose import service_for
from agent.service.interface import Service
from agent.service.program import GATEWAY, ServiceProgram
from service_shims import recording
from service_shims import state as shim_state
from service_shims.install import install

GOLDENS = Path(__file__).parent / "goldens"
TEST_LIMITS = RunLimits(total=4.0, silence=4.0)
UID = 501


@dataclass
class PosixMachine(RecordedCalls):
    platform: str
    host: SimulatedPosixHost
    home: Path  # ~
    bin: Path
    recording: Path
    state: Path
    script_path: Path

    def service(
        self, program: ServiceProgram = GATEWAY, limits: RunLimits = TEST_LIMITS, **kwargs: Any
    ) -> Service:
        return service_for(self.host, program, limits=limits, **kwargs)

    def script_exit(self, verb: str, exit_code: int, stderr: str) -> None:
        """Calls of `verb` fail with this exit code and message."""
        rule = {"verb": verb, "answer": "exit", "exit_code": exit_code, "stderr": stderr}
        self.script({"rules": [rule]})

    def verbs(self) -> list[str]:
        return [next(a for a in argv if not a.startswith("-")) for argv in self.argvs()]

    def shim_state(self) -> dict[str, Any]:
        return shim_state.read(self.state)

    def codex_agent(self, *args: str, extra_env: dict[str, str] | None = None) -> Any:
        """`codex-agent gateway ...` as a user runs it, told which system it is on."""
        env = dict(self.host.env)
        env["CODEX_AGENT_SIMULATE_PLATFORM"] = self.platform
        env["CODEX_AGENT_SIMULATE_UID"] = str(UID)
        env["PYTHONIOENCODING"] = "utf-8"
        env.update(extra_env or {})
        return subprocess.run(
            [sys.executable, "-m", "agent", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def make_machine(tmp_path: Path, platform: str, *, home_name: str = "home") -> PosixMachine:
    home = tmp_path / home_name
    home.mkdir(parents=True)
    bin_dir = tmp_path / "bin"
    recording, state, script = (
        tmp_path / "recording.jsonl",
        tmp_path / "state.json",
        tmp_path / "script.json",
    )
    install(bin_dir, recording=recording, state=state, script=script, uid=UID)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "USER": "alice",
        "LANG": "C.UTF-8",
    }
    host = SimulatedPosixHost(platform, env, uid=UID)
    return PosixMachine(platform, host, home, bin_dir, recording, state, script)


@pytest.fixture
def linux(tmp_path: Path) -> PosixMachine:
    return make_machine(tmp_path, "linux")


@pytest.fixture
def mac(tmp_path: Path) -> PosixMachine:
    return make_machine(tmp_path, "darwin")


@pytest.fixture(params=["linux", "darwin"])
def machine(request: pytest.FixtureRequest, tmp_path: Path) -> PosixMachine:
    return make_machine(tmp_path, request.param)


@pytest.fixture
def golden() -> Callable[[PosixMachine, str], None]:
    return compare_machine_golden


def normalized_calls(machine: PosixMachine) -> list[dict[str, Any]]:
    return recording.normalized(machine.calls(), str(machine.home))


def compare_machine_golden(machine: PosixMachine, name: str) -> None:
    """The exact calls (and how each was answered) against goldens/<tool>/<name>.json."""
    tool = "systemd" if machine.platform == "linux" else "launchd"
    path = GOLDENS / tool / f"{name}.json"
    compare_golden(path, normalized_calls(machine), shown=f"{tool}/{path.name}", what="calls")
