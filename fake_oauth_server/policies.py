"""Reuse policies of real authorization servers (PROTOCOL.md section 1): what happens when a
refresh token that was already rotated is presented again. Pure decisions, no state."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

POLICY_DEFAULTS: dict[str, dict[str, float]] = {
    # RFC 9700 4.14.2: any reuse revokes the whole grant.
    "strict": {},
    # Auth0: only the previous token, within `interval` seconds, each reuse gets a new pair.
    "leeway": {"interval": 30.0},
    # Okta / Cognito / Connect2id: any rotated token within `window` seconds of its rotation.
    "grace": {"window": 30.0},
    # Hydra rotation_grace_period + rotation_grace_reuse_count (0 = unlimited within the period).
    "fork": {"grace_period": 30.0, "reuse_count": 1.0},
    # Keycloak refreshTokenMaxReuse: `max_reuse` extra uses, then the session is killed.
    "max_reuse": {"max_reuse": 1.0},
    # WSO2: within `window`, the newest replay wins and the earlier successors are revoked.
    "latest_wins": {"window": 60.0},
    # Idempotent replay: within `window`, the answer already issued is returned again.
    "replay": {"window": 30.0},
}

POLICY_NAMES = tuple(POLICY_DEFAULTS)


class Verdict(enum.Enum):
    KILL = "reuse_detected"  # revoke the family, answer refresh_token_reused
    FORK = "grace"  # issue a new pair from the reused token; other successors stay valid
    SUPERSEDE = "superseded"  # issue a new pair, revoke the reused token's other descendants
    REPLAY = "replayed"  # answer again what was issued when the token was rotated


@dataclass(frozen=True)
class PolicySpec:
    name: str = "strict"
    params: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, name: str, params: Mapping[str, Any] | None = None) -> PolicySpec:
        """Validate a policy name and its parameters; unknown ones are a ValueError."""
        if name not in POLICY_DEFAULTS:
            raise ValueError(f"unknown policy {name!r}; known: {', '.join(POLICY_NAMES)}")
        merged = dict(POLICY_DEFAULTS[name])
        for key, value in (params or {}).items():
            if key not in merged:
                allowed = ", ".join(merged) or "none"
                raise ValueError(f"policy {name!r} has no parameter {key!r} (allowed: {allowed})")
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError(f"parameter {key!r} must be a number")
            try:
                number = float(value)
            except OverflowError:  # an integer beyond any float
                raise ValueError(f"parameter {key!r} must be a finite number >= 0") from None
            except ValueError:
                raise ValueError(f"parameter {key!r} must be a number") from None
            if not number >= 0 or number == float("inf"):
                raise ValueError(f"parameter {key!r} must be a finite number >= 0")
            merged[key] = number
        return cls(name=name, params=merged)

    @classmethod
    def from_cli(cls, text: str) -> PolicySpec:
        """`grace` or `grace:window=10` or `fork:grace_period=5,reuse_count=2`."""
        name, _, rest = text.partition(":")
        params: dict[str, Any] = {}
        for item in filter(None, rest.split(",")):
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"policy parameter {item!r} is not key=value")
            params[key.strip()] = value.strip()
        return cls.parse(name.strip(), params)

    def window(self) -> float:
        """How long after its rotation a token is shown as `grace` in the ledger."""
        p = self.params
        if self.name == "leeway":
            return p["interval"]
        if self.name in ("grace", "latest_wins", "replay"):
            return p["window"]
        if self.name == "fork":
            return p["grace_period"]
        return 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.name, "params": dict(self.params)}


def decide_reuse(
    spec: PolicySpec,
    *,
    age: float,
    generation: int,
    family_generation: int,
    reuse_count: int,
    has_response: bool,
) -> Verdict:
    """The verdict on presenting again a token rotated `age` seconds ago."""
    p = spec.params
    if spec.name == "leeway":
        ok = generation == family_generation - 1 and age <= p["interval"]
        return Verdict.FORK if ok else Verdict.KILL
    if spec.name == "grace":
        return Verdict.FORK if age <= p["window"] else Verdict.KILL
    if spec.name == "fork":
        limit = int(p["reuse_count"])
        within = age <= p["grace_period"] and (limit == 0 or reuse_count < limit)
        return Verdict.FORK if within else Verdict.KILL
    if spec.name == "max_reuse":
        return Verdict.FORK if reuse_count < int(p["max_reuse"]) else Verdict.KILL
    if spec.name == "latest_wins":
        return Verdict.SUPERSEDE if age <= p["window"] else Verdict.KILL
    if spec.name == "replay":
        return Verdict.REPLAY if age <= p["window"] and has_response else Verdict.KILL
    return Verdict.KILL
