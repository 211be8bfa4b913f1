"""The platform seam: everything the agent needs to know about the machine it runs on.

A `Host` says which platform this is, gives its environment, runs a command with limits and
captured output, tells where files go (the agent's home, the Startup folder, temp), maps a
host path to a local file, starts a detached process and tells whether a pid is alive.

`RealHost` is built from the real world. `SimulatedWindowsHost` is a Windows machine on
Linux: Windows paths live under a root folder (`C:\\x` is `<root>/C/x`) and its command runner
executes whatever `schtasks` is first on its PATH (the recording shim in tests).
`SimulatedPosixHost` is Linux or macOS on this POSIX machine: files and processes are real,
only the platform is the one given, and `systemctl`/`launchctl` are the first on its PATH (the
recording shims). Nothing patches `sys.platform`: the service code asks its host.
"""

from __future__ import annotations

import contextlib
import itertools
import ntpath
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

TIMEOUT_EXIT_CODE = 124  # the `timeout` convention for a command killed at its limit


@dataclass(frozen=True)
class RunLimits:
    """How long a command may take: in all, and without printing anything.

    Both limits apply; whichever is hit first ends the command (exit 124). With the defaults
    the total limit governs; callers that allow a longer total still stop a silent command
    after `silence` seconds.
    """

    total: float = 15.0
    silence: float = 30.0


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool = False
    timeout_reason: str = ""  # "total" or "silence" when timed_out

    @property
    def output(self) -> str:
        return (self.stdout + "\n" + self.stderr).strip()


class Host(Protocol):
    """What the service code may ask of the machine."""

    @property
    def platform(self) -> str:
        """ "windows", "linux" or "darwin"."""
        ...

    @property
    def env(self) -> Mapping[str, str]: ...

    @property
    def python_executable(self) -> str:
        """The interpreter that runs the agent, as a host path."""
        ...

    def run(self, argv: Sequence[str], *, limits: RunLimits | None = None) -> CommandResult: ...

    def agent_home(self) -> str: ...

    def user_home(self) -> str:
        """The user's home folder (`~`), as a host path."""
        ...

    def user_id(self) -> int | None:
        """The numeric user id (launchd's `gui/<uid>` domain); None on Windows."""
        ...

    def startup_dir(self) -> str: ...

    def temp_dir(self) -> str: ...

    def local_path(self, host_path: str) -> Path:
        """Where a host path is on the file system this process can open."""
        ...

    def spawn_detached(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str]) -> int:
        """Start a process that outlives this one; its pid."""
        ...

    def pid_alive(self, pid: int) -> bool: ...

    def terminate(self, pid: int) -> bool:
        """Stop a process; whether it was alive."""
        ...


def platform_name(sys_platform: str) -> str:
    if sys_platform.startswith("win"):
        return "windows"
    if sys_platform == "darwin":
        return "darwin"
    return "linux"


# --- running a command with limits ------------------------------------------------------------


