"""Which program a service runs: the gateway or the broker, described once for every backend.

A `ServiceProgram` says how the program is named (the role is the command word, the prefix of
the task, unit and label names, and of the files in the home), how it is started in the
foreground (the argv after `python -m agent`) and where it records its pid. The backends know
nothing else about the program they install.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

# The environment a service inherits from the install, when set there.
CARRIED_ENV = (
    "CODEX_AGENT_ISSUER",
    "CODEX_AGENT_CODEX_BASE_URL",
    "CODEX_AGENT_CA_BUNDLE",
    "CODEX_AGENT_BROKER_URL",
    "CODEX_HOME",
)

RunArgs = Callable[[str | None, int | None], tuple[str, ...]]


class ServiceProgram(NamedTuple):
    """(A named tuple rather than a dataclass: `codex-agent --help` builds the service actions,
    and importing dataclasses would cost it a third of its start.)"""

    role: str  # "gateway" or "broker": `codex-agent <role> run`
    display_name: str  # for descriptions: "codex-agent gateway"
    default_port: int
    pid_file: str  # in the home, in the format of agent.gateway.pidfile
    run_args: RunArgs  # (bind host or None, port or None) -> argv after `python -m agent`
    takes_host: bool = True  # whether `install` offers --host
    carried_env: tuple[str, ...] = CARRIED_ENV

    @property
    def name_prefix(self) -> str:
        """Of the task, unit and label names: `codex-agent-<role>-<hash of the home>`."""
        return f"codex-agent-{self.role}-"

    def argv(self, python: str, *, bind_host: str | None, port: int | None) -> tuple[str, ...]:
        return (python, "-m", "agent", *self.run_args(bind_host, port))

    def environment(self, home: str, host_env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
        env = [("CODEX_AGENT_HOME", home)]
        env += [(name, host_env[name]) for name in self.carried_env if host_env.get(name)]
        return tuple(env)


def _gateway_args(bind_host: str | None, port: int | None) -> tuple[str, ...]:
    argv = ["gateway", "run", "--replace"]
    if bind_host is not None:
        argv += ["--host", bind_host]
    if port is not None:
        argv += ["--port", str(port)]
    return tuple(argv)


def _broker_args(bind_host: str | None, port: int | None) -> tuple[str, ...]:
    argv = ["broker", "run", "--replace"]
    if port is not None:
        argv += ["--port", str(port)]
    return tuple(argv)


GATEWAY = ServiceProgram(
    role="gateway",
    display_name="codex-agent gateway",
    default_port=8787,
    pid_file="gateway.pid",
    run_args=_gateway_args,
)

BROKER = ServiceProgram(
    role="broker",
    display_name="codex-agent refresh broker",
    default_port=8788,
    pid_file="broker.pid",
    run_args=_broker_args,
    takes_host=False,
)


class Launch(NamedTuple):
    """What a service starts, before any quoting: argv, folder and environment."""

    argv: tuple[str, ...]
    cwd: str
    env: tuple[tuple[str, str], ...]

    def command_line(self) -> str:
        """For a person to copy (POSIX shell quoting)."""
        import shlex

        exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in self.env)
        return f"cd {shlex.quote(self.cwd)} && {exports} {shlex.join(self.argv)}"
