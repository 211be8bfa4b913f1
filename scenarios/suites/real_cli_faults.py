"""Backend faults as the real Codex CLI shows them to its user (PROTOCOL.md section 5).

Each fault is armed through the fake backend's admin API for the scenario's account; the
CLI's prewarm message is no turn and never takes one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scenarios.lab.lab import Lab
from scenarios.registry import scenario
from scenarios.suites.real_story_steps import cli_signs_in


@dataclass(frozen=True)
class CliFault:
    kind: str
    count: int | None  # None: every matching request
    shown: str | None  # the CLI's own message on stderr; None: the turn is answered
    turns: list[str]  # the outcomes of the backend's turns, in order
    params: dict[str, Any] = field(default_factory=dict)


# What Codex CLI 0.169.0 prints for each (the usage limit goes on with the time to try again).
CASES = {
    "usage-limit": CliFault(
        "rate_limited", None, "You\u2019ve hit your usage limit. Upgrade to Pro", ["rate_limited"]
    ),
    "context-window": CliFault(
        "response_failed", None,
        "Codex ran out of room in the model's context window. Start a new thread or clear "
        "earlier history before retrying.",
        ["failed"], {"code": "context_length_exceeded"},
    ),
    "stream-cut-once": CliFault(
        "close_before_completed", 1, None, ["closed_before_completed", "completed"]
    ),
}  # fmt: skip


@scenario(
    "real-cli-backend-faults",
    "The Codex backend refuses the real Codex CLI's turns with a usage limit and with a full "
    "context window, and once cuts a stream before response.completed: the CLI shows the "
    "service's own message for each refusal and exits 1, and reconnects the cut stream to a "
    "complete answer (exit 0). No fault touches the login.",
)
def real_cli_backend_faults(lab: Lab) -> None:
    account = lab.account()
    laptop = lab.machine("laptop")
    cli = laptop.real_codex_cli("cli")
    cli_signs_in(cli, account)
    for name, case in CASES.items():
        seen = len(lab.backend_events())
        match = {"account_id": account.account_id}
        lab.world.backend.arm_fault(case.kind, match=match, count=case.count, **case.params)
        lab.note(f"arm backend fault {case.kind}", source="lab", target="codex backend")
        prompt = f"despite {name}"
        shown = cli.exec(prompt)
        lab.world.backend.clear_faults()

        turns = [e["outcome"] for e in lab.backend_events()[seen:] if e["type"] == "ws_turn"]
        assert turns == case.turns, (name, turns)
        if case.shown is None:
            assert shown.ok, shown.text[-2000:]
            assert f"you said: {prompt}" in shown.stdout
        else:
            assert shown.exit_code == 1, shown.text[-2000:]
            assert f"you said: {prompt}" not in shown.stdout
            assert f"ERROR: {case.shown}" in shown.stderr, shown.stderr[-2000:]

    ledger = lab.ledger()
    assert ledger.rotations_by() == [] and ledger.reuse_by() == []
    assert len(ledger.live_families()) == 1
