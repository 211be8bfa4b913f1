"""One server per home and role: find the one running, refuse to start beside it, or stop it.

The gateway and the broker each keep a pid record (`agent.gateway.pidfile`: `gateway.pid`,
`broker.pid`) with a control token. Starting a second one for the same home is refused, or
with `--replace` the first is asked to stop over loopback (`POST /v1/shutdown`, which works the
same on Windows), then signalled only if it is recognisably ours. Signals end a server cleanly.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from agent.errors import AgentError
from agent.gateway import pidfile
from agent.gateway.pidfile import GatewayRecord
from agent.local_http.token_file import read_token

CONTROL_HEADER = "X-Gateway-Control"
STOP_TIMEOUT = 15.0


@dataclass(frozen=True)
class ServerRole:
    """Which local server of a home: `gateway` or `broker`."""

    name: str
    pid_file: str
    token_file: str | None = None  # the bearer token a request needs off loopback

    @property
    def command(self) -> str:
        return f"codex-agent {self.name} run"


GATEWAY = ServerRole("gateway", pidfile.PID_FILE, "gateway.token")
BROKER = ServerRole("broker", "broker.pid")


class AlreadyRunning(AgentError):
    code = "server_running"


class StopFailed(AgentError):
    code = "server_stop_failed"


def clear_the_way(
    home: Path,
    role: ServerRole,
    *,
    replace: bool,
    running: type[AgentError] = AlreadyRunning,
    stop_failed: type[AgentError] = StopFailed,
) -> None:
    """Refuse to start next to a live server of this role and home, or stop it (--replace)."""
    record = usable_record(home, role)
    if record is None or record.pid == os.getpid():
        return
    if not pidfile.process_alive(record.pid):
        pidfile.remove_record(home, record.pid, role.pid_file)
        return
    if not replace:
        raise running(
            f"A {role.name} is already running for this home (pid {record.pid}, {record.url}).",
            diagnosis=f"{pidfile.pid_path(home, role.pid_file)} names a live process",
            remedy=f"use `{role.command} --replace` to stop it and start a new one",
        )
    stop(home, role, record, stop_failed=stop_failed)


def usable_record(home: Path, role: ServerRole) -> GatewayRecord | None:
    """The pid file's record; an unusable file is set aside (said on stderr) and counts as none."""
    for _ in range(3):
        try:
            return pidfile.read_record(home, role.pid_file)
        except pidfile.UnusableRecord as unusable:
            aside = pidfile.set_aside(home, role.pid_file)
            if aside is not None:
                print(
                    f"codex-agent {role.name}: {unusable.path} was not a usable {role.name} "
                    f"record ({unusable.problem}); moved it to {aside}",
                    file=sys.stderr,
                    flush=True,
                )
                return None
            # It changed while it was looked at (another server starting): look again.
    return pidfile.read_record(home, role.pid_file)


def stop(
    home: Path,
    role: ServerRole,
    record: GatewayRecord,
    *,
    stop_failed: type[AgentError] = StopFailed,
) -> None:
    confirmed = ask_to_stop(home, role, record)
    if confirmed and wait_gone(record.pid, STOP_TIMEOUT):
        return
    if confirmed or pidfile.looks_like_gateway(record.pid, role.name):
        pidfile.terminate(record.pid)
        if wait_gone(record.pid, STOP_TIMEOUT):
            pidfile.remove_record(home, record.pid, role.pid_file)
            return
        pidfile.kill(record.pid)
        if wait_gone(record.pid, 5.0):
            pidfile.remove_record(home, record.pid, role.pid_file)
            return
        raise stop_failed(
            f"The running {role.name} (pid {record.pid}) did not stop.",
            remedy=f"stop process {record.pid} by hand, then start the {role.name} again",
        )
    # The pid is alive but neither answers as ours nor looks like it: a reused pid.
    pidfile.remove_record(home, record.pid, role.pid_file)


def local_url(record: GatewayRecord) -> str:
    """The server's URL from this machine: a wildcard bind is reached on loopback."""
    wildcard = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}
    host = wildcard.get(record.host, record.host)
    return f"http://{'[' + host + ']' if ':' in host else host}:{record.port}"


def ask_to_stop(home: Path, role: ServerRole, record: GatewayRecord) -> bool:
    """POST /v1/shutdown with the control token; True when that server agreed."""
    headers = {CONTROL_HEADER: record.control}
    token = None
    if role.token_file is not None:
        try:
            token = read_token(home / role.token_file)
        except AgentError:
            token = None
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with httpx.Client(timeout=5.0, trust_env=False) as client:
            answer = client.post(local_url(record) + "/v1/shutdown", headers=headers, json={})
    except httpx.HTTPError:
        return False
    if answer.status_code != 202:
        return False
    try:
        return bool(answer.json().get("pid") == record.pid)
    except ValueError:
        return False


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pidfile.process_alive(pid):
            return True
        time.sleep(0.05)
    return not pidfile.process_alive(pid)


def install_signal_handlers(request_shutdown: Callable[[], None]) -> Callable[[], None]:
    """SIGTERM, SIGINT, SIGBREAK (Windows) and SIGHUP end the server cleanly; returns the undo."""
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        del signum, frame
        request_shutdown()

    for name in ("SIGTERM", "SIGINT", "SIGBREAK", "SIGHUP"):
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
