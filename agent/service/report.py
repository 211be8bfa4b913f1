"""What a service action did, for a person (`lines`) and for a program (`data`).

Every backend reports the same fields: `action`, `ok`, `mode` (how the program is installed:
"task" or "startup" on Windows, "systemd", "launchd"; "" when it is not), `service` (the task,
unit or label name) and `home`; `status` adds `registered`, `state`, `<role>_pid` and
`<role>_running` (None when the pid file is unusable, then `pid_file_problem` says why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Report:
    action: str
    ok: bool = True
    mode: str = ""
    lines: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def say(self, line: str) -> None:
        self.lines.append(line)

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "ok": self.ok, "mode": self.mode, **self.data}


def combined(action: str, first: Report, second: Report) -> Report:
    """Two actions reported as one (restart: stop, then start)."""
    return Report(
        action,
        ok=first.ok and second.ok,
        mode=second.mode,
        lines=first.lines + second.lines,
        data={**first.data, **second.data},
    )
