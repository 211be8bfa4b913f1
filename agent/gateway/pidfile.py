"""The gateway's pid file: which process serves this home, where, and how to ask it to stop.

`<home>/gateway.pid` (0600) is JSON `{pid, host, port, started_at, version, control}`. `control`
is a random value that lets `gateway run --replace` ask the running gateway to shut down
cleanly over loopback HTTP (works the same on Windows, where signals cannot do it cleanly);
a signal is the fallback, sent only to a process that is recognisably the gateway.

Anything else found under that name (garbage, brackets nested a million deep, a pid of 1e400 or
23 digits, a directory, a symlink loop, a FIFO, megabytes) is an `UnusableRecord`: no process
is ever signalled on its word. `gateway run` sets such a file aside (`gateway.pid.unusable-*`)
and starts; a record that `gateway run` wrote is never set aside (it is always usable).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeGuard

from agent.auth.local_json import BadContent, UnusablePath, decode_json, read_small_file
from agent.errors import AgentError

PID_FILE = "gateway.pid"
MAX_RECORD_BYTES = 64 * 1024  # a real record is about 250 bytes
MAX_PID = 2**31 - 1  # what every platform's kill/OpenProcess takes
MAX_TEXT = 1024
# What `--host` can sensibly be, and what may go into a URL and a message unquoted.
_HOST = re.compile(r"[A-Za-z0-9._:%-]{0,253}")
# The control token goes into a header: printable ASCII without spaces.
_CONTROL = re.compile(r"[!-~]{1,256}")


class UnusableRecord(AgentError):
    """`<home>/gateway.pid` exists but is not a record `gateway run` wrote."""

    code = "gateway_record_unusable"

    def __init__(self, path: Path, problem: str, remedy: str | None = None) -> None:
        self.path = path
        self.problem = problem
        super().__init__(
            f"{path} is not a usable gateway record: {problem}.",
            diagnosis="the file is not what `codex-agent gateway run` writes, so no process "
            "was looked up or signalled from it",
            remedy=remedy
            or f"`codex-agent gateway run` sets it aside and starts; or remove it (`rm {path}`)",
        )


@dataclass(frozen=True)
class GatewayRecord:
    pid: int
    host: str
    port: int
    started_at: str
    version: str
    control: str

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def new_control_token() -> str:
    import secrets

    return secrets.token_urlsafe(24)


def pid_path(home: Path, name: str = PID_FILE) -> Path:
    return home / name


def read_record(home: Path, name: str = PID_FILE) -> GatewayRecord | None:
    """The record, or None when there is none; `UnusableRecord` for anything else there.

    `name`: the gateway's `gateway.pid` by default; the broker keeps the same record as
    `broker.pid`, so the service actions treat both alike.
    """
    path = pid_path(home, name)
    data = _load(path)
    if data is None:
        return None
    pid = _recorded_pid(path, data)
    assert isinstance(data, dict)  # checked by _recorded_pid
    port = data.get("port")
    if not _is_int(port) or not 0 <= port <= 65535:
        raise UnusableRecord(path, "`port` is not a port number (0-65535)")
    texts: dict[str, str] = {}
    for name in ("host", "started_at", "version", "control"):
        value = data.get(name)
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise UnusableRecord(path, f"`{name}` is not a text of at most {MAX_TEXT} characters")
        texts[name] = value
    if not _HOST.fullmatch(texts["host"]):
        raise UnusableRecord(path, "`host` is not an address or a host name")
    if not _CONTROL.fullmatch(texts["control"]):
        raise UnusableRecord(path, "`control` is not a control token")
    return GatewayRecord(pid=pid, port=port, **texts)


def read_recorded_pid(path: Path) -> int | None:
    """Only the pid of the record at `path` (what the service actions need), checked as above."""
    data = _load(path)
    return None if data is None else _recorded_pid(path, data)


def set_aside(home: Path, name: str = PID_FILE) -> Path | None:
    """Move an unusable pid file out of the way; its new name, or None when there is nothing
    to move: no file, or one that is usable or changed while it was looked at (a gateway that
    just started replaces the file with a new one, which is never moved)."""
    path = pid_path(home, name)
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UnusableRecord(path, f"it cannot be looked at ({exc.strerror})") from None
    try:
        read_record(home, name)
        return None
    except UnusableRecord:
        pass
    import secrets

    aside = path.with_name(f"{name}.unusable-{secrets.token_hex(4)}")
    try:
        after = os.lstat(path)
        if _identity(after) != _identity(before):
            return None
        os.rename(path, aside)  # moves a symlink itself, never what it points at
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UnusableRecord(
            path,
            f"it is unusable and could not be moved aside ({exc.strerror})",
            remedy=f"remove it (`rm -r {path}`), then start the gateway again",
        ) from None
    return aside


def _identity(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)


def _load(path: Path) -> object | None:
    try:
        raw = read_small_file(path, MAX_RECORD_BYTES)
        doc = None if raw is None else decode_json(raw)
    except UnusablePath as exc:
        raise UnusableRecord(path, exc.problem, exc.remedy) from None
    except BadContent as exc:
        raise UnusableRecord(path, str(exc)) from None
    if raw is not None and doc is None:  # JSON `null`: there is a file, and it is no record
        raise UnusableRecord(path, "it is not a JSON object")
    return doc


def _recorded_pid(path: Path, data: object) -> int:
    if not isinstance(data, dict):
        raise UnusableRecord(path, "it is not a JSON object")
    pid = data.get("pid")
    if not _is_int(pid) or not 1 <= pid <= MAX_PID:
        raise UnusableRecord(path, f"`pid` is not a process id (1-{MAX_PID})")
    return pid


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def write_record(home: Path, record: GatewayRecord, name: str = PID_FILE) -> None:
    """Atomically, 0600: the control token in it is a (local) secret."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = pid_path(home, name)
    temp = target.with_name(f".{name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(record), handle)
    os.replace(temp, target)


def remove_record(home: Path, pid: int, name: str = PID_FILE) -> None:
    """Remove the pid file if it still names `pid` (a successor may have replaced it)."""
    try:
        record = read_record(home, name)
    except UnusableRecord:
        return  # not ours: `gateway run` sets it aside next time
    if record is not None and record.pid == pid:
        with contextlib.suppress(FileNotFoundError):
            pid_path(home, name).unlink()


def process_alive(pid: int) -> bool:
    if not 1 <= pid <= MAX_PID:
        return False
    if sys.platform == "win32":
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _not_zombie(pid)


def _not_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def looks_like_gateway(pid: int, role: str = "gateway") -> bool:
    """Best effort: is `pid` a codex-agent `role` (gateway, broker), not an unrelated process
    that reused the pid?"""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return role.encode() in cmdline and (b"codex-agent" in cmdline or b"agent" in cmdline)


def terminate(pid: int) -> None:
    """SIGTERM (on Windows: TerminateProcess, which is what os.kill does there)."""
    import signal

    if not 1 <= pid <= MAX_PID:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.kill(pid, signal.SIGTERM)


def kill(pid: int) -> None:
    import signal

    sig = getattr(signal, "SIGKILL", signal.SIGTERM)
    if not 1 <= pid <= MAX_PID:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.kill(pid, sig)


def _windows_process_alive(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    process_query_limited_information = 0x1000
    still_active = 259
    handle = kernel32.OpenProcess(process_query_limited_information, False, pid)
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return False
        return bool(code.value == still_active)
    finally:
        kernel32.CloseHandle(handle)
