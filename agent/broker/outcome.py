"""What the broker answers one presenter, and what it did to get there (for the audit log)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from agent.errors import AuthError, TransientAuthError

# rotated: one upstream refresh of the current token; adopted: a stale token of the family,
# answered with the current pair; new_family: an unknown token, forwarded once and now owned;
# relayed: the issuer's refusal, passed on (now or remembered from before); refused: the
# broker's own refusal (outside the window, an interrupted refresh, a bad request); failed:
# the issuer could not be reached or answered nonsense.
Action = Literal["rotated", "adopted", "new_family", "relayed", "refused", "failed", "revoked"]


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any] = field(repr=False)
    action: Action
    family: str | None = None
    generation: int | None = None
    upstream_calls: int = 0
    code: str | None = None  # the error code of a refusal, for the audit log and status
    headers: dict[str, str] = field(default_factory=dict)  # the issuer's Retry-After, relayed

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def oauth_refusal(status: int, code: str, message: str) -> dict[str, Any]:
    """A refusal in the issuer's documented shape (PROTOCOL.md section 1), so every client
    reads the code where it reads the issuer's: `error.code`, with a standard OAuth
    `error_description` for clients that read only that."""
    return {
        "error": {"message": message, "type": "invalid_request_error", "code": code},
        "error_description": message,
    }


def unavailable(error: AuthError, calls: int) -> Outcome:
    """The issuer could not be reached, or answered what no refusal says: 504 for a timeout,
    else 502, with the error's words (a transient one as `upstream_unavailable`)."""
    status = 504 if error.code == "timeout" else 502
    text = f"{error.message} ({error.diagnosis})" if error.diagnosis else error.message
    code = "upstream_unavailable" if isinstance(error, TransientAuthError) else error.code
    return Outcome(status, oauth_refusal(status, code, text), "failed", upstream_calls=calls,
                   code=code)  # fmt: skip
