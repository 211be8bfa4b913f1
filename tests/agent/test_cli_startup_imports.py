"""`codex-agent --help`, `status` and `ask --help` start without the network stack.

Over a hundred `codex-agent` processes start in a scenario run; importing httpx, websockets,
PyJWT/cryptography (or the fakes' server stack) costs each of them ~20x the bare interpreter.
These commands need none of it, so the import trace of the real command line must not show it.
`ssl` is loaded by `status` only to check a configured CA bundle.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from agent_testkit import START, make_tokens

from agent.auth.store import AuthStore, Origin, StoredLogin
from agent.clock import ManualClock

HEAVY = (
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


def imported_modules(args: list[str], env: dict[str, str]) -> set[str]:
    """Every module `python -m agent <args>` imported, from its `-X importtime` trace."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "agent", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    trace = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert trace, result.stderr
    # "import time: self [us] | cumulative | imported package"
    names = {line.rsplit("|", 1)[1].strip() for line in trace[1:]}
    return names


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


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


def test_status_of_a_login_reads_its_claims_without_the_network_stack(
    env: dict[str, str],
) -> None:
    home = Path(env["CODEX_AGENT_HOME"])
    store = AuthStore(home, clock=ManualClock(START), lock_timeout=5)
    store.save(
        StoredLogin(make_tokens("acc_startup_0001", email="ada@example.com"), Origin("device_code"))
    )
    assert heavy_in(imported_modules(["status"], env)) == []
    shown = subprocess.run(
        [sys.executable, "-m", "agent", "status", "--json"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = json.loads(shown.stdout)
    assert report["account"]["email"] == "ada@example.com"
