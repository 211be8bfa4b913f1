"""The process a service runs, as its pid record (`<home>/<role>.pid`) tells it.

The record is the one `codex-agent <role> run` writes (`agent.gateway.pidfile`). A record that
is unusable is reported as such and never acted on: no process is looked up, signalled or
deleted on its word.
"""

from __future__ import annotations

import contextlib

from agent.gateway import pidfile
from agent.host import Host
from agent.service.program import ServiceProgram
from agent.service.report import Report


class RecordedProcess:
    def __init__(self, host: Host, program: ServiceProgram, pid_file: str) -> None:
        self.host = host
        self.program = program
        self.pid_file = pid_file  # a host path
        self.unusable: pidfile.UnusableRecord | None = None

    def pid(self) -> int | None:
        """The recorded pid; None when there is none or it is unusable (then `unusable`)."""
        self.unusable = None
        try:
            return pidfile.read_recorded_pid(self.host.local_path(self.pid_file))
        except pidfile.UnusableRecord as unusable:
            self.unusable = unusable
            return None

    def alive(self) -> int | None:
        pid = self.pid()
        return pid if pid is not None and self.host.pid_alive(pid) else None

    def say_unusable(self, report: Report) -> None:
        if self.unusable is None:
            return
        role = self.program.role
        report.data["pid_file_problem"] = self.unusable.problem
        report.say(
            f"The pid file {self.pid_file} is not a usable {role} record "
            f"({self.unusable.problem}); no process was looked up from it. "
            f"`codex-agent {role} run` sets it aside when it starts."
        )

    def stop(self, report: Report) -> None:
        """Stop the recorded process (one started outside the service manager, or left over)."""
        pid = self.alive()
        if pid is not None and self.host.terminate(pid):
            report.say(f"Stopped the {self.program.role} process (pid {pid}).")
        self.say_unusable(report)
        if self.alive() is None and self.unusable is None:
            with contextlib.suppress(OSError):
                self.host.local_path(self.pid_file).unlink(missing_ok=True)  # stale now

    def stop_after_manager(self, report: Report, *, manager_stopped: bool) -> None:
        """`stop` of every backend, once the manager was asked: stop what still runs, and say
        that nothing ran when neither the manager nor the record had anything to stop."""
        before = len(report.lines)
        self.stop(report)
        if len(report.lines) == before and not manager_stopped:
            report.say(f"The {self.program.role} was not running.")

    def report_status(self, report: Report) -> None:
        role = self.program.role
        pid = self.alive()
        report.data[f"{role}_pid"] = pid
        report.data[f"{role}_running"] = pid is not None
        if self.unusable is None:
            state = f"running (pid {pid})" if pid else "not running"
            report.say(f"{role.capitalize()} process: {state}.")
        else:
            report.data[f"{role}_running"] = None
            report.say(f"{role.capitalize()} process: unknown.")
            self.say_unusable(report)
