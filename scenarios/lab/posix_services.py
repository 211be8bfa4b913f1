"""A simulated Linux or macOS machine for the service scenarios.

`codex-agent gateway …` runs as a real process told (by `CODEX_AGENT_SIMULATE_PLATFORM`) which
system it is on; its `systemctl` and `launchctl` are the recording shims, installed with
`--launch`: what the unit or plist says is started as a real process, so the gateway really
runs, records itself and answers /healthz.
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.gateway import pidfile
from scenarios.lab.shimmed_machine import ShimmedMachine, against_golden
from scenarios.report.timeline import Tone
from service_shims import recording
from service_shims.install import install

if TYPE_CHECKING:
    from scenarios.lab.lab import Lab

# Shared with tests/agent/service (one source of truth; regenerate them there).
GOLDENS = Path(__file__).resolve().parents[2] / "tests" / "agent" / "service" / "goldens"
UID = 501


class PosixServiceMachine(ShimmedMachine):
    def __init__(self, lab: Lab, name: str, platform: str, *, user_home: str = "home") -> None:
        self.lab = lab
        self.name = name
        self.platform = platform
        self.tool = "systemctl" if platform == "linux" else "launchctl"
        self.root = lab.workdir / "posix" / name
        self.home = self.root / user_home
        self.agent_home = self.home / ".codex-agent"
        self.bin = self.root / "bin"
        self.recording = self.root / "recording.jsonl"
        self.state = self.root / "state.json"
        self.script_path = self.root / "script.json"
        self.home.mkdir(parents=True, exist_ok=True)
        install(
            self.bin,
            recording=self.recording,
            state=self.state,
            script=self.script_path,
            launch=True,
            uid=UID,
        )
        self._seen = 0

    def script(self, data: dict[str, Any]) -> None:
        self.script_path.write_text(json.dumps(data), encoding="utf-8")
        self.lab.note(f"script {self.tool}: {json.dumps(data)}", source="lab", target=self.tool)

    def simulated_env(self) -> dict[str, str]:
        return {
            "HOME": str(self.home),
            "USER": "alice",
            "LANG": "C.UTF-8",
            "PYTHONIOENCODING": "utf-8",
            "CODEX_AGENT_SIMULATE_PLATFORM": self.platform,
            "CODEX_AGENT_SIMULATE_UID": str(UID),
        }

    def verb_of(self, argv: list[str]) -> str:
        return next((a for a in argv if not a.startswith("-")), "")

    def calls(self) -> list[dict[str, Any]]:
        return recording.read(self.recording)

    def matches_golden(self, name: str) -> tuple[bool, str]:
        observed = recording.normalized(self.calls(), str(self.home))
        folder = "systemd" if self.platform == "linux" else "launchd"
        path = GOLDENS / folder / f"{name}.json"
        return against_golden(path, observed, "tests/agent/service/goldens", "service")

    def running_gateway(self, *, not_pid: int | None = None) -> pidfile.GatewayRecord:
        """The gateway the service started, once it records itself and answers /healthz.

        Polls the pid file and /healthz (bounded by the lab's command timeout): the process
        was started by the shim, outside this one, and says nothing else when it is ready."""
        deadline = time.monotonic() + self.lab.command_timeout
        problem = "no pid file yet"
        while time.monotonic() < deadline:
            try:
                record = pidfile.read_record(self.agent_home)
            except pidfile.UnusableRecord as unusable:
                record, problem = None, unusable.problem
            if record is not None and record.pid != not_pid and pidfile.process_alive(record.pid):
                try:
                    health = self.healthz(record)
                except OSError as exc:
                    problem = f"/healthz: {exc}"
                else:
                    if health.get("ok") and health.get("pid") == record.pid:
                        self.lab.note(
                            f"gateway pid {record.pid} answers /healthz",
                            source="gateway",
                            tone=Tone.GOOD,
                        )
                        return record
            time.sleep(0.1)
        raise AssertionError(f"the service's gateway never answered ({problem})")

    def healthz(self, record: pidfile.GatewayRecord) -> dict[str, Any]:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy
        with opener.open(f"{record.url}/healthz", timeout=10) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    def service_pids(self) -> list[int]:
        """What the shim's manager believes it runs."""
        state = json.loads(self.state.read_text("utf-8")) if self.state.exists() else {}
        units = state.get("systemd", {}).get("units", {})
        services = state.get("launchd", {}).get("services", {})
        return [e["pid"] for e in [*units.values(), *services.values()] if e.get("pid")]
