"""The `systemctl --user` calls the service makes, each classified when it returns.

systemctl prints its errors in English (it is not translated); the fragments below are its
texts for a unit it does not know and for a user manager it cannot reach (containers, WSL
without systemd, a login without a user session bus).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.host import Host, RunLimits
from agent.service.replies import Outcome, Reply, classify

NOT_FOUND = ("not found", "not loaded", "does not exist", "no such file or directory")
UNREACHABLE = (
    "failed to connect to bus",
    "failed to connect to user scope bus",
    "not been booted with systemd",
    "dbus_session_bus_address",
)
# What `is-system-running` prints for a manager that answers (exit 1 for all but "running").
REACHABLE_STATES = ("initializing", "starting", "running", "degraded", "maintenance", "stopping")
STATUS_PROPERTIES = (
    "LoadState",
    "ActiveState",
    "SubState",
    "MainPID",
    "UnitFileState",
    "NRestarts",
    "ExecMainStatus",
)


@dataclass
class Systemctl:
    host: Host
    limits: RunLimits = field(default_factory=RunLimits)
    program: str = "systemctl"
    calls: list[Reply] = field(default_factory=list)

    def _call(self, *args: str) -> Reply:
        result = self.host.run((self.program, "--user", *args), limits=self.limits)
        reply = Reply(classify(result, not_found=NOT_FOUND, unreachable=UNREACHABLE), result)
        self.calls.append(reply)
        return reply

    def manager_state(self) -> Reply:
        """`is-system-running`: OK when a user manager answers, in whatever state."""
        reply = self._call("is-system-running")
        state = reply.result.stdout.strip()
        if reply.outcome is Outcome.FAILED and state in REACHABLE_STATES:
            return Reply(Outcome.OK, reply.result)
        if reply.outcome in (Outcome.FAILED, Outcome.NOT_FOUND) and state == "offline":
            return Reply(Outcome.UNREACHABLE, reply.result)
        return reply

    def daemon_reload(self) -> Reply:
        return self._call("daemon-reload")

    def enable(self, unit: str) -> Reply:
        return self._call("enable", unit)

    def disable_now(self, unit: str) -> Reply:
        return self._call("disable", "--now", unit)

    def start(self, unit: str) -> Reply:
        return self._call("start", unit)

    def stop(self, unit: str) -> Reply:
        return self._call("stop", unit)

    def restart(self, unit: str) -> Reply:
        return self._call("restart", unit)

    def show(self, unit: str) -> Reply:
        return self._call("show", unit, "--property=" + ",".join(STATUS_PROPERTIES))


def parse_show(output: str) -> dict[str, str]:
    """`Key=Value` lines, as `systemctl show` prints them."""
    values: dict[str, str] = {}
    for line in output.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values
