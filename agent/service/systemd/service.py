"""The Linux service: a systemd user unit, enabled and started with `systemctl --user`.

Install writes `~/.config/systemd/user/<name>.service` (or under `$XDG_CONFIG_HOME`), reloads
the user manager, enables the unit (it starts with the manager, at login) and (re)starts it.
When no user manager answers (containers, WSL without systemd), nothing is written: the report
says so and gives the foreground command instead. Lingering (`loginctl enable-linger`, which
keeps the user manager running without a login session) is explained, never turned on.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from agent.host import Host
from agent.service import files
from agent.service.naming import service_name
from agent.service.posix_service import PosixService
from agent.service.program import Launch
from agent.service.replies import Outcome, Reply
from agent.service.report import Report
from agent.service.systemd import unit as unit_file
from agent.service.systemd.systemctl import Systemctl, parse_show

MODE = "systemd"
LINGER_DIR = "/var/lib/systemd/linger"


def unit_dir(host: Host) -> str:
    config = host.env.get("XDG_CONFIG_HOME", "")
    if not config.startswith("/"):
        config = posixpath.join(host.user_home(), ".config")
    return posixpath.join(config, "systemd", "user")


class SystemdService(PosixService):
    def _locate(self) -> None:
        self.unit = service_name(self.program, self.home, fold_case=False) + ".service"
        self.unit_path = posixpath.join(unit_dir(self.host), self.unit)
        self.systemctl = Systemctl(self.host, self.limits)

    def _data(self) -> dict[str, object]:
        return {"service": self.unit, "home": self.home, "unit_file": self.unit_path}

    def _no_manager(self, report: Report, reply: Reply, launch: Launch) -> Report:
        report.ok = False
        report.data["reason"] = self._why(reply)
        report.data["foreground_command"] = launch.command_line()
        report.say(
            f"No systemd user manager is reachable here ({self._why(reply)}). This is usual "
            "in containers and in WSL without systemd; nothing was installed."
        )
        report.say(f"Run the {self.role} in the foreground instead (or under your own supervisor):")
        report.say(f"  {launch.command_line()}")
        return report

    def _failed(self, report: Report, what: str, reply: Reply) -> Report:
        return self._refused(report, reply, f"Could not {what}: {self._why(reply)}.")

    # --- actions ------------------------------------------------------------------------------

    def install(self, *, bind_host: str | None = None, port: int | None = None) -> Report:
        launch = self.launch(bind_host=bind_host, port=port)
        rendered = unit_file.render(self.program, launch, name=self.unit)
        report = Report("install", data=self._data())
        probe = self.systemctl.manager_state()
        if not probe.ok:
            return self._no_manager(report, probe, launch)
        files.ensure_folder(self.host, self.home)
        files.write_atomically(self.host, self.unit_path, rendered.encode())
        report.say(f"Wrote the systemd user unit {self.unit_path}.")
        reload = self.systemctl.daemon_reload()
        if not reload.ok:
            return self._failed(report, "reload the user manager", reload)
        enable = self.systemctl.enable(self.unit)
        if not enable.ok:
            return self._failed(report, f"enable {self.unit}", enable)
        report.mode = MODE
        report.say(
            f"Enabled {self.unit}: it starts with your user manager and restarts "
            f"{unit_file.RESTART_SECONDS} s after a failure."
        )
        restart = self.systemctl.restart(self.unit)
        if not restart.ok:
            return self._failed(report, f"start {self.unit}", restart)
        report.say(f"Started {self.unit}.")
        self._say_linger(report)
        return report

    def _say_linger(self, report: Report) -> None:
        user = self.host.env.get("USER") or self.host.env.get("LOGNAME") or ""
        lingering = bool(user) and files.exists(self.host, posixpath.join(LINGER_DIR, user))
        report.data["linger"] = lingering
        if lingering:
            report.say(
                f"Lingering is on for {user}: the {self.role} runs from boot, without a login."
            )
            return
        report.say(
            f"Note: systemd stops your user units when your last session ends, and starts "
            f"them again at your next login. To keep the {self.role} running while you are "
            "logged out (and start it at boot), run `loginctl enable-linger`; "
            "`loginctl disable-linger` undoes it. The install did not change it."
        )

    def uninstall(self) -> Report:
        report = Report("uninstall", data=self._data())
        disable = self.systemctl.disable_now(self.unit)
        if disable.ok:
            report.mode = MODE
            report.say(f"Disabled and stopped {self.unit}.")
        elif disable.outcome is Outcome.NOT_FOUND:
            report.say(f"No systemd unit {self.unit} was installed.")
        else:
            self._failed(report, f"disable {self.unit}", disable)
        if files.remove(self.host, self.unit_path):
            report.say(f"Removed {self.unit_path}.")
            if disable.outcome is not Outcome.UNREACHABLE:
                self.systemctl.daemon_reload()
        self.process.stop(report)
        return report

    def start(self) -> Report:
        return self._start("start", self.systemctl.start, "Started")

    def _start(self, verb: str, call: Callable[[str], Reply], done: str) -> Report:
        """`start` and `restart`: the same but for systemctl's verb."""
        self._require(self.unit_path, "the unit file")
        report = Report(verb, mode=MODE, data=self._data())
        reply = call(self.unit)
        if reply.outcome is Outcome.UNREACHABLE:
            return self._no_manager(report, reply, self.launch())
        if not reply.ok:
            return self._failed(report, f"{verb} {self.unit}", reply)
        report.say(f"{done} {self.unit}.")
        return report

    def stop(self) -> Report:
        report = Report("stop", data=self._data())
        stop = self.systemctl.stop(self.unit)
        if stop.ok:
            report.mode = MODE
            report.say(f"Stopped {self.unit}.")
        elif stop.outcome is not Outcome.NOT_FOUND:
            report.say(f"Could not stop {self.unit} ({self._why(stop)}).")
        self.process.stop_after_manager(report, manager_stopped=stop.ok)
        return report

    def restart(self) -> Report:
        return self._start("restart", self.systemctl.restart, "Restarted")

    def status(self) -> Report:
        report = Report("status", data=self._data())
        show = self.systemctl.show(self.unit)
        if show.ok:
            values = parse_show(show.result.stdout)
            registered = values.get("LoadState") == "loaded"
            state = f"{values.get('ActiveState', '?')} ({values.get('SubState', '?')})"
            report.data["registered"] = registered
            report.data["state"] = state if registered else ""
            main_pid = values.get("MainPID", "")
            report.data["service_pid"] = int(main_pid) if main_pid.isdigit() else None
            if registered:
                enabled = values.get("UnitFileState") or "not enabled"
                report.mode = MODE
                report.say(f"systemd unit {self.unit}: {state}, {enabled}.")
            else:
                report.say(f"systemd unit {self.unit}: not installed.")
        else:
            self._status_unknown(
                report, show, f"systemd unit {self.unit}: unknown ({self._why(show)})."
            )
        report.data["unit_file_present"] = files.exists(self.host, self.unit_path)
        self.process.report_status(report)
        return report
