"""What the agent reads out of the JWTs it is given (payloads only; signatures are not checked).

Clients of auth.openai.com decode the id and access tokens without verifying them: the tokens
come straight from the issuer over TLS, and the claims only label the login (who, which
workspace, until when). A token that is not a JWT simply yields no claims.

Reading an unverified payload is base64url and JSON, so it is done here without PyJWT: its
import pulls in a crypto stack that `codex-agent status` would pay for at every start.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see agent.cli)
if TYPE_CHECKING:
    from typing import Any

AUTH_CLAIM = "https://api.openai.com/auth"
PROFILE_CLAIM = "https://api.openai.com/profile"


@dataclass(frozen=True)
class TokenClaims:
    exp: float | None = None
    email: str | None = None
    account_id: str | None = None
    plan: str | None = None
    user_id: str | None = None


def decode_payload(token: str) -> dict[str, Any] | None:
    """The payload of a compact JWS (`header.payload.signature`) whose parts are JSON objects."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    header, payload = _json_segment(parts[0]), _json_segment(parts[1])
    if header is None or payload is None or _segment_bytes(parts[2]) is None:
        return None
    return payload


def _json_segment(segment: str) -> dict[str, Any] | None:
    raw = _segment_bytes(segment)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _segment_bytes(segment: str) -> bytes | None:
    """Strict base64url without padding (RFC 7515 section 2): other characters are refused."""
    try:
        data = segment.encode("ascii")
        return base64.b64decode(data + b"=" * (-len(data) % 4), altchars=b"-_", validate=True)
    except (UnicodeEncodeError, binascii.Error):
        return None


def parse_claims(token: str | None) -> TokenClaims:
    payload = decode_payload(token) if token else None
    if payload is None:
        return TokenClaims()
    auth = payload.get(AUTH_CLAIM)
    auth = auth if isinstance(auth, dict) else {}
    profile = payload.get(PROFILE_CLAIM)
    profile = profile if isinstance(profile, dict) else {}
    exp = payload.get("exp")
    return TokenClaims(
        exp=_epoch(exp),
        email=_str(payload.get("email")) or _str(profile.get("email")),
        account_id=_str(auth.get("chatgpt_account_id")),
        plan=_str(auth.get("chatgpt_plan_type")),
        user_id=_str(auth.get("chatgpt_user_id")) or _str(auth.get("user_id")),
    )


def _epoch(value: object) -> float | None:
    """A plausible expiry (finite, between 1970 and 5138): anything else reads as unknown."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 0 <= value < 1e11:  # also false for nan
        return None
    return float(value)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def mask_account_id(account_id: str | None) -> str | None:
    """Enough of an account id to recognise it, not enough to copy it around."""
    if not account_id:
        return None
    if len(account_id) <= 10:
        return account_id[:2] + "…"
    return f"{account_id[:6]}…{account_id[-4:]}"
