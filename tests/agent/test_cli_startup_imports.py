"""`codex-agent --help`, `status` and `ask --help` start without the network stack.

Over a hundred `codex-agent` processes start in a scenario run; importing httpx, websockets,
PyJWT/cryptography (or the fakes' server stack) costs each of them ~20x the bare interpreter.
These commands need none of it, so the import trace of the real command line must not show it.
`ssl` is loaded by `status` only to check a configured CA bundle. A command registers only its
own family of commands; the help, which lists them all, also starts without `dataclasses` (and
the `inspect` it brings), which `status` needs for its configuration and store.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest
from agent_testkit import START, make_tokens, run_cli

from agent import cli
from agent.auth.store import AuthStore, Origin, StoredLogin
from agent.clock import ManualClock

HEAVY = (
    "filelock",  # taken when the store is written; `status` only reads
    "_hashlib",  # OpenSSL's digests: fingerprints use CPython's own SHA-256
    "httpx",
    "httpcore",
    "h11",
    "anyio",
    "websockets",
    "jwt",
    "cryptography",
    "starlette",
    "uvicorn",
    "ssl",
    "asyncio",
)


# Runs `python -m agent <args>` and prints, at exit, every module the process imported (the
# `-X importtime` trace misses what `importlib.import_module` loads, as the command line does).
PROBE = """
import atexit, sys
atexit.register(lambda: sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)) + "\\n"))
import runpy
runpy.run_module("agent", run_name="__main__", alter_sys=True)
"""


def imported_modules(args: list[str], env: dict[str, str]) -> set[str]:
    """Every module `python -m agent <args>` imported."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    listed = [line for line in result.stderr.splitlines() if line.startswith("MODULES ")]
    assert listed, result.stderr
    return set(listed[-1].split()[1:])


def heavy_in(modules: set[str], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in heavy)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "agent"
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CODEX_AGENT_HOME": str(home),
        "CODEX_HOME": str(tmp_path / "codex"),
    }


@pytest.mark.parametrize("args", [["--help"], ["ask", "--help"], ["status"], ["status", "--json"]])
def test_command_starts_without_the_network_stack(args: list[str], env: dict[str, str]) -> None:
    assert heavy_in(imported_modules(args, env)) == []


@pytest.mark.parametrize("args", [["--help"], ["ask", "--help"]])
def test_help_starts_without_dataclasses(args: list[str], env: dict[str, str]) -> None:
    assert heavy_in(imported_modules(args, env), ("dataclasses", "inspect")) == []


def test_a_command_loads_only_its_own_family(env: dict[str, str]) -> None:
    modules = imported_modules(["status"], env)
    families = {m for m in modules if m.startswith("agent.commands.")}
    assert families == {"agent.commands.credentials", "agent.commands.output"}


def test_the_command_table_is_what_the_families_register() -> None:
    """`agent.cli.COMMANDS` picks the module to import for a word: it must be the one that
    registers that word, and every word a family registers must be in it."""
    registered: dict[str, str] = {}
    for module in cli.COMMAND_MODULES:
        parser = cli.ArgumentParser(prog="codex-agent")
        subparsers = parser.add_subparsers()
        __import__(module, fromlist=["register"]).register(subparsers)
        registered.update(dict.fromkeys(subparsers.choices, module))
    assert registered == cli.COMMANDS


def test_help_still_lists_every_command_and_a_typo_gets_the_whole_list(
    env: dict[str, str],
) -> None:
    shown = run_cli(["--help"], env)
    assert shown.returncode == 0
    for word in cli.COMMANDS:
        assert f"    {word} " in shown.stdout or f"    {word}\n" in shown.stdout, word
    typo = run_cli(["statuss"], env)
    assert typo.returncode == 2
    assert "invalid choice: 'statuss'" in typo.stderr
    for word in cli.COMMANDS:
        assert f"'{word}'" in typo.stderr


def test_help_wraps_to_the_terminal_width_it_is_given(env: dict[str, str]) -> None:
    """The help finds the width without shutil, as shutil would: COLUMNS first."""
    narrow = run_cli(["gateway", "run", "--help"], {**env, "COLUMNS": "50"})
    wide = run_cli(["gateway", "run", "--help"], {**env, "COLUMNS": "200"})
    assert narrow.returncode == wide.returncode == 0
    # argparse keeps an option and its value on one line, so a line may pass the width a bit.
    assert max(len(line) for line in narrow.stdout.splitlines()) < 60
    assert max(len(line) for line in wide.stdout.splitlines()) > 100
    assert narrow.stdout.split() == wide.stdout.split()  # the same words, wrapped otherwise


def test_a_command_run_in_process_leaves_the_garbage_collector_on(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`status` runs with the collector paused; whoever calls `main` gets it back."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert gc.isenabled()
    assert cli.main(["status", "--json"]) == 1  # not logged in
    assert json.loads(capsys.readouterr().out)["ready"] is False
    assert gc.isenabled()
    with pytest.raises(SystemExit):
        cli.main(["status", "--no-such-option"])
    assert gc.isenabled()


def test_status_of_a_login_reads_its_claims_without_the_network_stack(
    env: dict[str, str],
) -> None:
    home = Path(env["CODEX_AGENT_HOME"])
    store = AuthStore(home, clock=ManualClock(START), lock_timeout=5)
    store.save(
        StoredLogin(make_tokens("acc_startup_0001", email="ada@example.com"), Origin("device_code"))
    )
    assert heavy_in(imported_modules(["status"], env)) == []
    shown = run_cli(["status", "--json"], env)
    report = json.loads(shown.stdout)
    assert report["account"]["email"] == "ada@example.com"
