"""The shim's `systemctl --user`: units read from the user's unit folder, kept in the state.

State: `systemd.loaded` (what the last daemon-reload read: the file's hash and the model's
reading of it, or the error) and `systemd.units` (enabled, active state, pid, starts, what
the last start would run). Texts are systemctl's own (it is not translated).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from service_shims import processes, unit_model
from service_shims.script import Script
from service_shims.shim import Answer, Config, run

UNREACHABLE = "Failed to connect to bus: No medium found\n"
BASE_ENV = ("HOME", "USER", "LOGNAME", "PATH", "LANG", "XDG_RUNTIME_DIR")


def unit_dir() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME", "")
    if not config.startswith("/"):
        config = os.path.join(os.environ.get("HOME", "/"), ".config")
    return Path(config) / "systemd" / "user"


def _hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def main(argv: list[str], config: Config) -> int:
    return run("systemctl", argv, config, act)


def act(argv: list[str], data: dict[str, Any], script: Script, config: Config) -> Answer:
    if "--user" not in argv:
        return Answer(
            1,
            stderr="System has not been booted with systemd as init system (PID 1). "
            "Can't operate.\nFailed to connect to bus: Host is down\n",
            kind="no_system_manager",
        )
    words = [a for a in argv if not a.startswith("-")]
    options = [a for a in argv if a.startswith("-")]
    verb, args = (words[0], words[1:]) if words else ("", [])
    if script.options.get("manager") == "unreachable":
        if verb == "is-system-running":
            return Answer(1, stdout="offline\n", kind="unreachable")
        return Answer(1, stderr=UNREACHABLE, kind="unreachable")
    systemd = data.setdefault("systemd", {"loaded": {}, "units": {}})
    _notice_deaths(systemd)
    if verb == "is-system-running":
        return Answer(0, stdout="running\n")
    if verb == "daemon-reload":
        return _reload(systemd)
    if not args:
        return Answer(1, stderr="Too few arguments.\n", kind="syntax_error")
    unit = args[0]
    if verb == "enable":
        return _enable(systemd, unit)
    if verb == "disable":
        return _disable(systemd, unit, now="--now" in options, config=config)
    if verb == "start":
        return _start(systemd, unit, config, verb="start")
    if verb == "stop":
        if unit not in systemd["loaded"]:
            return Answer(
                5, stderr=f"Failed to stop {unit}: Unit {unit} not loaded.\n", kind="not_found"
            )
        _stop(systemd, unit)
        return Answer(0)
    if verb == "restart":
        if unit not in systemd["loaded"]:
            return Answer(
                5, stderr=f"Failed to restart {unit}: Unit {unit} not found.\n", kind="not_found"
            )
        _stop(systemd, unit)
        return _start(systemd, unit, config, verb="restart")
    if verb == "show":
        return _show(systemd, unit, options)
    return Answer(1, stderr=f"Unknown command verb {verb}.\n", kind="syntax_error")


def _notice_deaths(systemd: dict[str, Any]) -> None:
    for state in systemd["units"].values():
        if (
            state.get("active") == "active"
            and state.get("pid")
            and not processes.alive(state["pid"])
        ):
            state.update(active="failed", sub="failed", pid=0)


def _reload(systemd: dict[str, Any]) -> Answer:
    folder = unit_dir()
    loaded: dict[str, Any] = {}
    for path in sorted(folder.glob("*.service")) if folder.is_dir() else []:
        entry: dict[str, Any] = {"path": str(path), "hash": _hash(path)}
        try:
            definition = unit_model.service_definition(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, unit_model.UnitSyntaxError) as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
        else:
            entry["definition"] = asdict(definition)
        loaded[path.name] = entry
    for name, state in systemd["units"].items():  # running units stay loaded without a file
        if name not in loaded and state.get("active") == "active" and name in systemd["loaded"]:
            loaded[name] = systemd["loaded"][name]
    systemd["loaded"] = loaded
    return Answer(0)


def _enable(systemd: dict[str, Any], unit: str) -> Answer:
    path = unit_dir() / unit
    if not path.is_file():
        return Answer(
            1, stderr=f"Failed to enable unit: Unit file {unit} does not exist.\n", kind="not_found"
        )
    state = systemd["units"].setdefault(unit, {"active": "inactive", "sub": "dead"})
    if state.get("enabled"):
        return Answer(0)
    state["enabled"] = True
    wants = unit_dir() / "default.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    link = wants / unit
    if not link.is_symlink():
        link.symlink_to(path)
    return Answer(0, stderr=f"Created symlink {link} \u2192 {path}.\n")


def _disable(systemd: dict[str, Any], unit: str, *, now: bool, config: Config) -> Answer:
    state = systemd["units"].get(unit)
    path = unit_dir() / unit
    if not path.is_file() and not (state and state.get("enabled")):
        return Answer(
            1,
            stderr=f"Failed to disable unit: Unit file {unit} does not exist.\n",
            kind="not_found",
        )
    text = ""
    link = unit_dir() / "default.target.wants" / unit
    if link.is_symlink():
        link.unlink()
        text = f'Removed "{link}".\n'
    if state is not None:
        state["enabled"] = False
    if now and unit in systemd["loaded"]:
        _stop(systemd, unit)
    return Answer(0, stderr=text)


def _start(systemd: dict[str, Any], unit: str, config: Config, *, verb: str) -> Answer:
    entry = systemd["loaded"].get(unit)
    if entry is None:
        return Answer(
            5, stderr=f"Failed to {verb} {unit}: Unit {unit} not found.\n", kind="not_found"
        )
    if "error" in entry:
        return Answer(
            1,
            stderr=f"Failed to {verb} {unit}: Unit {unit} has a bad unit file setting.\n"
            f"See user logs and 'systemctl --user status {unit}' for details.\n",
            kind="bad_setting",
        )
    warning = ""
    if _hash(Path(entry["path"])) != entry["hash"]:
        warning = (
            f"Warning: The unit file, source configuration file or drop-ins of {unit} changed on "
            "disk. Run 'systemctl --user daemon-reload' to reload units.\n"
        )
    state = systemd["units"].setdefault(unit, {"active": "inactive", "sub": "dead"})
    if state.get("active") == "active":
        return Answer(0, stderr=warning, kind="warned" if warning else "normal")
    definition = entry["definition"]
    command = definition["command"]
    env = {k: os.environ[k] for k in BASE_ENV if k in os.environ}
    env.update(definition["environment"])
    launch = {
        "argv": command["argv"],
        "cwd": definition["working_directory"],
        "env": definition["environment"],
    }
    state["launch"] = launch
    state["starts"] = state.get("starts", 0) + 1
    pid: int | str = 0
    cwd = launch["cwd"]
    if cwd and not Path(cwd).is_dir():
        pid = "status=200/CHDIR"  # systemd does not start a service in a missing folder
    elif config.launch:
        journal = config.state.with_name(f"journal-{unit}.log")
        pid = processes.spawn(
            command["argv"],
            executable=command["path"],
            cwd=cwd or os.environ.get("HOME", "/"),
            env=env,
            out=journal,
            err=journal,
        )
    if isinstance(pid, str):
        state.update(active="failed", sub="failed", pid=0, error=pid)
        return Answer(
            1,
            stderr=f"Job for {unit} failed because the control process exited with error "
            f'code.\nSee "systemctl --user status {unit}" and "journalctl --user -xeu {unit}" '
            "for details.\n",
            kind="start_failed",
        )
    state.update(active="active", sub="running", pid=pid)
    return Answer(0, stderr=warning, kind="warned" if warning else "normal")


def _stop(systemd: dict[str, Any], unit: str) -> None:
    state = systemd["units"].get(unit)
    if state is None:
        return
    processes.stop(state.get("pid") or None)
    state.update(active="inactive", sub="dead", pid=0)


def _show(systemd: dict[str, Any], unit: str, options: list[str]) -> Answer:
    wanted: list[str] = []
    for option in options:
        if option.startswith("--property="):
            wanted += [p for p in option.split("=", 1)[1].split(",") if p]
    entry = systemd["loaded"].get(unit)
    state = systemd["units"].get(unit, {})
    values = {
        "Id": unit,
        "LoadState": ("bad-setting" if entry and "error" in entry else "loaded")
        if entry
        else "not-found",
        "ActiveState": state.get("active", "inactive"),
        "SubState": state.get("sub", "dead"),
        "MainPID": str(state.get("pid") or 0),
        "UnitFileState": ("enabled" if state.get("enabled") else "disabled") if entry else "",
        "NRestarts": "0",
        "ExecMainStatus": "0",
    }
    keys = wanted or list(values)
    return Answer(0, stdout="".join(f"{k}={values.get(k, '')}\n" for k in keys))