def run_with_limits(
    argv: Sequence[str],
    limits: RunLimits,
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    decode: Callable[[bytes], str] | None = None,
) -> CommandResult:
    """Run argv with stdin closed, capture both streams, kill it at either limit (exit 124)."""
    decoder = decode or decode_output
    try:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
    except OSError as exc:
        return CommandResult(tuple(argv), 127, "", f"{argv[0]}: {exc.strerror or exc}")
    chunks: queue.Queue[tuple[str, bytes | None]] = queue.Queue()

    def pump(name: str, stream: object) -> None:
        read = getattr(stream, "read1", None) or stream.read  # type: ignore[attr-defined]
        while True:
            data = read(65536)
            if not data:
                chunks.put((name, None))
                return
            chunks.put((name, data))

    threads = [
        threading.Thread(target=pump, args=("out", process.stdout), daemon=True),
        threading.Thread(target=pump, args=("err", process.stderr), daemon=True),
    ]
    for thread in threads:
        thread.start()
    collected: dict[str, list[bytes]] = {"out": [], "err": []}
    open_streams = 2
    started = last_output = time.monotonic()
    reason = ""
    while open_streams:
        now = time.monotonic()
        remaining = min(started + limits.total - now, last_output + limits.silence - now)
        if remaining <= 0:
            reason = "total" if now >= started + limits.total else "silence"
            break
        try:
            name, data = chunks.get(timeout=remaining)
        except queue.Empty:
            continue
        if data is None:
            open_streams -= 1
        else:
            collected[name].append(data)
            last_output = time.monotonic()
    if reason:
        with contextlib.suppress(OSError):
            process.kill()
        process.wait()
        for thread in threads:
            thread.join(timeout=1.0)
        while not chunks.empty():
            name, data = chunks.get_nowait()
            if data:
                collected[name].append(data)
        exit_code = TIMEOUT_EXIT_CODE
    else:
        exit_code = process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    stdout = decoder(b"".join(collected["out"]))
    stderr = decoder(b"".join(collected["err"]))
    return CommandResult(tuple(argv), exit_code, stdout, stderr, bool(reason), reason)


def decode_output(data: bytes) -> str:
    """Console output: UTF-8 when it is, else the OEM code page on Windows, else Latin-1."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if sys.platform.startswith("win"):
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            return data.decode("oem")
    return data.decode("latin-1")


# --- the real machine ---------------------------------------------------------------------------


class RealHost:
    """This machine, as it is."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = dict(os.environ if env is None else env)
        self._platform = platform_name(sys.platform)

    @property
    def platform(self) -> str:
        return self._platform

    @property
    def env(self) -> Mapping[str, str]:
        return self._env

    @property
    def python_executable(self) -> str:
        return sys.executable

    def run(self, argv: Sequence[str], *, limits: RunLimits | None = None) -> CommandResult:
        return run_with_limits(argv, limits or RunLimits(), env=self._env)

    def agent_home(self) -> str:
        configured = self._env.get("CODEX_AGENT_HOME")
        if configured:
            return os.path.expanduser(configured)
        return os.path.join(self.user_home(), ".codex-agent")

    def user_home(self) -> str:
        if self._platform == "windows":
            return self._env.get("USERPROFILE") or os.path.expanduser("~")
        return self._env.get("HOME") or os.path.expanduser("~")

    def user_id(self) -> int | None:
        getuid = getattr(os, "getuid", None)
        return None if getuid is None else int(getuid())

    def startup_dir(self) -> str:
        appdata = self._env.get("APPDATA") or os.path.join(
            os.path.expanduser("~"), "AppData", "Roaming"
        )
        return os.path.join(appdata, "Microsoft", "Windows", "Start Menu", "Programs", "Startup")

    def temp_dir(self) -> str:
        import tempfile

        return tempfile.gettempdir()

    def local_path(self, host_path: str) -> Path:
        return Path(host_path)

    def spawn_detached(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str]) -> int:
        kwargs: dict[str, object] = {}
        if self._platform == "windows":
            flags = 0x00000008 | 0x00000200 | 0x08000000  # DETACHED, NEW_GROUP, NO_WINDOW
            kwargs["creationflags"] = flags
        else:
            kwargs["start_new_session"] = True
        process = subprocess.Popen(  # type: ignore[call-overload]
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            **kwargs,
        )
        return int(process.pid)

    def pid_alive(self, pid: int) -> bool:
        if pid <= 0:
            return False
        if self._platform == "windows":
            return _windows_pid_alive(pid)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def terminate(self, pid: int) -> bool:
        if not self.pid_alive(pid):
            return False
        with contextlib.suppress(OSError):
            if self._platform == "windows":
                subprocess.run(
                    ["taskkill", "/PID", str(pid), "/T", "/F"],
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=15,
                    check=False,
                )
            else:
                os.kill(pid, signal.SIGTERM)
        return True


