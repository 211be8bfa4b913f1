"""One self-contained HTML page for a whole scenario run: a section per scenario."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from scenarios.report.side_by_side import render_tables
from scenarios.report.svg import render_svg
from scenarios.report.timeline import Timeline

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #0f172a; }
section { border: 1px solid #e2e8f0; border-radius: 8px; padding: 1rem 1.5rem; margin: 1.5rem 0; }
h2 { margin: 0 0 .3rem; font-size: 1.15rem; }
.outcome-passed { color: #15803d; } .outcome-failed { color: #dc2626; }
.story { color: #475569; margin: .2rem 0 1rem; }
.svgbox { overflow-x: auto; }
ul.lanes { color: #475569; margin: .4rem 0; font-size: .9rem; }
pre { background: #f8fafc; padding: .6rem; border-radius: 6px; white-space: pre-wrap; }
table { border-collapse: collapse; } td, th { padding: .2rem .8rem; text-align: left; }
table.side-by-side { margin: 1rem 0; } table.side-by-side td { border-top: 1px solid #e2e8f0; }
caption { text-align: left; font-weight: 600; }
"""


@dataclass
class ScenarioReport:
    name: str
    story: str
    outcome: str  # "passed" | "failed"
    duration: float
    timeline: Timeline
    notices: list[str] = field(default_factory=list)
    failure: str = ""
    logs: dict[str, str] = field(default_factory=dict)
    # Figures set side by side with another scenario's (`side_by_side`), or None.
    tally: dict[str, Any] | None = None


def _real_lanes(timeline: Timeline) -> str:
    """Who each real client's lane is; a lane named for a program, not a terminal, says why."""
    items = []
    for lane, label in timeline.labels.items():
        why = (
            ": requests that name no terminal, sent while more than one terminal ran the program"
            " (credited to the program, not to a terminal by guess)"
            if "terminal unknown" in lane
            else ""
        )
        items.append(f"<li>{escape(label)}{why}</li>")
    return f'<ul class="lanes">{"".join(items)}</ul>'


def render_page(title: str, reports: list[ScenarioReport]) -> str:
    passed = sum(r.outcome == "passed" for r in reports)
    rows = "".join(
        f'<tr><td><a href="#{escape(r.name)}">{escape(r.name)}</a></td>'
        f'<td class="outcome-{r.outcome}">{r.outcome}</td><td>{r.duration:.2f} s</td></tr>'
        for r in reports
    )
    sections = []
    for r in reports:
        parts = [
            f'<section id="{escape(r.name)}" class="scenario">',
            f'<h2>{escape(r.name)} <span class="outcome-{r.outcome}">{r.outcome}</span></h2>',
            f'<p class="story">{escape(r.story)}</p>',
            f'<div class="svgbox">{render_svg(r.timeline)}</div>',
        ]
        if r.timeline.labels:
            parts.append(_real_lanes(r.timeline))
        if r.notices:
            parts.append("<h3>What the user was told</h3>")
            parts.extend(f'<pre class="notice">{escape(n)}</pre>' for n in r.notices)
        if r.failure:
            parts.append(f'<h3>Failure</h3><pre class="failure">{escape(r.failure)}</pre>')
        for name, text in sorted(r.logs.items()):
            parts.append(f"<details><summary>{escape(name)}</summary><pre>{escape(text)}</pre>")
            parts.append("</details>")
        parts.append("</section>")
        sections.append("\n".join(parts))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
        f"</title><style>{STYLE}</style></head><body><h1>{escape(title)}</h1>"
        f"<p>{passed} of {len(reports)} scenarios passed.</p>"
        f"<table><tr><th>scenario</th><th>outcome</th><th>time</th></tr>{rows}</table>"
        + render_tables((r.name, r.tally) for r in reports)
        + "\n".join(sections)
        + "</body></html>"
    )


def write_page(path: Path, title: str, reports: list[ScenarioReport]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(title, reports), encoding="utf-8")
    return path
