"""OpenClaw as an actor: what it runs with, what it is asked, and how its answers read, through
the process and terminal seams (the real program runs in the `real-openclaw-*` scenarios)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pytest
from real_actor_standins import StandInLab, lab_and_laptop

from scenarios.lab.actors_on_wire import actor_of
from scenarios.lab.lab import Account, Lab, Machine
from scenarios.lab.real_actors import Shown
from scenarios.lab.real_openclaw import (
    OPENCLAW,
    RealOpenClaw,
    Watch,
    read_turn,
    run_in_terminal,
)
from scenarios.lab.wire_clients import wire_client_of
from scenarios.leak_audit import is_token_store
from scenarios.real_clients.installed import InstalledClient

WORLD_ENV = {
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost,::1",
    "NODE_EXTRA_CA_CERTS": "/lab/ca.pem",
}
ANSWER = json.dumps({"payloads": [{"text": "codex[gpt-5.5]: you said: hi"}], "meta": {}})
REFUSED = json.dumps(
    {"ok": False, "error": {"type": "cli_error", "message": "OAuth token refresh failed for x"}}
)


@dataclass
class Recorder:
    answers: list[Shown]
    calls: list[tuple[list[str], dict[str, str]]] = field(default_factory=list)

    def __call__(
        self, argv: Sequence[str], env: Mapping[str, str], cwd: Path, stdin: str, timeout: float
    ) -> Shown:
        self.calls.append((list(argv), dict(env)))
        return self.answers.pop(0)


@dataclass
class Terminal:
    """The pseudo-terminal seam: shows `screen` to the watcher, as OpenClaw would print it."""

    screen: str
    watched: list[bool] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)

    def __call__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: Path,
        timeout: float,
        watch: Watch,
    ) -> Shown:
        self.argv = list(argv)
        self.watched.append(watch(self.screen))
        return Shown(
            0, self.screen + "\nAuth profile: openai:you@example.test (openai/oauth)\n", ""
        )


def claw_in(
    tmp_path: Path, *answers: Shown, screen: str = ""
) -> tuple[RealOpenClaw, Recorder, Terminal, StandInLab]:
    folder = tmp_path / "openclaw-2026.9.6"
    installed = InstalledClient(
        "openclaw", "openclaw", "2026.9.6", folder, folder / "bin" / "openclaw",
        "OpenClaw 2026.9.6 (eb377ac)", node="24.22.3",
    )  # fmt: skip
    lab, machine = lab_and_laptop(tmp_path, WORLD_ENV)
    runner = Recorder([Shown(0, "Updated models.providers.openai.agentRuntime.\n", ""), *answers])
    terminal = Terminal(screen)
    claw = RealOpenClaw(
        cast(Lab, lab), cast(Machine, machine), installed=installed, run=runner, terminal=terminal
    )
    return claw, runner, terminal, lab


def test_openclaw_runs_with_its_home_its_state_folder_and_the_worlds_exports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-of-the-developer")
    claw, runner, _, lab = claw_in(tmp_path, Shown(0, ANSWER, ""))
    claw.ask("hi")
    (configure, _config_env), (ask, env) = runner.calls
    home = tmp_path / "laptop" / "homes" / "openclaw"
    assert env["HOME"] == str(home)
    assert env["OPENCLAW_STATE_DIR"] == str(home / ".openclaw")
    assert WORLD_ENV.items() <= env.items()
    assert "OPENAI_API_KEY" not in env
    assert (home / ".openclaw").stat().st_mode & 0o777 == 0o700
    program = str(tmp_path / "openclaw-2026.9.6" / "bin" / "openclaw")
    assert configure == [
        program, "config", "set", "models.providers.openai.agentRuntime", '{"id":"openclaw"}'
    ]  # fmt: skip
    assert ask == [
        program, "agent", "--local", "-m", "hi", "--model", "openai/gpt-5.5", "--json"
    ]  # fmt: skip
    assert lab.runs == [("openclaw", OPENCLAW, "2026.9.6")] * 2


def test_a_turn_reads_the_reply_or_the_error_openclaw_printed(tmp_path: Path) -> None:
    claw, _, _, lab = claw_in(tmp_path, Shown(0, ANSWER, ""), Shown(1, REFUSED, "[openclaw] x"))
    answered = claw.ask("hi")
    assert (answered.answered, answered.said) == (True, "codex[gpt-5.5]: you said: hi")
    refused = claw.ask("again")
    assert (refused.answered, refused.said) == (False, "OAuth token refresh failed for x")
    assert "no answer (exit 1)" in lab.notes
    assert (lab.artifacts / "openclaw-03-ask.stdout").read_text() == REFUSED


@pytest.mark.parametrize("printed", ["", "not json", "[1]", '{"payloads": []}'])
def test_anything_else_it_prints_is_no_answer(printed: str) -> None:
    assert not read_turn(Shown(0, printed, "")).answered


def test_the_device_login_approves_the_code_openclaw_shows(tmp_path: Path) -> None:
    screen = (
        "OpenAI Codex device code\n  URL: <https://auth.openai.com/codex/device>\n"
        "  Code: BKE9-7WN8\n"
    )
    claw, _, terminal, lab = claw_in(tmp_path, screen=screen)
    shown = claw.login_device(Account("acc_1", "you@example.test", "plus"))
    assert terminal.watched == [True]
    assert terminal.argv[1:] == ["models", "auth", "login", "--provider", "openai", "--device-code"]
    assert lab.world.oauth.approved == [("BKE9-7WN8", "acc_1")]
    assert "signed in (exit 0)" in lab.notes
    assert shown.ok


def test_the_terminal_seam_shows_the_screen_as_it_comes_and_acts_once(tmp_path: Path) -> None:
    script = "import sys; print('Code: ABCD-EFGH', flush=True); print(sys.stdin.isatty())"
    seen: list[str] = []

    def watch(screen: str) -> bool:
        seen.append(screen)
        return "Code:" in screen

    shown = run_in_terminal([sys.executable, "-c", script], {}, tmp_path, 60.0, watch)
    assert shown.exit_code == 0
    assert "Code: ABCD-EFGH" in shown.stdout
    assert shown.stdout.strip().endswith("True")  # it ran on a terminal
    assert len(seen) >= 1
    assert "Code:" in seen[-1]


@pytest.mark.parametrize(
    ("user_agent", "version", "lane"),
    [
        ("openclaw (linux 6.18.44; x64)", "2026.9.6", "openclaw"),
        ("openclaw", None, "openclaw"),
        ("undici", None, "openclaw"),
    ],
)
def test_openclaw_is_told_apart_on_the_wire(
    user_agent: str, version: str | None, lane: str
) -> None:
    event = {"user_agent": user_agent, "version": version}
    client = wire_client_of(event)
    assert client is not None
    assert (client.program, client.version) == (OPENCLAW, version)
    assert actor_of(event) == lane


@pytest.mark.parametrize(
    ("name", "is_store"),
    [
        ("openclaw.sqlite", True),
        ("openclaw-agent.sqlite-wal", True),
        ("openclaw.sqlite-shm", True),
        ("openclaw-quarantine.sqlite", False),
        ("openclaw.sqlite.bak", False),
    ],
)
def test_openclaws_own_stores_may_hold_tokens_and_nothing_else(name: str, is_store: bool) -> None:
    assert is_token_store(Path("state") / name) is is_store
