"""Real clients are told apart on the wire by the terminal the lab runs each in: the Codex CLI
puts `TERM_PROGRAM/TERM_PROGRAM_VERSION` in its user agent (observed with 0.169.0)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scenarios.lab.actors_on_wire import actor_of
from scenarios.lab.real_actors import Shown, last_words, terminal_of

# As the fake's ledger recorded them for two terminals (scenario real-two-clis-race-strict).
SEEN = {
    "codex_exec/0.169.0 (Debian 12.0.0; x86_64) lab-cli-1/1 (codex_exec; 0.169.0)": "cli-1",
    "codex_exec/0.169.0 (Debian 12.0.0; x86_64) lab-cli-2/1": "cli-2",
}


@pytest.mark.parametrize(("user_agent", "lane"), SEEN.items())
def test_a_real_cli_is_the_lane_of_its_terminal(user_agent: str, lane: str) -> None:
    assert terminal_of(user_agent) == lane
    assert actor_of({"user_agent": user_agent, "originator": "codex_exec"}) == lane


@pytest.mark.parametrize(
    ("user_agent", "actor"),
    [
        ("codex_cli_rs/0.0.0 (sim)", "codex-cli"),
        ("codex-agent/0.1.0", "agent"),
    ],
)
def test_clients_outside_a_lab_terminal_keep_their_names(user_agent: str, actor: str) -> None:
    assert actor_of({"user_agent": user_agent}) == actor


@given(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True))
def test_every_lane_name_survives_the_user_agent(lane: str) -> None:
    assert terminal_of(f"codex_exec/0.169.0 (Linux; x86_64) lab-{lane}/1 (codex_exec)") == lane


def test_the_last_words_are_the_answer_or_the_error_it_ended_with() -> None:
    answered = Shown(0, "codex\nyou said: hi\n", "warning: noise\n")
    failed = Shown(1, "", "ERROR: refresh token was revoked.\n\x1b[90m\x1b[0m\n")
    assert last_words(answered) == "you said: hi"
    assert last_words(failed) == "ERROR: refresh token was revoked."


# Hermes Agent 0.19.0 as the fakes recorded it: its token calls, then its backend calls.
@pytest.mark.parametrize("user_agent", ["hermes-cli/0.19.0", "codex_cli_rs/0.0.0 (Hermes Agent)"])
def test_hermes_is_hermes_on_both_servers(user_agent: str) -> None:
    assert actor_of({"user_agent": user_agent}) == "hermes"


def test_the_cli_without_hermes_mark_stays_the_cli() -> None:
    assert actor_of({"user_agent": "codex_cli_rs/0.0.0 (sim)"}) == "codex-cli"
