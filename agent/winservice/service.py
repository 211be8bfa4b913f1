"""The Windows service of the gateway (or the broker): install, uninstall, start, stop, restart
and status, as a scheduled task.

The task is registered from XML and run at once. When schtasks cannot be used (denied in any
language, timed out, printed nothing, failed), a launcher goes to the Startup folder instead
and the gateway is started detached right away; the report says why.

Every value is checked and every file content prepared before the first side effect, so a
refused value (a line break in a path, say) leaves the machine as it was.
"""

from __future__ import annotations

import ntpath
from dataclasses import dataclass

from agent.gateway import pidfile
from agent.host import Host, RunLimits
from agent.service import files
from agent.service.process_record import RecordedProcess
from agent.service.program import GATEWAY, ServiceProgram
from agent.service.report import Report, combined
from agent.winservice import quoting_cmd, quoting_tr, scripts, taskxml
from agent.winservice.errors import (
    NotInstalled,
    UnsafeValue,
    UnsupportedPlatform,
    refuse_control_characters,
)
from agent.winservice.layout import Layout
from agent.winservice.replies import Outcome, describe
from agent.winservice.schtasks import Reply, Schtasks
from agent.winservice.task_status import TaskState, parse_verbose_list

__all__ = ["FALLBACK_REMEDY", "GatewayService", "Prepared", "Report"]


def fallback_remedy(role: str) -> str:
    return (
        f"the {role} will start from the Startup folder at each logon; to use a scheduled task "
        f"instead, run `codex-agent {role} install` again from a prompt where schtasks works "
        "(for example an elevated one)"
    )


FALLBACK_REMEDY = fallback_remedy(GATEWAY.role)


@dataclass(frozen=True)
class Prepared:
    """Everything install writes, computed (and checked) before anything is written."""

    program: scripts.GatewayProgram
    wrapper: bytes
    launcher: bytes
    task_xml: bytes
    task_run: str | None  # for `/Change /TR`; None when schtasks could not take it
    task_run_problem: str = ""