class SimulatedPosixHost(RealHost):
    """Linux or macOS on this POSIX machine, as `platform` says.

    Files, processes and the command runner are this machine's; the environment is the one
    given (put the shims' folder first on its PATH, and HOME where `~` should be). The service
    code for macOS runs on Linux this way, against the recording `launchctl`.
    """

    def __init__(self, platform: str, env: Mapping[str, str], *, uid: int | None = None) -> None:
        if platform not in ("linux", "darwin"):
            raise ValueError(f"not a POSIX platform: {platform!r}")
        super().__init__(env)
        self._platform = platform
        self._uid = uid

    def user_id(self) -> int | None:
        return super().user_id() if self._uid is None else self._uid


def _windows_pid_alive(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes

    kernel32 = getattr(ctypes, "windll").kernel32  # noqa: B009
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return False
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


# --- a simulated Windows machine ------------------------------------------------------------------


@dataclass
class Spawned:
    pid: int
    argv: list[str]
    cwd: str
    env: dict[str, str]


@dataclass
class SimulatedWindowsHost:
    """A Windows machine whose drives live under `root` and whose commands run on Linux.

    `path_dirs` are the local folders searched for commands (`schtasks` or `schtasks.exe`),
    standing for the Windows PATH. Detached processes are recorded, not started: `spawned`
    lists them and `alive` holds the pids still running (a test may end one).
    """

    root: Path
    path_dirs: Sequence[Path] = ()
    user: str = "alice"
    computer: str = "SIMHOST"
    python: str = "C:\\Program Files\\Python311\\python.exe"
    extra_env: Mapping[str, str] = field(default_factory=dict)
    limits: RunLimits = field(default_factory=RunLimits)
    spawned: list[Spawned] = field(default_factory=list)
    alive: set[int] = field(default_factory=set)
    _pids: itertools.count[int] = field(default_factory=lambda: itertools.count(4100, 4))

    @property
    def platform(self) -> str:
        return "windows"

    @property
    def env(self) -> Mapping[str, str]:
        profile = f"C:\\Users\\{self.user}"
        base = {
            "USERNAME": self.user,
            "USERDOMAIN": self.computer,
            "COMPUTERNAME": self.computer,
            "USERPROFILE": profile,
            "HOMEDRIVE": "C:",
            "HOMEPATH": f"\\Users\\{self.user}",
            "APPDATA": f"{profile}\\AppData\\Roaming",
            "LOCALAPPDATA": f"{profile}\\AppData\\Local",
            "TEMP": f"{profile}\\AppData\\Local\\Temp",
            "TMP": f"{profile}\\AppData\\Local\\Temp",
            "SystemRoot": "C:\\Windows",
            "windir": "C:\\Windows",
            "ComSpec": "C:\\Windows\\system32\\cmd.exe",
            "PATHEXT": ".COM;.EXE;.BAT;.CMD",
            "PATH": "C:\\Windows\\system32;C:\\Windows",
        }
        base.update(self.extra_env)
        return base

    @property
    def python_executable(self) -> str:
        return self.python

    def run(self, argv: Sequence[str], *, limits: RunLimits | None = None) -> CommandResult:
        program = self._which(argv[0])
        if program is None:
            message = (
                f"'{argv[0]}' is not recognized as an internal or external command,\n"
                "operable program or batch file."
            )
            return CommandResult(tuple(argv), 9009, "", message)
        local_env = {
            "PATH": os.pathsep.join(str(d) for d in self.path_dirs)
            + os.pathsep
            + os.environ.get("PATH", ""),
            "LANG": "C.UTF-8",
            "PYTHONIOENCODING": "utf-8",
        }
        for name, value in self.env.items():
            if name != "PATH":
                local_env[name] = value
        cwd = self.local_path(self.env["USERPROFILE"])
        cwd.mkdir(parents=True, exist_ok=True)
        result = run_with_limits(
            [str(program), *argv[1:]],
            limits or self.limits,
            env=local_env,
            cwd=str(cwd),
            decode=lambda data: data.decode("utf-8", errors="replace"),
        )
        return CommandResult(
            tuple(argv),
            result.exit_code,
            result.stdout,
            result.stderr,
            result.timed_out,
            result.timeout_reason,
        )

    def _which(self, name: str) -> Path | None:
        base = ntpath.basename(name)
        for folder in self.path_dirs:
            for candidate in (base, base + ".exe", base.removesuffix(".exe")):
                path = Path(folder) / candidate
                if path.is_file() and os.access(path, os.X_OK):
                    return path
        return None

    def agent_home(self) -> str:
        return self.env.get("CODEX_AGENT_HOME") or f"{self.env['USERPROFILE']}\\.codex-agent"

    def user_home(self) -> str:
        return self.env["USERPROFILE"]

    def user_id(self) -> int | None:
        return None

    def startup_dir(self) -> str:
        return f"{self.env['APPDATA']}\\Microsoft\\Windows\\Start Menu\\Programs\\Startup"

    def temp_dir(self) -> str:
        return self.env["TEMP"]

    def local_path(self, host_path: str) -> Path:
        match = re.match(r"^([A-Za-z]):[\\/]*(.*)$", host_path)
        if not match:
            raise ValueError(f"not an absolute Windows path: {host_path!r}")
        parts = [p for p in re.split(r"[\\/]+", match.group(2)) if p]
        return self.root.joinpath(match.group(1).upper(), *parts)

    def spawn_detached(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str]) -> int:
        pid = next(self._pids)
        self.spawned.append(Spawned(pid, list(argv), cwd, dict(env)))
        self.alive.add(pid)
        return pid

    def pid_alive(self, pid: int) -> bool:
        return pid in self.alive

    def terminate(self, pid: int) -> bool:
        if pid in self.alive:
            self.alive.discard(pid)
            return True
        return False


