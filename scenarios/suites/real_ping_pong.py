"""Ping-pong with the real Codex CLI: it and `codex-agent` (an imported login) take turns
refreshing one login.

The agent reads the CLI's `auth.json` before it refreshes and adopts any rotation it finds
there; it never writes that file. The CLI reloads only its own `auth.json` before refreshing
(PROTOCOL.md section 3), so a rotation the agent made is invisible to it: its next refresh
presents the spent token. Real clients use the wall clock; the lab moves the servers' clock, and
the CLI meets a 401 `token_expired` and refreshes through `unauthorized_recovery`.
"""

from __future__ import annotations

from scenarios.lab.lab import Lab
from scenarios.registry import scenario
from scenarios.suites.story_steps import HOURS

ROUNDS = 2
# What Codex CLI 0.169.0 prints when the server answers `refresh_token_reused` (PROTOCOL.md 1).
ALREADY_USED = (
    "Your access token could not be refreshed because your refresh token was already used. "
    "Please log out and sign in again."
)


@scenario(
    "real-ping-pong-strict",
    "The real Codex CLI and codex-agent take turns refreshing one login under the strict "
    "policy. While the CLI refreshes first the agent adopts each rotation and the login lives; "
    "the first time the agent refreshes first, the CLI (which reads only its own auth.json) "
    "replays the spent token: the login is revoked, the CLI is signed out and the agent falls "
    "back with a notice. This is the caveat a broker fixes.",
)
def real_ping_pong_strict(lab: Lab) -> None:
    account = lab.account()
    lab.set_policy("strict")
    laptop = lab.machine("laptop")
    cli = laptop.real_codex_cli("cli")
    login = cli.login(account)
    assert login.ok, login.text[-2000:]
    agent = laptop.agent()
    assert agent.import_codex().exit_code == 0

    for round_no in range(ROUNDS):  # the CLI refreshes first; the agent adopts its rotation
        lab.advance_clock(2 * HOURS)
        turn = cli.exec(f"cli round {round_no}")
        assert turn.ok, turn.text[-2000:]
        assert f"you said: cli round {round_no}" in turn.stdout
        answer = agent.ask(f"agent round {round_no}")
        assert answer.answered and not answer.notice, answer.stderr[-2000:]
        assert (answer.provider or "").startswith("openai-codex"), answer.provider
    ledger = lab.ledger()
    (family,) = [f["family_id"] for f in ledger.families]
    assert len(ledger.rotations_by(cli.lane)) == ROUNDS
    assert ledger.rotations_by("agent") == []
    assert ledger.reuse_by() == []

    # The agent's turn to refresh first: it rotates into its own store only.
    lab.advance_clock(2 * HOURS)
    answer = agent.ask("agent first")
    assert answer.answered and not answer.notice, answer.stderr[-2000:]
    assert (answer.provider or "").startswith("openai-codex"), answer.provider
    stale = cli.exec("cli after the agent")
    assert not stale.ok, stale.text[-2000:]
    assert "you said: cli after the agent" not in stale.stdout
    assert ALREADY_USED in stale.stderr, stale.stderr[-2000:]

    ledger = lab.ledger()
    (agent_rotation,) = ledger.rotations_by("agent")
    (replay,) = ledger.reuse_by(cli.lane)  # the token the agent rotated, from the CLI's stale copy
    assert replay["generation"] == agent_rotation["generation"]
    assert replay.get("refresh_reason") == "unauthorized_recovery", replay
    assert ledger.revoked_families() == [family]
    assert [f["revoked_reason"] for f in ledger.families] == ["reuse_detected"]

    # The agent's next question: its own pair died with the login; the fallback answers.
    later = agent.ask("agent afterwards")
    assert later.answered, later.stderr[-2000:]
    assert (later.provider or "").startswith("openai-compatible"), later.provider
    assert later.stop_reason == "fallback"
    assert later.notice and "codex-agent login" in later.notice, later.notice
