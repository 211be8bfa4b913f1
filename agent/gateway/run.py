"""`codex-agent gateway run`: serve until told to stop.

A bind beyond loopback always requires the bearer token in
`<home>/gateway.token` (made on first need, 0600, printed once to stderr when made);
`--require-token` asks for it on loopback too. `--allow-origin` lets a web page of that origin
call the gateway (none by default).

Order matters: the configuration is checked first (a bad config.toml fails before any port is
taken), then an existing gateway of this home is found through the pid file (refused, or
stopped with --replace), then the port is bound and the pid file written. SIGTERM, SIGINT (and
SIGBREAK on Windows) or `POST /v1/shutdown` end it cleanly: turns in flight finish, the pid file
goes, the exit status is 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.auth.status import collect_status
from agent.commands.output import report_error
from agent.config import AgentConfig, load_config
from agent.errors import AgentError
from agent.gateway import pidfile
from agent.gateway.options import TOKEN_FILE
from agent.gateway.pidfile import GatewayRecord
from agent.gateway.server import GatewayServer
from agent.http import agent_version
from agent.local_http import takeover
from agent.local_http.access import AccessPolicy, allowed_origin, is_loopback
from agent.local_http.token_file import load_or_create_token
from agent.turns.conversation import Conversation
from agent.turns.runtime import build_runtime

DRAIN_TIMEOUT = 30.0


class GatewayError(AgentError):
    code = "gateway_error"


class GatewayAlreadyRunning(GatewayError):
    code = "gateway_running"


class GatewayStopFailed(GatewayError):
    code = "gateway_stop_failed"


def cmd_run(args: argparse.Namespace) -> int:
    try:
        config = load_config(os.environ)
        return run_gateway(
            config,
            host=args.host,
            port=args.port,
            replace=args.replace,
            origins=args.allow_origin,
            require_token=args.require_token,
        )
    except AgentError as error:
        return report_error(error)
    except KeyboardInterrupt:  # before the handlers were installed: nothing to clean up yet
        print("codex-agent gateway: interrupted while starting", file=sys.stderr)
        return 130


def run_gateway(
    config: AgentConfig,
    *,
    host: str,
    port: int,
    replace: bool,
    origins: list[str] | None = None,
    require_token: bool = False,
) -> int:
    if not 0 <= port <= 65535:
        raise GatewayError(f"--port must be 0-65535, got {port}", remedy="pick another port")
    try:
        allowed = [allowed_origin(origin) for origin in origins or []]
    except ValueError as exc:
        raise GatewayError(f"--allow-origin: {exc}") from None
    with build_runtime(config) as runtime:
        takeover.clear_the_way(
            config.home,
            takeover.GATEWAY,
            replace=replace,
            running=GatewayAlreadyRunning,
            stop_failed=GatewayStopFailed,
        )
        record_holder: dict[str, GatewayRecord] = {}

        def status() -> dict[str, Any]:
            data = dict(collect_status(config, runtime.clock).data)
            if "gateway" in record_holder:
                record = record_holder["gateway"]
                data.setdefault("gateway", {"pid": record.pid, "url": record.url})
            return data

        token = _bearer_token(config.home) if require_token or not is_loopback(host) else None
        policy = AccessPolicy.build(
            host, origins=allowed, bearer_token=token, realm="codex-agent-gateway"
        )
        control = pidfile.new_control_token()
        try:
            server = GatewayServer(
                (host, port),
                conversations=lambda sid: Conversation(runtime, sid, origin="gateway"),
                status=status,
                control_token=control,
                policy=policy,
            )
        except OSError as exc:
            raise GatewayError(
                f"Cannot listen on {host}:{port}: {exc.strerror or exc}.",
                diagnosis="another program uses this port, or the address is not local",
                remedy="pick another --port, or stop the other program "
                "(`codex-agent gateway run --replace` stops an older gateway of this home)",
            ) from None
        record = GatewayRecord(
            pid=os.getpid(),
            host=host,
            port=server.port,
            started_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            version=agent_version(),
            control=control,
        )
        record_holder["gateway"] = record
        if not is_loopback(host):
            print(
                f"warning: the gateway listens on {host}, beyond this machine; anyone who has "
                f"the bearer token ({config.home / TOKEN_FILE}) can use this ChatGPT login",
                file=sys.stderr,
                flush=True,
            )
        restore = takeover.install_signal_handlers(server.request_shutdown)
        try:
            pidfile.write_record(config.home, record)
            print(
                f"codex-agent gateway listening on {record.url} (pid {record.pid}, "
                f"home {config.home})",
                file=sys.stderr,
                flush=True,
            )
            server.serve_forever(poll_interval=0.2)
            server.wait_idle(DRAIN_TIMEOUT)
        finally:
            restore()
            server.server_close()
            pidfile.remove_record(config.home, record.pid)
        print("codex-agent gateway stopped", file=sys.stderr, flush=True)
    return 0


def _bearer_token(home: Path) -> str:
    """The gateway's bearer token; shown once, on stderr, when it is made (never logged after)."""
    path = home / TOKEN_FILE
    token, created = load_or_create_token(path)
    if created:
        print(
            f"codex-agent gateway: created a bearer token in {path} (0600); clients must send "
            f"`Authorization: Bearer <token>`. The token (shown once):\n{token}",
            file=sys.stderr,
            flush=True,
        )
    else:
        print(
            f"codex-agent gateway: clients must send the bearer token of {path}",
            file=sys.stderr,
            flush=True,
        )
    return token
