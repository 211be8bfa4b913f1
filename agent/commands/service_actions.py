"""The service actions of a program's command: `codex-agent <role> install | uninstall | start |
stop | restart | status [--json]`, the same for the gateway and the broker on every system.

    register_service_actions(actions, GATEWAY)   # in agent.commands.gateway
    register_service_actions(actions, BROKER)    # in agent.commands.broker

`actions` is the program's sub-command parsers (an argparse `_SubParsersAction`). An action
the command already has (the broker's own `status`, say) is left as it is: argparse refuses two
parsers of one name. The backend (scheduled task, systemd user unit, launchd agent) comes from
the host, when the action runs.
"""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from agent.service.program import ServiceProgram


def service_help(program: ServiceProgram) -> dict[str, str]:
    role = program.role
    return {
        "install": f"install the {role} as a service (a scheduled task on Windows, a systemd "
        "user unit on Linux, a launchd agent on macOS) and start it",
        "uninstall": f"remove the {role}'s service and stop the {role}",
        "start": f"start the installed {role}",
        "stop": f"stop the {role}",
        "restart": f"stop, then start the {role}",
        "status": f"show the {role}'s service and whether the {role} runs",
    }


def register_service_actions(actions: Any, program: ServiceProgram) -> list[str]:
    """Add the service actions the command does not have yet; their names."""
    added = []
    for name, text in service_help(program).items():
        if name in actions.choices:
            continue
        added.append(name)
        parser = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        if name == "install":
            if program.takes_host:
                parser.add_argument(
                    "--host",
                    dest="bind_host",
                    help=f"address the {program.role} binds (default 127.0.0.1)",
                )
            parser.add_argument(
                "--port",
                type=int,
                help=f"port the {program.role} listens on (default {program.default_port})",
            )
        parser.set_defaults(
            func=functools.partial(run_service_action, program=program), service_action=name
        )
    return added


def run_service_action(args: argparse.Namespace, *, program: ServiceProgram) -> int:
    import json

    from agent.errors import AgentError
    from agent.host import host_from_environment
    from agent.service.choose import service_for

    action: str = args.service_action
    try:
        service = service_for(host_from_environment(), program)
        if action == "install":
            report = service.install(bind_host=getattr(args, "bind_host", None), port=args.port)
        else:
            report = getattr(service, action)()
    except AgentError as error:
        if args.json:
            print(json.dumps({"action": action, "ok": False, "error": error.to_dict()}))
        else:
            print(f"codex-agent {program.role} {action}: {error.message}", file=sys.stderr)
            if error.diagnosis:
                print(f"  why: {error.diagnosis}", file=sys.stderr)
            if error.remedy:
                print(f"  what to do: {error.remedy}", file=sys.stderr)
        return 2 if error.code == "gateway_service_unsupported" else 1
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        for line in report.lines:
            print(line)
    return 0 if report.ok else 1
