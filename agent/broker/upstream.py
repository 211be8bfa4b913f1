"""The broker's client of the real issuer: the agent's token client, keeping what it was told.

A client behind the broker must see the issuer's own answer (status and body), so that the
Codex CLI prints its own message for a reuse and Hermes its own. The agent's
`TokenEndpointClient` turns answers into typed errors; this subclass also keeps the raw
refusal on the error (`UpstreamRefusal`) and the non-secret fields of the last success.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from agent.auth.oauth_errors import decode_json_object
from agent.auth.token_client import RefreshAnswer, TokenEndpointClient
from agent.errors import AuthError
from agent.http import USER_AGENT

MAX_RELAYED_BODY = 16 * 1024
# The agent's own product token first (what filters on `codex-agent/` expect), then the role.
BROKER_USER_AGENT = f"{USER_AGENT} (refresh broker)"
_RETRY_AFTER = re.compile(r"[0-9]{1,10}|[A-Za-z]{3}, [0-9]{2} [A-Za-z]{3} [0-9]{4} [0-9:]{8} GMT")


@dataclass(frozen=True)
class UpstreamRefusal:
    """What the issuer answered to a refresh it refused: relayed to the caller as it was."""

    status: int
    body: dict[str, Any]
    retry_after: str | None = None  # a 429's or 503's `Retry-After`, passed on as it was

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": self.retry_after}


def refusal_of(error: AuthError) -> UpstreamRefusal | None:
    refusal = getattr(error, "upstream_refusal", None)
    return refusal if isinstance(refusal, UpstreamRefusal) else None


class RelayingTokenClient(TokenEndpointClient):
    """`TokenEndpointClient` that remembers the issuer's words (one family at a time)."""

    last_success_fields: dict[str, Any]

    def __init__(self, http: httpx.Client, **kwargs: Any) -> None:
        super().__init__(http, **kwargs)
        # The issuer's logs tell the broker's refreshes from an agent's that went around it.
        self._headers["User-Agent"] = BROKER_USER_AGENT
        self.last_success_fields = {}
        self.calls = 0  # refresh attempts sent (or tried) upstream, for the figures

    def refresh(self, refresh_token: str, **kwargs: Any) -> RefreshAnswer:
        self.calls += 1
        self.last_success_fields = {}
        return super().refresh(refresh_token, **kwargs)

    def _error(self, response: httpx.Response, what: str) -> AuthError:
        error = super()._error(response, what)
        body = _relayable(response.content)
        if body is not None and 400 <= response.status_code <= 599:
            refusal = UpstreamRefusal(
                response.status_code, body, _retry_after(response.headers.get("retry-after"))
            )
            setattr(error, "upstream_refusal", refusal)  # noqa: B010
        return error

    def _json_success(self, response: httpx.Response) -> dict[str, Any]:
        doc = super()._json_success(response)
        self.last_success_fields = {
            key: doc[key] for key in ("token_type", "scope", "expires_in") if key in doc
        }
        return doc


def _relayable(content: bytes) -> dict[str, Any] | None:
    """A refusal body small enough to keep and relay; None when it is not a JSON object."""
    if len(content) > MAX_RELAYED_BODY:
        return None
    try:
        doc = decode_json_object(content)
    except RecursionError:
        return None
    if doc is None:
        return None
    try:
        json.dumps(doc)
    except (TypeError, ValueError):
        return None
    return doc


def _retry_after(value: str | None) -> str | None:
    """`Retry-After` as the issuer sent it (seconds or an HTTP date), if it looks like one."""
    if value is None or len(value) > 64 or not _RETRY_AFTER.fullmatch(value.strip()):
        return None
    return value.strip()
