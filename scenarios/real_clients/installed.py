"""What an installed real client is: its folder, its program, the version it reports.

The description is written as a marker file, last, once the program has answered `--version`:
a folder without a valid marker is a partial install, never reused.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from scenarios.real_clients.pins import Pin

MARKER_NAME = ".harness-installed.json"


@dataclass(frozen=True)
class InstalledClient:
    name: str
    package: str
    version: str
    folder: Path
    executable: Path
    reported_version: str  # the first line of `<executable> --version`
    node: str | None = None  # the version of npm's Node package it runs on, if its own

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def disk_bytes(self) -> int:
        total = 0
        for dirpath, _dirs, files in os.walk(self.folder):
            for name in files:
                try:
                    total += os.lstat(os.path.join(dirpath, name)).st_size
                except OSError:
                    pass
        return total


def marker_path(folder: Path) -> Path:
    return folder / MARKER_NAME


def write_marker(client: InstalledClient) -> None:
    data = asdict(client) | {"folder": str(client.folder), "executable": str(client.executable)}
    fd, tmp = tempfile.mkstemp(dir=client.folder, prefix=".marker-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2)
    os.replace(tmp, marker_path(client.folder))


def read_marker(folder: Path, pin: Pin) -> InstalledClient | None:
    """The install in `folder` if it is complete and is `pin`'s; None means install again."""
    try:
        data = json.loads(marker_path(folder).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    expected = {"name": pin.name, "package": pin.package, "version": pin.version, "node": pin.node}
    if any(data.get(key) != value for key, value in expected.items()):
        return None
    reported = data.get("reported_version")
    executable = folder / pin.executable
    if not isinstance(reported, str) or not os.access(executable, os.X_OK):
        return None
    return InstalledClient(
        name=pin.name,
        package=pin.package,
        version=pin.version,
        folder=folder,
        executable=executable,
        reported_version=reported,
        node=pin.node,
    )
