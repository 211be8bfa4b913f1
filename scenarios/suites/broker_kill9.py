"""`kill -9` of the refresh broker between the issuer's rotation and the broker's write.

The one loss no refresher can avoid: the issuer rotated the family's refresh token, its answer
was on the wire, and the broker died before it stored the new pair. A pause point holds the
broker's upstream refresh after the issuer committed; the lab kills the broker there, releases
the answer into a closed connection, and starts the broker again. Under the strict policy
presenting the old token again would be a reuse that revokes the login for every client, so the
restarted broker answers `refresh_interrupted` and never replays it. Under a grace window the
user may choose `--retry-interrupted`: the broker presents it once more, the issuer answers
within its window, and every client keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scenarios.lab.actors import Agent, Sibling
from scenarios.lab.broker import BROKER_USER_AGENT, Broker
from scenarios.lab.lab import Lab, Machine
from scenarios.registry import scenario
from scenarios.suites.story_steps import HOURS

# Long enough that the seconds between the lost answer and the retry never leave it.
GRACE_WINDOW = 600
INTERRUPTED = "refresh_interrupted"
# What Codex CLI 0.169.0 prints for a refusal whose code it does not know (this one).
REAL_CLI_SHOWS = "Your access token could not be refreshed. Please log out and sign in again."


@dataclass
class Crash:
    laptop: Machine
    broker: Broker
    cli: Sibling
    vscode: Sibling
    agent: Agent
    family: str


def killed_mid_refresh(
    lab: Lab, policy: str, params: dict[str, Any] | None, *, retry_interrupted: bool
) -> Crash:
    """Every client on one broker; the broker killed while the issuer's answer is held."""
    account = lab.account()
    lab.set_policy(policy, params)
    laptop = lab.machine("laptop")
    family = laptop.codex_login(account)
    broker = laptop.broker()
    cli, vscode, agent = laptop.codex_cli(), laptop.vscode(), laptop.agent()
    assert cli.start().ok
    assert vscode.start().ok
    assert agent.import_codex().exit_code == 0
    lab.advance_clock(2 * HOURS)
    first = cli.refreshes()  # the broker's first contact with this login: it owns it now
    assert first.ok and first.result["outcome"] == "refreshed", first.error
    assert broker.family()["generation"] == 1

    held = lab.pause("after_commit", actor=broker.lane, user_agent=BROKER_USER_AGENT)
    pending = lab.in_background(cli.refreshes)  # the CLI's copy is current: a real rotation
    held.wait(timeout=lab.command_timeout)  # the issuer rotated; its answer is held
    assert [e["generation"] for e in lab.ledger().rotations_by(broker.lane)] == [0, 1]
    broker.kill9()
    held.release()  # the answer goes to a closed connection: lost
    lost = pending.result(timeout=lab.command_timeout)
    assert not lost.ok and lost.code == "network", lost  # the CLI saw its connection cut
    broker.restart(retry_interrupted=retry_interrupted)
    return Crash(laptop, broker, cli, vscode, agent, family)


@scenario(
    "broker-kill9-mid-refresh-strict",
    "Strict policy: the broker is killed (-9) after the issuer rotated the login but before the "
    "broker stored the answer. Restarted, it answers every presenter of the lost token with "
    "refresh_interrupted and never replays it: no reuse, the login is not revoked, and each "
    "client shows why it must sign in again.",
)
def broker_kill9_mid_refresh_strict(lab: Lab) -> None:
    crash = killed_mid_refresh(lab, "strict", None, retry_interrupted=False)
    broker, cli, vscode, agent = crash.broker, crash.cli, crash.vscode, crash.agent

    again = cli.refreshes()  # the next presenter: the token whose answer was lost
    assert again.code == INTERRUPTED, again
    lab.advance_clock(2 * HOURS)
    turn = vscode.turn("still there?")  # expired: VS Code presents the same token
    assert turn.code == INTERRUPTED, turn
    real = crash.laptop.real_codex_cli("cli")  # the real CLI on the same ~/.codex
    shown = real.exec("and me?")  # a 401, then the lost token through the broker
    assert not shown.ok and "you said: and me?" not in shown.stdout, shown.text[-2000:]
    assert f"ERROR: {REAL_CLI_SHOWS}" in shown.stderr, shown.stderr[-2000:]
    run = agent.refresh(force=True)  # takes the CLI's pair from ~/.codex, no call
    run = agent.refresh(force=True)  # then presents it: the broker says why it cannot
    assert run.exit_code != 0
    assert INTERRUPTED in run.stderr, run.stderr[-2000:]
    assert "refresh broker lost the sign-in server's answer" in run.stderr, run.stderr[-2000:]
    answer = agent.ask("are you there?")  # answered by the fallback, with the notice
    assert answer.exit_code == 0 and answer.reply, answer.stderr[-2000:]
    assert (answer.provider or "").startswith("openai-compatible"), answer.provider
    assert answer.notice and "refresh broker" in answer.notice, answer.notice

    ledger = lab.ledger()
    assert ledger.reuse_by() == []  # nothing was replayed
    assert ledger.revoked_families() == []
    assert [e["generation"] for e in ledger.rotations_by()] == [0, 1]  # the lost one last
    answers = [r for r in broker.audit() if r["code"] == INTERRUPTED]
    clients = {str(r["client"]).split("/", 1)[0] for r in answers}
    assert clients == {"codex_cli_rs", "codex_vscode", "codex_exec", "codex-agent"}, clients
    assert all(r["upstream_calls"] == 0 for r in answers), answers
    assert broker.family()["generation"] == 1  # it never learnt generation 2
    broker.keep_audit()


@scenario(
    "broker-kill9-mid-refresh-grace",
    "Grace policy (600 s): the same kill -9 after the issuer rotated; the broker restarted with "
    "--retry-interrupted presents the lost token once more, the issuer answers within its "
    "window (grace_reuse), and every client keeps working: no reuse, no revoked login.",
)
def broker_kill9_mid_refresh_grace(lab: Lab) -> None:
    crash = killed_mid_refresh(lab, "grace", {"window": GRACE_WINDOW}, retry_interrupted=True)
    broker, cli, vscode, agent = crash.broker, crash.cli, crash.vscode, crash.agent

    again = cli.refreshes()  # retried once upstream, inside the issuer's window
    assert again.ok and again.result["outcome"] == "refreshed", again
    assert vscode.turn("still there?").ok  # reloads ~/.codex: the recovered pair
    answer = agent.ask("are you there?")
    assert answer.answered and not answer.notice, answer.stderr[-2000:]
    assert (answer.provider or "").startswith("openai-codex"), answer.provider
    lab.advance_clock(2 * HOURS)  # and on through the next generation
    assert cli.turn("next morning").ok
    assert vscode.turn("next morning").ok
    answer = agent.ask("next morning")
    assert answer.answered and not answer.notice, answer.stderr[-2000:]

    ledger = lab.ledger()
    assert ledger.reuse_by() == []
    assert ledger.revoked_families() == []
    (retried,) = ledger.of_type("grace_reuse")
    assert retried["lane"] == broker.lane
    retries = [r for r in broker.audit() if r["code"] == INTERRUPTED]
    assert retries == [], retries
    broker.keep_audit()
