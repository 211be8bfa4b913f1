"""The clients' comparison is assembled from what scenarios recorded, never written by hand."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest

from scenarios.lab.lab import Lab
from scenarios.report.comparison import (
    CLIENTS,
    SITUATIONS,
    read_outcomes,
    record_outcome,
    render_markdown,
    write_comparison,
)


@dataclass
class StandInLab:
    name: str
    artifacts: Path

    def keep_artifact(self, name: str, text: str) -> None:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        (self.artifacts / name).write_text(text, encoding="utf-8")


def lab_of(work: Path, name: str) -> Lab:
    return cast(Lab, StandInLab(name, work / name / "artifacts"))


def test_a_recorded_outcome_fills_its_cell_and_names_its_scenario(tmp_path: Path) -> None:
    work = tmp_path / "work"
    record_outcome(
        lab_of(work, "real-openclaw-shared-strict"), "stale-copy-strict", "OpenClaw",
        version="2026.9.6", kept_working=False, shown="OAuth token refresh failed |x",
        login="revoked",
    )  # fmt: skip
    table = render_markdown(read_outcomes(work))
    header, _, stale, *_ = table.splitlines()
    assert header == "| situation | Codex CLI | Hermes Agent | OpenClaw 2026.9.6 | codex-agent |"
    cells = [c.strip() for c in stale.strip("|").split(" | ")]
    assert cells[0] == SITUATIONS["stale-copy-strict"]
    assert cells[1:3] == ["not run", "not run"]
    assert cells[3] == (
        "signed out: OAuth token refresh failed \\|x (login: revoked) "
        "[`real-openclaw-shared-strict`]"
    )
    assert len(table.splitlines()) == 2 + len(SITUATIONS)


def test_unknown_situations_and_clients_are_refused_at_once(tmp_path: Path) -> None:
    lab = lab_of(tmp_path, "x")
    with pytest.raises(ValueError, match="unknown situation 'nope'"):
        record_outcome(lab, "nope", "OpenClaw", kept_working=True, shown="", login="")
    with pytest.raises(ValueError, match="unknown client 'Claude'"):
        record_outcome(lab, "refresh-5xx", "Claude", kept_working=True, shown="", login="")


def test_what_is_said_is_one_line_of_bounded_length(tmp_path: Path) -> None:
    outcome = record_outcome(
        lab_of(tmp_path, "x"), "refresh-5xx", "codex-agent", kept_working=True,
        shown="line one\nline two " + "y" * 400, login="alive",
    )  # fmt: skip
    assert "\n" not in outcome.shown
    assert len(outcome.shown) == 158


def test_a_record_that_cannot_be_read_is_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "work" / "broken" / "artifacts"
    folder.mkdir(parents=True)
    (folder / "outcome-openclaw.json").write_text("{not json")
    (folder / "outcome-other.json").write_text(json.dumps({"situation": "x"}))
    assert read_outcomes(tmp_path / "work") == []


def test_the_run_writes_markdown_and_a_section_of_the_page(tmp_path: Path) -> None:
    page = tmp_path / "scenarios.html"
    page.write_text("<html><body><h1>Scenarios</h1></body></html>")
    assert write_comparison(tmp_path, page) is None  # nothing recorded: no table
    assert not (tmp_path / "comparison.md").exists()
    for client in CLIENTS:
        record_outcome(
            lab_of(tmp_path / "work", f"s-{client}"), "refresh-5xx", client,
            kept_working=client == "codex-agent", shown="said", login="alive",
        )  # fmt: skip
    written = write_comparison(tmp_path, page)
    assert written == tmp_path / "comparison.md"
    html = page.read_text()
    assert html.index('<section id="comparison">') < html.index("</body>")
    assert html.count('class="outcome-failed"') == 3
    assert '<a href="#s-OpenClaw">s-OpenClaw</a>' in html


def test_one_scenario_may_record_a_client_in_two_situations(tmp_path: Path) -> None:
    lab = lab_of(tmp_path / "work", "real-field-report-strict")
    for situation in ("stale-copy-strict", "401-after-rotation"):
        record_outcome(
            lab, situation, "Hermes Agent", kept_working=False, shown=situation, login="revoked"
        )
    found = read_outcomes(tmp_path / "work")
    assert sorted(o.shown for o in found) == ["401-after-rotation", "stale-copy-strict"]


def test_a_verdict_of_its_own_replaces_signed_out(tmp_path: Path) -> None:
    outcome = record_outcome(
        lab_of(tmp_path / "work", "x"), "401-after-rotation", "OpenClaw", kept_working=False,
        shown="Authentication failed", login="alive", verdict="no answer, not signed out",
    )  # fmt: skip
    assert outcome.cell() == "no answer, not signed out: Authentication failed (login: alive)"
    (found,) = read_outcomes(tmp_path / "work")
    assert found == outcome
