"""Hostile local files for the agent's commands, run as the user runs them (subprocesses with
their own CODEX_AGENT_HOME): a broken auth.json (nested brackets, not UTF-8, a directory, a
symlink loop, empty, huge), an auth.json.lock that is a directory, a config.toml with garbage,
NaN/Infinity or an originator no header can carry, a CA bundle that is not a certificate, a
broken cooldowns.json and a broken clock file (the lab's seam).

Each run ends with exit code 1 or 2, no traceback and no "this is a bug" in its output, names
the file or setting at fault, and keeps the original (unchanged, or moved aside as *.corrupt-*).
A command the file does not concern may succeed (`login` replaces a broken store, once the
device code is approved: this module's OAuth server approves at once)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from advkit.processes import CRASH_MARKERS, cli
from advkit.tally import TALLY
from advkit.verdict import Outcome
from advkit.world import (
    GOOD_CONFIG,
    AgentHome,
    BackendProcess,
    OAuthProcess,
    agent_home,
    start_backend,
    start_oauth,
)

Pair = tuple[OAuthProcess, BackendProcess]

COMMANDS: dict[str, list[str]] = {
    "status": ["status"],
    "refresh": ["refresh"],
    "ask": ["ask", "say hi"],
    "login": ["login", "--device", "--no-open"],
}
RUN_TIMEOUT = 120.0  # a safety bound; `login` gives up after login_timeout_seconds = 1


@dataclass(frozen=True)
class Hostile:
    """One hostile file: how to make it in a home, which file it is, what the error must name."""

    name: str
    make: Callable[[AgentHome], Path]
    names: tuple[str, ...]
    logged_in: bool = False  # a good login first, so the hostile file is the only problem
    may_succeed: frozenset[str] = frozenset()  # commands that need not touch this file
    pointed_at_by: str | None = None  # the variable that names the file, for files outside home


def _write(relative: str, data: bytes) -> Callable[[AgentHome], Path]:
    def make(home: AgentHome) -> Path:
        path = home.home / relative
        path.write_bytes(data)
        return path

    return make


def _directory(relative: str) -> Callable[[AgentHome], Path]:
    def make(home: AgentHome) -> Path:
        path = home.home / relative
        if path.exists():
            path.unlink()
        path.mkdir()
        (path / "inside").write_text("x")
        return path

    return make


def _symlink_loop(home: AgentHome) -> Path:
    path = home.home / "auth.json"
    path.symlink_to("auth.json")
    return path


def _garbage_ca(home: AgentHome) -> Path:
    home.ca_bundle.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERT")
    return home.ca_bundle


def _config(text: str) -> Callable[[AgentHome], Path]:
    return _write("config.toml", text.encode("utf-8"))


HUGE = b'{"tokens": {"refresh_token": "' + b"r" * (24 * 1024 * 1024) + b'"}}'
AUTH = ("auth.json",)
CONFIG = ("config.toml",)
LOGIN = frozenset({"login"})
EVERY_COMMAND = frozenset(COMMANDS)
CLOCK = ("clock.json", "CODEX_AGENT_CLOCK_FILE")

CASES = [
    Hostile("auth nested brackets", _write("auth.json", b"[" * 100_000), AUTH, may_succeed=LOGIN),
    Hostile("auth nested objects", _write("auth.json", b'{"a":' * 50_000), AUTH, may_succeed=LOGIN),
    Hostile(
        "auth not utf-8",
        _write("auth.json", b'{"tokens": "\xff\xfe\xfd"}'),
        AUTH,
        may_succeed=LOGIN,
    ),
    Hostile("auth a directory", _directory("auth.json"), AUTH, may_succeed=LOGIN),
    Hostile("auth a symlink loop", _symlink_loop, AUTH, may_succeed=LOGIN),
    Hostile("auth empty", _write("auth.json", b""), AUTH, may_succeed=LOGIN),
    Hostile("auth huge", _write("auth.json", HUGE), AUTH, may_succeed=LOGIN),
    Hostile(
        "auth nan",
        _write("auth.json", b'{"last_refresh": NaN, "tokens": Infinity}'),
        AUTH,
        may_succeed=LOGIN,
    ),
    Hostile(
        "lock a directory",
        _directory("auth.json.lock"),
        ("auth.json.lock",),
        True,
        frozenset({"status", "ask"}),
    ),
    Hostile("config garbage", _config("[[[ this is = not toml\n"), CONFIG, True),
    Hostile(
        "config not utf-8",
        _write("config.toml", b'[auth]\noriginator = "\xff\xfe"\n'),
        CONFIG,
        True,
    ),
    Hostile("config nested arrays", _config("a = " + "[" * 5000 + "]" * 5000 + "\n"), CONFIG, True),
    Hostile(
        "config nan",
        _config("[auth]\nrefresh_skew_seconds = nan\n"),
        ("refresh_skew_seconds",),
        True,
    ),
    Hostile(
        "config inf",
        _config("[auth]\nlock_timeout_seconds = inf\n"),
        ("lock_timeout_seconds",),
        True,
    ),
    Hostile(
        "config -inf",
        _config("[auth]\nhttp_timeout_seconds = -inf\n"),
        ("http_timeout_seconds",),
        True,
    ),
    Hostile(
        "config huge seconds",
        _config("[auth]\nlogin_timeout_seconds = 1e308\n"),
        ("login_timeout_seconds",),
        True,
    ),
    Hostile(
        "config non-ascii originator",
        _config('[auth]\noriginator = "c\\u00f6dex_\\u2603"\n'),
        ("originator",),
        True,
    ),
    Hostile(
        "config CR/LF originator",
        _config('[auth]\noriginator = "codex\\r\\nX-Evil: 1"\n'),
        ("originator",),
        True,
    ),
    Hostile(
        "config CRLF lines, nan",
        _config("[auth]\r\nlock_timeout_seconds = nan\r\n"),
        ("lock_timeout_seconds",),
        True,
    ),
    Hostile("config a directory", _directory("config.toml"), CONFIG, True),
    Hostile("CA bundle garbage", _garbage_ca, ("ca-bundle.pem", "CODEX_AGENT_CA_BUNDLE"), True),
    # The rate-limit memory: moved aside and forgotten; no command fails because of it.
    Hostile(
        "cooldowns nested brackets",
        _write("cooldowns.json", b"[" * 100_000),
        ("cooldowns.json",),
        True,
        EVERY_COMMAND,
    ),
    Hostile("cooldowns not utf-8", _write("cooldowns.json", b"\xff\xfe{"), (), True, EVERY_COMMAND),
    # The lab's clock seam: a broken one is an error naming it, never the wall clock instead.
    Hostile(
        "clock file nested brackets",
        _write("clock.json", b"[" * 100_000),
        CLOCK,
        True,
        pointed_at_by="CODEX_AGENT_CLOCK_FILE",
    ),
    Hostile(
        "clock file infinity",
        _write("clock.json", b'{"mode": "frozen", "now": Infinity}'),
        CLOCK,
        True,
        pointed_at_by="CODEX_AGENT_CLOCK_FILE",
    ),
]


@dataclass
class Snapshot:
    kind: str  # file, dir, link
    digest: str


def _snapshot(path: Path) -> Snapshot | None:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None
    if os.path.islink(path):
        return Snapshot("link", os.readlink(path))
    if path.is_dir():
        return Snapshot("dir", ",".join(sorted(p.name for p in path.iterdir())))
    return Snapshot("file", hashlib.sha256(path.read_bytes()).hexdigest() + str(st.st_size))


def _kept(path: Path, before: Snapshot) -> bool:
    """The original is where it was, or moved aside as <name>.corrupt-*, with the same content."""
    if _snapshot(path) == before:
        return True
    return any(_snapshot(p) == before for p in path.parent.glob(f"{path.name}.corrupt-*"))


@dataclass
class Run:
    exit_code: int | None
    stderr: str
    kept: bool
    path: Path


def _run_case(pair: Pair, root: Path, case: Hostile, command: str) -> Run:
    home = agent_home(root, *pair)
    home.write_config(
        GOOD_CONFIG.replace("login_timeout_seconds = 1", "login_timeout_seconds = 60")
    )
    if case.logged_in:
        home.log_in()
    path = case.make(home)
    before = _snapshot(path)
    assert before is not None
    try:
        proc = subprocess.run(
            [*cli("codex-agent"), *COMMANDS[command]],
            env=home.env(**({case.pointed_at_by: str(path)} if case.pointed_at_by else {})),
            cwd=root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        code: int | None = proc.returncode
        stderr = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    except subprocess.TimeoutExpired as exc:
        code, stderr = None, (exc.stderr or b"").decode("utf-8", "replace")
    return Run(code, stderr, _kept(path, before), path)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Fakes of this module's own: device codes approved at once, polled every second."""
    workdir = tmp_path_factory.mktemp("hostile-fakes")
    oauth = start_oauth(workdir / "oauth", "--auto-approve")
    backend = start_backend(workdir / "backend", oauth)
    oauth.admin.update_settings(device_interval=1)
    try:
        yield oauth, backend
    finally:
        backend.server.stop()
        oauth.server.stop()
        backend.admin.close()
        oauth.admin.close()


