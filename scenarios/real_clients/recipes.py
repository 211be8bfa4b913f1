"""The commands that install a pinned client, by installer kind, and how a failure reads."""

from __future__ import annotations

import os
import re
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


def install_commands(pin: Pin, folder: Path, python: str) -> list[list[str]]:
    if pin.installer == "npm":
        return [
            [
                "npm", "install", "--no-audit", "--no-fund", "--no-update-notifier",
                "--prefix", str(folder), f"{pin.package}@{pin.version}",
            ]
        ]  # fmt: skip
    venv_python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    return [
        [python, "-m", "venv", str(folder)],
        [
            str(venv_python), "-m", "pip", "install", "--no-input",
            "--disable-pip-version-check", f"{pin.package}=={pin.version}",
        ],
    ]  # fmt: skip


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
