"""The agent's own requests next to the pinned real Codex CLI's, fact by fact, and what we
decided about each difference (issue 16 §5). The one table: the slow differential test
(tests/scenarios/test_agent_vs_real_cli_wire.py) asserts both columns against what the fakes
recorded, and README's "The agent on the wire, next to the Codex CLI" shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Decision = Literal["same", "kept", "open"]


@dataclass(frozen=True)
class WireFact:
    """One fact of the wire: what each client sent, and (when they differ) why that stands."""

    name: str
    codex_cli: object
    agent: object
    decision: Decision  # same; kept (a deliberate difference); open (a gap we know of)
    why: str

    @property
    def differs(self) -> bool:
        return self.codex_cli != self.agent


CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
BETA = "responses_websockets=2026-02-06"
REFRESH_FIELDS = ("client_id", "grant_type", "refresh_reason", "refresh_token")
CLI_CREATE_FIELDS = (
    "client_metadata",
    "include",
    "input",
    "model",
    "parallel_tool_calls",
    "previous_response_id",
    "prompt_cache_key",
    "reasoning",
    "store",
    "stream",
    "text",
    "tool_choice",
    "tools",
    "type",
)
AGENT_CREATE_FIELDS = (
    "include",
    "input",
    "instructions",
    "model",
    "parallel_tool_calls",
    "prompt_cache_key",
    "reasoning",
    "store",
    "stream",
    "tool_choice",
    "tools",
    "type",
)
CLI_CALLS = (
    "accounts_check",
    "analytics_events",
    "apps_mcp",
    "models",
    "plugins_installed",
    "plugins_suggested",
    "user_settings",
)
TRUTHFUL = (
    "the user agent says who calls: the agent is not the Codex CLI and never claims its product "
    "token or version"
)
ORIGINATOR = (
    "codex_cli_rs names the family of first-party clients whose OAuth client id the agent uses "
    "(the CLI sends it too, at logout and in its browser login); codex_exec would claim the "
    "CLI's exec mode, and a value of our own might be refused by the service in ways no fake "
    "can show. The user agent carries the truth; [auth] originator changes it"
)

WIRE_FACTS: tuple[WireFact, ...] = (
    WireFact("login client_id", CLIENT_ID, CLIENT_ID, "same", "one OAuth client, one login"),
    WireFact("refresh body encoding", "json", "json", "same", "JSON, as PROTOCOL.md §1 says"),
    WireFact(
        "refresh body fields",
        REFRESH_FIELDS,
        REFRESH_FIELDS,
        "same",
        "the CLI's four fields; a refresh the user forces (codex-agent refresh --force) sends "
        "the other three only",
    ),
    WireFact(
        "refresh_reason after a 401",
        "unauthorized_recovery",
        "unauthorized_recovery",
        "same",
        "the agent says why it refreshes in the CLI's words (proactive_expiry before expiry, "
        "unauthorized_recovery after a 401) and says nothing for a forced refresh, which is "
        "neither; before issue 16 it sent no reason",
    ),
    WireFact("refresh originator", "codex_exec", "codex_cli_rs", "kept", ORIGINATOR),
    WireFact("refresh user agent", "codex_exec", "codex-agent", "kept", TRUTHFUL),
    WireFact("turn transport", "ws", "ws", "same", "WebSocket first; both fall back to SSE"),
    WireFact("turn originator", "codex_exec", "codex_cli_rs", "kept", ORIGINATOR),
    WireFact("turn user agent", "codex_exec", "codex-agent", "kept", TRUTHFUL),
    WireFact(
        "turn version header",
        "its own version",
        "its own version",
        "same",
        "each sends its own version, the one in its user agent",
    ),
    WireFact("turn OpenAI-Beta", BETA, BETA, "same", "the service refuses a socket without it"),
    WireFact(
        "turn ChatGPT-Account-ID",
        "the account",
        "the account",
        "same",
        "the workspace of the login",
    ),
    WireFact("turn session id", True, True, "same", "one per conversation"),
    WireFact(
        "turn ids besides the session",
        ("client_request_id", "thread_id", "window_id"),
        (),
        "kept",
        "optional (older CLI builds sent session_id alone); the agent has one conversation "
        "per session, no threads or windows to name",
    ),
    WireFact(
        "prewarm before a turn",
        True,
        False,
        "kept",
        "a prewarm costs a round trip per socket and warms nothing a one-shot ask reuses; "
        "the service answers a turn without one",
    ),
    WireFact(
        "response.create fields",
        CLI_CREATE_FIELDS,
        AGENT_CREATE_FIELDS,
        "kept",
        "both are the Responses request of PROTOCOL.md §2; the agent sends its instructions at "
        "the top level, and not the CLI's installation id (client_metadata), its text "
        "verbosity or the prewarm's previous_response_id",
    ),
    WireFact(
        "ChatGPT calls around a turn",
        CLI_CALLS,
        (),
        "kept",
        "none is needed for a turn: accounts/check is the CLI's workspace routing (the agent "
        "talks to the one backend it is configured with), the rest are the CLI's models list, "
        "plugins, apps and telemetry, which the agent does not have",
    ),
)
