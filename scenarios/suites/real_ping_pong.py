"""Ping-pong with the real Codex CLI: it and `codex-agent` (an imported login) take turns
refreshing one login.

The agent reads the CLI's `auth.json` before it refreshes and adopts any rotation it finds
there; it never writes that file. The CLI reloads only its own `auth.json` before refreshing
(PROTOCOL.md section 3), so a rotation the agent made is invisible to it: its next refresh
presents the spent token, and the server's reuse policy decides what the user sees. Real
clients use the wall clock; the lab moves the servers' clock, and the CLI meets a 401
`token_expired` and refreshes through `unauthorized_recovery`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scenarios.lab.actors import Agent
from scenarios.lab.lab import Lab
from scenarios.lab.real_actors import RealCodexCli, Shown
from scenarios.registry import scenario
from scenarios.report.comparison import record_outcome
from scenarios.suites.story_steps import HOURS

ROUNDS = 2
# What Codex CLI 0.169.0 prints when the server answers `refresh_token_reused` (PROTOCOL.md 1).
ALREADY_USED = (
    "Your access token could not be refreshed because your refresh token was already used. "
    "Please log out and sign in again."
)


@dataclass
class AfterTheAgent:
    """Where the story stands once the agent refreshed first and the CLI took its next turn."""

    cli: RealCodexCli
    agent: Agent
    family: str
    shown: Shown  # what the CLI showed for the turn after the agent's rotation
    agent_generation: int  # the refresh token the agent rotated


def agent_refreshes_first(
    lab: Lab, policy: str, params: dict[str, Any] | None = None
) -> AfterTheAgent:
    """Rounds where the CLI refreshes first and the agent adopts, then one where the agent does."""
    account = lab.account()
    lab.set_policy(policy, params)
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
    (agent_rotation,) = lab.ledger().rotations_by("agent")
    shown = cli.exec("cli after the agent")
    return AfterTheAgent(cli, agent, family, shown, int(agent_rotation["generation"]))


@scenario(
    "real-ping-pong-strict",
    "The real Codex CLI and codex-agent take turns refreshing one login under the strict "
    "policy. While the CLI refreshes first the agent adopts each rotation and the login lives; "
    "the first time the agent refreshes first, the CLI (which reads only its own auth.json) "
    "replays the spent token: the login is revoked, the CLI is signed out and the agent falls "
    "back with a notice. This is the caveat a broker fixes.",
)
def real_ping_pong_strict(lab: Lab) -> None:
    story = agent_refreshes_first(lab, "strict")
    stale = story.shown
    assert not stale.ok, stale.text[-2000:]
    assert "you said: cli after the agent" not in stale.stdout
    assert ALREADY_USED in stale.stderr, stale.stderr[-2000:]

    ledger = lab.ledger()
    (replay,) = ledger.reuse_by(story.cli.lane)  # the agent's spent token, from the CLI's copy
    assert replay["generation"] == story.agent_generation
    assert replay.get("refresh_reason") == "unauthorized_recovery", replay
    assert ledger.revoked_families() == [story.family]
    assert [f["revoked_reason"] for f in ledger.families] == ["reuse_detected"]
    record_outcome(
        lab, "stale-copy-strict", "Codex CLI", version=story.cli.client.version,
        kept_working=False, shown=ALREADY_USED, login="revoked: its stale copy was a reuse",
    )  # fmt: skip

    # The agent's next question: its own pair died with the login; the fallback answers.
    later = story.agent.ask("agent afterwards")
    assert later.answered, later.stderr[-2000:]
    assert (later.provider or "").startswith("openai-compatible"), later.provider
    assert later.stop_reason == "fallback"
    assert later.notice and "codex-agent login" in later.notice, later.notice


@scenario(
    "real-ping-pong-grace",
    "The same ping-pong under a grace window (Okta-style) longer than any lab command: the "
    "CLI still replays the token the agent rotated, but inside the window the server forks a "
    "new pair instead of revoking. Nobody is signed out; the replay is in the ledger.",
)
def real_ping_pong_grace(lab: Lab) -> None:
    # Far longer than the two commands between the agent's rotation and the CLI's replay can
    # take (each is bounded by the command timeout): the verdict never depends on timing.
    story = agent_refreshes_first(lab, "grace", {"window": 10 * lab.command_timeout})
    assert story.shown.ok, story.shown.text[-2000:]
    assert "you said: cli after the agent" in story.shown.stdout

    ledger = lab.ledger()
    (replay,) = ledger.of_type("grace_reuse", story.cli.lane)
    assert replay["generation"] == story.agent_generation
    assert ledger.reuse_by() == []
    assert ledger.live_families() == [story.family]

    later = story.agent.ask("agent afterwards")
    assert later.answered and not later.notice, later.stderr[-2000:]
    assert (later.provider or "").startswith("openai-codex"), later.provider
    again = story.cli.exec("cli afterwards")
    assert again.ok, again.text[-2000:]
