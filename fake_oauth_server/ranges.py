"""The ranges of every number an admin or a command line may set (both fakes use them). A
value beyond them would be accepted and overflow later, far from where it came in (a float clock
that reaches inf, a JWT `exp` that cannot be an integer); refused here, it is a 400 naming the
field and the range."""

from __future__ import annotations

from typing import Any

MAX_EPOCH = 32_503_680_000.0  # 3000-01-01: any clock reading or expiry stays below it
MAX_SECONDS = 315_576_000.0  # ten years: lifetimes and clock steps
MAX_COUNT = 1_000_000  # fault and pause counts


def _shown(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else repr(bound)


class OutOfRange(ValueError):
    """A number outside its range, or not a number at all."""

    def __init__(self, field: str, low: float, high: float, kind: str = "a number") -> None:
        super().__init__(f"{field} must be {kind} in [{_shown(low)}, {_shown(high)}]")
        self.field = field
        self.allowed = (low, high)


def number(value: Any, field: str, low: float, high: float) -> float:
    """`value` as a float when it is a JSON number within [low, high] (never a bool or text)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise OutOfRange(field, low, high)
    return float(value)


def integer(value: Any, field: str, low: int, high: int) -> int:
    """`value` when it is a JSON integer within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise OutOfRange(field, low, high, "an integer")
    return value
