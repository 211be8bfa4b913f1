"""A scenario's story as a sequence of arrows between lanes (actors and servers).

The lab turns ledger events, backend events and its own notes into `Step`s; renderers draw them.
Order is the order things happened (virtual time, then sequence), not a time scale: a scenario
that advances the clock eleven days would otherwise be one empty page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Tone(StrEnum):
    NORMAL = "normal"
    GOOD = "good"
    BAD = "bad"  # reuse detected, family revoked, a failed turn: drawn in red
    NOTICE = "notice"  # what the user was told


@dataclass(frozen=True)
class Step:
    at: float  # virtual time, seconds since the epoch
    source: str  # lane the arrow starts from
    target: str  # lane it points to; equal to source for a note on one lane
    label: str
    tone: Tone = Tone.NORMAL
    detail: str = ""


@dataclass
class Timeline:
    title: str
    lanes: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    # What a lane is, where its name alone does not say: `cli-1 · Codex CLI 0.169.0`.
    labels: dict[str, str] = field(default_factory=dict)

    def lane(self, name: str) -> None:
        if name not in self.lanes:
            self.lanes.append(name)

    def add(self, step: Step) -> None:
        self.lane(step.source)
        self.lane(step.target)
        self.steps.append(step)

    def label(self, lane: str) -> str:
        return self.labels.get(lane, lane)

    def ordered(self) -> list[Step]:
        # sorted() is stable: steps at the same instant keep the order they were added in.
        return sorted(self.steps, key=lambda s: s.at)
