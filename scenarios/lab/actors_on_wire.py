"""Which actor made a request, from what it says about itself (docs/contracts.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scenarios.lab.real_actors import terminal_of

# How each actor introduces itself in `User-Agent` (a prefix), for filters such as pauses.
ACTOR_USER_AGENTS = {
    "agent": "codex-agent/",
    "codex-cli": "codex_cli_rs/",
    "vscode": "codex_vscode/",
    "naive-agent": "naive-agent/",
    "hermes": "hermes-cli/",
}
# Hermes Agent's backend calls borrow the CLI's name and add its own: `codex_cli_rs/0.0.0
# (Hermes Agent)` (0.19.0); its token calls say `hermes-cli/<version>`.
HERMES_BACKEND_MARK = "(Hermes Agent)"


def actor_of(event: Mapping[str, Any]) -> str:
    agent = str(event.get("user_agent") or "")
    originator = str(event.get("originator") or "")
    for actor in ("agent", "naive-agent"):
        if agent.startswith(ACTOR_USER_AGENTS[actor]):
            return actor
    if agent.startswith(ACTOR_USER_AGENTS["hermes"]) or HERMES_BACKEND_MARK in agent:
        return "hermes"
    if agent.startswith("codex_vscode") or originator == "codex_vscode":
        return "vscode"
    if agent.startswith("codex_cli_rs") or originator == "codex_cli_rs":
        return "codex-cli"
    terminal = terminal_of(agent)  # a real client in one of the lab's terminals
    if terminal is not None:
        return terminal
    if agent == "admin":
        return "lab"
    return agent.split("/", 1)[0] or "unknown"
