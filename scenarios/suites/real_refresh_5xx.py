"""One transient 503 on refresh, nothing rotated, met by the real Codex CLI and by Hermes Agent:
the situation in which OpenClaw erases its own login (`real-openclaw-refresh-5xx`).

Both clients read the wall clock; the lab moves the servers' clock two hours on, so each meets a
401 `token_expired` on its next turn and refreshes; the OAuth fake answers that one refresh with
a 503 and every later one as usual.
"""

from __future__ import annotations

from scenarios.lab.lab import Lab
from scenarios.lab.real_actors import CODEX_CLI
from scenarios.lab.real_hermes import HERMES_AGENT
from scenarios.registry import scenario
from scenarios.report.comparison import record_outcome
from scenarios.suites.real_story_steps import (
    cli_signs_in,
    hermes_imports_the_cli_login,
    one_503_on_the_next_refresh,
    the_one_login,
)
from scenarios.suites.story_steps import HOURS

REFRESH_5XX = "refresh-5xx"
# What Codex CLI 0.169.0 logs on stderr for the refused refresh before it tries again.
CLI_LOGS = "Failed to refresh token status=503 Service Unavailable"


def expired_and_one_503_on_the_next_refresh(lab: Lab) -> None:
    """Every access token expired on the servers' clock, and the next refresh answered 503."""
    lab.advance_clock(2 * HOURS)
    one_503_on_the_next_refresh(lab)


def the_503_then_one_rotation(lab: Lab, actor: str) -> None:
    """The ledger's story: the 503 for generation 0, then `actor` rotated generation 0 once;
    no reuse, the login alive."""
    ledger = lab.ledger()
    family = the_one_login(ledger)
    assert [(e["family_id"], e["generation"]) for e in ledger.of_type("fault")] == [(family, 0)]
    assert [e["generation"] for e in ledger.rotations_by()] == [0]
    assert [e["generation"] for e in ledger.rotations_by(actor)] == [0]
    assert ledger.reuse_by() == []
    assert ledger.live_families() == [family]


@scenario(
    "real-cli-refresh-5xx",
    "The real Codex CLI's refresh (after a 401 token_expired) meets a single transient 503 with "
    "nothing rotated: it logs the failure, refreshes again within the same turn and answers; "
    "one rotation, the login alive.",
)
def real_cli_refresh_5xx(lab: Lab) -> None:
    account = lab.account()
    cli = lab.machine("laptop").real_codex_cli("cli")
    cli_signs_in(cli, account)
    expired_and_one_503_on_the_next_refresh(lab)

    turn = cli.exec("good morning")
    assert turn.ok and "you said: good morning" in turn.stdout, turn.text[-2000:]
    assert CLI_LOGS in turn.stderr, turn.stderr[-2000:]
    (rotation,) = lab.ledger().rotations_by(cli.lane)
    assert rotation.get("refresh_reason") == "unauthorized_recovery", rotation
    the_503_then_one_rotation(lab, cli.lane)
    answer = turn.stdout.strip().splitlines()[-1]
    record_outcome(
        lab, REFRESH_5XX, CODEX_CLI, version=cli.client.version, kept_working=True,
        shown=f"{answer} (stderr: ERROR … {CLI_LOGS})",
        login="alive: it refreshed again in the same turn",
    )  # fmt: skip


@scenario(
    "real-hermes-refresh-5xx",
    "Real Hermes (its login imported from the real Codex CLI, which then stays idle) meets a "
    "single transient 503 on its refresh after a 401 token_expired: it refreshes again within "
    "the same turn and answers, saying nothing of the 503; one rotation, the login alive.",
)
def real_hermes_refresh_5xx(lab: Lab) -> None:
    account = lab.account()
    laptop = lab.machine("laptop")
    cli, hermes = laptop.real_codex_cli("cli"), laptop.hermes()
    cli_signs_in(cli, account)
    hermes_imports_the_cli_login(hermes)
    expired_and_one_503_on_the_next_refresh(lab)

    turn = hermes.ask("good morning")
    assert turn.ok, turn.text[-2000:]
    assert turn.stdout.strip() == "codex[gpt-5.5]: you said: good morning", turn.stdout[-2000:]
    the_503_then_one_rotation(lab, hermes.wire_actor)
    # The backend's side: the expired access token refused, the turn answered on the new pair.
    turns = [
        (e.get("token_status"), e.get("generation"), e["outcome"])
        for e in lab.backend_events()
        if e["type"] == "sse_request"
    ]
    assert turns == [("expired", 0, "refused"), ("active", 1, "completed")], turns
    record_outcome(
        lab, REFRESH_5XX, HERMES_AGENT, version=hermes.client.version, kept_working=True,
        shown=f"{turn.stdout.strip()} (nothing of the 503 shown)",
        login="alive: it refreshed again in the same turn",
    )  # fmt: skip
