"""Every job of the project, runnable on a fresh machine with only nox installed."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
PYTHON = "3.11"
BENCH_NPM_DIR = ROOT / "build" / "bench-npm"
WALL_RECORD = ROOT / "reports" / "scenarios-wall.json"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit and integration tests of every package (`nox -s tests -- -k name` to filter)."""
    session.install("-e", ".[test]")
    args = session.posargs or ["-n", "auto", "-q"]
    session.run("pytest", *args)


@nox.session(python=PYTHON)
def adversarial(session: nox.Session) -> None:
    """The standing adversarial suite: fuzzing, raw sockets, hostile files, a kill -9 sweep.

    Real server processes under hostile input; prints how many cases came to what.
    """
    session.install("-e", ".[test]")
    session.run("pytest", "adversarial", "-q", "-p", "no:randomly", *session.posargs)


def _run_scenarios(session: nox.Session, backend: str, reports: str) -> float:
    args = session.posargs or []
    workers = [] if any(a == "-n" or a.startswith("-n") for a in args) else ["-n", "2"]
    started = time.perf_counter()
    try:
        session.run(
            "pytest", "scenarios/runner", "-q", "--lab-backend", backend, *workers,
            "--reports-dir", reports, "--junitxml", f"{reports}/scenarios-junit.xml", *args,
        )  # fmt: skip
    finally:
        wall = time.perf_counter() - started
        session.log(f"scenario suite wall time ({backend} backend): {wall:.1f} s")
    return wall


def _install_real_clients(session: nox.Session, *extra: str) -> None:
    # Pinned in scenarios/real_clients/pins.toml; a cached install is reused in milliseconds.
    # A client that cannot be installed fails the session in one line: never a silent skip.
    session.run("python", "-m", "scenarios.real_clients", "install", *extra)


@nox.session(python=PYTHON)
def real_clients(session: nox.Session) -> None:
    """Install the pinned real clients (Codex CLI, Hermes Agent, OpenClaw) into
    build/real-clients/.

    Prints each one's version, install time (cold or cached) and size. Reinstall from scratch:
    `rm -rf build/real-clients` (or $CODEX_HARNESS_REAL_CLIENTS_DIR) and run it again.
    """
    session.install("-e", ".")
    _install_real_clients(session, "--disk-usage")


@nox.session(python=PYTHON)
def scenarios(session: nox.Session) -> None:
    """The scenario suites: fakes, siblings and the agent as real processes over TLS.

    Writes reports/scenarios.html (timelines) and reports/scenarios-junit.xml.
    `nox -s scenarios -- -k ping-pong` runs a subset; `-- --lab-backend inprocess` the fast one.
    """
    session.install("-e", ".[test]")
    _install_real_clients(session)
    wall = _run_scenarios(session, "process", "reports")
    WALL_RECORD.parent.mkdir(parents=True, exist_ok=True)
    WALL_RECORD.write_text(json.dumps({"process_seconds": wall}))


@nox.session(python=PYTHON)
def scenarios_docker(session: nox.Session) -> None:
    """The same scenarios with each fake, sibling and agent command in a Docker container.

    Needs a running engine (see README); without one it says so in one line and fails.
    Writes reports/docker/scenarios.html.
    """
    session.install("-e", ".[test]")
    session.run("python", "-m", "scenarios.docker_backend.engine")
    wall = _run_scenarios(session, "docker", "reports/docker")
    if WALL_RECORD.exists():
        process = json.loads(WALL_RECORD.read_text())["process_seconds"]
        session.log(
            f"docker backend {wall:.1f} s vs process backend {process:.1f} s: {wall / process:.2f}x"
        )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every package."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Throughput and latency figures of every component, printed with their ratios."""
    session.install("-e", ".[test]")
    package_json = ROOT / "bench" / "package.json"
    if package_json.exists() and shutil.which("npm"):
        BENCH_NPM_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copy(package_json, BENCH_NPM_DIR / "package.json")
        installed = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent"],
            cwd=BENCH_NPM_DIR,
            check=False,
        )
        if installed.returncode != 0:
            session.warn("npm install failed: the oauth2-mock-server comparison is skipped")
    selected = session.posargs or sorted(p.name for p in (ROOT / "bench").glob("bench_*.py"))
    for name in selected:
        session.run("python", str(ROOT / "bench" / name), env={"BENCH_NPM_DIR": str(BENCH_NPM_DIR)})
