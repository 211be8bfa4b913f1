"""One JSON file per scenario, written by whichever worker ran it, merged into one page."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from scenarios.report.html_page import ScenarioReport, write_page
from scenarios.report.side_by_side import render_text
from scenarios.report.timeline import Step, Timeline, Tone


def save(report: ScenarioReport, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = asdict(report)
    path = folder / f"{report.name}.json"
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def load(path: Path) -> ScenarioReport:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    raw = data.pop("timeline")
    timeline = Timeline(raw["title"], list(raw["lanes"]), labels=dict(raw.get("labels", {})))
    timeline.steps = [
        Step(s["at"], s["source"], s["target"], s["label"], Tone(s["tone"]), s["detail"])
        for s in raw["steps"]
    ]
    return ScenarioReport(timeline=timeline, **data)


def merge(folder: Path, page: Path, title: str) -> list[ScenarioReport]:
    reports = sorted((load(p) for p in folder.glob("*.json")), key=lambda r: r.name)
    write_page(page, title, reports)
    compared = render_text((r.name, r.tally) for r in reports)
    side_by_side = page.with_name(f"{page.stem}-side-by-side.txt")
    if compared:
        side_by_side.write_text(compared, encoding="utf-8")
    else:
        side_by_side.unlink(missing_ok=True)
    return reports