class GatewayService:
    """The Windows backend; `program` says what it installs (the gateway by default)."""

    def __init__(
        self,
        host: Host,
        *,
        program: ServiceProgram = GATEWAY,
        home: str | None = None,
        limits: RunLimits | None = None,
    ) -> None:
        if host.platform != "windows":
            raise UnsupportedPlatform()
        self.host = host
        self.program = program
        self.role = program.role
        self.limits = limits or RunLimits()
        self.layout = Layout.for_host(host, home, program)
        self.schtasks = Schtasks(host, self.limits)
        self.process = RecordedProcess(host, program, self.layout.pid_file)

    @property
    def unusable_record(self) -> pidfile.UnusableRecord | None:
        return self.process.unusable

    def _data(self, **more: object) -> dict[str, object]:
        """The fields every backend reports (`task` is the Windows name of `service`)."""
        name = self.layout.task_name
        return {"task": name, "service": name, "home": self.layout.home, **more}

    # --- preparing ----------------------------------------------------------------------------

    def prepare(self, *, bind_host: str | None = None, port: int | None = None) -> Prepared:
        try:
            return self._prepare(bind_host=bind_host, port=port)
        except UnsafeValue as error:
            if self.role == GATEWAY.role:
                raise
            raise UnsafeValue(
                error.role, error.problem, where=f"the {self.role}'s scheduled task"
            ) from None

    def _prepare(self, *, bind_host: str | None, port: int | None) -> Prepared:
        home_role = "home folder (CODEX_AGENT_HOME)"
        refuse_control_characters(self.layout.home, home_role)
        if any(part.endswith((" ", ".")) for part in self.layout.home.split("\\")[1:]):
            raise UnsafeValue(
                home_role, "has a folder name ending in a blank or a dot, which Windows drops"
            )
        env = self.host.env
        program = scripts.GatewayProgram.build(
            python=self.host.python_executable,
            home=self.layout.home,
            host_env=env,
            bind_host=bind_host,
            port=port,
            program=self.program,
        )
        comspec = env.get("ComSpec") or ntpath.join(
            env.get("SystemRoot", "C:\\Windows"), "System32", "cmd.exe"
        )
        arguments = quoting_cmd.cmd_c_arguments(self.layout.wrapper, f"{self.role} wrapper path")
        action = taskxml.TaskAction(comspec, arguments, self.layout.home)
        user = f"{env.get('USERDOMAIN', '')}\\{env.get('USERNAME', '')}".lstrip("\\")
        xml = taskxml.render(
            task_name=self.layout.task_name,
            user_id=user,
            home=self.layout.home,
            action=action,
            role=self.role,
        )
        try:
            task_run: str | None = quoting_tr.task_run(
                comspec, arguments, role="task command (/TR)"
            )
            problem = ""
        except UnsafeValue as error:  # only /Change needs it: the install can go on
            task_run, problem = None, error.message
        return Prepared(
            program=program,
            wrapper=scripts.encode(scripts.wrapper_lines(program)),
            launcher=scripts.encode(scripts.launcher_lines(self.layout.wrapper, self.role)),
            task_xml=taskxml.encode(xml),
            task_run=task_run,
            task_run_problem=problem,
        )

    def _start_detached(
        self, prepared_program: scripts.GatewayProgram, report: Report, *, replace: bool
    ) -> None:
        """Start the program outside any task. With `replace`, a running one gives way to the
        new one (`gateway run --replace`); without, it is left alone."""
        alive = self.process.alive()
        if alive is not None and not replace:
            report.say(f"The {self.role} is already running (pid {alive}).")
            report.data["pid"] = alive
            return
        env = dict(self.host.env)
        env.update(prepared_program.env)
        # The gateway records itself in the pid file once it serves; nothing is written here,
        # so a gateway that is already up is never overwritten by a guess.
        pid = self.host.spawn_detached(prepared_program.argv, cwd=prepared_program.cwd, env=env)
        report.data["pid"] = pid
        replaced = f"; it replaces pid {alive}" if alive is not None else ""
        report.say(f"Started the {self.role} detached (pid {pid}{replaced}).")

    # --- actions ------------------------------------------------------------------------------

    def install(self, *, bind_host: str | None = None, port: int | None = None) -> Report:
        prepared = self.prepare(bind_host=bind_host, port=port)
        report = Report("install", data=self._data())
        files.write_atomically(self.host, self.layout.wrapper, prepared.wrapper)
        files.write_atomically(self.host, self.layout.task_xml, prepared.task_xml)
        name = self.layout.task_name

        query = self.schtasks.query(name)
        if query.outcome.unusable:
            return self._fallback(report, prepared, self._why(query))
        exists = query.outcome is Outcome.OK
        if exists:
            # End the running instance first: with one instance at a time, /Run would be
            # ignored while the old wrapper still runs (`--replace` then retires the old gateway).
            end = self.schtasks.end(name)
            if end.outcome in (Outcome.TIMEOUT, Outcome.SILENT):
                return self._fallback(report, prepared, self._why(end))
        create = self.schtasks.create_from_xml(name, self.layout.task_xml, replace=exists)
        if create.ok:
            report.say(
                f"{'Re-created' if exists else 'Created'} the scheduled task {name} "
                f"(at logon, restarts every minute on failure)."
            )
        elif exists and create.outcome is Outcome.DENIED:
            if prepared.task_run is None:
                return self._fallback(report, prepared, prepared.task_run_problem.rstrip("."))
            change = self.schtasks.change_task_run(name, prepared.task_run)
            if not change.ok:
                return self._fallback(report, prepared, self._why(change))
            report.say(
                f"Could not re-create the existing task {name} ({self._why(create)}); "
                "changed its command instead."
            )
        else:
            return self._fallback(report, prepared, self._why(create))
        report.mode = "task"
        if files.remove(self.host, self.layout.launcher):
            report.say("Removed the Startup-folder launcher of an earlier install.")
        run = self.schtasks.run(name)
        if run.ok:
            report.say("Started the task.")
        else:
            report.say(
                "The task is registered but could not be started now "
                f"({describe(run.outcome, run.result, self.limits.total)})."
            )
            self._start_detached(prepared.program, report, replace=True)
        return report

    def _why(self, reply: Reply) -> str:
        return describe(reply.outcome, reply.result, self.limits.total)

    def _fallback(self, report: Report, prepared: Prepared, reason: str) -> Report:
        files.write_atomically(self.host, self.layout.launcher, prepared.launcher)
        report.mode = "startup"
        report.data["fallback_reason"] = reason
        report.say(f"Scheduled task not installed: {reason}.")
        report.say(f"Installed a Startup-folder launcher instead: {self.layout.launcher}")
        self._start_detached(prepared.program, report, replace=True)
        report.say(f"Note: {fallback_remedy(self.role)}.")
        return report

    def uninstall(self) -> Report:
        report = Report("uninstall", data=self._data())
        name = self.layout.task_name
        end = self.schtasks.end(name)
        problems: list[Reply] = []
        if end.outcome is Outcome.NOT_FOUND:
            report.say("No scheduled task was registered.")
        else:
            delete = self.schtasks.delete(name)
            if delete.ok:
                report.say(f"Deleted the scheduled task {name}.")
            elif delete.outcome is not Outcome.NOT_FOUND:
                problems.append(delete)
        if files.remove(self.host, self.layout.launcher):
            report.say("Removed the Startup-folder launcher.")
        self.process.stop(report)
        for path in (self.layout.wrapper, self.layout.task_xml):
            files.remove(self.host, path)
        if problems:
            report.ok = False
            for problem in problems:
                report.say(
                    "Could not delete the scheduled task: "
                    f"{describe(problem.outcome, problem.result, self.limits.total)}."
                )
            report.say(
                f"Remedy: delete the task {name} in Task Scheduler, or run "
                f"`codex-agent {self.role} uninstall` from an elevated prompt."
            )
        return report

    def start(self) -> Report:
        report = Report("start", data=self._data())
        run = self.schtasks.run(self.layout.task_name)
        if run.ok:
            report.mode = "task"
            report.say(f"Started the scheduled task {self.layout.task_name}.")
            return report
        launcher = files.exists(self.host, self.layout.launcher)
        why = describe(run.outcome, run.result, self.limits.total)
        if run.outcome is Outcome.NOT_FOUND and not launcher:
            raise NotInstalled.of(
                self.role, f"the scheduled task {self.layout.task_name} is missing"
            )
        if not launcher and not files.exists(self.host, self.layout.wrapper):
            raise NotInstalled.of(self.role, why)
        if run.outcome is not Outcome.NOT_FOUND:
            report.say(f"Could not start the scheduled task ({why}).")
        report.mode = "startup" if launcher else "task"
        self._start_detached(self.prepare().program, report, replace=False)
        return report

    def stop(self) -> Report:
        report = Report("stop", data=self._data())
        end = self.schtasks.end(self.layout.task_name)
        if end.ok:
            report.say(f"Ended the scheduled task {self.layout.task_name}.")
        elif end.outcome is not Outcome.NOT_FOUND:
            report.say(
                f"Could not end the scheduled task "
                f"({describe(end.outcome, end.result, self.limits.total)})."
            )
        self.process.stop_after_manager(report, manager_stopped=end.ok)
        return report

    def restart(self) -> Report:
        return combined("restart", self.stop(), self.start())

    def status(self) -> Report:
        report = Report("status", data=self._data())
        query = self.schtasks.query_verbose(self.layout.task_name)
        task: TaskState | None = None
        if query.ok:
            task = parse_verbose_list(query.result.stdout)
            report.data["task_registered"] = True
            report.data["task_status"] = task.status
            report.data["registered"], report.data["state"] = True, task.status
            report.data["task_last_result"] = task.last_result
            report.say(
                f"Scheduled task {self.layout.task_name}: {task.status or 'unknown state'}, "
                f"last result {task.last_result_text()}."
            )
        elif query.outcome is Outcome.NOT_FOUND:
            report.data["task_registered"] = False
            report.data["registered"], report.data["state"] = False, ""
            report.say(f"Scheduled task {self.layout.task_name}: not registered.")
        else:
            report.data["task_registered"] = None
            report.data["registered"], report.data["state"] = None, ""
            report.data["task_error"] = describe(query.outcome, query.result, self.limits.total)
            report.say(f"Scheduled task: unknown ({report.data['task_error']}).")
        launcher = files.exists(self.host, self.layout.launcher)
        report.data["startup_entry"] = launcher
        report.say(
            f"Startup-folder launcher: {'present' if launcher else 'none'}"
            + (f" ({self.layout.launcher})" if launcher else "")
            + "."
        )
        self.process.report_status(report)
        if report.data["task_registered"]:
            report.mode = "task"
        elif launcher:
            report.mode = "startup"
        return report