@pytest.fixture(scope="module")
def runs(pair: Pair, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Run]:
    """Every (case, command) at once, a few at a time: each is a Python start-up or two."""
    base = tmp_path_factory.mktemp("hostile")
    jobs = {
        (case.name, command): (case, command, base / f"{i:02d}-{command}")
        for i, case in enumerate(CASES)
        for command in COMMANDS
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            key: pool.submit(_run_case, pair, root, case, command)
            for key, (case, command, root) in jobs.items()
        }
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_hostile_file_gets_a_clear_error(
    runs: dict[tuple[str, str], Run], case: Hostile, command: str
) -> None:
    run = runs[(case.name, command)]
    crash = next((m for m in CRASH_MARKERS if m in run.stderr), None)
    named = any(name in run.stderr for name in case.names)
    if run.exit_code is None:
        outcome = Outcome.HANG
    elif crash:
        outcome = Outcome.TRACEBACK
    elif run.exit_code == 0 and command in case.may_succeed and run.kept:
        outcome = Outcome.WORKED
    elif run.exit_code in (1, 2) and named and run.kept:
        outcome = Outcome.CLEAR_ERROR
    else:
        outcome = Outcome.UNCLEAR_ERROR
    TALLY.record(f"files {command}", outcome)
    tail = run.stderr[-1500:]
    assert run.exit_code is not None, f"still running after {RUN_TIMEOUT:g} s: {tail}"
    assert crash is None, f"{crash!r} in the output:\n{tail}"
    assert run.kept, f"{run.path.name} was neither kept nor moved aside as *.corrupt-*"
    if run.exit_code == 0 and command in case.may_succeed:
        return
    assert run.exit_code in (1, 2), f"exit {run.exit_code}:\n{tail}"
    assert named, f"the output names none of {case.names}:\n{tail}"
