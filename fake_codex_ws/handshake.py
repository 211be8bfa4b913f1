"""The checks every Codex request passes before a stream starts (upgrade or POST)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from fake_codex_ws import errors
from fake_codex_ws.authority import AuthorityError, Presenter, TokenInfo
from fake_codex_ws.errors import Refusal
from fake_codex_ws.faults import Fault, RequestFacts
from fake_codex_ws.fingerprint import token_fingerprint
from fake_codex_ws.state import BackendState

Transport = Literal["ws", "sse"]
TURN_STATE_HEADER = "x-codex-turn-state"
# Headers that tie a request to the client's session, thread and request (Codex CLI 0.169.0
# sends `session-id`, older builds `session_id`); recorded, never required.
REQUEST_ID_HEADERS = {
    "session_id": ("session-id", "session_id"),
    "thread_id": ("thread-id",),
    "client_request_id": ("x-client-request-id",),
    "window_id": ("x-codex-window-id",),
}


@dataclass(frozen=True)
class Caller:
    """Who is calling, as established by the checks (never the token itself)."""

    fingerprint: str
    info: TokenInfo
    originator: str | None
    user_agent: str | None
    turn_state: str
    turn_state_status: str
    connect_faults: tuple[Fault, ...] = ()
    request_ids: tuple[tuple[str, str], ...] = ()

    def facts(self, transport: str, **more: Any) -> RequestFacts:
        return RequestFacts(
            transport=transport,
            account_id=self.info.account_id,
            family_id=self.info.family_id,
            fingerprint=self.fingerprint,
            originator=self.originator,
            user_agent=self.user_agent,
            **more,
        )

    def log_fields(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "account_id": self.info.account_id,
            "family_id": self.info.family_id,
            "generation": self.info.generation,
            "token_status": self.info.status,
            "originator": self.originator,
            "user_agent": self.user_agent,
            **dict(self.request_ids),
        }


def request_ids_of(headers: Mapping[str, str]) -> dict[str, str]:
    """The session, thread and request ids the caller sent, by the event log's names."""
    found: dict[str, str] = {}
    for name, header_names in REQUEST_ID_HEADERS.items():
        for header in header_names:
            value = headers.get(header)
            if value:
                found[name] = value
                break
    return found


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The credential of `Authorization: Bearer <token>`; None when absent or malformed."""
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, credential = value.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential or " " in credential:
        return None
    return credential


def presenter_of(headers: Mapping[str, str]) -> Presenter:
    return Presenter(None, headers.get("originator"), headers.get("user-agent"))


def _beta_values(headers: Mapping[str, str]) -> list[str]:
    raw = headers.get("openai-beta")
    if raw is None:
        return []
    return [v.strip() for v in raw.split(",") if v.strip()]


async def live_token(
    state: BackendState, token: str, headers: Mapping[str, str], fields: dict[str, Any]
) -> TokenInfo | Refusal:
    """What the OAuth server says of `token` (its facts go into `fields`, the request's log):
    a live token's info, or the refusal a gateway gives for any other (or for no answer)."""
    try:
        info = await state.authority.introspect(token, presenter_of(headers))
    except AuthorityError as exc:
        fields["detail"] = str(exc)
        return errors.authority_unavailable_refusal(str(exc))
    fields.update(
        token_status=info.status,
        account_id=info.account_id,
        family_id=info.family_id,
        generation=info.generation,
    )
    if info.status != "active":
        return errors.token_refusal(info.status)
    return info


async def check_codex_request(
    state: BackendState, headers: Mapping[str, str], transport: Transport
) -> tuple[Caller | None, Refusal | None, dict[str, Any]]:
    """Run the checks in the order a gateway does: credential, account, protocol, faults.

    Returns the caller or the refusal, and the fields to log either way.
    """
    fields: dict[str, Any] = {
        "transport": transport,
        "originator": headers.get("originator"),
        "user_agent": headers.get("user-agent"),
        "account_header": headers.get("chatgpt-account-id"),
        "version": headers.get("version"),
        "openai_beta": headers.get("openai-beta"),
        **request_ids_of(headers),
    }
    token = bearer_token(headers)
    if token is None:
        return None, errors.missing_auth_refusal(), fields
    fingerprint = token_fingerprint(token)
    fields["fingerprint"] = fingerprint
    early = RequestFacts(
        transport=transport,
        account_id=fields["account_header"],
        fingerprint=fingerprint,
        originator=fields["originator"],
        user_agent=fields["user_agent"],
    )
    fields["paused"] = await state.pauses.checkpoint("handshake", early)
    info = await live_token(state, token, headers, fields)
    if isinstance(info, Refusal):
        return None, info, fields
    account_header = headers.get("chatgpt-account-id")
    if not account_header:
        return None, errors.missing_account_refusal(), fields
    if account_header != info.account_id:
        return None, errors.account_mismatch_refusal(), fields
    if transport == "ws":
        accepted = state.options.accepted_beta
        values = _beta_values(headers)
        if not any(v in accepted for v in values):
            got = headers.get("openai-beta")
            return None, errors.beta_header_refusal(accepted[0], got), fields
    turn_state, turn_state_status = state.turn_state(
        headers.get(TURN_STATE_HEADER), info.account_id
    )
    fields["turn_state"] = turn_state_status
    caller = Caller(
        fingerprint=fingerprint,
        info=info,
        originator=fields["originator"],
        user_agent=fields["user_agent"],
        turn_state=turn_state,
        turn_state_status=turn_state_status,
        request_ids=tuple(request_ids_of(headers).items()),
    )
    facts = caller.facts(transport)
    for fault in state.faults.take("connect", facts, frozenset({"upgrade_status"})):
        fields["fault"] = fault.fault_id
        refusal = errors.server_error_refusal(fault.params["status"], fault.params["message"])
        return None, refusal, fields
    limits: list[Fault] = []
    if transport == "ws":
        limits = state.faults.take("connect", facts, frozenset({"connection_limit"}))
        if limits:
            fields["fault"] = limits[0].fault_id
    return replace(caller, connect_faults=tuple(limits)), None, fields
