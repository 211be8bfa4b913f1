"""The standing adversarial suite (issue 12): real server processes under hostile input.

`nox -s adversarial` runs it; `nox -s tests` does not. Servers start once per session (or per
module where a case changes their settings); helpers live in advkit/ (put on sys.path here).
The tally of every case is printed at the end of the run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from advkit.probe import Target
from advkit.tally import terminal_summary
from advkit.world import (
    BackendProcess,
    OAuthProcess,
    World,
    start_backend,
    start_oauth,
    start_world,
)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminal_summary(terminalreporter)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The OAuth server, the Codex backend and a logged-in gateway, each a real process."""
    started = start_world(tmp_path_factory.mktemp("world"))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def oauth(world: World) -> Iterator[Target]:
    target = Target("oauth", world.oauth.server, world.oauth.issuer, world.oauth.tls())
    yield target
    target.close()


@pytest.fixture(scope="session")
def backend(world: World) -> Iterator[Target]:
    target = Target("codex", world.backend.server, world.backend.url, world.backend.tls())
    yield target
    target.close()


@pytest.fixture(scope="session")
def gateway(world: World) -> Iterator[Target]:
    target = Target("gateway", world.gateway, world.gateway_url, False)
    yield target
    target.close()


@pytest.fixture(scope="session")
def fuzz_pair(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[OAuthProcess, BackendProcess]]:
    """An OAuth server and a Codex backend of their own, for cases that change the backend's
    clock, scripts and keys through its admin API."""
    workdir = tmp_path_factory.mktemp("codex-fuzz")
    oauth_process = start_oauth(workdir / "oauth")
    try:
        backend_process = start_backend(workdir / "backend", oauth_process)
    except Exception:
        oauth_process.server.stop()
        raise
    try:
        yield oauth_process, backend_process
    finally:
        backend_process.server.stop()
        oauth_process.server.stop()
        backend_process.admin.close()
        oauth_process.admin.close()
