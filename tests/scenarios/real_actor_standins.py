"""The part of a lab and of a machine a real actor uses, stood in for its unit tests: the
world's exports and clock, the OAuth fake's device approvals, notes, artifacts, and the record
of which lane ran which program (the timeline credits requests by it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class StandInOAuth:
    def __init__(self) -> None:
        self.approved: list[tuple[str, str]] = []

    def approve_device_code(self, code: str, account_id: str) -> None:
        self.approved.append((code, account_id))


class StandInEndpoints:
    def __init__(self, exports: Mapping[str, str]) -> None:
        self.exports = dict(exports)

    def client_env(self) -> dict[str, str]:
        return dict(self.exports)


class StandInWorld:
    def __init__(self, exports: Mapping[str, str]) -> None:
        self.oauth = StandInOAuth()
        self.endpoints = StandInEndpoints(exports)

    def now(self) -> float:
        return 0.0


@dataclass
class StandInLab:
    artifacts: Path
    world: StandInWorld
    command_timeout: float = 30.0
    notes: list[str] = field(default_factory=list)
    runs: list[tuple[str, str, str | None]] = field(default_factory=list)

    def ran(self, lane: str, program: str, started: float, version: str | None = None) -> None:
        self.runs.append((lane, program, version))

    def note(self, label: str, **_: Any) -> None:
        self.notes.append(label)

    def keep_output(self, name: str, stdout: str, stderr: str) -> None:
        (self.artifacts / f"{name}.stdout").write_text(stdout)
        (self.artifacts / f"{name}.stderr").write_text(stderr)


@dataclass
class StandInMachine:
    root: Path
    codex_home: Path


def lab_and_laptop(tmp_path: Path, exports: Mapping[str, str]) -> tuple[StandInLab, StandInMachine]:
    """A lab whose world exports `exports` to real clients, and its machine `laptop`."""
    (tmp_path / "artifacts").mkdir()
    lab = StandInLab(tmp_path / "artifacts", StandInWorld(exports))
    return lab, StandInMachine(tmp_path / "laptop", tmp_path / "laptop" / "codex")
