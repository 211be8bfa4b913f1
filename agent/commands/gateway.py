"""`codex-agent gateway ...`: the gateway and its Windows service.

This module owns the `gateway` command and its service actions (install, uninstall, start,
stop, restart, status), and adds `run` (its options from `agent.gateway.options`; the server,
`agent.gateway.run`, loads only when it runs). Other modules may add
more actions with `gateway_actions(subparsers).add_parser(...)`, in any order: the `gateway`
parser is created by whichever module asks first.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from agent.errors import AgentError

_ACTIONS_ATTRIBUTE = "_codex_agent_gateway_actions"


def gateway_actions(subparsers: Any) -> Any:
    """The sub-commands of `gateway` (an argparse `_SubParsersAction`), created on first use."""
    parser = subparsers.choices.get("gateway")
    if parser is None:
        parser = subparsers.add_parser(
            "gateway",
            help="the local gateway and its Windows service",
            description="Run the local gateway, or manage it as a Windows scheduled task.",
        )
        actions = parser.add_subparsers(dest="gateway_action", metavar="ACTION")
        setattr(parser, _ACTIONS_ATTRIBUTE, actions)
        parser.set_defaults(func=lambda args: _missing_action(parser))
    return getattr(parser, _ACTIONS_ATTRIBUTE)


def _missing_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


_SERVICE_HELP = {
    "install": "register the gateway as a scheduled task (or a Startup launcher) and start it",
    "uninstall": "remove the scheduled task and the Startup-folder launcher, and stop the gateway",
    "start": "start the installed gateway",
    "stop": "stop the gateway",
    "restart": "stop, then start the gateway",
    "status": "show the task, the Startup-folder launcher and whether the gateway runs",
}


def register(subparsers: Any) -> None:
    from agent.gateway.options import add_run_parser

    actions = gateway_actions(subparsers)
    if "run" not in actions.choices:
        add_run_parser(actions)
    for name, text in _SERVICE_HELP.items():
        parser = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        if name == "install":
            parser.add_argument(
                "--host", dest="bind_host", help="address the gateway binds (default 127.0.0.1)"
            )
            parser.add_argument(
                "--port", type=int, help="port the gateway listens on (default 8787)"
            )
        parser.set_defaults(func=_service_action, service_action=name)


def _service_action(args: argparse.Namespace) -> int:
    from agent.host import host_from_environment
    from agent.winservice.service import GatewayService

    action: str = args.service_action
    try:
        service = GatewayService(host_from_environment())
        if action == "install":
            report = service.install(bind_host=args.bind_host, port=args.port)
        else:
            report = getattr(service, action)()
    except AgentError as error:
        if args.json:
            print(json.dumps({"action": action, "ok": False, "error": error.to_dict()}))
        else:
            print(f"codex-agent gateway {action}: {error.message}", file=sys.stderr)
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
