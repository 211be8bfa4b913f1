"""A service manager's reply, classified: worked, not found, manager unreachable, timed out,
failed; and one line for the user that says which call it was and what it printed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from agent.host import CommandResult


class Outcome(Enum):
    OK = "ok"
    NOT_FOUND = "not_found"  # no such unit / service
    UNREACHABLE = "unreachable"  # no user manager / no GUI domain / no such program
    TIMEOUT = "timeout"
    FAILED = "failed"


@dataclass(frozen=True)
class Reply:
    outcome: Outcome
    result: CommandResult

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    def first_line(self) -> str:
        return next((ln.strip() for ln in self.result.output.splitlines() if ln.strip()), "")

    def describe(self, limit_seconds: float) -> str:
        call = " ".join(self.result.argv[:3])
        if self.outcome is Outcome.TIMEOUT:
            if self.result.timeout_reason == "silence":
                return f"{call} printed nothing for too long and was stopped (exit 124)"
            return f"{call} did not finish within {limit_seconds:g} s and was stopped (exit 124)"
        first = self.first_line() or "it printed nothing"
        return f"{call} failed (exit {self.result.exit_code}): {first}"


def classify(
    result: CommandResult,
    *,
    not_found: tuple[str, ...],
    unreachable: tuple[str, ...],
) -> Outcome:
    if result.timed_out:
        return Outcome.TIMEOUT
    if result.exit_code == 127:  # the program itself is missing
        return Outcome.UNREACHABLE
    text = result.output.casefold()
    if result.exit_code != 0 and any(f.casefold() in text for f in unreachable):
        return Outcome.UNREACHABLE
    if result.exit_code == 0:
        return Outcome.OK
    if any(f.casefold() in text for f in not_found):
        return Outcome.NOT_FOUND
    return Outcome.FAILED
