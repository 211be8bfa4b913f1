"""The Linux and macOS services as a user sees them: reports, files on disk, what would run."""

from __future__ import annotations

import plistlib
import sys
from pathlib import Path

import pytest

from agent.service.errors import NotInstalled
from agent.service.program import BROKER
from service_shims import unit_model


def unit_file(machine) -> Path:
    (path,) = (machine.home / ".config" / "systemd" / "user").glob("*.service")
    return path


def plist_file(machine) -> Path:
    (path,) = (machine.home / "Library" / "LaunchAgents").glob("*.plist")
    return path


def test_linux_install_writes_a_unit_that_runs_the_gateway(linux):
    report = linux.service().install(bind_host="127.0.0.1", port=8799)
    assert (report.ok, report.mode) == (True, "systemd")
    definition = unit_model.service_definition(unit_file(linux).read_text("utf-8"))
    home = str(linux.home / ".codex-agent")
    assert definition.command.argv == [
        sys.executable, "-m", "agent", "gateway", "run", "--replace",
        "--host", "127.0.0.1", "--port", "8799",
    ]  # fmt: skip
    assert definition.environment == {"CODEX_AGENT_HOME": home}
    assert (definition.working_directory, definition.restart) == (home, "on-failure")
    assert definition.wanted_by == ["default.target"]
    units = linux.shim_state()["systemd"]["units"]
    (state,) = units.values()
    assert (state["enabled"], state["active"]) == (True, "active")
    # The reload came after the write: starting found the file the manager had read.
    assert all(call["answer"] != "warned" for call in linux.calls())


def test_linux_install_explains_linger_and_does_not_enable_it(linux):
    report = linux.service().install()
    text = "\n".join(report.lines)
    assert "run `loginctl enable-linger`" in text
    assert "The install did not change it." in text
    assert report.data["linger"] is False
    assert not any("loginctl" in " ".join(argv) for argv in linux.argvs())


def test_linux_without_a_user_manager_says_so_and_gives_the_foreground_command(linux):
    linux.script({"options": {"manager": "unreachable"}})
    report = linux.service().install(port=8790)
    assert report.ok is False
    text = "\n".join(report.lines)
    assert "No systemd user manager is reachable here" in text
    assert "containers and in WSL without systemd" in text
    assert "nothing was installed" in text
    command = report.data["foreground_command"]
    assert command in text
    assert command.endswith("-m agent gateway run --replace --port 8790")
    assert f"CODEX_AGENT_HOME={linux.home}/.codex-agent" in command
    assert not (linux.home / ".config" / "systemd").exists()


def test_linux_status_reports_the_common_fields(linux):
    service = linux.service()
    service.install()
    data = service.status().to_dict()
    assert data["action"] == "status"
    assert data["mode"] == "systemd"
    assert data["service"].startswith("codex-agent-gateway-")
    assert data["service"].endswith(".service")
    assert (data["registered"], data["state"]) == (True, "active (running)")
    assert data["gateway_running"] is False  # the shim recorded the start; nothing runs
    assert data["home"] == f"{linux.home}/.codex-agent"


def test_linux_uninstall_removes_the_unit_and_its_enablement(linux):
    service = linux.service()
    service.install()
    report = service.uninstall()
    assert report.ok
    folder = linux.home / ".config" / "systemd" / "user"
    assert list(folder.glob("*.service")) == []
    assert list((folder / "default.target.wants").iterdir()) == []
    assert service.status().data["registered"] is False


def test_start_and_restart_before_install_say_what_to_do(machine):
    service = machine.service()
    for action in (service.start, service.restart):
        with pytest.raises(NotInstalled) as caught:
            action()
        assert caught.value.remedy == "run `codex-agent gateway install`"
    assert machine.calls() == []


def test_mac_install_writes_the_agent_and_bootstraps_it(mac):
    report = mac.service().install(port=8799)
    assert (report.ok, report.mode) == (True, "launchd")
    data = plistlib.loads(plist_file(mac).read_bytes())
    home = str(mac.home / ".codex-agent")
    assert data["Label"] == report.data["service"] == plist_file(mac).stem
    assert data["ProgramArguments"] == [
        sys.executable, "-m", "agent", "gateway", "run", "--replace", "--port", "8799",
    ]  # fmt: skip
    assert data["RunAtLoad"] is True
    assert data["KeepAlive"] == {"SuccessfulExit": False}
    assert data["WorkingDirectory"] == home
    assert data["EnvironmentVariables"] == {"CODEX_AGENT_HOME": home}
    assert data["StandardOutPath"] == f"{home}/gateway.out.log"
    assert data["StandardErrorPath"] == f"{home}/gateway.err.log"
    (service,) = mac.shim_state()["launchd"]["services"].values()
    assert service["state"] == "running"
    assert service["runs"] == 1


def test_mac_bootstrap_error_5_is_explained(mac):
    mac.script_exit("bootstrap", 5, "Bootstrap failed: 5: Input/output error\n")
    report = mac.service().install()
    text = "\n".join(report.lines)
    assert report.ok is False
    assert "launchctl bootstrap gui/501 failed (exit 5): Bootstrap failed: 5" in text
    assert "plutil -lint" in text


def test_mac_without_a_gui_session_gives_the_foreground_command(mac):
    mac.script({"options": {"gui_domain": "missing"}})
    report = mac.service().install()
    assert report.ok is False
    text = "\n".join(report.lines)
    assert "launchd has no GUI session for this user" in text
    assert report.data["foreground_command"] in text
    assert plist_file(mac).exists()  # it loads at the next login


def test_mac_stop_unloads_and_start_loads_again(mac):
    service = mac.service()
    service.install()
    assert service.stop().ok
    assert service.status().data["registered"] is False
    assert service.start().mode == "launchd"
    assert service.status().data["state"] == "running"
    restarted = service.restart()
    assert restarted.lines == [f"Restarted {restarted.data['service']} (kickstart -k)."]
    assert mac.argvs()[-1] == ["kickstart", "-k", f"gui/501/{restarted.data['service']}"]


def test_two_homes_two_services_and_the_broker_beside_the_gateway(machine, tmp_path):
    gateway = machine.service().install()
    broker = machine.service(BROKER).install()
    other = machine.service(home=str(tmp_path / "other home")).install()
    names = {gateway.data["service"], broker.data["service"], other.data["service"]}
    assert len(names) == 3
    assert broker.data["service"].startswith("codex-agent-broker-")


def test_the_broker_runs_its_own_command(machine):
    machine.service(BROKER).install(port=8788)
    state = machine.shim_state()
    services = state.get("systemd", {}).get("units") or state["launchd"]["services"]
    (entry,) = services.values()
    assert entry["launch"]["argv"][1:] == [
        "-m",
        "agent",
        "broker",
        "run",
        "--replace",
        "--port",
        "8788",
    ]


def test_an_unusable_pid_file_is_reported_and_never_acted_on(machine):
    service = machine.service()
    service.install()
    pid_file = machine.home / ".codex-agent" / "gateway.pid"
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text("[" * 5000)
    status = service.status()
    assert status.data["gateway_running"] is None
    assert "Gateway process: unknown." in status.lines
    service.stop()
    assert pid_file.exists()


def test_install_makes_the_home_it_runs_in(machine):
    """systemd (200/CHDIR) and launchd do not start a program in a missing folder."""
    home = machine.home / "new home"
    report = machine.service(home=str(home)).install()
    assert report.ok
    assert home.is_dir()
    assert home.stat().st_mode & 0o777 == 0o700
