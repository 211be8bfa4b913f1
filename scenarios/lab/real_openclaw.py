"""OpenClaw, pinned and unmodified, as an actor beside the real Codex CLI on one machine.

OpenClaw 2026.9.6 has no issuer, token or base-URL setting: it talks to `https://auth.openai.com`
and `https://chatgpt.com/backend-api/codex`, which the world's proxy answers with the fakes; it
trusts the lab CA through `NODE_EXTRA_CA_CERTS`. Its state (config, SQLite stores, locks) lives
in `OPENCLAW_STATE_DIR`, a folder of its terminal's own HOME.

Its sign-in (`openclaw models auth login --provider openai`) insists on a terminal, so the actor
runs it in a pseudo-terminal and plays the person: it approves the device code OpenClaw prints,
or, for the browser flow, opens the authorize URL OpenClaw prints against the fake (the consent
approved for the scenario's account) and delivers the redirect to OpenClaw's own callback on
`localhost:1455`. Turns are `openclaw agent --local -m … --model openai/<model> --json`, on
OpenClaw's own runtime (`models.providers.openai.agentRuntime = {"id": "openclaw"}`).

OpenClaw 2026.9.6 offers no import from the Codex CLI (its `openai:codex-cli` profile is retired);
the import a user has is `openclaw migrate hermes --include-secrets`, which copies the login
Hermes holds (and Hermes imports the CLI's). A shared login reaches OpenClaw that way.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import ssl
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from scenarios.lab.real_actors import (
    RealTerminalProgram,
    Shown,
    last_words,
    terminal_env,
)
from scenarios.lab.real_hermes import Run, run_process
from scenarios.real_clients.install import ensure_client
from scenarios.real_clients.installed import InstalledClient
from scenarios.report.timeline import Tone

if TYPE_CHECKING:
    from scenarios.lab.lab import Account, Lab, Machine

WIRE_ACTOR = "openclaw"  # what `actor_of` calls OpenClaw's requests
OPENCLAW = "OpenClaw"  # the program, as lane labels name it
OPENCLAW_MODEL = "gpt-5.5"  # the fake's default model
OWN_RUNTIME = '{"id":"openclaw"}'

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
_USER_CODE = re.compile(r"Code:\s*([A-Z0-9]{4,}-[A-Z0-9]{4,})")
_AUTHORIZE_URL = re.compile(r"https://auth\.openai\.com/oauth/authorize\?\S+")
_REQUEST_ID = re.compile(r'name="request_id"\s+value="([^"]+)"')

# Given what the terminal has shown so far, what to do once: None while nothing is to be done.
Watch = Callable[[str], bool]
Terminal = Callable[[Sequence[str], Mapping[str, str], Path, float, Watch], Shown]


def run_in_terminal(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, timeout: float, watch: Watch
) -> Shown:
    """Run `argv` on a pseudo-terminal (stdout and stderr both on it, as a person sees them);
    `watch` is shown the text so far after each read until it returns True. Killed after
    `timeout`."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        list(argv),
        env=dict(env),
        cwd=cwd,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        start_new_session=True,
    )
    os.close(follower)
    seen = bytearray()
    done_watching = False
    deadline = time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([leader], [], [], left)
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: every holder of the terminal has closed it
                break
            if not chunk:
                break
            seen += chunk
            if not done_watching:
                done_watching = watch(_ANSI.sub("", seen.decode("utf-8", "replace")))
    finally:
        os.close(leader)
    try:
        code = proc.wait(timeout=max(deadline - time.monotonic(), 1.0))
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    return Shown(code, _ANSI.sub("", seen.decode("utf-8", "replace")), "")


@dataclass(frozen=True)
class Turn:
    """What one `openclaw agent --json` showed: the reply, or the error it printed."""

    shown: Shown
    answered: bool
    said: str  # the reply text, or the error message


