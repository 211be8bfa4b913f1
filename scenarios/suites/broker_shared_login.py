"""One login shared by every client of a laptop, with and without the refresh broker.

Two real Codex CLIs (one `~/.codex`, terminals cli-1 and cli-2), the simulated VS Code extension,
`codex-agent` with an imported login and 16 naive agents live through many generations of the
login under the strict policy: the servers' clock jumps so that every access token expires
(each client then refreshes as it really does), the agent forces refreshes that leave every
other copy stale, each client presents a stale copy at some point, and 16 clients present one
refresh token at once. Through the broker (`codex-agent broker run`, every client pointed at
it in one line) the issuer sees exactly one rotation per generation and never a replay. The
same steps with every client talking to the issuer burn the login. Steps run one after another,
the burst on threads: its outcome (one rotation, the others adopted) holds in any order.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from scenarios.lab.actors import Agent, Sibling
from scenarios.lab.broker import Broker
from scenarios.lab.lab import Lab
from scenarios.lab.real_actors import RealCodexCli, last_words
from scenarios.registry import scenario
from scenarios.report.timeline import Tone
from scenarios.suites.story_steps import HOURS

ROUNDS = 3
PRESENTERS = 16
GROUP = "shared login, strict policy"
THROUGH_BROKER = "through the broker"
STRAIGHT = "straight to the issuer"


@dataclass
class Turn:
    client: str
    what: str
    answered: bool
    shown: str  # what its user read, on one line

    def __post_init__(self) -> None:
        self.shown = " ".join(self.shown.split())[:300]


@dataclass
class SharedLogin:
    """The laptop's clients and what each showed, step by step."""

    lab: Lab
    broker: Broker | None
    cli: tuple[RealCodexCli, RealCodexCli]
    vscode: Sibling
    agent: Agent
    naive: list[Sibling]
    turns: list[Turn] = field(default_factory=list)

    # -- the clients' steps, each recorded as its user saw it -----------------------------------
    def cli_turn(self, index: int, prompt: str) -> None:
        cli = self.cli[index]
        shown = cli.exec(prompt)
        answered = shown.ok and f"you said: {prompt}" in shown.stdout
        self.turns.append(Turn(cli.lane, "codex exec", answered, last_words(shown)))

    def vscode_turn(self, prompt: str) -> None:
        reply = self.vscode.turn(prompt)
        shown = reply.result.get("answer", "") if reply.ok else reply.error.get("message", "")
        self.turns.append(Turn(self.vscode.lane, "turn", reply.ok, str(shown)))

    def vscode_refresh(self) -> None:
        reply = self.vscode.refreshes()
        shown = reply.result.get("outcome", "") if reply.ok else reply.error.get("message", "")
        self.turns.append(Turn(self.vscode.lane, "refresh", reply.ok, str(shown)))

    def agent_ask(self, prompt: str) -> None:
        answer = self.agent.ask(prompt)
        by_login = answer.answered and (answer.provider or "").startswith("openai-codex")
        shown = answer.notice or answer.reply or answer.stderr.strip()[-300:]
        self.turns.append(Turn(self.agent.lane, "ask", by_login and not answer.notice, shown))

    def agent_refresh(self) -> None:
        run = self.agent.refresh(force=True)
        shown = run.stdout.strip() or run.stderr.strip()
        self.turns.append(
            Turn(self.agent.lane, "refresh --force", run.exit_code == 0, shown[-300:])
        )

    def burst(self) -> None:
        """Every naive agent presents the one refresh token it copied, all at once."""
        self.lab.note(f"{len(self.naive)} naive agents refresh at once", source="lab")
        with ThreadPoolExecutor(max_workers=len(self.naive)) as pool:
            replies = list(pool.map(lambda naive: naive.refreshes(), self.naive))
        for naive, reply in zip(self.naive, replies, strict=True):
            shown = reply.result.get("outcome", "") if reply.ok else reply.error.get("message", "")
            self.turns.append(Turn(naive.lane, "refresh", reply.ok, str(shown)))

    # -- the story --------------------------------------------------------------------------------
    def round(self, number: int) -> None:
        first, second = (0, 1) if number % 2 == 0 else (1, 0)
        # Every access token expires on the servers' clock: a CLI meets a 401 and refreshes.
        self.lab.advance_clock(2 * HOURS)
        self.cli_turn(first, f"round {number}: after the night")
        self.vscode_refresh()  # reloads ~/.codex first: takes the CLI's pair, no call
        # The agent forces two refreshes: the first adopts the CLI's pair from ~/.codex, the
        # second rotates into its own store only: every other copy on the laptop is now stale.
        self.agent_refresh()
        self.agent_refresh()
        # VS Code refreshes: its copy (and ~/.codex) holds the token the agent rotated away.
        self.vscode_refresh()
        # Hours later the agent rotates again (a fresh pair); the other terminal's copy is
        # stale and its access token expired: on the 401 it presents the stale refresh token.
        self.lab.advance_clock(2 * HOURS)
        self.agent_refresh()
        self.cli_turn(second, f"round {number}: with a stale copy")
        # Everyone takes a turn.
        self.vscode_turn(f"round {number}: vscode")
        self.agent_ask(f"round {number}: agent")
        self.cli_turn(first, f"round {number}: and again")

    def naive_wakes(self) -> None:
        """A naive agent presents the copy it took before the burst, generations old."""
        reply = self.naive[0].refreshes()
        shown = reply.result.get("outcome", "") if reply.ok else reply.error.get("message", "")
        self.turns.append(Turn(self.naive[0].lane, "refresh (stale)", reply.ok, str(shown)))

    def tally(self, side: str) -> dict[str, Any]:
        ledger = self.lab.ledger()
        answered = [t for t in self.turns if t.answered]
        figures: dict[str, Any] = {
            "reuse events": len(ledger.reuse_by()),
            "revoked families": len(ledger.revoked_families()),
            "upstream rotations": len(ledger.rotations_by()),
            "client steps that worked": f"{len(answered)} of {len(self.turns)}",
            "clients signed out": len({t.client for t in self.turns if not t.answered}),
        }
        if self.broker is not None:
            family = self.broker.family()
            figures["broker generations"] = family["generation"]
            figures["broker answers"] = ", ".join(
                f"{action} {count}" for action, count in sorted(family["answers"].items())
            )
        self.lab.keep_artifact(
            "client-steps.txt",
            "".join(
                f"{'ok ' if t.answered else 'NO '} {t.client:<12} {t.what:<16} {t.shown}\n"
                for t in self.turns
            ),
        )
        column = 0 if self.broker is not None else 1
        return {"group": GROUP, "side": side, "column": column, "figures": figures}


