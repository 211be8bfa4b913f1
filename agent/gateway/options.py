"""The options of `codex-agent gateway run`, apart from the server so that parsing stays light."""

from __future__ import annotations

import argparse
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
TOKEN_FILE = "gateway.token"


def add_run_parser(actions: Any) -> argparse.ArgumentParser:
    """Add `run` to the `gateway` command's sub-actions (called by agent.commands.gateway).

    The server (`agent.gateway.run`) is imported when the command runs, not to parse it.
    """
    run: argparse.ArgumentParser = actions.add_parser(
        "run",
        help="run the gateway HTTP server in the foreground",
        description="Serve POST /v1/chat, GET /healthz and GET /status until SIGTERM/SIGINT. "
        "Requests from web pages (an Origin header) and for other host names (a Host header "
        "that does not name this address) are refused; a bind beyond loopback requires the "
        f"bearer token in <home>/{TOKEN_FILE}.",
    )
    run.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})"
    )
    run.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any)"
    )
    run.add_argument(
        "--replace",
        action="store_true",
        help="stop a gateway already running for this home (pid file) before starting",
    )
    run.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="let web pages of this origin (scheme://host[:port]) call the gateway; repeatable "
        "(default: none, every request with an Origin header is refused)",
    )
    run.add_argument(
        "--require-token",
        action="store_true",
        help=f"require the bearer token of <home>/{TOKEN_FILE} on loopback too "
        "(always required on other addresses)",
    )
    run.set_defaults(func=_cmd_run)
    return run


def _cmd_run(args: argparse.Namespace) -> int:
    from agent.gateway.run import cmd_run

    return cmd_run(args)
