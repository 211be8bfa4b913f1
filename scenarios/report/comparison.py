"""The feature comparison of the real clients and the agent, made from what scenarios recorded.

A scenario that puts a client in a situation records the outcome it observed (`record_outcome`:
what the user was shown, what became of the login at the server) as an artifact of its run. After
a run, `write_comparison` reads every such record under the reports' work folder and writes one
table, situations by clients, as Markdown (`comparison.md`) and into the HTML report. A cell no
scenario filled says "not run"; nothing in the table is written by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from scenarios.lab.lab import Lab

OUTCOME_PREFIX = "outcome-"  # artifacts `outcome-<situation>-<client>.json`
MARKDOWN_NAME = "comparison.md"
AGENT = "codex-agent"

# The situations, in the table's order: (key, how a row names it).
SITUATIONS: dict[str, str] = {
    "stale-copy-strict": "another client rotated the shared login first (strict reuse policy)",
    "refresh-5xx": "one transient 503 on refresh, nothing rotated",
    "401-after-rotation": "a 401 for an access token another client has rotated",
}
# The clients, in the table's order (columns); a record names one of these.
CLIENTS = ("Codex CLI", "Hermes Agent", "OpenClaw", AGENT)


@dataclass(frozen=True)
class Outcome:
    """What one client did in one situation, as a scenario observed it."""

    situation: str  # a key of SITUATIONS
    client: str  # one of CLIENTS
    version: str  # the client's version ("" for the agent of this tree)
    kept_working: bool  # the user could go on without signing in again
    shown: str  # what the client showed its user (the answer or the error), shortened
    login: str  # what became of the login at the server, from the ledger
    scenario: str
    # How the cell names the outcome where neither "kept working" nor "signed out" is the truth
    # (a client that stops answering but still holds its login).
    verdict: str = ""

    def cell(self) -> str:
        verdict = self.verdict or ("kept working" if self.kept_working else "signed out")
        return f"{verdict}: {self.shown} (login: {self.login})"


def record_outcome(
    lab: Lab,
    situation: str,
    client: str,
    *,
    kept_working: bool,
    shown: str,
    login: str,
    version: str = "",
    verdict: str = "",
) -> Outcome:
    """Keep what `client` did in `situation` as an artifact of this scenario's run."""
    if situation not in SITUATIONS:
        raise ValueError(f"unknown situation {situation!r}; known: {', '.join(SITUATIONS)}")
    if client not in CLIENTS:
        raise ValueError(f"unknown client {client!r}; known: {', '.join(CLIENTS)}")
    said = " ".join(shown.split())
    outcome = Outcome(
        situation, client, version, kept_working, said[:157] + "…" if len(said) > 160 else said,
        login, lab.name, verdict,
    )  # fmt: skip
    # One record per situation and client: a scenario may put one client in two situations.
    name = f"{OUTCOME_PREFIX}{situation}-{client.lower().replace(' ', '-')}.json"
    lab.keep_artifact(name, json.dumps(asdict(outcome), indent=2))
    return outcome


def read_outcomes(work: Path) -> list[Outcome]:
    """Every outcome recorded under `work` (`<scenario>/artifacts/outcome-*.json`); a record
    that cannot be read is skipped, never guessed at."""
    found = []
    for path in sorted(work.glob(f"*/artifacts/{OUTCOME_PREFIX}*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found.append(Outcome(**data))
        except (OSError, ValueError, TypeError):
            continue
    return [o for o in found if o.situation in SITUATIONS and o.client in CLIENTS]


def _grid(outcomes: Iterable[Outcome]) -> dict[tuple[str, str], list[Outcome]]:
    grid: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in outcomes:
        grid.setdefault((outcome.situation, outcome.client), []).append(outcome)
    return grid


def _header(outcomes: list[Outcome]) -> list[str]:
    versions = {o.client: o.version for o in outcomes if o.version}
    return [f"{c} {versions[c]}" if c in versions else c for c in CLIENTS]


def render_markdown(outcomes: list[Outcome]) -> str:
    """The table as Markdown: one row per situation, one column per client."""
    grid = _grid(outcomes)
    lines = [
        "| situation | " + " | ".join(_header(outcomes)) + " |",
        "|---|" + "---|" * len(CLIENTS),
    ]
    for key, label in SITUATIONS.items():
        cells = []
        for client in CLIENTS:
            found = grid.get((key, client), [])
            text = "; ".join(f"{o.cell()} [`{o.scenario}`]" for o in found) or "not run"
            cells.append(text.replace("|", "\\|"))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_html(outcomes: list[Outcome]) -> str:
    """The same table as an HTML section of the scenario report."""
    grid = _grid(outcomes)
    head = "".join(f"<th>{escape(h)}</th>" for h in ["situation", *_header(outcomes)])
    rows = []
    for key, label in SITUATIONS.items():
        cells = [f"<td>{escape(label)}</td>"]
        for client in CLIENTS:
            found = grid.get((key, client), [])
            parts = [
                f'<span class="outcome-{"passed" if o.kept_working else "failed"}">'
                f"{escape(o.cell())}</span> "
                f'<a href="#{escape(o.scenario)}">{escape(o.scenario)}</a>'
                for o in found
            ]
            cells.append(f"<td>{'<br>'.join(parts) or 'not run'}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        '<section id="comparison"><h2>The clients side by side</h2>'
        '<p class="story">Made from the outcomes the scenarios recorded in this run.</p>'
        f'<table class="side-by-side"><tr>{head}</tr>{"".join(rows)}</table></section>'
    )


def write_comparison(reports: Path, page: Path) -> Path | None:
    """`comparison.md` beside the page and the table in the page, from this run's records;
    None (and no table) when no scenario of the run recorded an outcome."""
    outcomes = read_outcomes(reports / "work")
    target = reports / MARKDOWN_NAME
    if not outcomes:
        target.unlink(missing_ok=True)
        return None
    target.write_text(render_markdown(outcomes), encoding="utf-8")
    if page.is_file():
        html = page.read_text(encoding="utf-8")
        page.write_text(html.replace("</body>", render_html(outcomes) + "</body>", 1), "utf-8")
    return target
