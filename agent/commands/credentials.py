"""`login`, `import-codex`, `refresh`, `status`, `logout`: the agent's ChatGPT credentials.

The HTTP client (httpx, ssl) is imported by the commands that talk to the sign-in server, when
they run: `--help` and `status` start without it.
"""

from __future__ import annotations

import os

from agent.commands.output import progress, report_error

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see agent.cli)

if TYPE_CHECKING:
    import argparse
    from typing import Any

    from agent.auth.manager import CredentialManager, LiveCredentials
    from agent.auth.tokens import TokenSet


def register(subparsers: Any) -> None:
    login = subparsers.add_parser("login", help="sign in with ChatGPT (device code by default)")
    how = login.add_mutually_exclusive_group()
    how.add_argument(
        "--device", action="store_true", help="device code: no browser needed here (default)"
    )
    how.add_argument(
        "--browser", action="store_true", help="browser sign-in with a local callback (PKCE)"
    )
    login.add_argument(
        "--port",
        type=int,
        default=None,
        help="callback port for --browser (default 1455, then 1457)",
    )
    login.add_argument(
        "--no-open", action="store_true", help="print the link without opening a browser"
    )
    login.set_defaults(func=cmd_login)

    imp = subparsers.add_parser(
        "import-codex", help="adopt the Codex CLI's ChatGPT login (same account)"
    )
    imp.set_defaults(func=cmd_import, short_lived=True)

    refresh = subparsers.add_parser("refresh", help="ensure a live access token")
    refresh.add_argument(
        "--force", action="store_true", help="rotate now unless a peer already did"
    )
    refresh.add_argument(
        "--retry-interrupted",
        action="store_true",
        help="after an interrupted refresh, present the old refresh token once more (a replay: "
        "the sign-in server may revoke the login for it)",
    )
    refresh.set_defaults(func=cmd_refresh, short_lived=True)

    status = subparsers.add_parser("status", help="show whether the agent can work (read-only)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status, short_lived=True)

    logout = subparsers.add_parser("logout", help="revoke the login at the server and delete it")
    logout.add_argument(
        "--revoke", action="store_true", help="revoke even a login shared with the Codex CLI"
    )
    logout.set_defaults(func=cmd_logout, short_lived=True)


def _manager() -> CredentialManager:
    from agent.auth.manager import CredentialManager
    from agent.clock import clock_from_env
    from agent.config import load_config

    return CredentialManager(load_config(os.environ), clock=clock_from_env(os.environ))


def _describe(tokens: TokenSet) -> str:
    claims = tokens.id_claims
    who = claims.email or "(no email)"
    plan = f", plan {claims.plan}" if claims.plan else ""
    return f"{who}{plan}"


def cmd_login(args: argparse.Namespace) -> int:
    from agent.auth.browser_login import browser_login
    from agent.auth.device_login import device_code_login
    from agent.errors import AgentError

    try:
        with _manager() as manager:
            config = manager.config
            manager.ensure_writable()
            if args.browser:
                port = args.port if args.port is not None else config.callback_port
                saved: list[Any] = []

                def persist(tokens: TokenSet) -> None:
                    saved.append(manager.save_new_login(tokens, method="browser"))

                tokens = browser_login(
                    manager.client,
                    port=port,
                    originator=config.originator,
                    progress=progress,
                    persist=persist,
                    timeout=config.login_timeout_seconds,
                    open_browser=not args.no_open,
                )
                notices = saved[0].notices if saved else ()
            else:
                tokens = device_code_login(
                    manager.client,
                    clock=manager.clock,
                    progress=progress,
                    timeout=config.login_timeout_seconds,
                    retry=manager.retry,
                )
                notices = manager.save_new_login(tokens, method="device_code").notices
    except AgentError as error:
        return report_error(error)
    for notice in notices:
        progress(f"notice: {notice}")
    print(f"Logged in as {_describe(tokens)}.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from agent.errors import AgentError

    try:
        with _manager() as manager:
            saved = manager.import_codex_cli()
    except AgentError as error:
        return report_error(error)
    for notice in saved.notices:
        progress(f"notice: {notice}")
    print(
        f"Imported the Codex CLI's login ({_describe(saved.login.tokens)}) from "
        f"{saved.login.origin.codex_home}."
    )
    return 0


_SOURCES = {
    "memory": "still valid",
    "store": "still valid",
    "stale_but_valid": "still valid, but the refresh failed",
    "peer_agent": "adopted the pair another codex-agent process rotated",
    "codex_cli": "adopted the pair the Codex CLI rotated",
    "refreshed": "refreshed",
}


def _print_credentials(creds: LiveCredentials) -> None:
    from agent.auth.store import rfc3339

    when = rfc3339(creds.expires_at) if creds.expires_at is not None else "unknown"
    print(f"Access token {_SOURCES.get(creds.source, creds.source)}; valid until {when}.")
    if creds.warning is not None:
        progress(f"warning: {creds.warning.message}")


def cmd_refresh(args: argparse.Namespace) -> int:
    from agent.errors import AgentError

    try:
        with _manager() as manager:
            creds = manager.refresh(force=args.force, retry_interrupted=args.retry_interrupted)
    except AgentError as error:
        return report_error(error)
    _print_credentials(creds)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from agent.auth.status import collect_status, render_text
    from agent.clock import clock_from_env
    from agent.config import load_config
    from agent.errors import AgentError

    try:
        report = collect_status(load_config(os.environ), clock_from_env(os.environ))
    except AgentError as error:
        if args.json:
            print(
                json.dumps(
                    {"ready": False, "summary": error.message, "last_error": error.to_dict()},
                    indent=2,
                )
            )
            return 1
        return report_error(error)
    if args.json:
        print(json.dumps(report.data, indent=2))
    else:
        print(render_text(report))
    return 0 if report.ready else 1


def cmd_logout(args: argparse.Namespace) -> int:
    from agent.errors import AgentError

    try:
        with _manager() as manager:
            result = manager.logout(revoke_shared=args.revoke)
    except AgentError as error:
        return report_error(error)
    for notice in result.notices:
        progress(f"notice: {notice}")
    for copy in result.removed_copies:
        progress(f"notice: deleted {copy} (a store once moved aside as corrupt)")
    if not result.was_logged_in:
        print("Not logged in; nothing to do.")
    else:
        print("Logged out" + (" (revoked at the server)." if result.revoked else "."))
    return 0
