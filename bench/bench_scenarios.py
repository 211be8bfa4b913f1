"""The scenario suite's wall time on this machine, with one worker and with two.

Runs `pytest scenarios/runner` as a subprocess per configuration (process backend unless
BENCH_LAB_BACKEND says otherwise) over the simulated scenarios (`-k "not real-"`: the real
clients' scenarios run real programs on the wall clock; BENCH_SCENARIOS_K selects otherwise)
and prints, per configuration, the wall time, the suite's own JUnit total over its count (the
figure of issue 14's goal: at most 1.0 s per scenario on two cores), and the CPU time the suite
and everything it started used.

BENCH_SCENARIOS_BEFORE=PATH also runs a checkout of an earlier version (`git worktree add PATH
<commit>`) the same way, first, and prints both: before and after on one machine, in one run.
The runs write bytecode caches (PYTHONDONTWRITEBYTECODE is dropped), as a developer's checkout
has them: without them every process the lab starts compiles the project's modules again.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 1.0


@dataclass(frozen=True)
class SuiteRun:
    wall: float  # seconds, as this bench saw the subprocess
    junit_total: float  # the suite's own figure: its JUnit testsuite time
    count: int
    cpu: float  # user + system seconds of the suite and every process it waited for

    @property
    def per_scenario(self) -> float:
        return self.junit_total / self.count


def run_suite(tree: Path, selector: str, workers: int, backend: str) -> SuiteRun:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(tree)  # the tree's own code, for the suite and every process it starts
    with tempfile.TemporaryDirectory(prefix="bench-scenarios-") as reports:
        junit = Path(reports) / "junit.xml"
        argv = [
            sys.executable, "-m", "pytest", "scenarios/runner", "-q", "-p", "no:randomly",
            "-p", "no:cacheprovider", "--lab-backend", backend, "--reports-dir", reports,
            "--junitxml", str(junit), "-k", selector,
            # The tree's recorded durations: workers take the longest first (and this updates
            # them, as a run of `nox -s scenarios` does).
            "--durations-file", str(tree / "reports" / "scenarios-durations.json"),
        ]  # fmt: skip
        if workers > 1:
            argv += ["-n", str(workers)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            print(result.stdout[-3000:])
            raise SystemExit(f"suite failed in {tree} with {workers} worker(s)")
        root = ET.parse(junit).getroot()
        suite = root if root.tag == "testsuite" else root[0]
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return SuiteRun(wall, float(suite.get("time", 0)), int(suite.get("tests", 0)), cpu)


def main() -> None:
    backend = os.environ.get("BENCH_LAB_BACKEND", "process")
    selector = os.environ.get("BENCH_SCENARIOS_K", "not real-")
    trees = [("after", ROOT)]
    if before := os.environ.get("BENCH_SCENARIOS_BEFORE"):
        trees.insert(0, ("before", Path(before).resolve()))
    print(f"scenario suite, {backend} backend, -k {selector!r}, {os.cpu_count()} CPUs")
    print(
        f"{'':<7} {'workers':>7} {'scenarios':>9} {'wall s':>7} {'JUnit s':>8} "
        f"{'s/scenario':>10} {'CPU s':>7}"
    )
    results: dict[tuple[str, int], SuiteRun] = {}
    for label, tree in trees:
        for workers in (1, 2):
            run = run_suite(tree, selector, workers, backend)
            results[(label, workers)] = run
            print(
                f"{label:<7} {workers:>7} {run.count:>9} {run.wall:>7.1f} {run.junit_total:>8.1f} "
                f"{run.per_scenario:>10.2f} {run.cpu:>7.1f}",
                flush=True,
            )
    for label, _ in trees:
        one, two = results[(label, 1)], results[(label, 2)]
        print(f"{label}: two workers {one.junit_total / two.junit_total:.2f}x faster than one")
    if len(trees) == 2:
        for workers in (1, 2):
            was, now = results[("before", workers)], results[("after", workers)]
            speed_up = was.junit_total / now.junit_total
            print(f"{workers} worker(s): {speed_up:.2f}x faster than before")
    best = results[("after", 2)].per_scenario
    verdict = "within" if best <= GOAL_SECONDS else "OVER"
    print(f"2 workers: {best:.2f} s per scenario: {verdict} the goal of {GOAL_SECONDS:.1f} s")


if __name__ == "__main__":
    main()
