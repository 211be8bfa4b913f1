"""Two real Codex CLIs, one `~/.codex`, one refresh at a time on the server's side only.

The CLI takes its `auth.json` lock after the refresh returns, so two terminals whose access
token expired together can both present the same refresh token. A pause point holds the first
terminal's refresh after validation while the second rotates: the order is the lab's, never
timing luck. Real clients use the wall clock; the lab moves the servers' clock instead, and
each CLI meets a 401 `token_expired` and refreshes through `unauthorized_recovery`.
"""

from __future__ import annotations

from scenarios.lab.lab import Lab
from scenarios.registry import scenario
from scenarios.suites.story_steps import HOURS

# What Codex CLI 0.169.0 prints when its refresh token was revoked (PROTOCOL.md section 5).
SIGNED_OUT = (
    "Your access token could not be refreshed because your refresh token was revoked. "
    "Please log out and sign in again."
)


@scenario(
    "real-two-clis-race-strict",
    "Two terminals run the real Codex CLI on one login under the strict policy. Both access "
    "tokens expire; the first terminal's refresh is held after validation while the second "
    "rotates; released, the first commit is a reuse, the login is revoked, and both terminals "
    "are signed out: the first at once, the second on its next turn.",
)
def real_two_clis_race_strict(lab: Lab) -> None:
    account = lab.account()
    lab.set_policy("strict")
    laptop = lab.machine("laptop")
    first, second = laptop.real_codex_cli("cli-1"), laptop.real_codex_cli("cli-2")
    login = first.login(account)
    assert login.ok, login.text[-2000:]
    for cli in (first, second):
        turn = cli.exec(f"hello from {cli.lane}")
        assert turn.ok, turn.text[-2000:]
        assert f"you said: hello from {cli.lane}" in turn.stdout

    lab.advance_clock(2 * HOURS)  # the servers' clock: both access tokens are now expired
    held = lab.pause("after_validation", actor=first.lane, user_agent=first.user_agent_marker)
    racing = lab.in_background(first.exec, "who wins?")
    held.wait(timeout=lab.command_timeout)  # cli-1 presented the token and waits to commit
    won = second.exec("me first")
    assert won.ok, won.text[-2000:]
    assert "you said: me first" in won.stdout
    held.release()
    lost = racing.result(timeout=lab.command_timeout)

    ledger = lab.ledger()
    (family,) = [f["family_id"] for f in ledger.families]  # one login, shared by both terminals
    assert [e["family_id"] for e in ledger.rotations_by(second.lane)] == [family]
    assert len(ledger.reuse_by(first.lane)) == 1  # the race, not a stale copy
    assert ledger.reuse_by(second.lane) == []
    assert ledger.revoked_families() == [family]
    agents = {e["user_agent"] for e in ledger.rotations_by() + ledger.reuse_by()}
    assert all(a.startswith(f"codex_exec/{first.client.version} ") for a in agents), agents
    lab.keep_artifact("user-agents.txt", "\n".join(sorted(agents)))

    # What each terminal showed its user: signed out, told to sign in again.
    after = second.exec("still there?")
    for shown, prompt in ((lost, "who wins?"), (after, "still there?")):
        assert not shown.ok, shown.text[-2000:]
        assert f"you said: {prompt}" not in shown.stdout
        assert SIGNED_OUT in shown.stderr, shown.stderr[-2000:]
