"""The canonical race replayed on fresh worlds with one seed and a frozen clock: one ledger.

Shared by the `determinism` scenario (a few runs on any backend), the bench (a thousand runs
in process) and its test (a handful): each run's ledger, normalised by `LedgerView.canonical`
(token fingerprints included), must equal the first run's; the first differing field is named.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scenarios.lab.lab import Lab
from scenarios.lab.ledger_view import LedgerView
from scenarios.lab.world import World

SEED = 20261123
START = 1_800_000_000.0  # a fixed instant: tokens carry iat and exp
STORY_NAME = "canonical-race"  # the lab's name is in the accounts' emails

# (workdir, seed, clock start, OAuth port) -> a running world; port 0 picks a free one.
WorldFactory = Callable[[Path, int, float, int], World]


def digest(canonical: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()[:16]


def first_difference(expected: Any, actual: Any, path: str = "ledger") -> str | None:
    """Where `actual` first departs from `expected`, as a path with both values; None if equal."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(expected.keys() | actual.keys(), key=str):
            if key not in expected or key not in actual:
                return f"{path}.{key}: present in only one ledger"
            if found := first_difference(expected[key], actual[key], f"{path}.{key}"):
                return found
        return None
    if isinstance(expected, list | tuple) and isinstance(actual, list | tuple):
        for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
            if found := first_difference(left, right, f"{path}[{index}]"):
                return found
        if len(expected) != len(actual):
            return f"{path}: {len(expected)} items, then {len(actual)}"
        return None
    if expected != actual:
        return f"{path}: {expected!r}, then {actual!r}"
    return None


@dataclass
class Run:
    index: int
    digest: str
    seconds: float
    difference: str | None  # from run 0's ledger


@dataclass
class Replay:
    runs: list[Run] = field(default_factory=list)

    @property
    def identical(self) -> int:
        return sum(1 for run in self.runs if run.difference is None)

    def differing(self) -> list[Run]:
        return [run for run in self.runs if run.difference is not None]


def replay(
    story: Callable[[Lab], LedgerView],
    open_world: WorldFactory,
    workdir: Path,
    runs: int,
    *,
    on_run: Callable[[Run], None] | None = None,
) -> Replay:
    """`story` on `runs` fresh worlds, each in its own folder; run 0's port serves every run
    (the issuer URL is inside every token, so it is part of each fingerprint)."""
    result = Replay()
    first: list[dict[str, Any]] | None = None
    port = 0
    for index in range(runs):
        started = time.perf_counter()
        run_dir = workdir / f"run-{index}"
        with open_world(run_dir / "world", SEED, START, port) as world:
            port = urlsplit(world.endpoints.issuer).port or 0
            lab = Lab(world, run_dir, STORY_NAME)
            try:
                canonical = story(lab).canonical()
            finally:
                lab.close()
        if first is None:
            first = canonical
        run = Run(
            index,
            digest(canonical),
            time.perf_counter() - started,
            first_difference(first, canonical),
        )
        result.runs.append(run)
        if on_run is not None:
            on_run(run)
    return result
