"""A simulated Windows machine whose schtasks is the recording shim.

`machine.service()` is the real `GatewayService`, handed a `SimulatedWindowsHost`; its
schtasks calls run the shim as a separate executable. Golden recordings live in `goldens/`;
regenerate them with `CODEX_UPDATE_GOLDENS=1 pytest tests/agent/winservice` and review the diff.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from service_testkit import RecordedCalls, compare_golden

from agent.host import RunLimits, SimulatedWindowsHost
from agent.winservice.service import GatewayService
from windows_shim import registry
from windows_shim.cmd_model import Run
from windows_shim.install import install
from windows_shim.launch import run_startup_script, run_task_action

GOLDENS = Path(__file__).parent / "goldens"
# Generous for ordinary calls (a Python start on a busy machine), small enough to test hangs.
TEST_LIMITS = RunLimits(total=4.0, silence=4.0)


@dataclass
class Machine(RecordedCalls):
    host: SimulatedWindowsHost
    recording: Path
    state: Path
    script_path: Path

    def service(self, limits: RunLimits = TEST_LIMITS, **kwargs: Any) -> GatewayService:
        return GatewayService(self.host, limits=limits, **kwargs)

    def read(self, windows_path: str) -> bytes:
        return self.host.local_path(windows_path).read_bytes()

    def exists(self, windows_path: str) -> bool:
        return self.host.local_path(windows_path).exists()

    def tasks(self) -> dict[str, registry.Task]:
        return registry.read_state(self.state).tasks

    def run_task(self, name: str) -> Run:
        """What the registered task starts, through the models of Windows."""
        task = registry.read_state(self.state).find(name)
        assert task is not None, f"task {name} is not registered"
        definition = task.definition
        return run_task_action(
            definition.command,
            definition.arguments,
            definition.working_directory,
            env=dict(self.host.env),
            read_file=self.read,
        )

    def run_launcher(self, path: str) -> Run:
        return run_startup_script(path, env=dict(self.host.env), read_file=self.read)

    def gateway_writes_pid(self, service: GatewayService, pid: int) -> None:
        """What `gateway run` does once it serves: record itself in <home>/gateway.pid."""
        path = self.host.local_path(service.layout.pid_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"pid": pid, "host": "127.0.0.1", "port": 8765, "control": "x"}
        path.write_text(json.dumps(record), "utf-8")


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    fs_root = tmp_path / "fs"
    fs_root.mkdir()
    recording, state, script = (
        tmp_path / "recording.jsonl",
        tmp_path / "state.json",
        tmp_path / "script.json",
    )
    install(tmp_path / "bin", recording=recording, state=state, script=script, fs_root=fs_root)
    host = SimulatedWindowsHost(root=fs_root, path_dirs=[tmp_path / "bin"])
    return Machine(host, recording, state, script)


@pytest.fixture
def golden() -> Callable[[str, list[dict[str, Any]]], None]:
    return compare_schtasks_golden


def compare_schtasks_golden(name: str, calls: list[dict[str, Any]]) -> None:
    """The exact schtasks argv sequence (and how each call was answered) against goldens/."""
    observed = [
        {"argv": c["argv"], "answer": c["answer"], "exit_code": c["exit_code"]} for c in calls
    ]
    path = GOLDENS / f"{name}.json"
    compare_golden(path, observed, shown=path.name, what="schtasks calls")
