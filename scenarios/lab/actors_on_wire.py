"""Which actor made a request, from what it says about itself (docs/contracts.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scenarios.lab.real_hermes import HERMES_AGENT
from scenarios.lab.real_openclaw import OPENCLAW
from scenarios.lab.wire_clients import wire_client_of

# How each actor introduces itself in `User-Agent` (a prefix), for filters such as pauses.
ACTOR_USER_AGENTS = {
    "agent": "codex-agent/",
    "codex-cli": "codex_cli_rs/",
    "vscode": "codex_vscode/",
    "naive-agent": "naive-agent/",
    "hermes": "hermes-cli/",
    "openclaw": "undici",  # its refreshes
}
# Real programs that run once per scenario, named on the wire by their lane.
_ONE_PER_SCENARIO = {HERMES_AGENT: "hermes", OPENCLAW: "openclaw"}
# What the lab's own calls say (the fakes' admin API).
LAB_USER_AGENTS = ("admin",)
# A request with no user agent: nobody named; the timeline may still place it (see WireLanes).
NOBODY = "unknown"


def actor_of(event: Mapping[str, Any]) -> str:
    """The lane of one request on its own: a real program's terminal, or the program when the
    request names no terminal (Hermes and OpenClaw run once per scenario, as `hermes` and
    `openclaw`)."""
    if isinstance(event.get("lane"), str):
        return str(event["lane"])  # placed by the lab (the broker's calls, in the agent's name)
    agent = str(event.get("user_agent") or "")
    originator = str(event.get("originator") or "")
    if agent in LAB_USER_AGENTS:
        return "lab"
    for actor in ("agent", "naive-agent"):
        if agent.startswith(ACTOR_USER_AGENTS[actor]):
            return actor
    client = wire_client_of(event)
    if client is not None:
        if client.terminal is not None:
            return client.terminal
        return _ONE_PER_SCENARIO.get(client.program, client.unplaced_lane)
    if agent.startswith("codex_vscode") or originator == "codex_vscode":
        return "vscode"
    if agent.startswith("codex_cli_rs") or originator == "codex_cli_rs":
        return "codex-cli"
    return agent.split("/", 1)[0] or NOBODY
