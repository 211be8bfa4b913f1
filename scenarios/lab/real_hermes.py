"""Hermes Agent, pinned and unmodified, as an actor beside the real Codex CLI on one machine.

Hermes has no issuer or base-URL setting: it talks to `https://auth.openai.com` and
`https://chatgpt.com/backend-api/codex`, which the world's proxy answers with the fakes, trusted
through the lab CA. It keeps its own store (`$HERMES_HOME/auth.json`) and, run as 0.19.0 was,
does not read `~/.codex` when that store is empty ("No Codex credentials stored"). A user shares
the CLI's login through Hermes's own import dialogue ("Found existing Codex CLI credentials …
Import these credentials? [y/N]"), which `hermes model` reaches only in a terminal; the actor runs
that same dialogue with the answer typed on stdin.

Hermes's token calls say `hermes-cli/<version>`, its backend calls `codex_cli_rs/0.0.0 (Hermes
Agent)`: neither carries a terminal name, so a scenario has one Hermes, named `hermes` on the wire.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from scenarios.lab.real_actors import RealTerminalProgram, Shown, terminal_env
from scenarios.real_clients.install import ensure_client
from scenarios.real_clients.installed import InstalledClient

if TYPE_CHECKING:
    from scenarios.lab.lab import Lab, Machine

WIRE_ACTOR = "hermes"  # what `actor_of` calls Hermes's requests
HERMES_AGENT = "Hermes Agent"  # the program, as lane labels name it
HERMES_MODEL = "gpt-5.5"  # the fake's default model

# Hermes's own "import from Codex CLI" dialogue (hermes_cli.auth._login_openai_codex), the step
# `hermes model` runs for openai-codex; the actor answers its question on stdin.
_IMPORT_DIALOGUE = (
    "import argparse\n"
    "from hermes_cli.auth import PROVIDER_REGISTRY, _login_openai_codex\n"
    "_login_openai_codex(argparse.Namespace(), PROVIDER_REGISTRY['openai-codex'])\n"
)

Run = Callable[[Sequence[str], Mapping[str, str], Path, str, float], Shown]


def run_process(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, stdin: str, timeout: float
) -> Shown:
    """The real process runner: `stdin` typed in, then closed; killed after `timeout`."""
    proc = subprocess.Popen(
        list(argv),
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    try:
        stdout, stderr = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    return Shown(proc.returncode, stdout, stderr)


class RealHermes(RealTerminalProgram):
    """Hermes Agent in a terminal of a machine: its own HOME and HERMES_HOME, the machine's
    `~/.codex`, the world's exports."""

    program = HERMES_AGENT
    wire_actor = WIRE_ACTOR
    user_agent_marker = "hermes-cli/"  # its token calls; what a pause point matches

    def __init__(
        self,
        lab: Lab,
        machine: Machine,
        lane: str = WIRE_ACTOR,
        installed: InstalledClient | None = None,
        run: Run = run_process,
    ) -> None:
        super().__init__(lab, machine, lane, installed or ensure_client("hermes"))
        self.run = run
        self.hermes_home = self.home / ".hermes"
        self.hermes_home.mkdir(mode=0o700, parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        """PATH and locale of the caller's, nothing else: its homes, the machine's CODEX_HOME,
        the world's exports (proxy, SSL_CERT_FILE, HERMES_CA_BUNDLE). Lazy installs are sealed
        as Hermes's own immutable image seals them: the pinned install is shared and never
        changes under a scenario (unsealed, each turn spends seconds on a refused `pip install`)."""
        return terminal_env(
            self.lab,
            self.machine,
            self.home,
            HERMES_HOME=str(self.hermes_home),
            HERMES_DISABLE_LAZY_INSTALLS="1",
        )

    def _run(self, verb: str, argv: Sequence[str], stdin: str = "") -> Shown:
        self.runs += 1
        started = self.lab.world.now()
        shown = self.run(argv, self.env(), self.home, stdin, self.lab.command_timeout)
        return self._kept(verb, started, shown)

    def import_codex(self) -> Shown:
        """Hermes's "import from Codex CLI" dialogue, answered yes: the CLI's pair in its store."""
        self.lab.note("import the Codex CLI's login (answer: y)", source="lab", target=self.lane)
        python = self.client.executable.parent / "python"
        shown = self._run("import", [str(python), "-c", _IMPORT_DIALOGUE], stdin="y\n")
        imported = shown.ok and "Credentials imported." in shown.stdout
        self._say(shown, "imported ~/.codex" if imported else "import failed", imported)
        return shown

    def ask(self, prompt: str) -> Shown:
        """`hermes -z "<prompt>" --provider openai-codex -m <model>`: one turn, its final text
        on stdout."""
        self.lab.note(f"hermes -z: {prompt}", source="lab", target=self.lane)
        argv = [str(self.client.executable), "-z", prompt, "--provider", "openai-codex"]
        shown = self._run("ask", [*argv, "-m", HERMES_MODEL])
        answered = shown.ok and f"you said: {prompt}" in shown.stdout
        self._say(shown, "answered" if answered else "no answer", answered)
        return shown
