"""What the systemd and launchd backends share: the home and program they install, the pid
record of that program, and how a manager's refusal reads in a report.

Each backend keeps its own verbs and wording; only what is the same on both lives here.
"""

from __future__ import annotations

import posixpath

from agent.host import Host, RunLimits
from agent.service import files
from agent.service.errors import NotInstalled
from agent.service.naming import normalized_home
from agent.service.process_record import RecordedProcess
from agent.service.program import GATEWAY, Launch, ServiceProgram
from agent.service.replies import Reply
from agent.service.report import Report


class PosixService:
    def __init__(
        self,
        host: Host,
        *,
        program: ServiceProgram = GATEWAY,
        home: str | None = None,
        limits: RunLimits | None = None,
    ) -> None:
        self.host = host
        self.program = program
        self.role = program.role
        self.limits = limits or RunLimits()
        self.home = normalized_home(home or host.agent_home())
        self.process = RecordedProcess(host, program, posixpath.join(self.home, program.pid_file))
        self._locate()

    def _locate(self) -> None:
        """Name the service and its file for this home, and set up the manager's client."""
        raise NotImplementedError

    def launch(self, *, bind_host: str | None = None, port: int | None = None) -> Launch:
        argv = self.program.argv(self.host.python_executable, bind_host=bind_host, port=port)
        return Launch(argv, self.home, self.program.environment(self.home, self.host.env))

    def _why(self, reply: Reply) -> str:
        return reply.describe(self.limits.total)

    def _refused(self, report: Report, reply: Reply, line: str) -> Report:
        """The manager refused: the report fails with its reason and `line` for the user."""
        report.ok = False
        report.data["reason"] = self._why(reply)
        report.say(line)
        return report

    def _require(self, host_path: str, what: str) -> None:
        """`start` and `restart` need the installed file: without it, say install first."""
        if not files.exists(self.host, host_path):
            raise NotInstalled.of(self.role, f"{what} {host_path} is missing")

    def _status_unknown(self, report: Report, reply: Reply, line: str) -> None:
        """The manager could not say whether the service is registered."""
        report.data["registered"] = None
        report.data["state"] = ""
        report.data["reason"] = self._why(reply)
        report.say(line)
