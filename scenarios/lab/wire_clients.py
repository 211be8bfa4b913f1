"""Which real program sent a request, and its version, from the user agent it sent.

What the pinned programs were seen to send (PROTOCOL.md section 5):
- Codex CLI: `codex_exec/<v> (<os>; <arch>) <TERM_PROGRAM>/<TERM_PROGRAM_VERSION>`, sometimes
  followed by `(codex_exec; <v>)`; its MCP client (`/ps/mcp`) says `codex-mcp-client/<v>` and
  names no terminal; its device login's token exchange sends no user agent at all.
- Hermes Agent: `hermes-cli/<v>` on the token endpoint, `codex_cli_rs/0.0.0 (Hermes Agent)` on
  the backend (a borrowed name: no version of its own), and its model list
  (`/codex/models?client_version=1.0.0`) goes out with the requests library's default
  `python-requests/<v>`. No other actor of the lab uses `requests` (the agent, the simulated
  siblings and the lab speak httpx), so that user agent is Hermes's.
- OpenClaw: `openclaw` on its login's token exchange, `openclaw (<os> <release>; <arch>)` on the
  backend (its version only in the `version` header), and Node's bare `undici` on its refreshes.
  No other actor of the lab runs on Node's fetch, so that user agent is OpenClaw's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scenarios.lab.real_actors import CODEX_CLI, terminal_of
from scenarios.lab.real_hermes import HERMES_AGENT
from scenarios.lab.real_openclaw import OPENCLAW

_VERSION = r"(\d+(?:\.\d+)*[\w.+-]*)"
# (pattern at the start of the user agent, program, where its version is: "agent" (the user
# agent's own), "header" (the `version` header), None (nowhere))
_SIGNATURES: tuple[tuple[re.Pattern[str], str, str | None], ...] = (
    (re.compile(rf"codex_exec/{_VERSION}"), CODEX_CLI, "agent"),
    (re.compile(rf"codex-mcp-client/{_VERSION}"), CODEX_CLI, "agent"),
    (re.compile(rf"hermes-cli/{_VERSION}"), HERMES_AGENT, "agent"),
    (re.compile(r".*\(Hermes Agent\)"), HERMES_AGENT, None),
    (re.compile(rf"python-requests/{_VERSION}"), HERMES_AGENT, None),
    (re.compile(r"openclaw(?: \(|$)"), OPENCLAW, "header"),
    (re.compile(r"undici(?:/|$)"), OPENCLAW, None),
)
# The CLI run interactively says `codex_cli_rs/<v>`, like the simulated sibling: only the lab
# terminal's name in it says it is the real program.
_INTERACTIVE_CLI = re.compile(rf"codex_cli_rs/{_VERSION}")


@dataclass(frozen=True)
class WireClient:
    """A real program as a request named it."""

    program: str  # CODEX_CLI, HERMES_AGENT or OPENCLAW
    version: str | None  # None when the user agent carries none of the program's own
    terminal: str | None  # the lab terminal (lane), when the user agent names one

    @property
    def unplaced_lane(self) -> str:
        """The lane of a request that names the program but not its terminal."""
        return f"{self.program} (terminal unknown)"


def _version(event: Mapping[str, Any], found: re.Match[str], where: str | None) -> str | None:
    if where == "agent":
        return found.group(1)
    header = event.get("version") if where == "header" else None
    return header if isinstance(header, str) and header else None


def wire_client_of(event: Mapping[str, Any]) -> WireClient | None:
    """The real program behind a recorded request, or None for any other actor."""
    agent = str(event.get("user_agent") or "")
    terminal = terminal_of(agent)
    for pattern, program, version_in in _SIGNATURES:
        found = pattern.match(agent)
        if found:
            return WireClient(program, _version(event, found, version_in), terminal)
    found = _INTERACTIVE_CLI.match(agent)
    if found and terminal is not None:
        return WireClient(CODEX_CLI, found.group(1), terminal)
    return None
