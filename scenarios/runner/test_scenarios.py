"""Every registered scenario as a pytest test (`pytest scenarios/runner -k NAME`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scenarios.lab.world import World
from scenarios.registry import all_scenarios, get
from scenarios.report.html_page import ScenarioReport
from scenarios.runner import report_store
from scenarios.runner.plugin import run_scenario

SCENARIOS = all_scenarios()
# Lanes of requests nobody was credited with: a user agent's first word, or none at all.
UNCREDITED = {"unknown", "python-requests", "codex-mcp-client", "codex_exec", "hermes-cli"}


@pytest.mark.parametrize(
    "name",
    [pytest.param(s.name, marks=[pytest.mark.slow] if s.slow else []) for s in SCENARIOS],
)
def test_scenario(name: str, lab_world: World, request: pytest.FixtureRequest) -> None:
    reports: Path = request.config.getoption("--reports-dir")
    run_scenario(lab_world, get(name), reports)
    if name.startswith("real-"):
        every_real_request_is_credited(report_store.load(reports / "scenarios" / f"{name}.json"))


def every_real_request_is_credited(report: ScenarioReport) -> None:
    """Each real client's requests on its own lane, which names the program and its version."""
    timeline = report.timeline
    assert not UNCREDITED & set(timeline.lanes), timeline.lanes
    labelled = [label for label in timeline.labels.values() if "terminal unknown" not in label]
    assert labelled, timeline.lanes
    for label in labelled:
        assert re.fullmatch(r"\S+ · (Codex CLI|Hermes Agent|OpenClaw) \d+\.\d+\S*", label), label
