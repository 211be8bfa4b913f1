"""The two HTTP calls a Codex CLI makes that matter here: a refresh and a turn (SSE).

Shapes follow PROTOCOL.md sections 1 and 2. Errors become `WireError` with the server's code,
so the simulator can answer with the CLI's exact messages.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
# The Codex CLI release this simulation was last compared with (tests/scenarios/
# test_sim_vs_real_cli.py); it sends it as its `version` and in its user agent, as the CLI does.
SIMULATED_VERSION = "0.169.0"
# Why a refresh happens, in the words Codex CLI 0.169.0 puts in the refresh body.
PROACTIVE = "proactive_expiry"
RECOVERY = "unauthorized_recovery"

# Where the Codex CLI sends its refreshes and revokes instead of its issuer, when set (PROTOCOL.md
# sections 3 and 5): a refresh broker on loopback stands there.
REFRESH_URL_OVERRIDE = "CODEX_REFRESH_TOKEN_URL_OVERRIDE"
REVOKE_URL_OVERRIDE = "CODEX_REVOKE_TOKEN_URL_OVERRIDE"

# The Codex CLI's words for a failed refresh (PROTOCOL.md section 1).
REFRESH_MESSAGES = {
    "refresh_token_reused": (
        "Your access token could not be refreshed because your refresh token was already "
        "used. Please log out and sign in again."
    ),
    "refresh_token_expired": (
        "Your access token could not be refreshed because your refresh token has expired. "
        "Please log out and sign in again."
    ),
    "refresh_token_invalidated": (
        "Your access token could not be refreshed because your refresh token was revoked. "
        "Please log out and sign in again."
    ),
}


class WireError(Exception):
    def __init__(self, status: int | None, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_code(body: Any) -> str:
    """`error.code`, or `error` when it is a string, or a top-level `code`, lowercased."""
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("code"), str):
            return str(err["code"]).lower()
        if isinstance(err, str):
            return err.lower()
        if isinstance(body.get("code"), str):
            return str(body["code"]).lower()
    return "unknown"


def _error_from_response(response: httpx.Response) -> WireError:
    try:
        body = response.json()
    except ValueError:
        return WireError(response.status_code, "garbage", f"HTTP {response.status_code}")
    code = error_code(body)
    return WireError(response.status_code, code, REFRESH_MESSAGES.get(code, code))


@dataclass(frozen=True)
class TokenUrls:
    """Where refreshes and revokes go: the issuer's endpoints, or the overrides the CLI honours."""

    token_url: str
    revoke_url: str

    @classmethod
    def of(cls, issuer: str, env: Mapping[str, str]) -> TokenUrls:
        base = issuer.rstrip("/")
        return cls(
            env.get(REFRESH_URL_OVERRIDE) or f"{base}/oauth/token",
            env.get(REVOKE_URL_OVERRIDE) or f"{base}/oauth/revoke",
        )


@dataclass(frozen=True)
class RefreshedTokens:
    id_token: str | None
    access_token: str | None
    refresh_token: str | None


@dataclass
class Identity:
    """How this client introduces itself on the wire (see docs/contracts.md)."""

    originator: str
    user_agent: str
    version: str = SIMULATED_VERSION
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def refresh(
    client: httpx.Client,
    token_url: str,
    refresh_token: str,
    identity: Identity,
    *,
    form: bool,
    reason: str | None = None,
) -> RefreshedTokens:
    """`reason` is the CLI's `refresh_reason`; the naive agent, like Hermes, sends none."""
    payload = {
        "client_id": CODEX_CLIENT_ID,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
    }
    if reason is not None:
        payload["refresh_reason"] = reason
    headers = {"originator": identity.originator, "User-Agent": identity.user_agent}
    if form:
        response = client.post(token_url, data=payload, headers=headers)
    else:
        response = client.post(token_url, json=payload, headers=headers)
    if response.status_code != 200:
        raise _error_from_response(response)
    try:
        body = response.json()
    except ValueError as exc:
        raise WireError(response.status_code, "garbage", "refresh answer is not JSON") from exc
    return RefreshedTokens(
        body.get("id_token"), body.get("access_token"), body.get("refresh_token")
    )


def revoke(client: httpx.Client, revoke_url: str, refresh_token: str, identity: Identity) -> None:
    """The CLI's logout: its refresh token revoked (PROTOCOL.md section 1's JSON body)."""
    payload = {
        "token": refresh_token,
        "token_type_hint": "refresh_token",
        "client_id": CODEX_CLIENT_ID,
    }
    headers = {"originator": identity.originator, "User-Agent": identity.user_agent}
    response = client.post(revoke_url, json=payload, headers=headers)
    if response.status_code != 200:
        raise _error_from_response(response)


def take_turn(
    client: httpx.Client,
    base_url: str,
    access_token: str,
    account_id: str | None,
    identity: Identity,
    prompt: str,
    model: str,
) -> str:
    """One turn over SSE; the answer text, or `WireError` (401 carries the backend's code)."""
    headers = {
        "Authorization": f"Bearer {access_token}",
        "Accept": "text/event-stream",
        "originator": identity.originator,
        "User-Agent": identity.user_agent,
        "version": identity.version,
        "session_id": identity.session_id,
    }
    if account_id:
        headers["ChatGPT-Account-ID"] = account_id
    body = {
        "model": model,
        "instructions": "You are a simulated sibling client.",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": prompt}]}
        ],
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "reasoning": None,
        "store": False,
        "stream": True,
        "include": [],
    }
    text: list[str] = []
    with client.stream("POST", f"{base_url}/responses", json=body, headers=headers) as response:
        if response.status_code != 200:
            response.read()
            raise _error_from_response(response)
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if not data or data == "[DONE]":
                continue
            event = json.loads(data)
            kind = event.get("type")
            if kind == "response.output_text.delta":
                text.append(str(event.get("delta", "")))
            elif kind == "response.completed":
                return "".join(text)
            elif kind in ("response.failed", "error"):
                err = event.get("response", {}).get("error") or event.get("error") or {}
                raise WireError(None, error_code({"error": err}), str(err.get("message", kind)))
    raise WireError(None, "stream_closed", "stream closed before response.completed")
