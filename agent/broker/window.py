"""Which stale refresh tokens the broker honours: the adoption window.

A client presenting a token the broker already rotated away is, in the common case, a sibling
with an old copy (the CLI after the agent refreshed, a VS Code window that slept). Honouring it
with the current pair is what stops the burn. It is also what an attacker holding an old copy
would want, so it is bounded twice:

- `generations` (default 8): each client sharing a login holds at most one copy, and a copy goes
  stale by one generation each time another client refreshes. Four or five clients on one
  machine, each refreshing about once per access-token lifetime, leave a copy at most a few
  generations behind between two of its own uses; 8 leaves room for a burst of forced
  refreshes without honouring a copy from weeks ago.
- `hours` (default 72): long enough for a laptop closed over a weekend (Friday evening to
  Monday morning is about 64 h), short enough that an old backup of a client's file is useless.

A token outside the window is refused by the broker itself, in the issuer's "reused" shape,
and never forwarded: that one client must sign in again, and the family lives on for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_GENERATIONS = 8
DEFAULT_HOURS = 72.0
MAX_GENERATIONS = 64  # the lineage keeps this many; more could not be checked
MAX_HOURS = 24.0 * 90


@dataclass(frozen=True)
class AdoptionWindow:
    generations: int = DEFAULT_GENERATIONS
    hours: float = DEFAULT_HOURS

    def __post_init__(self) -> None:
        if not 0 <= self.generations <= MAX_GENERATIONS:
            raise ValueError(f"generations must be 0-{MAX_GENERATIONS}, got {self.generations}")
        if not 0.0 <= self.hours <= MAX_HOURS:
            raise ValueError(f"hours must be 0-{MAX_HOURS:g}, got {self.hours:g}")

    def honours(self, generations_behind: int, seconds_since_retired: float) -> bool:
        """A token `generations_behind` the current one, retired that many seconds ago."""
        return (
            1 <= generations_behind <= self.generations
            and seconds_since_retired <= self.hours * 3600.0
        )

    def describe(self) -> str:
        return f"the last {self.generations} generations, at most {self.hours:g} hours old"

    def to_dict(self) -> dict[str, float | int]:
        return {"generations": self.generations, "hours": self.hours}
