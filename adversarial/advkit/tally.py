"""Counts every case per category and outcome, printed at the end of the run, so each run says
how many hostile inputs were tried and what they came to."""

from __future__ import annotations

from collections import Counter

import pytest

from advkit.verdict import Outcome

# Column order of the summary; other outcomes follow.
SUMMARY = (
    (Outcome.CLIENT_JSON, "4xx JSON"),
    (Outcome.OK, "2xx"),
    (Outcome.REDIRECT, "3xx"),
    (Outcome.CLEAR_ERROR, "clear errors"),
    (Outcome.WORKED, "worked"),
    (Outcome.CLOSED, "closed"),
    (Outcome.CLIENT_PAGE, "4xx pages"),
    (Outcome.CLIENT_NOT_JSON, "4xx not JSON"),
    (Outcome.SERVER_ERROR, "5xx"),
    (Outcome.TRACEBACK, "tracebacks"),
    (Outcome.HANG, "hangs"),
    (Outcome.UNBOUNDED, "unbounded"),
    (Outcome.UNCLEAR_ERROR, "unclear errors"),
)
ALWAYS_SHOWN = {
    Outcome.CLIENT_JSON,
    Outcome.OK,
    Outcome.CLOSED,
    Outcome.SERVER_ERROR,
    Outcome.TRACEBACK,
    Outcome.HANG,
}


class Tally:
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, Outcome]] = Counter()

    def record(self, category: str, outcome: Outcome) -> Outcome:
        self.counts[(category, outcome)] += 1
        return outcome

    def total(self, outcome: Outcome | None = None) -> int:
        return sum(n for (_, o), n in self.counts.items() if outcome is None or o == outcome)

    def summary_line(self) -> str:
        parts = [f"adversarial: {self.total():,} cases"]
        for outcome, label in SUMMARY:
            n = self.total(outcome)
            if n or outcome in ALWAYS_SHOWN:
                parts.append(f"{label} {n:,}")
        return "; ".join(parts)

    def table(self) -> list[str]:
        categories = sorted({c for c, _ in self.counts})
        shown = [o for o, _ in SUMMARY if self.total(o) or o in ALWAYS_SHOWN]
        width = max([len(c) for c in categories] + [8])
        header = f"{'category':<{width}}  {'cases':>6}  " + "  ".join(f"{o:>9}" for o in shown)
        lines = [header]
        for category in categories:
            row = [self.counts[(category, o)] for o in shown]
            total = sum(n for (c, _), n in self.counts.items() if c == category)
            lines.append(f"{category:<{width}}  {total:>6}  " + "  ".join(f"{n:>9}" for n in row))
        return lines


TALLY = Tally()


def terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY.counts:
        return
    terminalreporter.section("adversarial cases")
    for line in TALLY.table():
        terminalreporter.write_line(line)
    terminalreporter.write_line(TALLY.summary_line())
