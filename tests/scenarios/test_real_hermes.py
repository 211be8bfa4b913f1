"""Hermes as an actor: what it runs with and what it is asked, through the process-runner seam
(the real program runs in the `real-field-report-strict` scenario)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pytest
from real_actor_standins import StandInLab, lab_and_laptop

from scenarios.lab.lab import Lab, Machine
from scenarios.lab.real_actors import Shown
from scenarios.lab.real_hermes import RealHermes
from scenarios.real_clients.installed import InstalledClient

WORLD_ENV = {
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost,::1",
    "SSL_CERT_FILE": "/lab/ca.pem",
    "HERMES_CA_BUNDLE": "/lab/ca.pem",
}


@dataclass
class Call:
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    stdin: str


@dataclass
class Recorder:
    """The process runner: records each call and answers with the next canned `Shown`."""

    answers: list[Shown]
    calls: list[Call] = field(default_factory=list)

    def __call__(
        self, argv: Sequence[str], env: Mapping[str, str], cwd: Path, stdin: str, timeout: float
    ) -> Shown:
        self.calls.append(Call(list(argv), dict(env), cwd, stdin))
        return self.answers.pop(0)


def hermes_in(tmp_path: Path, *answers: Shown) -> tuple[RealHermes, Recorder, StandInLab]:
    venv = tmp_path / "hermes-0.19.0"
    installed = InstalledClient(
        "hermes", "hermes-agent", "0.19.0", venv, venv / "bin" / "hermes", "Hermes Agent v0.19.0"
    )
    lab, machine = lab_and_laptop(tmp_path, WORLD_ENV)
    runner = Recorder(list(answers))
    hermes = RealHermes(cast(Lab, lab), cast(Machine, machine), installed=installed, run=runner)
    return hermes, runner, lab


def test_hermes_runs_with_its_homes_the_machines_codex_home_and_the_worlds_exports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-of-the-developer")
    hermes, runner, _ = hermes_in(tmp_path, Shown(0, "codex[gpt-5.5]: you said: hi\n", ""))
    hermes.ask("hi")
    (call,) = runner.calls
    home = tmp_path / "laptop" / "homes" / "hermes"
    assert call.env["HOME"] == str(home)
    assert call.env["HERMES_HOME"] == str(home / ".hermes")
    assert call.env["CODEX_HOME"] == str(tmp_path / "laptop" / "codex")
    assert WORLD_ENV.items() <= call.env.items()
    assert call.env["HERMES_DISABLE_LAZY_INSTALLS"] == "1"  # the shared install never changes
    assert "OPENAI_API_KEY" not in call.env  # nothing of the caller's but PATH and locale
    assert (home / ".hermes").stat().st_mode & 0o777 == 0o700


def test_a_turn_is_hermes_z_on_openai_codex_and_what_it_printed_is_kept(tmp_path: Path) -> None:
    said = Shown(0, "HTTP 401: Provided authentication token is expired.\n", "")
    hermes, runner, lab = hermes_in(tmp_path, said)
    shown = hermes.ask("are you there?")
    assert shown == said
    (call,) = runner.calls
    assert call.argv == [
        str(tmp_path / "hermes-0.19.0" / "bin" / "hermes"),
        "-z",
        "are you there?",
        "--provider",
        "openai-codex",
        "-m",
        "gpt-5.5",
    ]
    assert (lab.artifacts / "hermes-01-ask.stdout").read_text() == said.stdout
    assert "no answer (exit 0)" in lab.notes  # an error printed as the answer is no answer


def test_the_import_is_hermes_own_dialogue_answered_yes(tmp_path: Path) -> None:
    printed = "Found existing Codex CLI credentials at ~/.codex/auth.json\nCredentials imported.\n"
    hermes, runner, lab = hermes_in(tmp_path, Shown(0, printed, ""))
    assert hermes.import_codex().ok
    (call,) = runner.calls
    assert call.argv[0] == str(tmp_path / "hermes-0.19.0" / "bin" / "python")
    assert "_login_openai_codex" in call.argv[2]
    assert call.stdin == "y\n"
    assert "imported ~/.codex (exit 0)" in lab.notes
    assert lab.runs == [("hermes", "Hermes Agent", "0.19.0")]  # what it sent meanwhile is Hermes's