def read_turn(shown: Shown) -> Turn:
    """OpenClaw's `--json` answer: `{"payloads": [{"text"}], "meta"}` or `{"ok": false, "error":
    {"message"}}` on stdout."""
    try:
        document = json.loads(shown.stdout)
    except ValueError:
        return Turn(shown, False, last_words(shown))
    if not isinstance(document, dict):
        return Turn(shown, False, last_words(shown))
    error = document.get("error")
    if isinstance(error, dict):
        return Turn(shown, False, str(error.get("message", "")))
    payloads = document.get("payloads")
    texts = [p.get("text") for p in payloads or [] if isinstance(p, dict)]
    said = "\n".join(t for t in texts if isinstance(t, str))
    return Turn(shown, shown.ok and bool(said), said)


class RealOpenClaw(RealTerminalProgram):
    """OpenClaw in a terminal of a machine: its own HOME and OPENCLAW_STATE_DIR, the machine's
    `~/.codex` (which it does not read), the world's exports."""

    program = OPENCLAW
    wire_actor = WIRE_ACTOR
    user_agent_marker = "undici"  # its refreshes (Node's fetch); what a pause point matches

    def __init__(
        self,
        lab: Lab,
        machine: Machine,
        lane: str = WIRE_ACTOR,
        installed: InstalledClient | None = None,
        run: Run = run_process,
        terminal: Terminal = run_in_terminal,
    ) -> None:
        super().__init__(lab, machine, lane, installed or ensure_client("openclaw"))
        self.run = run
        self.terminal = terminal
        self.state_dir = self.home / ".openclaw"
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._configured = False

    def env(self) -> dict[str, str]:
        """PATH and locale of the caller's, nothing else: its HOME and state folder, the
        machine's CODEX_HOME, the world's exports (proxy, NODE_EXTRA_CA_CERTS)."""
        return terminal_env(
            self.lab,
            self.machine,
            self.home,
            OPENCLAW_STATE_DIR=str(self.state_dir),
            NO_COLOR="1",
        )

    def _argv(self, *args: str) -> list[str]:
        return [str(self.client.executable), *args]

    def _run(self, verb: str, *args: str) -> Shown:
        self.runs += 1
        started = self.lab.world.now()
        shown = self.run(self._argv(*args), self.env(), self.home, "", self.lab.command_timeout)
        return self._kept(verb, started, shown)

    def _in_terminal(self, verb: str, watch: Watch, *args: str) -> Shown:
        self.runs += 1
        started = self.lab.world.now()
        timeout = self.lab.command_timeout
        shown = self.terminal(self._argv(*args), self.env(), self.home, timeout, watch)
        return self._kept(verb, started, shown)

    def configure(self) -> None:
        """Turns on OpenClaw's own runtime for OpenAI (not the Codex app-server plugin, which it
        would fetch from npm): once, before its first sign-in or turn."""
        if self._configured:
            return
        runtime = "models.providers.openai.agentRuntime"
        shown = self._run("config", "config", "set", runtime, OWN_RUNTIME)
        if not shown.ok:
            raise RuntimeError(f"{self.lane}: `openclaw config set {runtime}` failed: {shown.text}")
        self._configured = True

    # -- signing in --------------------------------------------------------------------------
    def login_device(self, account: Account) -> Shown:
        """`openclaw models auth login --provider openai --device-code`; "the person" approves
        the code it shows, at once."""
        self.configure()
        self.lab.note("openclaw models auth login --device-code", source="lab", target=self.lane)

        def approve(seen: str) -> bool:
            found = _USER_CODE.search(seen)
            if found is None:
                return False
            self.lab.world.oauth.approve_device_code(found.group(1), account.account_id)
            self.lab.note("device code approved", source="lab", target="oauth")
            return True

        args = ("models", "auth", "login", "--provider", "openai", "--device-code")
        shown = self._in_terminal("login", approve, *args)
        return self._said_login(shown)

    def login_browser(self, account: Account) -> Shown:
        """`openclaw models auth login --provider openai`: the lab plays the browser: it opens
        the authorize URL OpenClaw prints (at the fake), approves the consent for `account`, and
        follows the redirect to OpenClaw's callback on localhost."""
        self.configure()
        self.lab.note("openclaw models auth login (browser)", source="lab", target=self.lane)

        def browse(seen: str) -> bool:
            found = _AUTHORIZE_URL.search(seen)
            if found is None:
                return False
            self.lab.in_background(self._play_browser, found.group(0), account)
            return True

        args = ("models", "auth", "login", "--provider", "openai")
        shown = self._in_terminal("login", browse, *args)
        return self._said_login(shown)

    def _play_browser(self, authorize_url: str, account: Account) -> None:
        """The person's browser: the authorize page at the world's issuer, consent, and the
        redirect to the client's own callback (loopback, so no proxy)."""
        issuer = urlsplit(self.lab.world.endpoints.issuer)
        asked = urlsplit(authorize_url)
        at_fake = urlunsplit((issuer.scheme, issuer.netloc, asked.path, asked.query, ""))
        trust = ssl.create_default_context(cafile=str(self.lab.world.endpoints.ca_bundle))
        with httpx.Client(verify=trust, trust_env=False, timeout=30) as browser:
            page = browser.get(at_fake)
            if page.status_code == 200:
                found = _REQUEST_ID.search(page.text)
                if found is None:
                    raise RuntimeError(f"{self.lane}: no consent form at {asked.path}")
                form = {"request_id": found.group(1), "account_id": account.account_id}
                page = browser.post(
                    urlunsplit((issuer.scheme, issuer.netloc, "/oauth/consent", "", "")),
                    data={**form, "decision": "approve"},
                )
            callback = page.headers.get("location")
            if page.status_code not in (302, 303) or not callback:
                raise RuntimeError(f"{self.lane}: the authorize page answered {page.status_code}")
            self.lab.note("browser consent given", source="lab", target="oauth")
            browser.get(callback)

    def _said_login(self, shown: Shown) -> Shown:
        signed_in = "Auth profile: openai:" in shown.stdout
        self._say(shown, "signed in" if signed_in else "login failed", signed_in)
        return shown

    def import_hermes(self, hermes_home: Path) -> Shown:
        """`openclaw migrate apply hermes --include-secrets --item auth:openai`: the login Hermes
        holds copied into OpenClaw's store (OpenClaw warns the two must not both keep it)."""
        self.configure()
        self.lab.note("openclaw migrate hermes (the login only)", source="lab", target=self.lane)
        args = ("migrate", "apply", "hermes", "--from", str(hermes_home), "--include-secrets")
        shown = self._run("import", *args, "--item", "auth:openai", "--yes", "--json")
        try:
            summary: dict[str, Any] = json.loads(shown.stdout).get("summary") or {}
        except (ValueError, AttributeError):
            summary = {}
        imported = shown.ok and summary.get("migrated") == 1
        self._say(shown, "imported Hermes's login" if imported else "import failed", imported)
        return shown

    # -- using it ----------------------------------------------------------------------------
    def ask(self, prompt: str) -> Turn:
        """`openclaw agent --local -m "<prompt>" --model openai/<model> --json`: one turn."""
        self.configure()
        self.lab.note(f"openclaw agent: {prompt}", source="lab", target=self.lane)
        model = f"openai/{OPENCLAW_MODEL}"
        shown = self._run("ask", "agent", "--local", "-m", prompt, "--model", model, "--json")
        turn = read_turn(shown)
        label = "answered" if turn.answered else "no answer"
        tone = Tone.GOOD if turn.answered else Tone.BAD
        detail = (turn.said if not turn.answered else turn.said.splitlines()[0])[:300]
        label = f"{label} (exit {shown.exit_code})"
        self.lab.note(label, source=self.lane, tone=tone, detail=detail)
        return turn

    def profiles(self) -> Shown:
        """`openclaw models auth list`: the sign-ins OpenClaw holds, as its user reads them."""
        return self._run("profiles", "models", "auth", "list")
