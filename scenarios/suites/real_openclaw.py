"""OpenClaw 2026.9.6 against the fakes, and the same mornings with `codex-agent` in its place.

OpenClaw refreshes only before a request, when its access token expires within 5 minutes on
the wall clock; a 401 from the backend never makes it refresh. So the scenarios that need its
refresh issue the login's first access token with a lifetime inside that margin (`SHORT_ACCESS`),
and every later one with the usual hour: the one refresh each story needs happens at once, and
the Codex CLI, whose margin is the same, does not refresh on every use (PROTOCOL.md section 5).
The one that needs its 401 gives it the usual hour and moves the servers' clock instead.

OpenClaw has no import from the Codex CLI (its `openai:codex-cli` profile is retired); a user
gets the CLI's login into it through Hermes: Hermes's "Import these credentials?" dialogue, then
`openclaw migrate hermes --include-secrets` (which warns that the two must not both keep it).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scenarios.lab.lab import Lab
from scenarios.registry import scenario
from scenarios.report.comparison import AGENT, record_outcome
from scenarios.suites.real_story_steps import (
    cli_answers,
    cli_is_signed_out,
    cli_signs_in,
    one_503_on_the_next_refresh,
    openclaw_gets_the_cli_login,
    the_one_login,
)
from scenarios.suites.story_steps import HOURS

SHORT_ACCESS = 120.0  # seconds: inside OpenClaw's (and the CLI's) 5-minute refresh margin
PUBLIC_ISSUER = "https://auth.openai.com"  # OpenClaw's device login hard-codes its callback
STALE_COPY, REFRESH_5XX, AFTER_ROTATION = "stale-copy-strict", "refresh-5xx", "401-after-rotation"
# What OpenClaw 2026.9.6 shows for its turn when the server refuses its refresh token.
OPENCLAW_REFRESH_FAILED = "OAuth token refresh failed for openai:"
# ... and for every turn after: its login is gone from its own store.
OPENCLAW_NO_LOGIN = "No route-compatible authentication source is configured for openai."
OPENCLAW = "OpenClaw"
# What it shows for a turn whose access token the backend refuses with 401 (it never refreshes
# then) ...
OPENCLAW_401 = (
    "Authentication failed (provider returned HTTP 401). Your provider token may have expired — "
    "try the request again in a moment. If the failure persists, re-authenticate this provider."
)
# ... and for the user's retry: the login is in an auth cooldown, no request is made.
OPENCLAW_COOLDOWN = (
    "All models failed (1): openai/gpt-5.5: Provider openai has auth issue (skipping all models) "
    "(auth)"
)


def servers_on_the_wall_clock(lab: Lab) -> None:
    """The servers' clock put back on the wall clock (an earlier scenario of this world may have
    moved it hours ahead): a lifetime the fake gives a token is then the one the real clients,
    which read the wall clock, see."""
    now = lab.world.oauth.set_clock(time.time())
    lab.world.backend.set_clock(now)
    lab.sync_clock_file()
    lab.note("servers' clock set to the wall clock", source="lab", target="oauth")


@contextmanager
def oauth_settings(lab: Lab, **changes: Any) -> Iterator[None]:
    """The OAuth fake's settings changed for a part of the story, and put back after."""
    before = lab.world.oauth.settings()
    lab.world.oauth.update_settings(**changes)
    lab.note(f"oauth settings {changes}", source="lab", target="oauth")
    try:
        yield
    finally:
        lab.world.oauth.update_settings(**{key: before.get(key) for key in changes})


@scenario(
    "real-openclaw-shared-strict",
    "OpenClaw shares the real Codex CLI's login under the strict policy: the CLI logs in, the "
    "login reaches OpenClaw through Hermes's import and `openclaw migrate hermes`; the CLI "
    "refreshes (rotation); OpenClaw, which never reads another client's store, presents its "
    "stale copy: the server revokes the whole login, OpenClaw shows the refresh failure and "
    "then has no login at all, and the CLI, which did nothing wrong, is signed out too.",
)
def real_openclaw_shared_strict(lab: Lab) -> None:
    account = lab.account()
    lab.set_policy("strict")
    laptop = lab.machine("laptop")
    cli, hermes, claw = laptop.real_codex_cli("cli"), laptop.hermes(), laptop.openclaw()
    servers_on_the_wall_clock(lab)
    with oauth_settings(lab, access_ttl=SHORT_ACCESS):
        cli_signs_in(cli, account)
    openclaw_gets_the_cli_login(hermes, claw)

    cli_answers(cli, "one more thing")  # its first access token is inside its margin
    ledger = lab.ledger()
    family = the_one_login(ledger)  # one login, held by three stores
    assert [e["family_id"] for e in ledger.rotations_by(cli.lane)] == [family]

    burned = claw.ask("are you there?")
    ledger = lab.ledger()
    (reuse,) = ledger.reuse_by(claw.wire_actor)  # OpenClaw replayed its copy, once
    assert reuse["family_id"] == family
    assert reuse["user_agent"] == "undici"
    assert reuse["generation"] == 0
    assert ledger.revoked_families() == [family]
    assert not burned.answered
    assert burned.shown.exit_code == 1
    assert burned.said.startswith(OPENCLAW_REFRESH_FAILED), burned.said

    again = claw.ask("still there?")  # OpenClaw erased its copy: nothing left to try
    assert not again.answered
    assert again.said == OPENCLAW_NO_LOGIN, again.said
    cli_is_signed_out(cli, "still there?")

    record_outcome(
        lab, STALE_COPY, OPENCLAW, version=claw.client.version, kept_working=False,
        shown=burned.said.splitlines()[0], login="revoked: its stale copy was a reuse",
    )  # fmt: skip


