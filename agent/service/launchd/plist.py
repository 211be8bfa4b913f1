"""The launchd agent's property list, written by `plistlib` (which escapes for XML).

launchd runs `ProgramArguments` as given (no shell, no expansion), in `WorkingDirectory`, with
`EnvironmentVariables`; `RunAtLoad` starts it when it is loaded (at login, and at bootstrap);
`KeepAlive` `{SuccessfulExit: false}` starts it again when it exits with a failure, not after
a clean stop. Its output goes to `<home>/<role>.out.log` and `<home>/<role>.err.log`.

XML 1.0 cannot carry most control characters, and a plist holds text only: such values are
refused with their role, before anything is written.
"""

from __future__ import annotations

import plistlib
import posixpath
from typing import Any

from agent.service.errors import UnsafeValue, refuse_control_characters
from agent.service.program import Launch, ServiceProgram

WHERE = "the launchd agent"
THROTTLE_SECONDS = 10  # launchd's own default, written out so the file says it


def _check(value: str, role: str) -> str:
    try:
        refuse_control_characters(value, role)
        value.encode("utf-8")
    except UnsafeValue as error:
        raise UnsafeValue(role, error.problem, where=WHERE) from None
    except UnicodeEncodeError:
        raise UnsafeValue(role, "is not valid UTF-8", where=WHERE) from None
    return value


def log_paths(program: ServiceProgram, home: str) -> tuple[str, str]:
    return (
        posixpath.join(home, f"{program.role}.out.log"),
        posixpath.join(home, f"{program.role}.err.log"),
    )


def agent_definition(program: ServiceProgram, launch: Launch, *, label: str) -> dict[str, Any]:
    home_role = "home folder (CODEX_AGENT_HOME)"
    if not launch.cwd.startswith("/"):
        raise UnsafeValue(home_role, "is not an absolute path", where=WHERE)
    arguments = [_check(launch.argv[0], "Python interpreter path")]
    for index, arg in enumerate(launch.argv[1:], 1):
        previous = launch.argv[index - 1]
        arguments.append(
            _check(arg, f"value of {previous}" if previous.startswith("--") else "argument")
        )
    out, err = log_paths(program, launch.cwd)
    return {
        "Label": label,
        "ProgramArguments": arguments,
        "WorkingDirectory": _check(launch.cwd, home_role),
        "EnvironmentVariables": {k: _check(v, f"value of {k}") for k, v in launch.env},
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": THROTTLE_SECONDS,
        "ProcessType": "Background",
        "StandardOutPath": _check(out, home_role),
        "StandardErrorPath": _check(err, home_role),
    }


def encode(definition: dict[str, Any]) -> bytes:
    return plistlib.dumps(definition, fmt=plistlib.FMT_XML, sort_keys=False)
