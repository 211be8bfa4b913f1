"""Place every request of a scenario on an actor's lane, and name each real client's lane.

A request names its terminal (the real CLI's user agent carries `lab-<lane>/`) or it does not
(the CLI's MCP client, its device login's token exchange, Hermes). One that does not goes to
the one lane of its program that was running a command when the servers saw it, else to the
program's only lane in the scenario; when two terminals of the program could have sent it, to
"<program> (terminal unknown)", never to a terminal by guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scenarios.lab.actors_on_wire import NOBODY, actor_of
from scenarios.lab.wire_clients import WireClient, wire_client_of


@dataclass(frozen=True)
class RealRun:
    """One command of a real client, from its start to its end on the servers' clock."""

    lane: str
    program: str  # wire_clients.CODEX_CLI, HERMES_AGENT or OPENCLAW
    started: float
    ended: float
    # The pinned version the lab ran: the label's version when no request of the lane sent one
    # (a login whose token exchange names no version, a run that failed before any turn).
    version: str | None = None

    def covers(self, at: float) -> bool:
        return self.started <= at <= self.ended


class WireLanes:
    def __init__(self, runs: Sequence[RealRun]) -> None:
        self.runs = list(runs)
        self.versions: dict[str, str] = {}  # lane -> the version its requests said
        self.programs: dict[str, str] = {run.lane: run.program for run in self.runs}
        self.could_be: dict[str, set[str]] = {}  # an unplaced lane -> the terminals it may be

    def lane_of(self, event: Mapping[str, Any]) -> str:
        actor = actor_of(event)
        client = wire_client_of(event)
        if client is None and actor != NOBODY:
            return actor  # the agent, a simulated sibling, the lab
        lane = actor if client is not None and client.terminal else self._place(event, client)
        if client is not None:
            self.programs.setdefault(lane, client.program)
            if client.version and self.programs[lane] == client.program:
                self.versions.setdefault(lane, client.version)
        return lane

    def _place(self, event: Mapping[str, Any], client: WireClient | None) -> str:
        program = client.program if client is not None else None
        mine = [run for run in self.runs if program is None or run.program == program]
        at = float(event.get("at") or 0.0)
        running = {run.lane for run in mine if run.covers(at)}
        if len(running) == 1:
            return running.pop()
        lanes = {run.lane for run in mine}
        if client is not None and len(lanes) == 1:
            return lanes.pop()
        lane = actor_of(event)
        if client is not None:
            self.could_be.setdefault(lane, set()).update(running or lanes)
        return lane

    def _ran_version(self, lane: str) -> str | None:
        return next((run.version for run in self.runs if run.lane == lane and run.version), None)

    def labels(self, lanes: Iterable[str]) -> dict[str, str]:
        """`cli-1 · Codex CLI 0.169.0` for each real client's lane, from what it sent; for the
        program's requests no terminal can be told for, `Codex CLI (terminal unknown) · cli-1
        or cli-2, 0.169.0`."""
        out = {}
        for lane in lanes:
            program = self.programs.get(lane)
            if program is None:
                continue
            version = self.versions.get(lane) or self._ran_version(lane)
            if lane in self.could_be:
                which = " or ".join(sorted(self.could_be[lane])) or "no terminal ran"
                out[lane] = f"{lane} · {which}" + (f", {version}" if version else "")
            else:
                out[lane] = f"{lane} · {program}" + (f" {version}" if version else "")
        return out