@scenario(
    "real-openclaw-agent-shared-strict",
    "The same morning with codex-agent in OpenClaw's place: the real Codex CLI logs in, the "
    "agent imports that login; the CLI refreshes; the agent reads the CLI's auth.json before "
    "refreshing and adopts the new pair instead of replaying its copy: no reuse, the login "
    "lives, and both keep answering.",
)
def real_openclaw_agent_shared_strict(lab: Lab) -> None:
    account = lab.account()
    lab.set_policy("strict")
    laptop = lab.machine("laptop")
    cli, agent = laptop.real_codex_cli("cli"), laptop.agent()
    servers_on_the_wall_clock(lab)
    with oauth_settings(lab, access_ttl=SHORT_ACCESS):
        cli_signs_in(cli, account)
    assert agent.import_codex().exit_code == 0

    cli_answers(cli, "one more thing")
    answer = agent.ask("are you there?")
    assert answer.answered and not answer.notice, answer.stderr[-2000:]
    assert (answer.provider or "").startswith("openai-codex"), answer.provider
    cli_answers(cli, "still there?")

    ledger = lab.ledger()
    family = the_one_login(ledger)
    assert ledger.reuse_by() == []
    assert ledger.live_families() == [family]
    assert all(e["generation"] != 0 for e in ledger.rotations_by("agent"))  # never the spent one
    record_outcome(
        lab, STALE_COPY, AGENT, kept_working=True, shown=answer.reply or "",
        login="alive: it adopted the CLI's rotation",
    )  # fmt: skip


@scenario(
    "real-openclaw-refresh-5xx",
    "OpenClaw signs in through its own browser flow (the lab plays the browser); its one "
    "refresh meets a single transient 503 with nothing rotated: OpenClaw erases its own login "
    "(the user must sign in again) while, per the ledger, the login is alive and unused at the "
    "server.",
)
def real_openclaw_refresh_5xx(lab: Lab) -> None:
    account = lab.account()
    claw = lab.machine("laptop").openclaw()
    servers_on_the_wall_clock(lab)
    with oauth_settings(lab, access_ttl=SHORT_ACCESS):
        login = claw.login_browser(account)
    assert login.ok and "Auth profile: openai:" in login.stdout, login.text[-2000:]
    one_503_on_the_next_refresh(lab)

    failed = claw.ask("good morning")
    assert not failed.answered
    assert failed.said.startswith(OPENCLAW_REFRESH_FAILED), failed.said
    again = claw.ask("and now?")  # nothing failed at the server this time
    assert not again.answered
    assert again.said == OPENCLAW_NO_LOGIN, again.said
    listed = claw.profiles()
    assert "Re-authenticate with `openclaw models auth login --provider openai" in listed.stdout

    ledger = lab.ledger()
    family = the_one_login(ledger)
    assert ledger.live_families() == [family]  # the server never lost the login
    assert ledger.rotations_by() == [] and ledger.reuse_by() == []
    record_outcome(
        lab, REFRESH_5XX, OPENCLAW, version=claw.client.version, kept_working=False,
        shown=failed.said.splitlines()[0], login="alive and unused: OpenClaw erased its copy",
    )  # fmt: skip


@scenario(
    "real-openclaw-agent-refresh-5xx",
    "The same morning with codex-agent in OpenClaw's place (its login imported from the real "
    "Codex CLI, which then stays idle): hours later its refresh meets a single transient 503 "
    "with nothing rotated; the agent keeps its login, answers, and its next refresh rotates as "
    "usual: the login lives.",
)
def real_openclaw_agent_refresh_5xx(lab: Lab) -> None:
    account = lab.account()
    laptop = lab.machine("laptop")
    cli, agent = laptop.real_codex_cli("cli"), laptop.agent()
    cli_signs_in(cli, account)
    assert agent.import_codex().exit_code == 0
    lab.advance_clock(2 * HOURS)  # the agent reads this clock: its access token is expired
    one_503_on_the_next_refresh(lab)

    first = agent.ask("good morning")
    assert first.answered, first.stderr[-2000:]
    again = agent.ask("and now?")
    assert again.answered and not again.notice, again.stderr[-2000:]
    assert (again.provider or "").startswith("openai-codex"), again.provider

    ledger = lab.ledger()
    family = the_one_login(ledger)
    assert ledger.live_families() == [family]
    assert ledger.reuse_by() == []
    assert len(ledger.rotations_by("agent")) == 1
    shown = first.notice or first.reply or ""
    record_outcome(
        lab, REFRESH_5XX, AGENT, kept_working=True, shown=shown,
        login="alive: the 503 changed nothing, the next refresh rotated",
    )  # fmt: skip


