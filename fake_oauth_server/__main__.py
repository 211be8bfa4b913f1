"""`python -m fake_oauth_server` / `fake-oauth-server`: serve until SIGTERM or SIGINT.

Prints exactly one JSON line on stdout once it accepts connections (issuer, ca_cert,
admin_token, ...); everything else goes to stderr."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from fake_oauth_server.cli_flags import (
    add_given_tls_flags,
    add_read_timeout_flags,
    transport_limits,
)
from fake_oauth_server.constants import CODEX_CLIENT_ID
from fake_oauth_server.options import OAuthServerOptions
from fake_oauth_server.policies import POLICY_NAMES, PolicySpec
from fake_oauth_server.secret_files import SecretError, one_secret
from fake_oauth_server.server import OAuthServer
from fake_oauth_server.settings import public_issuer

ENV_ADMIN_TOKEN = "FAKE_OAUTH_SERVER_ADMIN_TOKEN"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fake-oauth-server",
        description="An auth.openai.com look-alike with rotating refresh tokens.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (0: a free port)")
    p.add_argument(
        "--state-dir",
        type=Path,
        help="folder for the TLS CA and certificate and, without --seed, the signing key "
        "(the ledger lives in memory)",
    )
    p.add_argument("--no-tls", action="store_true", help="serve plain HTTP")
    add_given_tls_flags(p)
    p.add_argument(
        "--policy",
        default="strict",
        help=f"reuse policy, optionally with parameters, e.g. grace:window=10 "
        f"({', '.join(POLICY_NAMES)})",
    )
    p.add_argument("--seed", type=int, help="seed for ids, tokens and the signing key")
    p.add_argument(
        "--auto-approve",
        action="store_true",
        help="approve device codes and browser consent at once for a default account",
    )
    p.add_argument(
        "--admin-token-file",
        type=Path,
        metavar="PATH",
        help=f"file holding the admin API's bearer token (or ${ENV_ADMIN_TOKEN}; "
        "generated if absent)",
    )
    p.add_argument(
        "--admin-token",
        help="the admin token itself: visible to every local user in ps; prefer --admin-token-file",
    )
    p.add_argument(
        "--client-id",
        action="append",
        default=[],
        help=f"an extra accepted client id (always: {CODEX_CLIENT_ID})",
    )
    p.add_argument("--access-ttl", type=float, default=3600.0, help="access token lifetime, s")
    p.add_argument("--refresh-ttl", type=float, help="refresh token lifetime, s (default: none)")
    p.add_argument(
        "--reuse-status",
        type=int,
        default=400,
        help="HTTP status of refresh_token_* errors (default 400; older: 401)",
    )
    p.add_argument(
        "--revoke-access-on-rotation",
        action="store_true",
        help="a rotation revokes the family's older access tokens",
    )
    p.add_argument("--clock-start", type=float, help="start the virtual clock at this epoch")
    p.add_argument("--freeze-clock", action="store_true", help="start with the clock frozen")
    p.add_argument(
        "--bug-non-atomic-rotation",
        action="store_true",
        help="known bug Hydra #3604: concurrent presenters all rotate",
    )
    p.add_argument(
        "--bug-second-resolution",
        action="store_true",
        help="known bug Keycloak #50999: a same-second replay is accepted",
    )
    add_read_timeout_flags(p)
    p.add_argument(
        "--public-issuer",
        type=_public_issuer,
        metavar="URL",
        help="play this issuer (e.g. https://auth.openai.com) while listening here: advertised "
        "issuer, JWT iss and device-code redirect_uri are its own",
    )
    p.add_argument("--log-level", default="warning", help="server log level (stderr)")
    return p


def _public_issuer(value: str) -> str | None:
    try:
        return public_issuer(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        PolicySpec.from_cli(args.policy)
    except ValueError as exc:
        print(f"fake-oauth-server: --policy: {exc}", file=sys.stderr)
        return 2
    try:
        admin_token = one_secret(
            args.admin_token, args.admin_token_file, ENV_ADMIN_TOKEN, "--admin-token"
        )
    except SecretError as exc:
        print(f"fake-oauth-server: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    options = OAuthServerOptions(
        tls=not args.no_tls,
        policy=args.policy,
        seed=args.seed,
        host=args.host,
        port=args.port,
        state_dir=args.state_dir,
        admin_token=admin_token,
        auto_approve=args.auto_approve,
        clients=(CODEX_CLIENT_ID, *args.client_id),
        clock_start=args.clock_start,
        clock_frozen=args.freeze_clock,
        access_ttl=args.access_ttl,
        refresh_ttl=args.refresh_ttl,
        reuse_status=args.reuse_status,
        revoke_access_on_rotation=args.revoke_access_on_rotation,
        non_atomic_rotation=args.bug_non_atomic_rotation,
        second_resolution_timestamps=args.bug_second_resolution,
        transport=transport_limits(args),
        cert_chain=args.tls_cert_chain,
        private_key=args.tls_key,
        ca_cert=args.tls_ca,
        public_issuer=args.public_issuer,
    )
    try:
        server = OAuthServer(options)
    except (OSError, ValueError) as exc:
        print(f"fake-oauth-server: cannot start: {exc}", file=sys.stderr)
        return 1

    def ready() -> None:
        sys.stdout.write(json.dumps(server.ready_info()) + "\n")
        sys.stdout.flush()

    server.serve(on_started=ready)
    return 0


if __name__ == "__main__":
    sys.exit(main())
