"""Where the agent sends its refreshes and revokes: the issuer, or the refresh broker.

A machine should have one refresher (`codex-agent broker`). The agent goes through a broker
when one is configured (`broker_url`, `CODEX_AGENT_BROKER_URL`) or, with none configured, when
a broker is running for the agent's own home (its `<home>/broker.pid` names a live process).
A configured broker that is down is an error, never a reason to go around it: two refreshers
are what burns a login. Sign-in (code exchange, device code) always goes to the issuer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from agent.config import AgentConfig

BROKER_PID_FILE = "broker.pid"


@dataclass(frozen=True)
class RefreshRoute:
    token_url: str
    revoke_url: str
    broker_url: str | None = None  # None: straight to the issuer
    discovered: bool = False  # found running for this home rather than configured

    def describe(self) -> str:
        if self.broker_url is None:
            return "the issuer"
        how = "running for this home" if self.discovered else "configured"
        return f"the refresh broker at {self.broker_url} ({how})"


def broker_route(broker_url: str, *, discovered: bool = False) -> RefreshRoute:
    base = broker_url.rstrip("/")
    return RefreshRoute(f"{base}/oauth/token", f"{base}/oauth/revoke", base, discovered)


def refresh_route(config: AgentConfig) -> RefreshRoute:
    """Decided at each call: a broker started (or stopped) after the agent is noticed."""
    if config.broker_url is not None:
        return broker_route(config.broker_url)
    running = running_broker_url(config.home)
    if running is not None:
        return broker_route(running, discovered=True)
    issuer = config.issuer.rstrip("/")
    return RefreshRoute(f"{issuer}/oauth/token", f"{issuer}/oauth/revoke")


def running_broker_url(home: Path) -> str | None:
    """The URL of the broker serving `home`, if its record names a live broker process."""
    if not os.path.lexists(home / BROKER_PID_FILE):
        return None  # no broker (the usual case): `status` need not load the record's reader
    from agent.gateway import pidfile

    try:
        record = pidfile.read_record(home, BROKER_PID_FILE)
    except pidfile.UnusableRecord:
        return None
    if record is None or not pidfile.process_alive(record.pid):
        return None
    return record.url
