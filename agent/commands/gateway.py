"""`codex-agent gateway ...`: the gateway and its service.

This module owns the `gateway` command and its service actions (install, uninstall, start,
stop, restart, status: `agent.commands.service_actions`, on every system), and adds `run`
(its options from `agent.gateway.options`; the server, `agent.gateway.run`, loads only when it
runs). Other modules may add more actions with `gateway_actions(subparsers).add_parser(...)`,
in any order: the `gateway` parser is created by whichever module asks first.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

_ACTIONS_ATTRIBUTE = "_codex_agent_gateway_actions"


def gateway_actions(subparsers: Any) -> Any:
    """The sub-commands of `gateway` (an argparse `_SubParsersAction`), created on first use."""
    parser = subparsers.choices.get("gateway")
    if parser is None:
        parser = subparsers.add_parser(
            "gateway",
            help="the local gateway and its service",
            description="Run the local gateway, or manage it as a service (a scheduled task on "
            "Windows, a systemd user unit on Linux, a launchd agent on macOS).",
        )
        actions = parser.add_subparsers(dest="gateway_action", metavar="ACTION")
        setattr(parser, _ACTIONS_ATTRIBUTE, actions)
        parser.set_defaults(func=lambda args: _missing_action(parser))
    return getattr(parser, _ACTIONS_ATTRIBUTE)


def _missing_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def register(subparsers: Any) -> None:
    from agent.commands.service_actions import register_service_actions
    from agent.gateway.options import add_run_parser
    from agent.service.program import GATEWAY

    actions = gateway_actions(subparsers)
    if "run" not in actions.choices:
        add_run_parser(actions)
    register_service_actions(actions, GATEWAY)