@scenario(
    "real-openclaw-device-sse",
    "OpenClaw signs in with a device code (its callback hard-coded to auth.openai.com, which "
    "the world's issuer plays) and, its WebSocket refused with a 503, answers over its "
    "fallback transport: SSE with a zstd-compressed request body, which the fake reads.",
)
def real_openclaw_device_sse(lab: Lab) -> None:
    account = lab.account()
    claw = lab.machine("laptop").openclaw()
    with oauth_settings(lab, public_issuer=PUBLIC_ISSUER):
        login = claw.login_device(account)
    assert login.ok and "Auth profile: openai:" in login.stdout, login.text[-2000:]
    match = {"account_id": account.account_id, "transport": "ws"}
    lab.world.backend.arm_fault("upgrade_status", match=match, count=100, status=503)
    lab.note("arm 503 for every WebSocket upgrade", source="lab", target="codex backend")
    turn = claw.ask("over the fallback")
    lab.world.backend.clear_faults()
    assert turn.answered, turn.said
    assert turn.said.startswith("codex[gpt-5.5]: you said: "), turn.said

    opened = [e for e in lab.backend_events() if e["type"] in ("ws_handshake", "sse_request")]
    assert {e["outcome"] for e in opened if e["type"] == "ws_handshake"} == {"refused"}
    (sse,) = [e for e in opened if e["type"] == "sse_request"]
    assert (sse["outcome"], sse["content_encoding"]) == ("completed", "zstd")
    (signed_in,) = lab.ledger().of_type("login")
    assert (signed_in["originator"], signed_in["user_agent"]) == ("openclaw", "openclaw")


@scenario(
    "real-openclaw-401-after-rotation",
    "OpenClaw holds the real Codex CLI's login (through Hermes's import); hours later on the "
    "servers' clock the CLI refreshes (rotation); OpenClaw's next turn presents the access "
    "token that rotation replaced and gets a 401: it never refreshes on a 401, so it shows "
    "an authentication failure that says to try again, and the retry is refused at once (an "
    "auth cooldown). The login itself is untouched: the CLI's rotation stands.",
)
def real_openclaw_401_after_rotation(lab: Lab) -> None:
    account = lab.account()
    lab.set_policy("strict")
    laptop = lab.machine("laptop")
    cli, hermes, claw = laptop.real_codex_cli("cli"), laptop.hermes(), laptop.openclaw()
    servers_on_the_wall_clock(lab)  # its access token then has an hour left on its clock
    cli_signs_in(cli, account)
    openclaw_gets_the_cli_login(hermes, claw)

    lab.advance_clock(2 * HOURS)  # the servers' clock: every access token is now expired
    cli_answers(cli, "one more thing")  # 401 token_expired, refresh, the turn
    refused = claw.ask("are you there?")
    assert not refused.answered and refused.shown.exit_code == 1
    assert refused.said == OPENCLAW_401, refused.said
    seen = len(lab.backend_events())
    retried = claw.ask("are you there now?")
    assert not retried.answered and retried.said == OPENCLAW_COOLDOWN, retried.said

    ledger = lab.ledger()
    family = the_one_login(ledger)
    assert [e["generation"] for e in ledger.rotations_by()] == [0]  # the CLI's, only
    assert [e["generation"] for e in ledger.rotations_by(cli.lane)] == [0]
    assert ledger.reuse_by() == [] and ledger.of_type("fault") == []
    assert ledger.live_families() == [family]
    backend = lab.backend_events()
    presented = {
        (e.get("token_status"), e.get("generation"), e["outcome"])
        for e in backend[:seen]
        if e["type"] in ("ws_handshake", "sse_request") and e.get("originator") == "openclaw"
    }
    assert presented == {("expired", 0, "refused")}, presented  # only the replaced token
    assert not [e for e in backend[seen:] if "openclaw" in str(e.get("user_agent") or "")]
    record_outcome(
        lab, AFTER_ROTATION, OPENCLAW, version=claw.client.version, kept_working=False,
        verdict="no answer, not signed out",
        shown="Authentication failed (provider returned HTTP 401). … try the request again in a "
        "moment. …; the retry: Provider openai has auth issue (skipping all models)",
        login="alive: it never refreshed; the CLI's rotation stands",
    )  # fmt: skip
