"""The macOS service: a launchd agent, loaded into the user's GUI domain.

Install writes `~/Library/LaunchAgents/<label>.plist`, unloads an older copy (`bootout`),
enables the label (a label disabled earlier would refuse to load) and loads it with
`launchctl bootstrap gui/<uid> <plist>`, which starts it (`RunAtLoad`). `stop` unloads it
(`bootout`: it loads again at the next login), `restart` is `kickstart -k`, `status` reads
`launchctl print`. Without a GUI session (logged in over ssh only) launchd has no `gui/<uid>`
domain: the report says so and gives the foreground command.
"""

from __future__ import annotations

import posixpath

from agent.service import files
from agent.service.launchd import plist
from agent.service.launchd.launchctl import Launchctl, parse_print
from agent.service.naming import service_name
from agent.service.posix_service import PosixService
from agent.service.replies import Outcome, Reply
from agent.service.report import Report

MODE = "launchd"


class LaunchdService(PosixService):
    def _locate(self) -> None:
        self.label = service_name(self.program, self.home, fold_case=True)
        agents = posixpath.join(self.host.user_home(), "Library", "LaunchAgents")
        self.plist_path = posixpath.join(agents, self.label + ".plist")
        uid = self.host.user_id()
        self.domain = f"gui/{uid if uid is not None else 0}"
        self.launchctl = Launchctl(self.host, self.domain, self.limits)

    def _data(self) -> dict[str, object]:
        return {
            "service": self.label,
            "home": self.home,
            "plist": self.plist_path,
            "domain": self.domain,
        }

    def _not_loaded(self, report: Report, reply: Reply) -> Report:
        report.ok = False
        report.data["reason"] = self._why(reply)
        if reply.outcome is Outcome.UNREACHABLE:
            command = self.launch().command_line()
            report.data["foreground_command"] = command
            report.say(
                f"launchd has no GUI session for this user ({self._why(reply)}): agents load "
                "when you log in at the Mac, not over ssh alone. The plist is in place and "
                "loads at your next login."
            )
            report.say(f"Until then, run the {self.role} in the foreground:")
            report.say(f"  {command}")
            return report
        out, err = plist.log_paths(self.program, self.home)
        report.say(f"Could not load {self.label}: {self._why(reply)}.")
        report.say(
            f"Remedy: check the file with `plutil -lint {self.plist_path}` and the {self.role}'s "
            f"output in {out} and {err}, then run `codex-agent {self.role} install` again."
        )
        return report

    def _load(self, report: Report) -> Report:
        """Enable the label and bootstrap the plist (RunAtLoad starts the program)."""
        self.launchctl.enable(self.label)
        boot = self.launchctl.bootstrap(self.plist_path)
        if not boot.ok:
            return self._not_loaded(report, boot)
        report.mode = MODE
        report.say(f"Loaded {self.label} into {self.domain}; it started (RunAtLoad).")
        return report

    def _loaded(self) -> bool:
        return self.launchctl.print_service(self.label).ok

    # --- actions ------------------------------------------------------------------------------

    def install(self, *, bind_host: str | None = None, port: int | None = None) -> Report:
        launch = self.launch(bind_host=bind_host, port=port)
        data = plist.encode(plist.agent_definition(self.program, launch, label=self.label))
        report = Report("install", data=self._data())
        files.ensure_folder(self.host, self.home)
        files.write_atomically(self.host, self.plist_path, data)
        report.say(f"Wrote the launchd agent {self.plist_path}.")
        if self._loaded():
            out = self.launchctl.bootout(self.label)
            if out.ok:
                report.say(f"Unloaded the earlier {self.label}.")
        self._load(report)
        if report.ok:
            report.say(
                f"It starts at each login and again {plist.THROTTLE_SECONDS} s or more after "
                "a failure (KeepAlive on failure)."
            )
        return report

    def uninstall(self) -> Report:
        report = Report("uninstall", data=self._data())
        out = self.launchctl.bootout(self.label)
        if out.ok:
            report.mode = MODE
            report.say(f"Unloaded {self.label} (bootout).")
        elif out.outcome is Outcome.NOT_FOUND:
            report.say(f"{self.label} was not loaded.")
        else:
            self._refused(report, out, f"Could not unload {self.label}: {self._why(out)}.")
        if files.remove(self.host, self.plist_path):
            report.say(f"Removed {self.plist_path}.")
        self.process.stop(report)
        return report

    def start(self) -> Report:
        return self._kickstart("start", kill=False, done=f"Started {self.label}.")

    def _kickstart(self, action: str, *, kill: bool, done: str) -> Report:
        """`start` and `restart`: load an unloaded agent, else kickstart it (`-k`: kill first)."""
        self._require(self.plist_path, "the launchd agent")
        report = Report(action, data=self._data())
        if not self._loaded():
            return self._load(report)
        kick = self.launchctl.kickstart(self.label, kill=kill)
        if not kick.ok:
            return self._not_loaded(report, kick)
        report.mode = MODE
        report.say(done)
        return report

    def stop(self) -> Report:
        report = Report("stop", data=self._data())
        out = self.launchctl.bootout(self.label)
        if out.ok:
            report.mode = MODE
            report.say(
                f"Stopped {self.label} (bootout: unloaded until your next login or "
                f"`codex-agent {self.role} start`)."
            )
        elif out.outcome is not Outcome.NOT_FOUND:
            report.say(f"Could not unload {self.label} ({self._why(out)}).")
        self.process.stop_after_manager(report, manager_stopped=out.ok)
        return report

    def restart(self) -> Report:
        return self._kickstart("restart", kill=True, done=f"Restarted {self.label} (kickstart -k).")

    def status(self) -> Report:
        report = Report("status", data=self._data())
        shown = self.launchctl.print_service(self.label)
        if shown.ok:
            values = parse_print(shown.result.stdout)
            state = values.get("state", "unknown")
            pid = values.get("pid", "")
            report.mode = MODE
            report.data["registered"] = True
            report.data["state"] = state
            report.data["service_pid"] = int(pid) if pid.isdigit() else None
            report.data["last_exit_code"] = values.get("last exit code", "")
            report.say(
                f"launchd agent {self.label}: {state}, last exit code "
                f"{values.get('last exit code', 'unknown')}."
            )
        elif shown.outcome is Outcome.NOT_FOUND:
            report.data["registered"] = False
            report.data["state"] = ""
            report.say(f"launchd agent {self.label}: not loaded.")
        else:
            line = f"launchd agent {self.label}: unknown ({self._why(shown)})."
            self._status_unknown(report, shown, line)
        present = files.exists(self.host, self.plist_path)
        report.data["plist_present"] = present
        report.say(f"Property list: {self.plist_path if present else 'none'}.")
        self.process.report_status(report)
        return report
