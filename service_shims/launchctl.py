"""The shim's `launchctl`: agents in the `gui/<uid>` domain, kept in the state.

State: `launchd.services` (label: the plist path, what it says, pid, runs, last exit) and
`launchd.disabled` (labels). Texts are those of macOS 13-15: `Bootstrap failed: 5:
Input/output error` (already loaded, a disabled label, a plist launchd cannot use), `125:
Domain does not support specified action` (no GUI session), `Boot-out failed: 113: Could not
find specified service`, `Could not find service "…" in domain for user gui: 501`.
"""

from __future__ import annotations

import os
import plistlib
from pathlib import Path
from typing import Any

from service_shims import processes
from service_shims.script import Script
from service_shims.shim import Answer, Config, run

BOOTSTRAP_IO = (
    "Bootstrap failed: 5: Input/output error\n"
    "Try re-running the command as root for richer errors.\n"
)
NO_GUI = "Bootstrap failed: 125: Domain does not support specified action\n"
BASE_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"


def main(argv: list[str], config: Config) -> int:
    return run("launchctl", argv, config, act)


def act(argv: list[str], data: dict[str, Any], script: Script, config: Config) -> Answer:
    launchd = data.setdefault("launchd", {"services": {}, "disabled": []})
    _notice_deaths(launchd)
    words = [a for a in argv if not a.startswith("-")]
    flags = [a for a in argv if a.startswith("-")]
    verb, args = (words[0], words[1:]) if words else ("", [])
    domain = f"gui/{config.uid}"
    no_gui = script.options.get("gui_domain") == "missing"
    if verb == "bootstrap":
        if len(args) != 2:
            return Answer(64, stderr="Usage: launchctl bootstrap <domain-target> <path>\n")
        if no_gui or args[0] != domain:
            return Answer(125, stderr=NO_GUI, kind="no_domain")
        return _bootstrap(launchd, Path(args[1]), config)
    if verb not in ("print", "enable", "disable", "bootout", "kickstart") or len(args) != 1:
        return Answer(64, stderr=f"Unrecognized subcommand or arguments: {' '.join(argv)}\n")
    target = args[0]
    prefix = domain + "/"
    if no_gui or not target.startswith(prefix):
        return Answer(
            113, stderr=f"Could not find domain for user gui: {config.uid}\n", kind="no_domain"
        )
    label = target[len(prefix) :]
    service = launchd["services"].get(label)
    if verb == "enable":
        launchd["disabled"] = [x for x in launchd["disabled"] if x != label]
        return Answer(0)
    if verb == "disable":
        if label not in launchd["disabled"]:
            launchd["disabled"].append(label)
        return Answer(0)
    if service is None:
        missing = f'Could not find service "{label}" in domain for user gui: {config.uid}\n'
        if verb == "print":
            return Answer(113, stderr="Bad request.\n" + missing, kind="not_found")
        if verb == "bootout":
            text = "Boot-out failed: 113: Could not find specified service\n"
            return Answer(113, stderr=text, kind="not_found")
        return Answer(113, stderr=missing, kind="not_found")
    if verb == "print":
        return Answer(0, stdout=_print(target, service))
    if verb == "bootout":
        processes.stop(service.get("pid") or None)
        del launchd["services"][label]
        return Answer(0)
    # kickstart
    if service.get("pid") and "-k" in flags:
        processes.stop(service["pid"])
        service.update(pid=0, state="not running", last_exit="(signal 15)")
    if not service.get("pid"):
        _launch(service, config)
    return Answer(0)


def _notice_deaths(launchd: dict[str, Any]) -> None:
    for service in launchd["services"].values():
        if service.get("pid") and not processes.alive(service["pid"]):
            service.update(pid=0, state="not running", last_exit="(unknown)")


def _bootstrap(launchd: dict[str, Any], path: Path, config: Config) -> Answer:
    try:
        definition = plistlib.loads(path.read_bytes())
    except FileNotFoundError:
        return Answer(2, stderr="Bootstrap failed: 2: No such file or directory\n", kind="no_file")
    except (OSError, plistlib.InvalidFileException, ValueError):
        return Answer(5, stderr=BOOTSTRAP_IO, kind="bad_plist")
    label = definition.get("Label") if isinstance(definition, dict) else None
    arguments = definition.get("ProgramArguments") if isinstance(definition, dict) else None
    if (
        not isinstance(label, str)
        or not isinstance(arguments, list)
        or not arguments
        or not all(isinstance(a, str) for a in arguments)
    ):
        return Answer(5, stderr=BOOTSTRAP_IO, kind="bad_plist")
    if label in launchd["services"]:
        return Answer(5, stderr=BOOTSTRAP_IO, kind="already_loaded")
    if label in launchd["disabled"]:
        return Answer(5, stderr=BOOTSTRAP_IO, kind="disabled")
    service: dict[str, Any] = {
        "plist": str(path),
        "definition": definition,
        "pid": 0,
        "runs": 0,
        "state": "not running",
        "last_exit": "(never exited)",
    }
    launchd["services"][label] = service
    if definition.get("RunAtLoad"):
        _launch(service, config)
    return Answer(0)


def _launch(service: dict[str, Any], config: Config) -> None:
    definition = service["definition"]
    env = {"PATH": BASE_PATH}
    env.update({k: os.environ[k] for k in ("HOME", "USER", "LOGNAME") if k in os.environ})
    env.update(definition.get("EnvironmentVariables") or {})
    cwd = definition.get("WorkingDirectory") or "/"
    service["launch"] = {
        "argv": definition["ProgramArguments"],
        "cwd": cwd,
        "env": definition.get("EnvironmentVariables") or {},
    }
    service["runs"] += 1
    pid: int | str = 0
    if config.launch:
        pid = processes.spawn(
            definition["ProgramArguments"],
            cwd=cwd,
            env=env,
            out=Path(definition.get("StandardOutPath") or os.devnull),
            err=Path(definition.get("StandardErrorPath") or os.devnull),
        )
        if isinstance(pid, str):
            service.update(pid=0, state="not running", last_exit="78: EX_CONFIG", error=pid)
            return
    service.update(pid=pid, state="running")


def _print(target: str, service: dict[str, Any]) -> str:
    definition = service["definition"]
    lines = [f"{target} = {{", "\tactive count = 1", f"\tpath = {service['plist']}"]
    lines += ["\ttype = LaunchAgent", f"\tstate = {service['state']}", ""]
    lines.append(f"\tprogram = {definition['ProgramArguments'][0]}")
    lines.append("\targuments = {")
    lines += [f"\t\t{arg}" for arg in definition["ProgramArguments"]]
    lines.append("\t}")
    lines.append(f"\tworking directory = {definition.get('WorkingDirectory', '/')}")
    lines.append(f"\truns = {service['runs']}")
    if service.get("pid"):
        lines.append(f"\tpid = {service['pid']}")
    lines.append(f"\tlast exit code = {service['last_exit']}")
    lines.append("}")
    return "\n".join(lines) + "\n"
