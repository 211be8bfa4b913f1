"""What the simulated machines of the service tests share, Windows or POSIX: the shims' JSON
script and recording, and golden recordings (rewritten with `CODEX_UPDATE_GOLDENS=1`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

UPDATE_GOLDENS = os.environ.get("CODEX_UPDATE_GOLDENS") == "1"


class RecordedCalls:
    """For a machine dataclass with the fields `recording` and `script_path`."""

    recording: Path
    script_path: Path

    def script(self, data: dict[str, Any]) -> None:
        self.script_path.write_text(json.dumps(data), "utf-8")

    def calls(self) -> list[dict[str, Any]]:
        if not self.recording.exists():
            return []
        return [json.loads(line) for line in self.recording.read_text("utf-8").splitlines()]

    def argvs(self) -> list[list[str]]:
        return [call["argv"] for call in self.calls()]

    def forget_calls(self) -> None:
        self.recording.unlink(missing_ok=True)


def compare_golden(path: Path, observed: list[dict[str, Any]], *, shown: str, what: str) -> None:
    """`observed` against the golden at `path` (`shown` in messages), or written there."""
    if UPDATE_GOLDENS:
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = ",\n".join("  " + json.dumps(call, ensure_ascii=False) for call in observed)
        path.write_text(f"[\n{lines}\n]\n", "utf-8")
        return
    assert path.exists(), f"no golden {shown}: run with CODEX_UPDATE_GOLDENS=1 once"
    expected = json.loads(path.read_text("utf-8"))
    assert observed == expected, f"{what} differ from goldens/{shown}"
