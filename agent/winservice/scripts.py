"""The two scripts the service writes: the gateway wrapper and the Startup-folder launcher.

`gateway.cmd` (in the home): turn delayed expansion off, go to the home, set the environment
the gateway needs (the home, and the endpoints configured at install time), start the program.
The scheduled task runs it through `cmd.exe /d /v:off /c`; the launcher starts it minimised.

`<task name>.cmd` (in the Startup folder): names the wrapper in a variable and starts it in
its own minimised cmd.exe, so the logon script returns at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agent.service.program import GATEWAY, ServiceProgram
from agent.winservice import quoting_cmd


def launcher_variable(role: str) -> str:
    return f"CODEX_AGENT_{role.upper()}_WRAPPER"


def _header(role: str) -> str:
    return f"rem Written by `codex-agent {role} install`; it is rewritten on every install."


LAUNCHER_VARIABLE = launcher_variable(GATEWAY.role)


@dataclass(frozen=True)
class GatewayProgram:
    """What the gateway (or the broker) runs as: argv, folder and environment, before any
    quoting."""

    argv: tuple[str, ...]
    cwd: str
    env: tuple[tuple[str, str], ...]
    role: str = GATEWAY.role

    @classmethod
    def build(
        cls,
        *,
        python: str,
        home: str,
        host_env: Mapping[str, str],
        bind_host: str | None = None,
        port: int | None = None,
        program: ServiceProgram = GATEWAY,
    ) -> GatewayProgram:
        argv = program.argv(python, bind_host=bind_host, port=port)
        return cls(argv, home, program.environment(home, host_env), program.role)

    def roles(self) -> list[str]:
        roles = ["Python interpreter path"]
        for index, arg in enumerate(self.argv[1:], 1):
            previous = self.argv[index - 1]
            roles.append(f"value of {previous}" if previous.startswith("--") else f"argument {arg}")
        return roles


def wrapper_lines(program: GatewayProgram) -> list[str]:
    lines = ["@echo off", _header(program.role), "setlocal DisableDelayedExpansion"]
    lines.append(quoting_cmd.cd_line(program.cwd, "home folder (CODEX_AGENT_HOME)"))
    for name, value in program.env:
        lines.append(quoting_cmd.set_line(name, value, f"value of {name}"))
    lines.append(quoting_cmd.program_line(program.argv, program.roles()))
    return lines


def launcher_lines(wrapper: str, role: str = GATEWAY.role) -> list[str]:
    variable = launcher_variable(role)
    return [
        "@echo off",
        _header(role),
        "setlocal DisableDelayedExpansion",
        quoting_cmd.set_line(variable, wrapper, f"{role} wrapper path"),
        quoting_cmd.start_detached_line(variable),
    ]


def encode(lines: Sequence[str]) -> bytes:
    return quoting_cmd.encode_script(lines)
