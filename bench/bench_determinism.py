"""The canonical race on 1,000 fresh in-process worlds with one seed: 1,000 identical ledgers.

Both fakes and the siblings run in this process; the agent under test runs as its own
`codex-agent` commands, as in every scenario. Prints the count of ledgers identical to the
first one (token fingerprints included), the time per run, and the first differing field of any
run that differs (and then exits non-zero: a difference is a bug, never noise).

    python bench/bench_determinism.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scenarios.lab.inprocess_siblings import SiblingsInProcessWorld
from scenarios.lab.replay import SEED, Run, replay
from scenarios.lab.world import World
from scenarios.suites.determinism import canonical_race


def fresh_world(workdir: Path, seed: int, start: float, port: int) -> World:
    return SiblingsInProcessWorld(
        workdir, seed=seed, clock_start=start, frozen=True, oauth_port=port
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="fresh worlds (default 1000)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    print(f"determinism: the canonical race, seed {SEED}, {args.runs} runs, {os.cpu_count()} CPUs")

    def progress(run: Run) -> None:
        if run.difference is not None:
            print(f"run {run.index} differs from run 0: {run.difference}", flush=True)
        elif (run.index + 1) % 100 == 0:
            print(f"{run.index + 1} runs, ledger {run.digest}", flush=True)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-determinism-") as workdir:
        result = replay(canonical_race, fresh_world, Path(workdir), args.runs, on_run=progress)
    wall = time.perf_counter() - started
    seconds = [run.seconds for run in result.runs]
    print(f"identical ledgers: {result.identical}/{len(result.runs)}")
    print(
        f"time per run: mean {wall / len(seconds) * 1000:.0f} ms, "
        f"median {statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms; "
        f"wall {wall:.1f} s"
    )
    return 0 if result.identical == len(result.runs) else 1


if __name__ == "__main__":
    sys.exit(main())
