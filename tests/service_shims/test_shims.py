"""The recording systemctl and launchctl as executables: what they record, keep and start."""

from __future__ import annotations

import ast
import json
import os
import plistlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

import service_shims
from service_shims import processes, recording
from service_shims.install import install

SAFETY = 60.0  # seconds; a bound against hangs, never a measured limit


@pytest.fixture
def shims(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    install(
        tmp_path / "bin",
        recording=tmp_path / "rec.jsonl",
        state=tmp_path / "state.json",
        script=tmp_path / "script.json",
        launch=True,
        uid=501,
    )

    def call(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(tmp_path / "bin" / tool), *args],
            env={"HOME": str(home), "USER": "alice", "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=SAFETY,
            check=False,
        )

    call.home = home  # type: ignore[attr-defined]
    call.tmp = tmp_path  # type: ignore[attr-defined]
    return call


def test_only_the_standard_library_and_itself():
    for path in sorted(Path(service_shims.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = {node.module.split(".")[0]}
            else:
                continue
            foreign = names - set(sys.stdlib_module_names) - {"service_shims", "__future__"}
            assert not foreign, f"{path.name} imports {sorted(foreign)}"


def _wait_dead(pid: int) -> bool:
    deadline = time.monotonic() + SAFETY
    while processes.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not processes.alive(pid)


def test_systemctl_records_every_call_and_starts_the_unit_for_real(shims):
    folder = shims.home / ".config" / "systemd" / "user"
    folder.mkdir(parents=True)
    marker = shims.tmp / "a dir" / "started 100%"
    marker.parent.mkdir()
    (folder / "t.service").write_text(
        "[Service]\n"
        f'ExecStart={sys.executable} -c "import pathlib,sys,time; '
        f'pathlib.Path(sys.argv[1]).write_text(\'up\'); time.sleep(600)" "{marker}"\n'.replace(
            "%", "%%"
        ),
        "utf-8",
    )
    assert shims("systemctl", "--user", "start", "t.service").returncode == 5  # not loaded yet
    assert shims("systemctl", "--user", "daemon-reload").returncode == 0
    assert shims("systemctl", "--user", "start", "t.service").returncode == 0
    shown = shims("systemctl", "--user", "show", "t.service", "--property=ActiveState,MainPID")
    values = dict(line.split("=", 1) for line in shown.stdout.splitlines())
    pid = int(values["MainPID"])
    assert values["ActiveState"] == "active"
    deadline = time.monotonic() + SAFETY
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text() == "up"
    assert shims("systemctl", "--user", "stop", "t.service").returncode == 0
    assert _wait_dead(pid)
    entries = recording.read(shims.tmp / "rec.jsonl")
    assert [e["argv"][1] for e in entries] == ["start", "daemon-reload", "start", "show", "stop"]
    assert entries[0]["stderr"] == "Failed to start t.service: Unit t.service not found.\n"
    assert entries[0]["env"]["HOME"] == str(shims.home)


def test_systemctl_warns_when_the_unit_changed_since_the_reload(shims):
    folder = shims.home / ".config" / "systemd" / "user"
    folder.mkdir(parents=True)
    (folder / "t.service").write_text("[Service]\nExecStart=/bin/true\n", "utf-8")
    shims("systemctl", "--user", "daemon-reload")
    (folder / "t.service").write_text("[Service]\nExecStart=/bin/false\n", "utf-8")
    done = shims("systemctl", "--user", "start", "t.service")
    assert "changed on disk. Run 'systemctl --user daemon-reload'" in done.stderr


def test_systemctl_without_a_user_manager(shims):
    (shims.tmp / "script.json").write_text(json.dumps({"options": {"manager": "unreachable"}}))
    assert shims("systemctl", "--user", "is-system-running").stdout == "offline\n"
    done = shims("systemctl", "--user", "daemon-reload")
    assert (done.returncode, done.stderr) == (1, "Failed to connect to bus: No medium found\n")


def test_launchctl_bootstrap_print_kickstart_bootout(shims):
    agents = shims.home / "Library" / "LaunchAgents"
    agents.mkdir(parents=True)
    plist = agents / "x.plist"
    plist.write_bytes(
        plistlib.dumps(
            {
                "Label": "x",
                "ProgramArguments": [sys.executable, "-c", "import time; time.sleep(600)"],
                "RunAtLoad": True,
            }
        )
    )
    assert shims("launchctl", "bootstrap", "gui/501", str(plist)).returncode == 0
    again = shims("launchctl", "bootstrap", "gui/501", str(plist))
    assert (again.returncode, again.stderr.splitlines()[0]) == (
        5,
        "Bootstrap failed: 5: Input/output error",
    )
    printed = shims("launchctl", "print", "gui/501/x").stdout
    pid = int(next(ln for ln in printed.splitlines() if "\tpid = " in ln).split("=")[1])
    assert "\tstate = running" in printed
    assert shims("launchctl", "kickstart", "-k", "gui/501/x").returncode == 0
    assert _wait_dead(pid)
    assert shims("launchctl", "bootout", "gui/501/x").returncode == 0
    gone = shims("launchctl", "print", "gui/501/x")
    assert gone.returncode == 113
    assert 'Could not find service "x" in domain for user gui: 501' in gone.stderr
    wrong = shims("launchctl", "bootstrap", "gui/0", str(plist))
    assert wrong.returncode == 125


def test_replay_prints_a_table(shims):
    shims("systemctl", "--user", "is-system-running")
    done = subprocess.run(
        [sys.executable, "-m", "service_shims", "replay", str(shims.tmp / "rec.jsonl")],
        capture_output=True,
        text=True,
        timeout=SAFETY,
        check=False,
        env={**os.environ},
    )
    assert done.returncode == 0
    assert "systemctl --user is-system-running" in done.stdout
