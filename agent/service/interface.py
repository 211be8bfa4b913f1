"""What every service backend offers, whatever the system."""

from __future__ import annotations

from typing import Protocol

from agent.service.program import ServiceProgram
from agent.service.report import Report


class Service(Protocol):
    program: ServiceProgram

    def install(self, *, bind_host: str | None = None, port: int | None = None) -> Report: ...

    def uninstall(self) -> Report: ...

    def start(self) -> Report: ...

    def stop(self) -> Report: ...

    def restart(self) -> Report: ...

    def status(self) -> Report: ...
