"""`python -m service_shims install DIR`: put executable `systemctl` and `launchctl` in DIR."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

_TEMPLATE = """#!{python} -IS
# The recording {tool} shim (service_shims), installed by `python -m service_shims install`.
import sys
sys.stdout.reconfigure(encoding="utf-8")
sys.stderr.reconfigure(encoding="utf-8")
sys.path.insert(0, {package_parent!r})
from pathlib import Path
from service_shims.shim import Config
from service_shims.{tool} import main
sys.exit(main(sys.argv[1:], Config(
    recording=Path({recording!r}),
    state=Path({state!r}),
    script={script},
    launch={launch!r},
    uid={uid!r},
)))
"""
TOOLS = ("systemctl", "launchctl")


def install(
    directory: Path,
    *,
    recording: Path,
    state: Path,
    script: Path | None = None,
    launch: bool = False,
    uid: int = 501,
    tools: tuple[str, ...] = TOOLS,
) -> list[Path]:
    """Write the executables; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for tool in tools:
        if tool not in TOOLS:
            raise ValueError(f"no shim for {tool!r}; there are {', '.join(TOOLS)}")
        text = _TEMPLATE.format(
            python=sys.executable,
            tool=tool,
            package_parent=str(Path(__file__).resolve().parent.parent),
            recording=str(recording.resolve()),
            state=str(state.resolve()),
            script=f"Path({str(script.resolve())!r})" if script else "None",
            launch=launch,
            uid=uid,
        )
        target = directory / tool
        tmp = directory / f".{tool}.tmp"
        tmp.write_text(text, "utf-8")
        tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        os.replace(tmp, target)
        written.append(target)
    return written
