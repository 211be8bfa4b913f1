"""The real Codex CLI's 401 recovery adopting another instance's rotation (PROTOCOL.md 5).

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
from scenarios.report.comparison import record_outcome
from scenarios.suites.story_steps import HOURS


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
    login = first.login(account)
    assert login.ok, login.text[-2000:]
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
    (family,) = [f["family_id"] for f in ledger.families]
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
        lab, "401-after-rotation", "Codex CLI", version=first.client.version, kept_working=True,
        shown=adopted.stdout.strip().splitlines()[-1],
        login="alive: it re-read auth.json and adopted",
    )  # fmt: skip
