"""Ensure each pinned real client is installed in the cache: reused when there, redone when not.

Concurrent callers (pytest-xdist workers, two nox sessions) are serialised by a file lock per
client and version; the second one finds the first one's install and reuses it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from scenarios.real_clients.installed import InstalledClient, read_marker, write_marker
from scenarios.real_clients.pins import Pin, load_pins
from scenarios.real_clients.recipes import (
    failure_line,
    install_steps,
    last_line,
    launcher_text,
    node_package,
)
from scenarios.real_clients.runner import CommandRunner, run_subprocess
from scenarios.real_clients.sandbox_env import offline_env

CACHE_DIR_VARIABLE = "CODEX_HARNESS_REAL_CLIENTS_DIR"
_REPO = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT = 1800.0  # seconds; a safety bound for a slow registry, not an expectation
VERSION_TIMEOUT = 120.0


class RealClientInstallError(Exception):
    """One line: which client, which version, the command, the last line of its output."""


@dataclass(frozen=True)
class InstallOutcome:
    client: InstalledClient
    cached: bool
    seconds: float


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    chosen = (os.environ if environ is None else environ).get(CACHE_DIR_VARIABLE, "")
    if chosen:
        return Path(chosen).expanduser()
    base = _REPO if (_REPO / "pyproject.toml").is_file() else Path.cwd()
    return base / "build" / "real-clients"


def ensure_installed(
    pin: Pin,
    cache_dir: Path,
    *,
    runner: CommandRunner = run_subprocess,
    python: str = sys.executable,
    clock: Callable[[], float] = time.perf_counter,
    lock_timeout: float = INSTALL_TIMEOUT,
) -> InstallOutcome:
    if not pin.enabled:
        raise RealClientInstallError(f"real client {pin.label} is pinned but not enabled")
    started = clock()
    folder = cache_dir / pin.folder_name
    found = read_marker(folder, pin)  # the fast path takes no lock: the marker is written last
    if found is not None:
        return InstallOutcome(found, cached=True, seconds=clock() - started)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RealClientInstallError(
            f"real client {pin.label} could not be installed: cache folder {cache_dir}: {exc}"
        ) from None
    lock_file = cache_dir / f"{pin.folder_name}.lock"
    try:
        with FileLock(lock_file, timeout=lock_timeout):
            found = read_marker(folder, pin)  # another caller may have installed it meanwhile
            if found is not None:
                return InstallOutcome(found, cached=True, seconds=clock() - started)
            client = _install(pin, folder, runner, python)
    except Timeout:
        raise RealClientInstallError(
            f"real client {pin.label}: another install held {lock_file} "
            f"for more than {lock_timeout:.0f} s"
        ) from None
    return InstallOutcome(client, cached=False, seconds=clock() - started)


def ensure_all(
    cache_dir: Path,
    *,
    pins: Mapping[str, Pin] | None = None,
    names: Iterable[str] | None = None,
    runner: CommandRunner = run_subprocess,
) -> list[InstallOutcome]:
    """Every enabled pin (or the ones named), in the pins file's order; stops at a failure."""
    table = load_pins() if pins is None else pins
    if names is None:
        chosen = [pin for pin in table.values() if pin.enabled]
    else:
        chosen = []
        for name in names:
            if name not in table:
                known = ", ".join(table)
                raise RealClientInstallError(f"no real client named {name!r} (pinned: {known})")
            chosen.append(table[name])
    return [ensure_installed(pin, cache_dir, runner=runner) for pin in chosen]


def ensure_client(name: str) -> InstalledClient:
    """The pinned client `name`, installed in the default cache: what an actor calls."""
    return ensure_all(default_cache_dir(), names=[name])[0].client


def _install(pin: Pin, folder: Path, runner: CommandRunner, python: str) -> InstalledClient:
    node = ""
    if pin.node is not None:
        try:
            node = node_package()
        except ValueError as exc:
            message = f"real client {pin.label} needs Node {pin.node}: {exc}"
            raise RealClientInstallError(message) from None
    if folder.exists() or folder.is_symlink():  # a partial or failed install, or an old marker
        _remove(folder)
    folder.mkdir(parents=True)
    for step in install_steps(pin, folder, python, node):
        done = runner(step.argv, env=step.env(os.environ), timeout=INSTALL_TIMEOUT)
        if done.returncode != 0:
            raise RealClientInstallError(
                f"real client {pin.label} could not be installed: `{_quote(step.argv)}` exited "
                f"{done.returncode}: {failure_line(pin, done.stderr, done.stdout)}"
            )
    executable = folder / pin.executable
    if pin.node is not None:
        _write_launcher(executable, launcher_text(pin, folder, node))
    reported = _reported_version(pin, executable, runner)
    client = InstalledClient(
        name=pin.name,
        package=pin.package,
        version=pin.version,
        folder=folder,
        executable=executable,
        reported_version=reported,
        node=pin.node,
    )
    write_marker(client)
    return client


def _write_launcher(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


def _reported_version(pin: Pin, executable: Path, runner: CommandRunner) -> str:
    argv = [str(executable), "--version"]
    with tempfile.TemporaryDirectory(prefix="real-client-version-") as scratch:
        root = Path(scratch)
        done = runner(argv, env=offline_env(root), cwd=root, timeout=VERSION_TIMEOUT)
    first = next((line.strip() for line in done.stdout.splitlines() if line.strip()), "")
    if done.returncode != 0:
        said = f"exited {done.returncode}: {last_line(done.stderr, done.stdout)}"
    elif pin.version not in first:
        said = f"printed {last_line(first)!r}, not version {pin.version}"
    else:
        return first
    raise RealClientInstallError(
        f"real client {pin.label} installed but `{_quote(argv)}` (offline, fresh home) {said}"
    )


def _remove(folder: Path) -> None:
    if folder.is_symlink() or folder.is_file():
        folder.unlink()
    else:
        shutil.rmtree(folder)


def _quote(argv: Sequence[str]) -> str:
    return shlex.join(argv)
