"""The gateway as a systemd user unit and as a launchd agent, through the recording shims,
with the gateway really started by them."""

from __future__ import annotations

import json

from agent.gateway import pidfile
from scenarios.lab.lab import Lab
from scenarios.lab.posix_services import PosixServiceMachine
from scenarios.registry import scenario

# Spaces, %, $, quotes, backslashes and non-ASCII in the user's home (and so in the
# agent's home, its unit or plist, and its environment).
HOSTILE_HOME = 'Zoë O\'Brien 100% "real" $HOME \\ 日本'
SYSTEMS = {"linux": "systemd user unit", "darwin": "launchd agent"}


def golden(machine: PosixServiceMachine, name: str) -> None:
    same, difference = machine.matches_golden(name)
    assert same, f"{machine.tool} calls differ from goldens/{name}.json\n{difference}"


def life_cycle(lab: Lab, platform: str, *, user_home: str = "home") -> None:
    machine = PosixServiceMachine(lab, f"{platform}-box", platform, user_home=user_home)
    run = machine.gateway("install", "--port", "0", "--json")
    assert run.exit_code == 0, run.stdout + run.stderr
    report = run.json()
    assert report["mode"] == ("systemd" if platform == "linux" else "launchd"), report
    assert report["home"] == str(machine.agent_home)
    first = machine.running_gateway()
    assert first.pid in machine.service_pids()

    status = machine.gateway("status", "--json").json()
    assert (status["registered"], status["gateway_running"]) == (True, True), status
    assert status["gateway_pid"] == first.pid

    machine.forget_calls()
    assert machine.gateway("restart").exit_code == 0
    second = machine.running_gateway(not_pid=first.pid)
    assert not pidfile.process_alive(first.pid)

    assert machine.gateway("stop").exit_code == 0
    assert not pidfile.process_alive(second.pid)
    stopped = machine.gateway("status", "--json").json()
    assert stopped["gateway_running"] is False, stopped

    assert machine.gateway("start").exit_code == 0
    third = machine.running_gateway(not_pid=second.pid)

    machine.forget_calls()
    gone = machine.gateway("uninstall", "--json")
    assert gone.exit_code == 0, gone.stdout + gone.stderr
    golden(machine, "uninstall")
    assert not pidfile.process_alive(third.pid)
    after = machine.gateway("status", "--json").json()
    assert (after["registered"], after["gateway_running"]) == (False, False), after


@scenario(
    "service-linux",
    "A systemd user unit: install enables and starts it (the shim starts the gateway for real, "
    "it answers /healthz), status sees it, restart replaces the process, stop and start, "
    "uninstall leaves nothing running.",
)
def service_linux(lab: Lab) -> None:
    life_cycle(lab, "linux")


@scenario(
    "service-macos",
    "A launchd agent: install bootstraps it into gui/501 (RunAtLoad starts the gateway for real), "
    "status reads launchctl print, restart is kickstart -k, stop is bootout, uninstall removes "
    "the plist and nothing runs.",
)
def service_macos(lab: Lab) -> None:
    life_cycle(lab, "darwin")


@scenario(
    "service-hostile-home",
    "The whole life cycle on both systems with a home holding spaces, %, $, quotes, a "
    "backslash and non-ASCII: the gateway started by the unit and by the plist runs in that "
    "very folder.",
)
def service_hostile_home(lab: Lab) -> None:
    for platform in SYSTEMS:
        life_cycle(lab, platform, user_home=HOSTILE_HOME)


@scenario(
    "service-linux-no-user-manager",
    "No systemd user manager (a container, WSL without systemd): install says so, installs "
    "nothing, exits non-zero and prints the foreground command, which does run the gateway.",
)
def service_linux_no_user_manager(lab: Lab) -> None:
    machine = PosixServiceMachine(lab, "container", "linux")
    machine.script({"options": {"manager": "unreachable"}})
    run = machine.gateway("install")
    assert run.exit_code == 1, run.stdout
    assert "No systemd user manager is reachable here" in run.stdout
    assert "-m agent gateway run --replace" in run.stdout
    golden(machine, "install_no_user_manager")
    report = json.loads(machine.gateway("install", "--json").stdout)
    assert report["foreground_command"].endswith("gateway run --replace")
    assert not (machine.home / ".config").exists()


@scenario(
    "service-macos-bootstrap-error",
    "launchctl bootstrap fails with error 5 (Input/output error): install says which call failed "
    "and how to look into it, and exits non-zero.",
)
def service_macos_bootstrap_error(lab: Lab) -> None:
    machine = PosixServiceMachine(lab, "mac", "darwin")
    machine.script(
        {
            "rules": [
                {
                    "verb": "bootstrap",
                    "answer": "exit",
                    "exit_code": 5,
                    "stderr": "Bootstrap failed: 5: Input/output error\n",
                }
            ]
        }
    )
    run = machine.gateway("install")
    assert run.exit_code == 1, run.stdout
    assert "Bootstrap failed: 5: Input/output error" in run.stdout
    assert "plutil -lint" in run.stdout
    golden(machine, "install_bootstrap_error_5")
