"""Draw a `Timeline` as an SVG sequence diagram: lanes are columns, time runs down the page."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape

from scenarios.report.timeline import Timeline, Tone

LANE_WIDTH = 190
ROW_HEIGHT = 34
TOP = 56
QUOTE = {'"': "&quot;"}
SUBTITLE = 14  # room for a second line under lane names that have a label
LEFT = 110
NOTE_ROOM = 300  # a note on the last lane is written to its right
COLOURS = {
    Tone.NORMAL: "#334155",
    Tone.GOOD: "#15803d",
    Tone.BAD: "#dc2626",
    Tone.NOTICE: "#b45309",
}


def _clock(at: float, origin: float) -> str:
    delta = at - origin
    if delta >= 86400:
        return f"+{delta / 86400:.1f} d"
    if delta >= 60:
        return f"+{delta / 60:.1f} min"
    return f"+{delta:.2f} s"


def _lane_head(lane: str, label: str | None, x: int, y: int) -> str:
    """The lane's name at `y`; under it, what runs there (`Codex CLI 0.169.0`) if it says."""
    head = f'<text x="{x}" y="{y}" text-anchor="middle" font-weight="bold" class="lane"'
    what = label.removeprefix(f"{lane} · ") if label else ""
    if not label or not what:
        return f"{head}>{escape(lane)}</text>"
    return (
        f'{head} data-label="{escape(label, QUOTE)}">'
        f"<title>{escape(label)}</title>{escape(lane)}"
        f'<tspan x="{x}" dy="{SUBTITLE}" font-weight="normal" fill="#475569" '
        f'class="lane-client">{escape(what)}</tspan></text>'
    )


def render_svg(timeline: Timeline) -> str:
    steps = timeline.ordered()
    lanes = timeline.lanes
    width = LEFT + LANE_WIDTH * max(len(lanes), 1) + NOTE_ROOM
    top = TOP + (SUBTITLE if timeline.labels else 0)
    head_y = TOP - 22  # every lane's name on one line, labels' second line under it
    height = top + ROW_HEIGHT * (len(steps) + 1) + 10
    x_of = {lane: LEFT + LANE_WIDTH * i + LANE_WIDTH // 2 for i, lane in enumerate(lanes)}
    origin = steps[0].at if steps else 0.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(timeline.title)}" font-family="sans-serif" font-size="12">',
        "<defs>",
    ]
    for tone, colour in COLOURS.items():
        out.append(
            f'<marker id="arrow-{tone}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{colour}"/></marker>'
        )
    out.append("</defs>")
    if steps:
        started = datetime.fromtimestamp(origin, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
        out.append(
            f'<text x="8" y="20" fill="#64748b">t0 = {started} UTC on the servers\' '
            "virtual clock</text>"
        )
    for lane, x in x_of.items():
        out.append(_lane_head(lane, timeline.labels.get(lane), x, head_y))
        out.append(
            f'<line x1="{x}" y1="{top - 12}" x2="{x}" y2="{height - 8}" stroke="#cbd5e1" '
            'stroke-dasharray="4 3"/>'
        )
    for row, step in enumerate(steps):
        y = top + ROW_HEIGHT * row + ROW_HEIGHT // 2
        colour = COLOURS[step.tone]
        out.append(f'<g class="step tone-{step.tone}">')
        if step.detail:
            out.append(f"<title>{escape(step.detail)}</title>")
        out.append(
            f'<text x="8" y="{y + 4}" fill="#64748b">{escape(_clock(step.at, origin))}</text>'
        )
        x1, x2 = x_of[step.source], x_of[step.target]
        if x1 == x2:
            out.append(
                f'<circle cx="{x1}" cy="{y}" r="5" fill="{colour}"/>'
                f'<text x="{x1 + 10}" y="{y + 4}" fill="{colour}">{escape(step.label)}</text>'
            )
        else:
            out.append(
                f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}" '
                f'stroke-width="{2 if step.tone == Tone.BAD else 1.4}" '
                f'marker-end="url(#arrow-{step.tone})"/>'
                f'<text x="{(x1 + x2) // 2}" y="{y - 5}" text-anchor="middle" '
                f'fill="{colour}">{escape(step.label)}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
