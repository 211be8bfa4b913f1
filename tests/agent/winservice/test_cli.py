"""`codex-agent gateway ...` as a user runs it, on a simulated Windows machine.

The command line picks its host from the environment: `CODEX_AGENT_SIMULATE_WINDOWS=<folder>`
makes it a Windows machine rooted there, whose schtasks is the first one on PATH (the shim).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def codex_agent(
    machine, tmp_path, *args: str, command: str = "gateway"
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.pathsep.join([str(p) for p in machine.host.path_dirs] + [os.environ["PATH"]]),
        "CODEX_AGENT_SIMULATE_WINDOWS": str(machine.host.root),
        "HOME": str(tmp_path),
        "PYTHONIOENCODING": "utf-8",
    }
    return subprocess.run(
        [sys.executable, "-m", "agent", command, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_install_status_uninstall(machine, tmp_path):
    done = codex_agent(machine, tmp_path, "install", "--port", "8765", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["action"], report["ok"], report["mode"]) == ("install", True, "task")
    assert [argv[0] for argv in machine.argvs()] == ["/Query", "/Create", "/Run"]

    status = codex_agent(machine, tmp_path, "status")
    assert status.returncode == 0
    assert f"Scheduled task {report['task']}: Running" in status.stdout
    assert "Gateway process: not running." in status.stdout

    gone = codex_agent(machine, tmp_path, "uninstall")
    assert gone.returncode == 0
    assert f"Deleted the scheduled task {report['task']}." in gone.stdout


def test_fallback_is_reported_in_plain_words(machine, tmp_path):
    machine.script({"rules": [{"verb": "query", "answer": "denied", "language": "de"}]})
    done = codex_agent(machine, tmp_path, "install")
    assert done.returncode == 0
    assert (
        "Scheduled task not installed: schtasks /Query was denied: FEHLER: Zugriff verweigert."
        in done.stdout
    )
    assert "Installed a Startup-folder launcher instead" in done.stdout


def test_start_without_install_explains_what_to_do(machine, tmp_path):
    done = codex_agent(machine, tmp_path, "start")
    assert done.returncode == 1
    assert "not installed" in done.stderr
    assert "what to do: run `codex-agent gateway install`" in done.stderr


def test_refused_value_is_a_clear_error(machine, tmp_path):
    machine.host.extra_env = {}
    env_value = "C:\\Users\\alice\\two\nlines"
    done = subprocess.run(
        [sys.executable, "-m", "agent", "gateway", "install", "--json"],
        env={
            "PATH": os.pathsep.join([str(machine.host.path_dirs[0]), os.environ["PATH"]]),
            "CODEX_AGENT_SIMULATE_WINDOWS": str(machine.host.root),
            "CODEX_AGENT_HOME": env_value,
            "HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "gateway_unsafe_value"
    assert "home folder (CODEX_AGENT_HOME)" in error["message"]
    assert machine.calls() == []


@pytest.mark.skipif(sys.platform.startswith("win"), reason="checks the non-Windows answer")
def test_on_linux_without_simulation_the_systemd_backend_answers(tmp_path):
    """Issue 13: off Windows the service is no longer refused; Linux gets its systemd user
    unit. Here no systemctl is on PATH, so no user manager is reachable."""
    env = {"PATH": str(tmp_path / "no-tools"), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "agent", "gateway", "install"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "No systemd user manager is reachable here" in done.stdout
    assert "-m agent gateway run --replace" in done.stdout


def broker_command(machine, tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    return codex_agent(machine, tmp_path, *args, command="broker")


def test_the_broker_installs_as_a_task_and_falls_back_like_the_gateway(machine, tmp_path):
    done = broker_command(machine, tmp_path, "install", "--port", "8790", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["action"], report["ok"], report["mode"]) == ("install", True, "task")
    assert report["task"].startswith("codex-agent-broker-")
    create = next(argv for argv in machine.argvs() if argv[0] == "/Create")
    assert report["task"] in create
    status = broker_command(machine, tmp_path, "status", "--service")
    assert f"Scheduled task {report['task']}: Running" in status.stdout
    assert "broker: not running" in status.stdout
    assert broker_command(machine, tmp_path, "uninstall").returncode == 0

    machine.script({"rules": [{"verb": "query", "answer": "denied", "language": "de"}]})
    fallback = broker_command(machine, tmp_path, "install")
    assert fallback.returncode == 0, fallback.stderr
    assert "Installed a Startup-folder launcher instead" in fallback.stdout