def host_from_environment(env: Mapping[str, str] | None = None) -> Host:
    """The host the command line uses: this machine, or, when `CODEX_AGENT_SIMULATE_WINDOWS`
    names a folder, a simulated Windows machine rooted there whose commands come from PATH
    (the scenario lab runs `codex-agent gateway ...` against the schtasks shim this way), or,
    when `CODEX_AGENT_SIMULATE_PLATFORM` is `linux` or `darwin`, that system on this POSIX
    machine (against the systemctl and launchctl shims; any other value is ignored), with
    the user id `CODEX_AGENT_SIMULATE_UID` when it is a number."""
    environment = dict(os.environ if env is None else env)
    simulated = environment.get("CODEX_AGENT_SIMULATE_PLATFORM", "")
    if simulated in ("linux", "darwin") and not sys.platform.startswith("win"):
        uid = environment.get("CODEX_AGENT_SIMULATE_UID", "")
        return SimulatedPosixHost(simulated, environment, uid=int(uid) if uid.isdigit() else None)
    root = environment.get("CODEX_AGENT_SIMULATE_WINDOWS")
    if root:
        paths = [Path(p) for p in environment.get("PATH", "").split(os.pathsep) if p]
        extra = {
            k: v
            for k, v in environment.items()
            if k.startswith("CODEX_") and k != "CODEX_AGENT_SIMULATE_WINDOWS"
        }
        limits = _simulated_limits(environment.get("CODEX_AGENT_SIMULATE_COMMAND_SECONDS", ""))
        return SimulatedWindowsHost(
            root=Path(root), path_dirs=paths, extra_env=extra, limits=limits
        )
    return RealHost(environment)


def _simulated_limits(seconds: str) -> RunLimits:
    """The total limit of a simulated machine's commands: `CODEX_AGENT_SIMULATE_COMMAND_SECONDS`
    when it is a number of seconds above 0 (the lab waits out a hanging shim sooner), else the
    real one's."""
    try:
        total = float(seconds)
    except ValueError:
        return RunLimits()
    return RunLimits(total=total) if 0 < total < RunLimits.total else RunLimits()
