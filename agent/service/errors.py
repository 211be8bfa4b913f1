"""Errors of the services, each with what happened, why, and what to do."""

from __future__ import annotations

from agent.errors import AgentError


class ServiceError(AgentError):
    code = "gateway_service_error"
    default_message = "The gateway service could not be managed."


class UnsupportedPlatform(ServiceError):
    code = "gateway_service_unsupported"
    default_message = "The gateway service (a Windows scheduled task) exists only on Windows."
    default_remedy = (
        "run `codex-agent gateway run` under your own supervisor (systemd, launchd) instead"
    )


class NotInstalled(ServiceError):
    code = "gateway_service_not_installed"
    default_message = "The gateway service is not installed for this home."
    default_remedy = "run `codex-agent gateway install`"

    @classmethod
    def of(cls, role: str, diagnosis: str) -> NotInstalled:
        return cls(
            f"The {role} service is not installed for this home.",
            diagnosis=diagnosis,
            remedy=f"run `codex-agent {role} install`",
        )


class UnsafeValue(ServiceError):
    """A value cannot be written into a script, a task, a unit or a plist safely; nothing was
    written."""

    code = "gateway_unsafe_value"

    def __init__(
        self,
        role: str,
        problem: str,
        *,
        remedy: str | None = None,
        where: str = "the gateway's scheduled task",
    ) -> None:
        self.role = role
        self.problem = problem
        super().__init__(
            f"The {role} cannot be used in {where}: it {problem}.",
            diagnosis=f"{role}: {problem}",
            remedy=remedy or f"choose a {role} without it, then run the install again",
        )


def refuse_line_breaks(value: str, role: str) -> None:
    """CR or LF ends a line for cmd.exe and splits a task's XML value: never write one."""
    for index, char in enumerate(value):
        if char in "\r\n":
            name = "a carriage return (CR)" if char == "\r" else "a line feed (LF)"
            raise UnsafeValue(role, f"contains {name} at position {index + 1}")


def refuse_control_characters(value: str, role: str) -> None:
    refuse_line_breaks(value, role)
    for index, char in enumerate(value):
        if ord(char) < 0x20 or ord(char) == 0x7F:
            raise UnsafeValue(
                role, f"contains the control character U+{ord(char):04X} at position {index + 1}"
            )
