"""`codex-agent broker run`: serve the token endpoint of every client on this machine.

Prints one JSON line on stdout once it listens (what a launcher or the lab waits for):
`{"ready": true, "url", "token_url", "revoke_url", "pid", "home", "window"}`; everything else
goes to stderr. It uses the agent's configuration (issuer, CA bundle, home) for the upstream
and keeps its state in `<home>/broker/`. Loopback only: a refresh broker is a credential
oracle by design, so it never listens beyond this machine. SIGTERM, SIGINT or
`POST /v1/shutdown` end it cleanly.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

from agent.broker.audit import AuditLog
from agent.broker.book import FamilyBook
from agent.broker.server import BrokerServer
from agent.broker.window import AdoptionWindow
from agent.clock import Clock, SystemClock
from agent.config import AgentConfig
from agent.errors import AgentError
from agent.gateway import pidfile
from agent.gateway.pidfile import GatewayRecord
from agent.http import agent_version, build_http_client
from agent.local_http import takeover
from agent.local_http.access import AccessPolicy

DEFAULT_PORT = 8788
BIND_HOST = "127.0.0.1"


class BrokerError(AgentError):
    code = "broker_error"


class BrokerAlreadyRunning(BrokerError):
    code = "broker_running"


class BrokerStopFailed(BrokerError):
    code = "broker_stop_failed"


def run_broker(
    config: AgentConfig,
    *,
    port: int = DEFAULT_PORT,
    window: AdoptionWindow | None = None,
    retry_interrupted: bool = False,
    replace: bool = False,
    clock: Clock | None = None,
) -> int:
    """`clock`: what decides expiry and the adoption window's age (the system's by default; the
    command passes the harness's virtual one when `CODEX_AGENT_CLOCK_FILE` is set, as every
    other command does)."""
    if not 0 <= port <= 65535:
        raise BrokerError(f"--port must be 0-65535, got {port}", remedy="pick another port")
    window = window or AdoptionWindow()
    takeover.clear_the_way(
        config.home,
        takeover.BROKER,
        replace=replace,
        running=BrokerAlreadyRunning,
        stop_failed=BrokerStopFailed,
    )
    folder = config.home / "broker"
    clock = clock or SystemClock()
    with build_http_client(config) as http:
        book = FamilyBook(
            config, http=http, clock=clock, window=window, retry_interrupted=retry_interrupted
        )
        for warning in book.warnings:
            print(f"codex-agent broker: {warning}", file=sys.stderr, flush=True)
        control = pidfile.new_control_token()
        holder: dict[str, BrokerServer] = {}

        def status() -> dict[str, Any]:
            server = holder["server"]
            return {
                "pid": os.getpid(),
                "url": record.url,
                "issuer": config.issuer,
                "window": window.to_dict(),
                "answers": dict(server.answers),
                "upstream_calls": server.upstream_calls,
                "families": book.snapshot(),
                "warnings": list(book.warnings),
            }

        try:
            server = BrokerServer(
                (BIND_HOST, port),
                book=book,
                audit=AuditLog(folder),
                client_id=config.client_id,
                control_token=control,
                policy=AccessPolicy.build(BIND_HOST, realm="codex-agent-broker"),
                status=status,
            )
        except OSError as exc:
            raise BrokerError(
                f"Cannot listen on {BIND_HOST}:{port}: {exc.strerror or exc}.",
                diagnosis="another program uses this port",
                remedy="pick another --port (then `codex-agent broker env --port N`), or stop "
                "the other program (`codex-agent broker run --replace` stops an older broker "
                "of this home)",
            ) from None
        holder["server"] = server
        record = GatewayRecord(
            pid=os.getpid(),
            host=BIND_HOST,
            port=server.port,
            started_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            version=agent_version(),
            control=control,
        )
        restore = takeover.install_signal_handlers(server.request_shutdown)
        try:
            pidfile.write_record(config.home, record, takeover.BROKER.pid_file)
            ready = {
                "ready": True,
                "url": record.url,
                "token_url": f"{record.url}/oauth/token",
                "revoke_url": f"{record.url}/oauth/revoke",
                "pid": record.pid,
                "home": str(config.home),
                "window": window.to_dict(),
                "families": len(book.families()),
            }
            print(json.dumps(ready), flush=True)
            print(
                f"codex-agent broker listening on {record.url} (pid {record.pid}, issuer "
                f"{config.issuer}, {len(book.families())} families)",
                file=sys.stderr,
                flush=True,
            )
            server.serve_forever(poll_interval=0.2)
        finally:
            restore()
            server.server_close()
            pidfile.remove_record(config.home, record.pid, takeover.BROKER.pid_file)
        print("codex-agent broker stopped", file=sys.stderr, flush=True)
    return 0
