"""The pinned real clients, read from `pins.toml` so a version lives in exactly one place."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DEFAULT_PINS_FILE = Path(__file__).with_name("pins.toml")
Installer = Literal["npm", "venv"]
_INSTALLERS: tuple[Installer, ...] = ("npm", "venv")


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
    return Pin(
        name=name,
        package=fields["package"],
        version=fields["version"],
        installer=fields["installer"],
        executable=fields["executable"],
        enabled=enabled,
    )