def shared_login(lab: Lab, *, through_broker: bool) -> SharedLogin:
    account = lab.account()
    lab.set_policy("strict")
    laptop = lab.machine("laptop")
    broker = laptop.broker() if through_broker else None
    cli = laptop.real_codex_cli("cli-1"), laptop.real_codex_cli("cli-2")
    login = cli[0].login(account)  # sign-in goes to the issuer; refreshes to the broker
    assert login.ok, login.text[-2000:]
    vscode, agent = laptop.vscode(), laptop.agent()
    assert vscode.start().ok
    assert agent.import_codex().exit_code == 0
    story = SharedLogin(lab, broker, cli, vscode, agent, [])
    for number in range(ROUNDS):
        story.round(number)
    # 16 clients copy the current login and present its refresh token at once.
    story.naive = [laptop.naive_agent(f"naive-{i + 1}") for i in range(PRESENTERS)]
    for naive in story.naive:
        assert naive.start().ok  # copies ~/.codex
    lab.advance_clock(2 * HOURS)
    story.burst()
    story.round(ROUNDS)
    story.naive_wakes()
    if broker is not None:
        broker.keep_audit()
    return story


@scenario(
    "broker-shared-login-strict",
    "Strict policy, one login on a laptop: two real Codex CLIs, VS Code, codex-agent (imported "
    "login) and 16 naive agents, all refreshing through one `codex-agent broker`, for many "
    "generations: clock jumps, forced refreshes, every client presenting a stale copy at some "
    "point, 16 presenters of one token at once. The issuer sees one rotation per generation and "
    "no replay; every turn is answered.",
)
def broker_shared_login_strict(lab: Lab) -> None:
    story = shared_login(lab, through_broker=True)
    lab.tally = story.tally(THROUGH_BROKER)
    assert story.broker is not None
    ledger = lab.ledger()
    (family,) = [f["family_id"] for f in ledger.families]
    assert ledger.reuse_by() == []
    assert ledger.revoked_families() == []
    assert ledger.live_families() == [family]
    # Exactly one upstream rotation per generation, every one of them the broker's.
    per_generation = ledger.rotations_per_generation()
    assert set(per_generation.values()) == {1}, per_generation
    generation = story.broker.family()["generation"]
    assert len(ledger.rotations_by()) == generation, (len(ledger.rotations_by()), generation)
    assert len(ledger.rotations_by(story.broker.lane)) == generation
    assert generation >= 3 * ROUNDS, generation
    # Every turn answered, every refresh taken.
    failed = [t for t in story.turns if not t.answered]
    assert failed == [], failed
    # Every client presented a copy the broker had already rotated away, and was adopted.
    audit = story.broker.audit()
    adopted_clients = {str(r.get("client", "")).split("/", 1)[0] for r in audit
                       if r["action"] == "adopted"}  # fmt: skip
    assert {"codex_exec", "codex_vscode", "naive-agent"} <= adopted_clients, adopted_clients
    # The agent's copy went stale too: it took the CLI's newer pair from ~/.codex instead.
    assert any("adopted the pair the Codex CLI rotated" in t.shown for t in story.turns)
    # The burst: 16 presenters of one token, one upstream call.
    naive = [r for r in audit if str(r.get("client", "")).startswith("naive-agent/")]
    burst = naive[:PRESENTERS]  # then naive-1 wakes with its copy, generations old
    assert len(burst) == PRESENTERS, burst
    assert len({r["presented"] for r in burst}) == 1, burst
    assert sum(r["upstream_calls"] for r in burst) == 1, burst
    lab.note(
        f"{generation} generations, {len(ledger.rotations_by())} upstream rotations, no reuse",
        source=story.broker.lane,
        tone=Tone.GOOD,
    )


@scenario(
    "broker-shared-login-direct-strict",
    "The same laptop and the same steps as broker-shared-login-strict, every client talking to "
    "the issuer itself: the first stale copy presented is a reuse, the strict issuer revokes "
    "the login, and the clients are signed out (the side-by-side table in the report).",
)
def broker_shared_login_direct_strict(lab: Lab) -> None:
    story = shared_login(lab, through_broker=False)
    lab.tally = story.tally(STRAIGHT)
    ledger = lab.ledger()
    assert ledger.reuse_by(), [e["type"] for e in ledger.events]
    assert len(ledger.revoked_families()) == 1
    assert any(not t.answered for t in story.turns)
