"""`--shard K/N`: which scenarios this CI job runs, so N jobs of one matrix split the suite.

The jobs never talk to each other: each computes the same partition from the same inputs (the
scenario names and the recorded durations), then keeps its own part. Scenarios with a recorded
duration are placed longest first on the least loaded shard (greedy; the slowest shard is at most
the optimum plus the longest scenario); a scenario never timed yet goes by a hash of its name, so
a new scenario moves no other one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

DURATIONS_NAME = "scenarios-durations.json"
PLAN_NAME = "scenarios-shard.json"


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as written on the command line
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """`K/N` with 1 <= K <= N; argparse turns the error into a usage message naming the option."""
    index, slash, count = text.partition("/")
    if not slash or not index.strip().isdigit() or not count.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected K/N such as 1/2, got {text!r}")
    shard = Shard(int(index), int(count))
    if not 1 <= shard.index <= shard.count:
        raise argparse.ArgumentTypeError(f"K must be between 1 and N, got {text!r}")
    return shard


def _bucket(name: str, count: int) -> int:
    # A digest, not hash(): Python salts str hashes per process, and shards are processes.
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % count


def partition(names: Iterable[str], durations: Mapping[str, float], count: int) -> list[list[str]]:
    """Every name in exactly one of `count` shards, the same answer for the same inputs."""
    shards: list[list[str]] = [[] for _ in range(count)]
    loads = [0.0] * count
    unique = sorted(set(names))
    timed = sorted((n for n in unique if n in durations), key=lambda n: (-durations[n], n))
    for name in timed:
        lightest = min(range(count), key=lambda i: (loads[i], i))
        shards[lightest].append(name)
        loads[lightest] += durations[name]
    for name in unique:
        if name not in durations:
            shards[_bucket(name, count)].append(name)
    return shards


def load_durations(path: Path) -> dict[str, float]:
    """Recorded seconds per scenario; no file yet means nothing recorded."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a durations file ({exc})") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, int | float) and v >= 0 for k, v in data.items()
    ):
        raise ValueError(f"{path}: expected an object of scenario name to seconds (>= 0)")
    return {k: float(v) for k, v in data.items()}


def save_durations(path: Path, measured: Mapping[str, float]) -> None:
    """Update the recorded durations with these measurements; other scenarios keep theirs."""
    try:
        recorded = load_durations(path)
    except ValueError:
        recorded = {}  # a broken record is replaced, not a reason to lose this run's figures
    recorded.update({name: round(seconds, 3) for name, seconds in measured.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(recorded.items())), indent=1) + "\n", encoding="utf-8")


def save_plan(path: Path, shard: Shard, selected: Iterable[str], mine: Iterable[str]) -> None:
    """What this shard chose from what, so a merge can check the shards agreed."""
    plan = {"shard": str(shard), "selected": sorted(selected), "mine": sorted(mine)}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")  # xdist workers write it alike
    partial.write_text(json.dumps(plan, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)
