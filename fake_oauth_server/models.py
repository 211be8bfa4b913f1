"""The records the ledger keeps. Token values live only here, in memory; views show fingerprints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fake_oauth_server.policies import PolicySpec

# A caller's header decides the size of these texts; the ledger keeps at most this much of each.
FIELD_CHARS = 512
# A refresh body's parameter names are the caller's too: this many names, each this long.
BODY_FIELD_NAMES = 16
BODY_FIELD_CHARS = 64


def bounded(text: str | None, limit: int = FIELD_CHARS) -> str | None:
    """`text` cut to at most `limit` characters, marker included, saying how much was dropped."""
    if text is None or len(text) <= limit:
        return text
    marker = f"…[{len(text)} chars, truncated]"
    return text[: max(0, limit - len(marker))] + marker


@dataclass(frozen=True)
class Presenter:
    """Who sent a request: from `client_id`, the `originator` header and `User-Agent`, and why
    it refreshes when it says so (`refresh_reason`, Codex CLI 0.169.0: `proactive_expiry`,
    `unauthorized_recovery`), and how a refresh body was encoded (`body_format` json or form,
    the parameter names in `body_fields`), so clients can be compared on the wire. Texts are
    bounded: an unauthenticated caller chooses them."""

    client_id: str | None = None
    originator: str | None = None
    user_agent: str | None = None
    refresh_reason: str | None = None
    body_format: str | None = None
    body_fields: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("client_id", "originator", "user_agent", "refresh_reason"):
            object.__setattr__(self, name, bounded(getattr(self, name)))
        if self.body_fields is not None:
            names = sorted(self.body_fields)[:BODY_FIELD_NAMES]
            kept = tuple(bounded(n, BODY_FIELD_CHARS) or "" for n in names)
            object.__setattr__(self, "body_fields", kept)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "client_id": self.client_id,
            "originator": self.originator,
            "user_agent": self.user_agent,
        }
        if self.refresh_reason is not None:
            out["refresh_reason"] = self.refresh_reason
        if self.body_format is not None:
            out["body_format"] = self.body_format
        if self.body_fields is not None:
            out["body_fields"] = list(self.body_fields)
        return out


@dataclass
class Account:
    account_id: str
    email: str
    plan: str
    user_id: str
    session_limit: int | None = None
    policy: PolicySpec | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "email": self.email,
            "plan": self.plan,
            "user_id": self.user_id,
            "session_limit": self.session_limit,
            "policy": self.policy.to_dict() if self.policy else None,
        }


@dataclass
class Presentation:
    at: float
    presenter: Presenter
    outcome: str

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, **self.presenter.to_dict(), "outcome": self.outcome}


@dataclass(eq=False)
class TokenRecord:
    """One issued token. `kind` is refresh, access or id."""

    value: str
    fingerprint: str
    kind: str
    family: Family
    generation: int
    parent: str | None
    issued_at: float
    expires_at: float | None = None
    state: str = "active"  # active | rotated | revoked
    rotated_at: float | None = None
    revoked_at: float | None = None
    reuse_count: int = 0
    children: list[TokenRecord] = field(default_factory=list)
    # For a refresh token: the access and id tokens minted together with it.
    companions: list[TokenRecord] = field(default_factory=list)
    # What the rotation of this refresh token answered: the idempotent-replay policy replays it.
    response: dict[str, Any] | None = None
    presented: list[Presentation] = field(default_factory=list)


@dataclass(eq=False)
class Family:
    """One grant: a login and the chain (or tree, under forking policies) of its tokens."""

    family_id: str
    account: Account
    client_id: str
    created_at: float
    state: str = "active"  # active | revoked
    revoked_reason: str | None = None
    revoked_at: float | None = None
    policy: PolicySpec | None = None
    generation: int = 0
    tokens: list[TokenRecord] = field(default_factory=list)


@dataclass(frozen=True)
class Event:
    seq: int
    at: float
    type: str
    family_id: str | None = None
    generation: int | None = None
    fingerprint: str | None = None
    presenter: Presenter = Presenter()
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "type": self.type,
            "family_id": self.family_id,
            "generation": self.generation,
            "fingerprint": self.fingerprint,
            **self.presenter.to_dict(),
            "detail": self.detail,
        }
