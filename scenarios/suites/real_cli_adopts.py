"""The real Codex CLI's 401 recovery adopting another instance's rotation (PROTOCOL.md 5), and
`codex-agent`'s, with the real CLI as the other instance.

Two terminals run the CLI on one `~/.codex`. A pause point holds the first terminal's turn at
the backend's handshake, after it loaded `auth.json` and before its access token is checked;
meanwhile the servers' clock jumps and the second terminal rotates. Released, the first
terminal's old access token is refused, and the CLI must re-read `auth.json` and use the pair
the second terminal saved, with no refresh of its own.
"""

from __future__ import annotations

from scenarios.lab.lab import Lab
from scenarios.lab.real_actors import terminal_of
from scenarios.registry import scenario
from scenarios.report.comparison import AGENT, record_outcome
from scenarios.suites.real_story_steps import cli_signs_in, the_one_login
from scenarios.suites.story_steps import HOURS

ADOPTED_ON_401 = "401-after-rotation"


@scenario(
    "real-cli-401-adopts",
    "Two terminals run the real Codex CLI on one login. The first terminal's turn is held at "
    "the backend with the old access token while the second rotates; released, the first gets "
    "a 401, re-reads auth.json and adopts the new pair with no refresh: one rotation, no reuse, "
    "both turns answered.",
)
def real_cli_401_adopts(lab: Lab) -> None:
    account = lab.account()
    lab.set_policy("strict")
    laptop = lab.machine("laptop")
    first, second = laptop.real_codex_cli("cli-1"), laptop.real_codex_cli("cli-2")
    cli_signs_in(first, account)
    warm = first.exec("hello")
    assert warm.ok, warm.text[-2000:]
    user_agents = {
        str(e["user_agent"])
        for e in lab.backend_events()
        if e["type"] == "ws_handshake" and terminal_of(str(e.get("user_agent") or "")) == first.lane
    }
    assert len(user_agents) == 1, user_agents  # the backend matches a pause on the whole user agent
    (user_agent,) = user_agents

    pause_id = lab.world.backend.arm_pause("handshake", {"user_agent": user_agent})
    lab.note(f"pause {first.lane}'s next turn at the handshake", source="lab", target="backend")
    held = lab.in_background(first.exec, "with the old token")
    lab.world.backend.wait_paused(pause_id, timeout=lab.command_timeout)
    lab.note(f"{first.lane}'s turn is held with the old access token", source="backend")
    lab.advance_clock(2 * HOURS)  # the servers' clock: the old access token is now expired
    rotated = second.exec("I rotate")
    assert rotated.ok, rotated.text[-2000:]
    lab.note(f"release {first.lane}'s turn", source="lab", target="backend")
    lab.world.backend.release(pause_id)
    adopted = held.result(timeout=lab.command_timeout)

    assert adopted.ok, adopted.text[-2000:]
    assert "you said: with the old token" in adopted.stdout

    ledger = lab.ledger()
    family = the_one_login(ledger)
    assert [e["family_id"] for e in ledger.rotations_by()] == [family]  # exactly one rotation
    assert [e["generation"] for e in ledger.rotations_by(second.lane)] == [0]
    assert ledger.rotations_by(first.lane) == []  # adopted, never refreshed
    assert ledger.reuse_by() == []
    assert ledger.live_families() == [family]
    # What the backend saw of the first terminal's held turn: the old access token refused at
    # the handshake, then the turn answered on the second terminal's generation.
    turns = [
        (e["type"], e.get("token_status"), e.get("generation"))
        for e in lab.backend_events()
        if e["type"] in ("ws_handshake", "ws_turn") and e.get("user_agent") == user_agent
    ]
    held_onwards = turns[turns.index(("ws_handshake", "expired", 0)) :]
    assert held_onwards == [
        ("ws_handshake", "expired", 0),
        ("ws_handshake", "active", 1),
        ("ws_turn", "active", 1),
    ], turns
    record_outcome(
        lab, ADOPTED_ON_401, "Codex CLI", version=first.client.version, kept_working=True,
        shown=adopted.stdout.strip().splitlines()[-1],
        login="alive: it re-read auth.json and adopted",
    )  # fmt: skip


@scenario(
    "real-agent-401-adopts",
    "codex-agent with a login imported from the real Codex CLI: its turn is held at the backend "
    "with the old access token while the CLI rotates; released, the agent gets a 401, reads the "
    "CLI's auth.json and adopts the new pair with no refresh: one rotation, no reuse, both "
    "answered.",
)
def real_agent_401_adopts(lab: Lab) -> None:
    account = lab.account()
    lab.set_policy("strict")
    laptop = lab.machine("laptop")
    cli, agent = laptop.real_codex_cli("cli"), laptop.agent()
    cli_signs_in(cli, account)
    assert agent.import_codex().exit_code == 0

    # The agent calls itself codex_cli_rs on the backend, the CLI's turns codex_exec.
    match = {"account_id": account.account_id, "originator": "codex_cli_rs"}
    pause_id = lab.world.backend.arm_pause("handshake", match)
    lab.note("pause the agent's next turn at the handshake", source="lab", target="backend")
    held = lab.in_background(agent.ask, "with the old token")
    lab.world.backend.wait_paused(pause_id, timeout=lab.command_timeout)
    lab.note("the agent's turn is held with the old access token", source="backend")
    lab.advance_clock(2 * HOURS)  # the old access token is now expired, on every clock
    rotated = cli.exec("I rotate")
    assert rotated.ok, rotated.text[-2000:]
    lab.note("release the agent's turn", source="lab", target="backend")
    lab.world.backend.release(pause_id)
    adopted = held.result(timeout=lab.command_timeout)

    assert adopted.answered and not adopted.notice, adopted.stderr[-2000:]
    assert (adopted.provider or "").startswith("openai-codex"), adopted.provider
    assert "you said: with the old token" in (adopted.reply or "")
    ledger = lab.ledger()
    family = the_one_login(ledger)
    assert [e["generation"] for e in ledger.rotations_by()] == [0]  # exactly one rotation
    assert [e["generation"] for e in ledger.rotations_by(cli.lane)] == [0]
    assert ledger.rotations_by("agent") == []  # adopted, never refreshed
    assert ledger.reuse_by() == []
    assert ledger.live_families() == [family]
    # What the backend saw of the agent's turn: the old access token refused, then the CLI's.
    opened = [
        (e.get("token_status"), e.get("generation"))
        for e in lab.backend_events()
        if e["type"] in ("ws_handshake", "sse_request") and e.get("originator") == "codex_cli_rs"
    ]
    assert opened == [("expired", 0), ("active", 1)], opened
    record_outcome(
        lab, ADOPTED_ON_401, AGENT, kept_working=True, shown=adopted.reply or "",
        login="alive: it read the CLI's auth.json and adopted",
    )  # fmt: skip
