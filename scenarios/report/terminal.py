"""A timeline as plain text for `codex-harness run NAME`."""

from __future__ import annotations

from scenarios.report.timeline import Timeline, Tone

MARKS = {Tone.NORMAL: " ", Tone.GOOD: "+", Tone.BAD: "!", Tone.NOTICE: "*"}


def render_text(timeline: Timeline) -> str:
    steps = timeline.ordered()
    origin = steps[0].at if steps else 0.0
    lines = [timeline.title, "=" * len(timeline.title)]
    lines += [f"  lane {label}" for label in timeline.labels.values()]
    for step in steps:
        arrow = step.source if step.source == step.target else f"{step.source} -> {step.target}"
        lines.append(f"{MARKS[step.tone]} {step.at - origin:>12.2f}s  {arrow:<34} {step.label}")
    return "\n".join(lines)
