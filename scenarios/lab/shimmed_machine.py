"""What the simulated Windows, Linux and macOS machines share: `codex-agent gateway …` run as a
real process with the machine's recording shims first on PATH, every shim call it made noted on
the timeline, and recordings compared with the goldens the unit tests keep."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios.lab.actors import AgentRun
from scenarios.report.timeline import Tone

if TYPE_CHECKING:
    from scenarios.lab.lab import Lab


class ShimmedMachine:
    lab: Lab
    name: str
    bin: Path  # the shims
    recording: Path
    tool: str  # the shim, as the timeline names it
    _seen: int  # shim calls already noted

    def simulated_env(self) -> dict[str, str]:
        """What tells the agent which machine it is on."""
        raise NotImplementedError

    def verb_of(self, argv: list[str]) -> str:
        """The words of a shim call that say what it did."""
        raise NotImplementedError

    def calls(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def gateway(self, *args: str) -> AgentRun:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEX_", "HARNESS_"))}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env.update(self.simulated_env())
        self.lab.note(f"codex-agent gateway {' '.join(args)}", source="lab", target="agent")
        completed = subprocess.run(
            [sys.executable, "-m", "agent", "gateway", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=self.lab.command_timeout,
            check=False,
        )
        self.lab.keep_output(f"{self.name}-gateway-{args[0]}", completed.stdout, completed.stderr)
        for call in self.calls()[self._seen :]:
            tone = Tone.GOOD if call["exit_code"] == 0 else Tone.BAD
            self.lab.note(
                f"{self.tool} {self.verb_of(call['argv'])}: {call['answer']} "
                f"(exit {call['exit_code']})",
                source="agent",
                target=self.tool,
                tone=tone,
            )
        self._seen = len(self.calls())
        return AgentRun(completed.returncode, completed.stdout, completed.stderr)

    def forget_calls(self) -> None:
        self.recording.unlink(missing_ok=True)
        self._seen = 0


def against_golden(
    path: Path, observed: list[dict[str, Any]], goldens: str, run_what: str
) -> tuple[bool, str]:
    """`observed` against the golden recording at `path` (below `goldens` in the source tree):
    (same, what differs)."""
    if not path.exists():
        raise FileNotFoundError(
            f"golden recording {path} is missing: the goldens live in the source tree "
            f"({goldens}), so run the {run_what} scenarios from a checkout"
        )
    expected = json.loads(path.read_text(encoding="utf-8"))
    if observed == expected:
        return True, ""
    return False, f"expected {json.dumps(expected)}\nobserved {json.dumps(observed)}"
