"""The unit file: what systemd reads, written with systemd's own quoting rules.

systemd reads a line as `Key=value`, strips blanks around the value, and joins a line ending
in an odd run of backslashes with the next. Then, per setting:

- `Environment=` splits the value into words (double quotes group, `\\\\` and `\\"` are escapes,
  C escapes such as `\\n` too), then expands `%` specifiers in each word (`%%` is a `%`).
- `ExecStart=` does the same for every word, and at start-up expands `$NAME` and `${NAME}` in
  the arguments (`$$` is a `$`); the executable path itself is not expanded, may not hold
  quotes, backslashes or control characters, and must be absolute and normalized. When the
  path holds a `$`, the line starts with `@path` and gives argv[0] separately, escaped as an
  argument, so the program sees its own path.
- `WorkingDirectory=` and `Description=` expand specifiers only: no quotes, no escapes.

So every word is written between double quotes with `\\`, `"` escaped, `%` doubled (and `$`
doubled in arguments). Values systemd cannot carry are refused with their role before
anything is written: control characters (CR and LF included), text that is not valid UTF-8,
a home with blanks at either end or ending in a backslash.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from agent.service.errors import UnsafeValue, refuse_control_characters
from agent.service.program import Launch, ServiceProgram

WHERE = "the systemd unit"
RESTART_SECONDS = 5
_PLAIN = re.compile(r"[A-Za-z0-9_@+=:,./-]+")
_HEADER = "# Written by `codex-agent {role} install`; it is rewritten on every install."


def _refuse(value: str, role: str, problem: str) -> UnsafeValue:
    return UnsafeValue(role, problem, where=WHERE)


def check_text(value: str, role: str) -> None:
    try:
        refuse_control_characters(value, role)
    except UnsafeValue as error:
        raise _refuse(value, role, error.problem) from None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _refuse(value, role, "is not valid UTF-8 (systemd reads only UTF-8)") from None


def escape_specifiers(text: str) -> str:
    return text.replace("%", "%%")


def quote_word(text: str, *, argument: bool) -> str:
    """One word for `Environment=` or `ExecStart=`; `argument`: `$` is expanded there."""
    if text and _PLAIN.fullmatch(text):
        return escape_specifiers(text)
    out = ['"']
    for char in text:
        if char in '\\"':
            out.append("\\" + char)
        elif char == "%":
            out.append("%%")
        elif char == "$" and argument:
            out.append("$$")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def environment_value(name: str, value: str) -> str:
    check_text(value, f"value of {name}")
    return quote_word(f"{name}={value}", argument=False)


def exec_start_value(argv: tuple[str, ...]) -> str:
    path = argv[0]
    role = "Python interpreter path"
    check_text(path, role)
    bad = sorted({c for c in path if c in "\"'\\"})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise _refuse(
            path,
            role,
            f"contains {shown}, which systemd refuses in an executable path",
        )
    if not path.startswith("/") or posixpath.normpath(path) != path or path.endswith("/"):
        raise _refuse(path, role, "is not an absolute, normalized path to a file")
    words = []
    if "$" in path:
        words.append("@" + quote_word(path, argument=False))
        words.append(quote_word(path, argument=True))
    else:
        words.append(quote_word(path, argument=False))
    for index, arg in enumerate(argv[1:], 1):
        previous = argv[index - 1]
        check_text(arg, f"value of {previous}" if previous.startswith("--") else "argument")
        words.append(quote_word(arg, argument=True))
    return " ".join(words)


def plain_value(value: str, role: str) -> str:
    """For settings without quoting (`WorkingDirectory=`, `Description=`)."""
    check_text(value, role)
    if value != value.strip(" \t"):
        raise _refuse(value, role, "begins or ends with a blank, which systemd strips")
    trailing = len(value) - len(value.rstrip("\\"))
    if trailing % 2:
        raise _refuse(value, role, "ends in a backslash, which systemd reads as a line break")
    return escape_specifiers(value)


@dataclass(frozen=True)
class UnitFile:
    name: str  # codex-agent-<role>-<hash>.service
    text: str

    def encode(self) -> bytes:
        return self.text.encode("utf-8")


def render(program: ServiceProgram, launch: Launch, *, name: str) -> UnitFile:
    home_role = "home folder (CODEX_AGENT_HOME)"
    working = plain_value(launch.cwd, home_role)
    if not launch.cwd.startswith("/"):
        raise _refuse(launch.cwd, home_role, "is not an absolute path")
    lines = [
        _HEADER.format(role=program.role),
        "[Unit]",
        f"Description={escape_specifiers(program.display_name)} ({working})",
        "",
        "[Service]",
        "Type=simple",
        f"WorkingDirectory={working}",
    ]
    lines += [f"Environment={environment_value(k, v)}" for k, v in launch.env]
    lines += [
        f"ExecStart={exec_start_value(launch.argv)}",
        "Restart=on-failure",
        f"RestartSec={RESTART_SECONDS}",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    return UnitFile(name, "\n".join(lines))
