"""Scenarios that tell one story two ways (through the refresh broker, straight to the issuer),
their figures in one table: what differs is read across a row.

A scenario sets `lab.tally = {"group": …, "side": …, "column": N, "figures": {name: value}}`;
the page puts every scenario of a group in a column of the group's table, by `column` (then
name).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape


def groups(tallies: Iterable[tuple[str, Mapping[str, Any] | None]]) -> dict[str, list[Any]]:
    """(scenario, tally) pairs by group; scenarios without a tally are left out."""
    found: dict[str, list[Any]] = {}
    for name, tally in tallies:
        if tally:
            found.setdefault(str(tally.get("group", "")), []).append((name, tally))
    for members in found.values():
        members.sort(key=lambda member: (int(member[1].get("column", 0)), member[0]))
    return found


def render_tables(tallies: Iterable[tuple[str, Mapping[str, Any] | None]]) -> str:
    """One HTML table per group: a row per figure, a column per scenario."""
    parts = []
    for group, members in sorted(groups(tallies).items()):
        figures: list[str] = []
        for _, tally in members:
            figures += [f for f in tally.get("figures", {}) if f not in figures]
        head = "".join(
            f'<th><a href="#{escape(name)}">{escape(str(tally.get("side", name)))}</a></th>'
            for name, tally in members
        )
        rows = "".join(
            f"<tr><td>{escape(figure)}</td>"
            + "".join(
                f"<td>{escape(str(tally.get('figures', {}).get(figure, '')))}</td>"
                for _, tally in members
            )
            + "</tr>"
            for figure in figures
        )
        parts.append(
            f'<table class="side-by-side"><caption>{escape(group)}</caption>'
            f"<tr><th></th>{head}</tr>{rows}</table>"
        )
    if not parts:
        return ""
    return "<h2>Side by side</h2>" + "\n".join(parts)


def render_text(tallies: Iterable[tuple[str, Mapping[str, Any] | None]]) -> str:
    """The same tables as plain text (an artifact, a terminal)."""
    out = []
    for group, members in sorted(groups(tallies).items()):
        sides = [str(tally.get("side", name)) for name, tally in members]
        figures: list[str] = []
        for _, tally in members:
            figures += [f for f in tally.get("figures", {}) if f not in figures]
        width = max([len(f) for f in figures] + [0])
        cells = [[str(t.get("figures", {}).get(f, "")) for _, t in members] for f in figures]
        widths = [max([len(s)] + [len(row[i]) for row in cells]) for i, s in enumerate(sides)]
        out.append(group)
        out.append(
            " " * width + "  " + "  ".join(s.ljust(w) for s, w in zip(sides, widths, strict=True))
        )
        for figure, row in zip(figures, cells, strict=True):
            line = (
                figure.ljust(width)
                + "  "
                + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
            )
            out.append(line.rstrip())
        out.append("")
    return "\n".join(out)
