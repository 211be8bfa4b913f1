"""Real clients as actors: the pinned Codex CLI run as the user runs it, on the machine's
`~/.codex`, in the world only through its exports (proxy and lab CA).

Each actor has its own HOME and its own terminal name (`TERM_PROGRAM`), which the CLI puts in
its user agent: the fakes' ledger and the lab's pause points tell two real CLIs apart by it, as
a support engineer would tell two terminals apart. What a command showed its user (exit code,
stdout, stderr) is kept as an artifact, which the leak audit searches for every issued token.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from scenarios.lab.line_pump import LinePump
from scenarios.real_clients.install import ensure_client
from scenarios.real_clients.installed import InstalledClient
from scenarios.real_clients.sandbox_env import inherited_env
from scenarios.report.timeline import Tone

CODEX_CLI = "Codex CLI"  # the program, as lane labels name it

if TYPE_CHECKING:
    from scenarios.lab.lab import Account, Lab, Machine

# The terminal name a real actor runs in: `lab-<lane>`, in its user agent as `lab-<lane>/…`.
TERMINAL_PREFIX = "lab-"
# A device user code as the CLI prints it (`ABCD-EFGH`), once colours are stripped.
_USER_CODE = re.compile(r"\b([A-Z0-9]{4,}-[A-Z0-9]{4,})\b")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

Spawn = Callable[[Sequence[str], Mapping[str, str], Path], "subprocess.Popen[str]"]


def spawn_process(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> subprocess.Popen[str]:
    """The real process runner: stdin closed, stdout and stderr as text pipes."""
    return subprocess.Popen(
        list(argv),
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )


def enter_terminal(lab: Lab, machine: Machine, lane: str, client: InstalledClient) -> Path:
    """A real client's terminal on `machine`: its HOME (created 0700), the shared `~/.codex`.

    Refused in a world without the proxy and the lab CA: a real client would reach real hosts.
    """
    if not lab.world.endpoints.client_env():
        raise RuntimeError(
            f"{lane}: this world has no proxy and lab CA for real clients "
            f"({type(lab.world).__name__})"
        )
    home = machine.root / "homes" / lane
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    machine.codex_home.mkdir(mode=0o700, parents=True, exist_ok=True)
    lab.note(f"{client.label} (real) in terminal {lane}", source="lab", target=lane)
    return home


def terminal_env(lab: Lab, machine: Machine, home: Path, **own: str) -> dict[str, str]:
    """A real client's environment: the caller's PATH and locale and nothing else of theirs, its
    HOME, the machine's `~/.codex`, its own variables, and the world's exports."""
    return {
        **inherited_env(),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "CODEX_HOME": str(machine.codex_home),
        **own,
        **lab.world.endpoints.client_env(),
    }


@dataclass(frozen=True)
class Shown:
    """What a real client showed its user."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def terminal_of(user_agent: str) -> str | None:
    """The lab terminal (lane) a real client ran in, from its user agent."""
    found = re.search(rf"\b{re.escape(TERMINAL_PREFIX)}([\w.-]+)/", user_agent)
    return found.group(1) if found else None


class RealTerminalProgram:
    """What every real client in a lab terminal shares: its own HOME on the machine, and each
    run counted, credited to its lane (the timeline credits requests by it), kept as an
    artifact (the leak audit reads it) and noted on the timeline."""

    program: ClassVar[str]  # the program, as lane labels name it

    def __init__(self, lab: Lab, machine: Machine, lane: str, client: InstalledClient) -> None:
        self.lab = lab
        self.machine = machine
        self.lane = lane
        self.client = client
        self.home = enter_terminal(lab, machine, lane, client)
        self.runs = 0

    def _kept(self, verb: str, started: float, shown: Shown) -> Shown:
        self.lab.ran(self.lane, self.program, started, self.client.version)
        self.lab.keep_output(f"{self.lane}-{self.runs:02d}-{verb}", shown.stdout, shown.stderr)
        return shown

    def _say(self, shown: Shown, what: str, good: bool) -> None:
        tone = Tone.GOOD if good else Tone.BAD
        label = f"{what} (exit {shown.exit_code})"
        self.lab.note(label, source=self.lane, tone=tone, detail=last_words(shown))


class RealCodexCli(RealTerminalProgram):
    """The pinned Codex CLI in one terminal of a machine, sharing the machine's `~/.codex`."""

    program = CODEX_CLI

    def __init__(
        self,
        lab: Lab,
        machine: Machine,
        lane: str,
        installed: InstalledClient | None = None,
        spawn: Spawn = spawn_process,
    ) -> None:
        super().__init__(lab, machine, lane, installed or ensure_client("codex"))
        self.spawn = spawn
        self.workspace = self.home / "work"
        self.workspace.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._started = 0.0

    @property
    def user_agent_marker(self) -> str:
        """What this actor's user agent contains and no other actor's does."""
        return f"{TERMINAL_PREFIX}{self.lane}/"

    def env(self) -> dict[str, str]:
        """Nothing of the caller's but PATH and locale: its own HOME, the machine's CODEX_HOME,
        its terminal's name, the world's exports, and the machine's broker if it has one."""
        broker = self.machine.refresh_broker
        return terminal_env(
            self.lab,
            self.machine,
            self.home,
            TERM_PROGRAM=f"{TERMINAL_PREFIX}{self.lane}",
            TERM_PROGRAM_VERSION="1",
            **(broker.client_env() if broker is not None else {}),
        )

    def _start(self, args: Sequence[str]) -> subprocess.Popen[str]:
        self.runs += 1
        self._started = self.lab.world.now()
        return self.spawn([str(self.client.executable), *args], self.env(), self.workspace)

    def _finish(self, proc: subprocess.Popen[str], verb: str, seen: str = "") -> Shown:
        try:
            stdout, stderr = proc.communicate(timeout=self.lab.command_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        return self._kept(verb, self._started, Shown(proc.returncode, seen + stdout, stderr))

    def login(self, account: Account) -> Shown:
        """`codex login --device-auth`; "the person" approves the code it shows, at once."""
        self.lab.note("codex login --device-auth", source="lab", target=self.lane)
        issuer = self.lab.world.endpoints.issuer
        proc = self._start(["login", "--device-auth", "--experimental_issuer", issuer])
        assert proc.stdout is not None
        pump, seen = LinePump(proc.stdout), []
        while line := pump.next(self.lab.command_timeout):
            seen.append(line)
            found = _USER_CODE.search(_ANSI.sub("", line))
            if found:
                self.lab.world.oauth.approve_device_code(found.group(1), account.account_id)
                self.lab.note("device code approved", source="lab", target="oauth")
                break
        rest = list(iter(lambda: pump.next(self.lab.command_timeout), ""))
        shown = self._finish(proc, "login", "".join(seen + rest))
        self._say(shown, "signed in" if shown.ok else "login failed", shown.ok)
        return shown

    def exec(self, prompt: str) -> Shown:
        """`codex exec --skip-git-repo-check "<prompt>"`, to its end."""
        self.lab.note(f"codex exec: {prompt}", source="lab", target=self.lane)
        shown = self._finish(self._start(["exec", "--skip-git-repo-check", prompt]), "exec")
        self._say(shown, "answered" if shown.ok else "turn failed", shown.ok)
        return shown


def last_words(shown: Shown) -> str:
    """The last line the user read: the answer, or the error it ended with."""
    for text in (shown.stdout, shown.stderr) if shown.ok else (shown.stderr, shown.stdout):
        lines = [line.strip() for line in _ANSI.sub("", text).splitlines() if line.strip()]
        if lines:
            return lines[-1][:300]
    return ""
