"""The field report with the real programs: the Codex CLI and Hermes Agent share one login under
the strict policy, and the same morning with `codex-agent` in Hermes's place.

Real clients use the wall clock; the lab moves the servers' clock instead. After the jump every
access token the servers issued is expired on their clock while the clients still think it good:
each client meets a 401 `token_expired` and recovers as it does. Every step runs to its end
before the next starts, so the order of presenters is the story's, never timing luck.
"""

from __future__ import annotations

from scenarios.lab.lab import Lab
from scenarios.registry import scenario
from scenarios.report.comparison import record_outcome
from scenarios.suites.real_story_steps import (
    cli_answers,
    cli_is_signed_out,
    cli_signs_in,
    hermes_imports_the_cli_login,
    the_one_login,
)
from scenarios.suites.story_steps import HOURS

# What Hermes Agent 0.19.0 printed for its turn after it replayed the spent refresh token: the
# backend's 401 to the access token it still held, on stdout, with exit code 0.
HERMES_SHOWS = "HTTP 401: Provided authentication token is expired. Please try signing in again."


@scenario(
    "real-field-report-strict",
    "The field report with the real programs, strict policy: the real Codex CLI logs in, real "
    "Hermes imports that login and answers; hours later the CLI refreshes (rotation); Hermes's "
    "next turn presents the spent refresh token, the server revokes the whole login, Hermes "
    "prints an HTTP 401 as its answer (exit 0), and the CLI is signed out on its next turn.",
)
def real_field_report_strict(lab: Lab) -> None:
    account = lab.account()
    lab.set_policy("strict")
    laptop = lab.machine("laptop")
    cli, hermes = laptop.real_codex_cli("cli"), laptop.hermes()
    cli_signs_in(cli, account)
    hermes_imports_the_cli_login(hermes)
    morning = hermes.ask("good morning")
    assert morning.ok and "you said: good morning" in morning.stdout, morning.text[-2000:]

    lab.advance_clock(2 * HOURS)  # the servers' clock: every access token is now expired
    cli_answers(cli, "one more thing")  # 401 token_expired, refresh, the turn
    ledger = lab.ledger()
    family = the_one_login(ledger)  # one login, shared by both
    assert [e["family_id"] for e in ledger.rotations_by(cli.lane)] == [family]
    assert ledger.revoked_families() == []

    seen = len(lab.backend_events())
    burned = hermes.ask("are you there?")
    # It met a 401 for the access token the CLI's rotation replaced, and refreshed its own copy.
    refused = [
        (e.get("token_status"), e.get("generation"), e.get("status"))
        for e in lab.backend_events()[seen:]
        if e["type"] == "sse_request"
    ]
    assert refused[:1] == [("expired", 0, 401)], refused
    ledger = lab.ledger()
    (reuse,) = ledger.reuse_by(hermes.wire_actor)  # Hermes replayed its stale copy, once
    assert reuse["family_id"] == family
    assert reuse["user_agent"] == f"hermes-cli/{hermes.client.version}"
    assert ledger.reuse_by(cli.lane) == []
    assert ledger.revoked_families() == [family]
    assert ledger.rotations_by(hermes.wire_actor) == []
    # What Hermes showed its user: an error as the answer, and a success exit code.
    assert burned.exit_code == 0, burned.text[-2000:]
    assert burned.stdout.strip() == HERMES_SHOWS, burned.stdout[-2000:]
    record_outcome(
        lab, "stale-copy-strict", "Hermes Agent", version=hermes.client.version,
        kept_working=False, shown=f"{HERMES_SHOWS} (as its answer, exit 0)",
        login="revoked: its stale copy was a reuse",
    )  # fmt: skip
    record_outcome(
        lab, "401-after-rotation", "Hermes Agent", version=hermes.client.version,
        kept_working=False, shown=f"{HERMES_SHOWS} (as its answer, exit 0)",
        login="revoked: on the 401 it refreshed its own stale copy, a reuse",
    )  # fmt: skip

    after = cli_is_signed_out(cli, "still there?")  # the CLI, which did nothing wrong
    assert "you said: still there?" not in after.stdout


@scenario(
    "real-field-report-agent-strict",
    "The same morning with codex-agent in Hermes's place: the real Codex CLI logs in, the agent "
    "imports that login and answers; hours later the CLI refreshes; the agent adopts the CLI's "
    "new pair instead of replaying its copy; nobody is signed out and both keep answering.",
)
def real_field_report_agent_strict(lab: Lab) -> None:
    account = lab.account()
    lab.set_policy("strict")
    laptop = lab.machine("laptop")
    cli, agent = laptop.real_codex_cli("cli"), laptop.agent()
    cli_signs_in(cli, account)
    imported = agent.import_codex()
    assert imported.exit_code == 0, imported.stderr
    morning = agent.ask("good morning")
    assert morning.answered and not morning.notice, morning.stderr
    assert (morning.provider or "").startswith("openai-codex")

    lab.advance_clock(2 * HOURS)  # the servers' clock: every access token is now expired
    cli_answers(cli, "one more thing")

    answer = agent.ask("are you there?")
    assert answer.answered, answer.stderr
    assert (answer.provider or "").startswith("openai-codex")
    assert "you said: are you there?" in (answer.reply or "")
    assert not answer.notice

    cli_answers(cli, "still there?")
    ledger = lab.ledger()
    family = the_one_login(ledger)
    assert ledger.reuse_by() == []
    assert ledger.live_families() == [family]
    assert [e["family_id"] for e in ledger.rotations_by(cli.lane)] == [family]
    assert ledger.rotations_by("agent") == []  # the agent adopted; it did not refresh
