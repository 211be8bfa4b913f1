"""The exact systemctl and launchctl calls of every action and failure, against goldens/.

Regenerate after an intended change: `CODEX_UPDATE_GOLDENS=1 pytest tests/agent/service`,
then review `git diff tests/agent/service/goldens`.
"""

from __future__ import annotations

from agent.service.program import BROKER


def test_every_action(machine, golden):
    service = machine.service()
    service.install()
    golden(machine, "install")
    for action in ("start", "stop", "restart", "status", "uninstall"):
        machine.forget_calls()
        getattr(service, action)()
        golden(machine, action)


def test_reinstall(machine, golden):
    machine.service().install()
    machine.forget_calls()
    report = machine.service().install(port=9999)
    assert report.ok, report.lines
    golden(machine, "reinstall")


def test_status_and_stop_when_nothing_is_installed(machine, golden):
    service = machine.service()
    assert service.status().data["registered"] is False
    golden(machine, "status_not_installed")
    machine.forget_calls()
    assert "The gateway was not running." in service.stop().lines
    golden(machine, "stop_not_installed")
    machine.forget_calls()
    service.uninstall()
    golden(machine, "uninstall_not_installed")


def test_broker_install(machine, golden):
    report = machine.service(BROKER).install()
    assert report.ok, report.lines
    golden(machine, "broker_install")


def test_linux_user_manager_unreachable(linux, golden):
    linux.script({"options": {"manager": "unreachable"}})
    report = linux.service().install()
    assert not report.ok
    golden(linux, "install_no_user_manager")
    linux.forget_calls()
    linux.service().status()
    golden(linux, "status_no_user_manager")


def test_linux_unit_not_found_by_the_manager(linux, golden):
    linux.service().install()
    linux.forget_calls()
    linux.script_exit("start", 5, "Failed to start x.service: Unit x.service not found.\n")
    report = linux.service().start()
    assert not report.ok
    golden(linux, "start_unit_not_found")


def test_linux_restart_hangs(linux, golden):
    linux.script({"rules": [{"verb": "restart", "answer": "hang", "seconds": 120}]})
    report = linux.service().install()
    assert not report.ok
    assert "did not finish within 4 s and was stopped (exit 124)" in " ".join(report.lines)
    golden(linux, "install_restart_hangs")


def test_mac_bootstrap_error_5(mac, golden):
    mac.script_exit("bootstrap", 5, "Bootstrap failed: 5: Input/output error\n")
    report = mac.service().install()
    assert not report.ok
    golden(mac, "install_bootstrap_error_5")


def test_mac_without_a_gui_session(mac, golden):
    mac.script({"options": {"gui_domain": "missing"}})
    report = mac.service().install()
    assert not report.ok
    golden(mac, "install_no_gui_session")
