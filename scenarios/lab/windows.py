"""A simulated Windows machine for the gateway-service scenarios.

`codex-agent gateway …` runs as a real process told (by `CODEX_AGENT_SIMULATE_WINDOWS`) that it
is on Windows; its `schtasks` is the recording shim, so every call it makes is recorded and
answered as Windows would, including denials, hangs and silence the scenario scripts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios.lab.shimmed_machine import ShimmedMachine, against_golden
from windows_shim import registry
from windows_shim.install import install

if TYPE_CHECKING:
    from scenarios.lab.lab import Lab

# The exact schtasks sequences of every action, shared with tests/agent/winservice (one source
# of truth; regenerate them there with CODEX_UPDATE_GOLDENS=1).
GOLDENS = Path(__file__).resolve().parents[2] / "tests" / "agent" / "winservice" / "goldens"
SHIM = "schtasks"
# The agent's limit for one schtasks call on the simulated machine (15 s on a real one): a
# hanging call is waited out in this time. A shim call that answers takes ~0.1 s.
COMMAND_SECONDS = 2.5


class WindowsMachine(ShimmedMachine):
    tool = SHIM

    def __init__(self, lab: Lab, name: str) -> None:
        self.lab = lab
        self.name = name
        self.root = lab.workdir / "windows" / name
        self.fs_root = self.root / "fs"
        self.bin = self.root / "bin"
        self.recording = self.root / "schtasks-recording.jsonl"
        self.state = self.root / "schtasks-state.json"
        self.script_path = self.root / "schtasks-script.json"
        self.fs_root.mkdir(parents=True, exist_ok=True)
        install(
            self.bin,
            recording=self.recording,
            state=self.state,
            script=self.script_path,
            fs_root=self.fs_root,
        )
        self._seen = 0

    def script(self, *rules: dict[str, Any]) -> None:
        """Make matching schtasks calls answer otherwise (denied, hang, silent, …)."""
        self.script_path.write_text(json.dumps({"rules": list(rules)}), encoding="utf-8")
        self.lab.note(f"script schtasks: {json.dumps(list(rules))}", source="lab", target=SHIM)

    def simulated_env(self) -> dict[str, str]:
        return {
            "CODEX_AGENT_SIMULATE_WINDOWS": str(self.fs_root),
            "CODEX_AGENT_SIMULATE_COMMAND_SECONDS": str(COMMAND_SECONDS),
        }

    def verb_of(self, argv: list[str]) -> str:
        return " ".join(a for a in argv if a.startswith("/"))

    def calls(self) -> list[dict[str, Any]]:
        if not self.recording.exists():
            return []
        lines = self.recording.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    def matches_golden(self, name: str) -> tuple[bool, str]:
        """The calls since the last `forget_calls` against `goldens/<name>.json`."""
        observed = [
            {"argv": c["argv"], "answer": c["answer"], "exit_code": c["exit_code"]}
            for c in self.calls()
        ]
        path = GOLDENS / f"{name}.json"
        return against_golden(path, observed, "tests/agent/winservice/goldens", "Windows")

    def tasks(self) -> dict[str, registry.Task]:
        return registry.read_state(self.state).tasks

    def startup_entries(self) -> list[Path]:
        startup = self.fs_root.glob(
            "C/Users/*/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Startup/*"
        )
        return sorted(startup)
