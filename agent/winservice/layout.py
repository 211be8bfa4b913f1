"""Where the service's pieces are, per home: the task's name and the files it writes.

Two homes get two tasks: the name carries a hash of the home, compared as Windows compares
paths (without case, `/` as `\\`, no trailing separator).
"""

from __future__ import annotations

import hashlib
import ntpath
from dataclasses import dataclass

from agent.host import Host
from agent.service.program import GATEWAY, ServiceProgram

TASK_PREFIX = GATEWAY.name_prefix


def normalized_home(home: str) -> str:
    path = ntpath.normpath(home.replace("/", "\\"))
    if len(path) > 3:
        path = path.rstrip("\\")
    return path


def task_name_for(home: str, program: ServiceProgram = GATEWAY) -> str:
    digest = hashlib.sha256(normalized_home(home).casefold().encode("utf-8")).hexdigest()
    return program.name_prefix + digest[:10]


@dataclass(frozen=True)
class Layout:
    home: str
    task_name: str
    wrapper: str  # <home>\<role>.cmd: cd, environment, the program line
    task_xml: str  # <home>\<role>-task.xml: the definition registered with /Create /XML
    pid_file: str  # <home>\<role>.pid: written by `<role> run` (JSON with `pid`)
    launcher: str  # <Startup>\<task name>.cmd: the fallback when schtasks is not usable

    @classmethod
    def for_host(
        cls, host: Host, home: str | None = None, program: ServiceProgram = GATEWAY
    ) -> Layout:
        root = normalized_home(home or host.agent_home())
        name = task_name_for(root, program)
        return cls(
            home=root,
            task_name=name,
            wrapper=ntpath.join(root, f"{program.role}.cmd"),
            task_xml=ntpath.join(root, f"{program.role}-task.xml"),
            pid_file=ntpath.join(root, program.pid_file),
            launcher=ntpath.join(host.startup_dir(), name + ".cmd"),
        )
