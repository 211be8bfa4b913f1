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
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from agent.auth.status import collect_status
from agent.commands.output import report_error
from agent.config import AgentConfig, load_config
from agent.errors import AgentError
from agent.gateway import pidfile
from agent.gateway.options import TOKEN_FILE
from agent.gateway.pidfile import GatewayRecord
from agent.gateway.server import CONTROL_HEADER, GatewayServer
from agent.http import agent_version
from agent.local_http.access import AccessPolicy, allowed_origin, is_loopback
from agent.local_http.token_file import load_or_create_token, read_token
from agent.turns.conversation import Conversation
from agent.turns.runtime import build_runtime

STOP_TIMEOUT = 15.0
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
        _clear_the_way(config.home, replace=replace)
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
        restore = _install_signal_handlers(server)
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


def _install_signal_handlers(server: GatewayServer) -> Any:
    names = ["SIGTERM", "SIGINT", "SIGBREAK", "SIGHUP"]
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        del signum, frame
        server.request_shutdown()

    for name in names:
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            previous[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):
            continue  # not the main thread, or not supported here

    def restore() -> None:
        for sig, old in previous.items():
            try:
                signal.signal(sig, old)
            except (ValueError, OSError):
                pass

    return restore


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


def _clear_the_way(home: Path, *, replace: bool) -> None:
    """Refuse to start next to a live gateway of this home, or stop it with --replace."""
    record = _usable_record(home)
    if record is None or record.pid == os.getpid():
        return
    if not pidfile.process_alive(record.pid):
        pidfile.remove_record(home, record.pid)
        return
    if not replace:
        raise GatewayAlreadyRunning(
            f"A gateway is already running for this home (pid {record.pid}, {record.url}).",
            diagnosis=f"{pidfile.pid_path(home)} names a live process",
            remedy="use `codex-agent gateway run --replace` to stop it and start a new one",
        )
    _stop(home, record)


def _usable_record(home: Path) -> GatewayRecord | None:
    """The pid file's record; an unusable file is set aside (said on stderr) and counts as none."""
    for _ in range(3):
        try:
            return pidfile.read_record(home)
        except pidfile.UnusableRecord as unusable:
            aside = pidfile.set_aside(home)
            if aside is not None:
                print(
                    f"codex-agent gateway: {unusable.path} was not a usable gateway record "
                    f"({unusable.problem}); moved it to {aside}",
                    file=sys.stderr,
                    flush=True,
                )
                return None
            # It changed while it was looked at (another gateway starting): look again.
    return pidfile.read_record(home)


def _stop(home: Path, record: GatewayRecord) -> None:
    confirmed = _ask_to_stop(home, record)
    if confirmed and _wait_gone(record.pid, STOP_TIMEOUT):
        return
    if confirmed or pidfile.looks_like_gateway(record.pid):
        pidfile.terminate(record.pid)
        if _wait_gone(record.pid, STOP_TIMEOUT):
            pidfile.remove_record(home, record.pid)
            return
        pidfile.kill(record.pid)
        if _wait_gone(record.pid, 5.0):
            pidfile.remove_record(home, record.pid)
            return
        raise GatewayStopFailed(
            f"The running gateway (pid {record.pid}) did not stop.",
            remedy=f"stop process {record.pid} by hand, then start the gateway again",
        )
    # The pid is alive but neither answers as our gateway nor looks like one: a reused pid.
    pidfile.remove_record(home, record.pid)


def _local_url(record: GatewayRecord) -> str:
    """The gateway's URL from this machine: a wildcard bind is reached on loopback."""
    wildcard = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}
    host = wildcard.get(record.host, record.host)
    return f"http://{'[' + host + ']' if ':' in host else host}:{record.port}"


def _ask_to_stop(home: Path, record: GatewayRecord) -> bool:
    """POST /v1/shutdown with the control token; True when that gateway agreed."""
    headers = {CONTROL_HEADER: record.control}
    try:
        token = read_token(home / TOKEN_FILE)
    except AgentError:
        token = None
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with httpx.Client(timeout=5.0, trust_env=False) as client:
            answer = client.post(_local_url(record) + "/v1/shutdown", headers=headers, json={})
    except httpx.HTTPError:
        return False
    if answer.status_code != 202:
        return False
    try:
        return bool(answer.json().get("pid") == record.pid)
    except ValueError:
        return False


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pidfile.process_alive(pid):
            return True
        time.sleep(0.05)
    return not pidfile.process_alive(pid)
