"""`python -m fake_codex_ws` / `fake-codex-ws`: serve until SIGTERM or SIGINT.

Prints one JSON line on stdout once it listens: base_url, api_base_url, ws_url, ca_cert, ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from fake_codex_ws.authority import HttpIntrospectionAuthority
from fake_codex_ws.clock import VirtualClock
from fake_codex_ws.options import CodexBackendOptions
from fake_codex_ws.server import prepare
from fake_codex_ws.state import BackendState
from fake_codex_ws.tls import given_tls_files
from fake_oauth_server.cli_flags import (
    add_given_tls_flags,
    add_read_timeout_flags,
    transport_limits,
)
from fake_oauth_server.secret_files import SecretError, one_secret, read_secret_file

ENV_OAUTH_ADMIN_TOKEN = "FAKE_CODEX_WS_OAUTH_ADMIN_TOKEN"
ENV_ADMIN_TOKEN = "FAKE_CODEX_WS_ADMIN_TOKEN"
VISIBLE = "visible to every local user in ps; prefer"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fake-codex-ws",
        description="A fake chatgpt.com/backend-api/codex (WebSocket + SSE) and API-key backend.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port to bind (0 = a free port)")
    p.add_argument("--state-dir", type=Path, help="where TLS files and the admin token go")
    p.add_argument(
        "--tls", action=argparse.BooleanOptionalAction, default=True, help="serve TLS (default on)"
    )
    add_given_tls_flags(p)
    p.add_argument("--oauth-issuer", required=True, help="the fake OAuth server's issuer URL")
    p.add_argument("--ca-cert", type=Path, help="CA PEM to trust the OAuth server's TLS")
    p.add_argument(
        "--oauth-admin-token-file",
        type=Path,
        metavar="PATH",
        help=f"file holding the OAuth server's admin token for introspection "
        f"(or ${ENV_OAUTH_ADMIN_TOKEN})",
    )
    p.add_argument(
        "--oauth-admin-token",
        help=f"the OAuth admin token itself: {VISIBLE} --oauth-admin-token-file",
    )
    p.add_argument(
        "--api-key-file",
        type=Path,
        metavar="PATH",
        help="file of API keys the /v1 backend accepts, one a line",
    )
    p.add_argument(
        "--api-key",
        action="append",
        default=[],
        help=f"an API key the /v1 backend accepts (repeatable): {VISIBLE} --api-key-file",
    )
    p.add_argument(
        "--admin-token-file",
        type=Path,
        metavar="PATH",
        help=f"file holding this server's admin token (or ${ENV_ADMIN_TOKEN}; random by default)",
    )
    p.add_argument(
        "--admin-token", help=f"this server's admin token itself: {VISIBLE} --admin-token-file"
    )
    p.add_argument("--seed", type=int, help="seed for response ids and turn states")
    p.add_argument(
        "--connection-limit-seconds",
        type=float,
        default=3600.0,
        help="virtual seconds before websocket_connection_limit_reached (default 3600)",
    )
    p.add_argument(
        "--max-message-bytes",
        type=int,
        default=1024 * 1024,
        help="frames above this close the socket with 1009 (default 1 MiB)",
    )
    add_read_timeout_flags(p)
    return p


def _fail(message: str) -> int:
    print(f"fake-codex-ws: error: {message}", file=sys.stderr)
    return 2


async def _serve(state: BackendState, state_dir: Path) -> None:
    server, sock, endpoints = prepare(state, state_dir)
    loop = asyncio.get_running_loop()

    def stop() -> None:
        server.should_exit = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)

    async def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.01)
        ready = {
            "base_url": endpoints.base_url,
            "api_base_url": endpoints.api_base_url,
            "ws_url": endpoints.ws_url,
            "url": endpoints.root,
            "ca_cert": str(endpoints.ca_cert) if endpoints.ca_cert else None,
            "admin_token": state.admin_token,
            "admin_token_file": str(state_dir / "admin_token"),
            "state_dir": str(state_dir),
            "pid": os.getpid(),
        }
        print(json.dumps(ready), flush=True)

    announcer = asyncio.ensure_future(announce())
    try:
        await server.serve(sockets=[sock])
    finally:
        announcer.cancel()
        sock.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        oauth_admin_token = one_secret(
            args.oauth_admin_token,
            args.oauth_admin_token_file,
            ENV_OAUTH_ADMIN_TOKEN,
            "--oauth-admin-token",
        )
        admin_token = one_secret(
            args.admin_token, args.admin_token_file, ENV_ADMIN_TOKEN, "--admin-token"
        )
        api_keys = list(args.api_key)
        if args.api_key_file is not None:
            api_keys += read_secret_file(args.api_key_file, "--api-key-file")
    except SecretError as exc:
        return _fail(str(exc))
    if not oauth_admin_token:
        return _fail(
            f"--oauth-admin-token-file (or ${ENV_OAUTH_ADMIN_TOKEN}, or --oauth-admin-token) "
            "is required"
        )
    if args.ca_cert is not None and not args.ca_cert.is_file():
        return _fail(f"--ca-cert {args.ca_cert}: no such file")
    if not args.oauth_issuer.startswith(("http://", "https://")):
        return _fail("--oauth-issuer must be an http(s) URL")
    try:
        given_tls_files(args.tls_cert_chain, args.tls_key, args.tls_ca)
    except ValueError as exc:
        return _fail(str(exc))
    try:
        options = CodexBackendOptions(
            host=args.host,
            port=args.port,
            tls=args.tls,
            state_dir=args.state_dir,
            api_keys=tuple(api_keys),
            seed=args.seed,
            connection_limit_seconds=args.connection_limit_seconds,
            max_message_bytes=args.max_message_bytes,
            transport=transport_limits(args),
            cert_chain=args.tls_cert_chain,
            private_key=args.tls_key,
            ca_cert=args.tls_ca,
        )
    except ValueError as exc:
        return _fail(str(exc))
    made_dir = args.state_dir is None
    state_dir: Path = (
        Path(tempfile.mkdtemp(prefix="fake-codex-ws-")) if made_dir else args.state_dir
    )
    if not state_dir.exists():
        state_dir.mkdir(parents=True, mode=0o700)
    elif not state_dir.is_dir():
        return _fail(f"--state-dir {state_dir}: not a directory")
    admin_token = admin_token or secrets.token_urlsafe(24)
    token_file = state_dir / "admin_token"
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(admin_token + "\n")
    authority = HttpIntrospectionAuthority(
        args.oauth_issuer, oauth_admin_token, ca_cert=args.ca_cert
    )
    state = BackendState(options, authority, VirtualClock(), admin_token=admin_token)
    try:
        asyncio.run(_serve(state, state_dir))
    except OSError as exc:
        return _fail(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}")
    finally:
        if made_dir:
            shutil.rmtree(state_dir, ignore_errors=True)
    print("fake-codex-ws: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
