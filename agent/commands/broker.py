"""`codex-agent broker ...`: the refresh broker (run, env, status) and its service actions
(install, uninstall, start, stop, restart: `agent.commands.service_actions`, the same code and
Startup-folder fallback as the gateway's on Windows, a systemd user unit on Linux, a launchd
agent on macOS)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from agent.commands.output import report_error

if TYPE_CHECKING:
    import argparse

    from agent.config import AgentConfig


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "broker",
        help="one refresher for every client of this machine (Codex CLI, VS Code, the agent)",
        description="A local OAuth refresh broker: the token endpoint of every client on this "
        "machine, so that refresh-token rotation never burns a sibling.",
    )
    actions = parser.add_subparsers(dest="broker_action", metavar="ACTION")
    parser.set_defaults(func=lambda args: _missing_action(parser))

    run = actions.add_parser(
        "run",
        help="serve the token endpoint on 127.0.0.1 in the foreground",
        description="Serve POST /oauth/token and /oauth/revoke on 127.0.0.1 until stopped; "
        "prints one JSON line when ready.",
    )
    run.add_argument("--port", type=int, default=8788, help="port (default 8788; 0: any)")
    run.add_argument(
        "--window-generations",
        type=int,
        default=None,
        metavar="K",
        help="honour a rotated refresh token only within the last K generations (default 8)",
    )
    run.add_argument(
        "--window-hours",
        type=float,
        default=None,
        metavar="T",
        help="... and only for T hours after it was rotated (default 72)",
    )
    run.add_argument(
        "--retry-interrupted",
        action="store_true",
        help="present once more a token whose refresh was interrupted (safe only if the "
        "sign-in server allows a grace period; a strict one revokes the login)",
    )
    run.add_argument("--replace", action="store_true", help="stop a broker of this home first")
    run.set_defaults(func=_run)

    env = actions.add_parser(
        "env",
        help="print the environment lines that send clients' refreshes to the broker",
        description="Print the lines that point the Codex CLI, the VS Code extension and "
        "codex-agent at the broker.",
    )
    env.add_argument("--shell", choices=("sh", "fish", "powershell", "cmd"), default=None)
    env.add_argument("--port", type=int, default=None, help="the broker's port (default: the "
                     "running broker's, else 8788)")  # fmt: skip
    env.set_defaults(func=_env)

    status = actions.add_parser(
        "status",
        help="families, generations, last upstream call and errors (fingerprints only)",
        description="Show what the broker serves: families, generations, last upstream "
        "call and errors (fingerprints only).",
    )
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.add_argument(
        "--service",
        action="store_true",
        help="also show the broker's service (scheduled task, systemd unit or launchd agent)",
    )
    status.set_defaults(func=_status)

    from agent.commands.service_actions import register_service_actions
    from agent.service.program import BROKER

    register_service_actions(actions, BROKER)  # install, uninstall, start, stop, restart


def _missing_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _run(args: argparse.Namespace) -> int:
    from agent.broker.run import run_broker
    from agent.broker.window import DEFAULT_GENERATIONS, DEFAULT_HOURS, AdoptionWindow
    from agent.clock import clock_from_env
    from agent.config import load_config
    from agent.errors import AgentError

    try:
        window = AdoptionWindow(
            DEFAULT_GENERATIONS if args.window_generations is None else args.window_generations,
            DEFAULT_HOURS if args.window_hours is None else args.window_hours,
        )
    except ValueError as exc:
        print(f"codex-agent broker run: {exc}", file=sys.stderr)
        return 2
    try:
        config = load_config(os.environ)
        return run_broker(
            config,
            port=args.port,
            window=window,
            retry_interrupted=args.retry_interrupted,
            replace=args.replace,
            clock=clock_from_env(os.environ),
        )
    except AgentError as error:
        return report_error(error)
    except KeyboardInterrupt:
        print("codex-agent broker: interrupted while starting", file=sys.stderr)
        return 130


def _env(args: argparse.Namespace) -> int:
    from agent.auth.refresh_route import running_broker_url
    from agent.broker.client_env import export_lines

    config = _config()
    if config is None:
        return 1
    url = f"http://127.0.0.1:{args.port}" if args.port else None
    url = url or running_broker_url(config.home) or "http://127.0.0.1:8788"
    shell = args.shell or ("powershell" if os.name == "nt" else "sh")
    for line in export_lines(url, shell):
        print(line)
    return 0


def _config() -> AgentConfig | None:
    """The agent's configuration, or None after saying what is wrong with it."""
    from agent.config import load_config
    from agent.errors import AgentError

    try:
        return load_config(os.environ)
    except AgentError as error:
        report_error(error)
        return None


def _status(args: argparse.Namespace) -> int:
    import json

    from agent.broker.status import collect_broker_status

    config = _config()
    if config is None:
        return 1
    status = collect_broker_status(config.home)
    service = _service_status() if args.service else None
    if args.json:
        data = {"running": status.running, **status.data}
        if service is not None:
            data["service"] = service[0]
        print(json.dumps(data, ensure_ascii=False))
    else:
        for line in status.lines():
            print(line)
        if service is not None:
            print("service:")
            for line in service[1]:
                print(f"  {line}")
    return 0


def _service_status() -> tuple[dict[str, Any], list[str]]:
    from agent.errors import AgentError
    from agent.host import host_from_environment
    from agent.service.choose import service_for
    from agent.service.program import BROKER

    try:
        report = service_for(host_from_environment(), BROKER).status()
    except AgentError as error:
        return {"ok": False, "error": error.to_dict()}, [error.message]
    return report.to_dict(), list(report.lines)
