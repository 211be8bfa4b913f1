"""The recording: one JSON line per call, and `replay` to read it as a table."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

# The environment variables worth keeping with each call.
RECORDED_ENV = ("HOME", "USER", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "CODEX_AGENT_HOME")


def recorded_env(environ: Mapping[str, str]) -> dict[str, str]:
    return {name: environ[name] for name in RECORDED_ENV if name in environ}


def append(path: Path, entry: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        handle.write(line)
        handle.flush()


def read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    entries = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not a JSON line ({exc.msg})") from exc
    return entries


def table(entries: list[dict[str, Any]], width: int = 60) -> str:
    rows = [("#", "exit", "answer", "call", "output")]
    for entry in entries:
        exit_code = entry.get("exit_code")
        out = ((entry.get("stdout") or "") + (entry.get("stderr") or "")).replace("\n", " | ")
        call = " ".join([entry.get("tool", ""), *entry.get("argv", [])])
        rows.append(
            (
                str(entry.get("seq", "")),
                "-" if exit_code is None else str(exit_code),
                str(entry.get("answer", "")),
                call if len(call) <= width else call[: width - 1] + "…",
                out if len(out) <= width else out[: width - 1] + "…",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


_SERVICE_NAME = re.compile(r"(codex-agent-(?:gateway|broker)-)[0-9a-f]{10}")


def _placeholders(text: str, home: str) -> str:
    return _SERVICE_NAME.sub(r"\1<hash>", text.replace(home, "~"))


def normalized(entries: list[dict[str, Any]], home: str) -> list[dict[str, Any]]:
    """Calls as goldens hold them: argv, answer, exit code and the first line printed, with
    the user's home as `~` and the home's hash in service names as `<hash>`."""
    observed = []
    for entry in entries:
        text = _placeholders(entry["stdout"] + entry["stderr"], home)
        observed.append(
            {
                "argv": [_placeholders(arg, home) for arg in entry["argv"]],
                "answer": entry["answer"],
                "exit_code": entry["exit_code"],
                "output": text.splitlines()[0] if text.strip() else "",
            }
        )
    return observed
