"""pytest plugin of the scenario runner: one world per worker, one lab per scenario, a report
and a leak audit after each, one HTML page at the end.

Options: `--lab-backend inprocess|process|docker` (default `process`), `--reports-dir DIR`
(default `reports`), `--lab-seed N`, `--shard K/N` and `--durations-file PATH` (see shards.py).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from scenarios.docker_backend.containers import SESSION_ENV
from scenarios.docker_backend.figures import docker_figures
from scenarios.lab.lab import Lab
from scenarios.lab.world import World, open_world
from scenarios.registry import Scenario, all_scenarios
from scenarios.report.comparison import write_comparison
from scenarios.report.html_page import ScenarioReport
from scenarios.runner import report_store, shards

PAGE_NAME = "scenarios.html"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("scenarios")
    group.addoption("--lab-backend", default="process", choices=["inprocess", "process", "docker"])
    group.addoption("--reports-dir", default="reports", type=Path)
    group.addoption("--lab-seed", default=None, type=int)
    group.addoption(
        "--shard",
        default=None,
        type=shards.parse_shard,
        metavar="K/N",
        help="run only the K-th of N parts of the selected scenarios (for a CI matrix)",
    )
    group.addoption(
        "--durations-file",
        default=None,
        type=Path,
        help="recorded seconds per scenario that balance the shards "
        f"(default: REPORTS_DIR/{shards.DURATIONS_NAME}; an unsharded run updates it)",
    )


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    reports: Path = config.getoption("--reports-dir")
    if not _is_worker(config):
        for stale in (reports / "scenarios", reports / "work"):
            shutil.rmtree(stale, ignore_errors=True)
        (reports / shards.PLAN_NAME).unlink(missing_ok=True)  # a previous run's shard plan
        if config.getoption("--lab-backend") == "docker":
            # Workers inherit it: every container of this session carries it, so the session
            # can remove them all at the end, a crashed worker's included.
            os.environ.setdefault(SESSION_ENV, "session-" + secrets.token_hex(6))
            signal.signal(signal.SIGTERM, _interrupt)
    config.addinivalue_line("markers", "scenario: a scenario of the lab")


def _durations_file(config: pytest.Config) -> Path:
    given: Path | None = config.getoption("--durations-file")
    reports: Path = config.getoption("--reports-dir")
    return given if given is not None else reports / shards.DURATIONS_NAME


def _scenario_name(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    return str(callspec.params["name"]) if callspec is not None else item.nodeid


def _runs_on_workers(config: pytest.Config) -> bool:
    return _is_worker(config) or bool(getattr(config.option, "numprocesses", None))


def longest_first(
    items: list[pytest.Item], durations: dict[str, float], slow: set[str]
) -> list[pytest.Item]:
    """The recorded longest first (then the ones marked slow, then the rest, each in collection
    order): workers that take the next scenario as they finish then end together, rather than
    one of them starting a ten-second scenario when the others are done."""

    def key(item: pytest.Item) -> tuple[float, bool]:
        name = _scenario_name(item)
        return (-durations.get(name, 0.0), name not in slow)

    return sorted(items, key=key)


@pytest.hookimpl(trylast=True)  # after -k and -m: the shards split what this run selected
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    shard: shards.Shard | None = config.getoption("--shard")
    if shard is None and not _runs_on_workers(config):
        return
    path = _durations_file(config)
    try:
        durations = shards.load_durations(path)
    except ValueError as exc:
        raise pytest.UsageError(f"--durations-file: {exc}") from None
    if _runs_on_workers(config):
        # Every worker collects and sorts alike (one durations file), as xdist requires.
        items[:] = longest_first(items, durations, {s.name for s in all_scenarios() if s.slow})
    if shard is None:
        return
    parts = shards.partition((_scenario_name(i) for i in items), durations, shard.count)
    mine = set(parts[shard.index - 1])
    reports: Path = config.getoption("--reports-dir")
    shards.save_plan(reports / shards.PLAN_NAME, shard, map(_scenario_name, items), mine)
    kept = [i for i in items if _scenario_name(i) in mine]
    dropped = [i for i in items if _scenario_name(i) not in mine]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # unwinds through the fixtures, which remove the containers


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config):
        return
    reports: Path = config.getoption("--reports-dir")
    folder = reports / "scenarios"
    if folder.exists():
        backend = config.getoption("--lab-backend")
        merged = report_store.merge(folder, reports / PAGE_NAME, f"Scenarios ({backend} backend)")
        write_comparison(reports, reports / PAGE_NAME)  # the clients side by side, if recorded
        took = sum(r.duration for r in merged)
        if config.getoption("--shard") is None:
            # Only a whole run records: shards of one run, run one after another on one
            # machine, must all read the same record to agree on the partition.
            shards.save_durations(_durations_file(config), {r.name: r.duration for r in merged})
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"scenario report: {reports / PAGE_NAME} ({len(merged)} scenarios, "
                f"{took:.1f} s of scenario time)"
            )
            if backend == "docker":
                for line in docker_figures(reports / "work"):
                    reporter.write_line(line)
    if config.getoption("--lab-backend") == "docker" and os.environ.get(SESSION_ENV):
        from scenarios.docker_backend.containers import remove_session
        from scenarios.docker_backend.engine import EngineUnavailable, connect

        try:
            remove_session(connect(), os.environ[SESSION_ENV])
        except EngineUnavailable:
            pass


@pytest.fixture(scope="session")
def lab_world(request: pytest.FixtureRequest) -> Iterator[World]:
    config = request.config
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    reports: Path = config.getoption("--reports-dir")
    world = open_world(
        config.getoption("--lab-backend"),
        (reports / "work" / worker / "world").resolve(),
        seed=config.getoption("--lab-seed"),
    )
    try:
        yield world
    finally:
        world.close()


def run_scenario(world: World, found: Scenario, reports: Path) -> ScenarioReport:
    """Run one scenario, write its report, audit it; raise if it failed or leaked."""
    workdir = (reports / "work" / found.name).resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    lab = Lab(world, workdir, found.name)
    started = time.perf_counter()
    failure = ""
    try:
        found.func(lab)
    except Exception:
        failure = traceback.format_exc(limit=-6)
    finally:
        lab.close()
    server_logs = world.logs()
    report = ScenarioReport(
        name=found.name,
        story=found.story,
        outcome="failed" if failure else "passed",
        duration=time.perf_counter() - started,
        timeline=lab.timeline(),
        notices=list(lab.notices),
        failure=failure,
        tally=lab.tally,
        logs={
            **{f"server: {name}": text for name, text in server_logs.items() if text.strip()},
            **{p.name: p.read_text(errors="replace") for p in sorted(lab.artifacts.glob("*.log"))},
        },
    )
    saved = report_store.save(report, reports / "scenarios")
    leaks = lab.audit({saved.name: saved.read_text(), **server_logs})
    if leaks:
        report.outcome = "failed"
        report.failure += "\nLEAK AUDIT FAILED:\n" + "\n".join(str(leak) for leak in leaks)
        report_store.save(report, reports / "scenarios")
    if report.outcome == "failed":
        pytest.fail(report.failure, pytrace=False)
    return report
