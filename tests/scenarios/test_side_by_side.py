"""Scenarios that tell one story two ways are set side by side in the report: one table per
group, a column per scenario, a row per figure (scenarios/report/side_by_side.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scenarios.report.html_page import ScenarioReport
from scenarios.report.timeline import Timeline
from scenarios.runner import report_store

GROUP = "shared login, strict policy"


def report(name: str, tally: dict[str, Any] | None) -> ScenarioReport:
    return ScenarioReport(name, "a story", "passed", 1.0, Timeline(name, ["agent"]), tally=tally)


def tally(side: str, reuse: int, answered: str, column: int = 0) -> dict[str, Any]:
    figures = {"reuse events": reuse, "client steps that worked": answered}
    return {"group": GROUP, "side": side, "column": column, "figures": figures}


def merged(tmp_path: Path, *reports: ScenarioReport) -> tuple[str, Path]:
    folder = tmp_path / "scenarios"
    for one in reports:
        report_store.save(one, folder)
    page = tmp_path / "scenarios.html"
    report_store.merge(folder, page, "Scenarios")
    return page.read_text(), tmp_path / "scenarios-side-by-side.txt"


def test_two_sides_of_a_group_share_one_table(tmp_path: Path) -> None:
    html, text = merged(
        tmp_path,
        report("a-direct", tally("straight to the issuer", 2, "3 of 60", column=1)),
        report("b-broker", tally("through the broker", 0, "60 of 60", column=0)),
        report("other", None),
    )
    assert html.count('<table class="side-by-side">') == 1
    assert f"<caption>{GROUP}</caption>" in html
    broker = html.index('<a href="#b-broker">through the broker</a>')
    assert broker < html.index('<a href="#a-direct">straight to the issuer</a>')  # by column
    assert "<tr><td>reuse events</td><td>0</td><td>2</td></tr>" in html
    assert "<tr><td>client steps that worked</td><td>60 of 60</td><td>3 of 60</td></tr>" in html
    lines = text.read_text().splitlines()
    assert lines[0] == GROUP
    assert lines[1].split("  ")[-1].strip() == "straight to the issuer"
    assert lines[2].split() == ["reuse", "events", "0", "2"]


def test_a_tally_survives_the_report_store(tmp_path: Path) -> None:
    one = report("broker-a", tally("through the broker", 0, "1 of 1"))
    loaded = report_store.load(report_store.save(one, tmp_path))
    assert loaded.tally == one.tally


def test_no_tally_no_table_and_no_text(tmp_path: Path) -> None:
    (tmp_path / "scenarios-side-by-side.txt").write_text("a previous run's")
    html, text = merged(tmp_path, report("other", None))
    assert '<table class="side-by-side">' not in html
    assert "Side by side" not in html
    assert not text.exists()
