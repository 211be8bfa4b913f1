"""Determinism: the canonical race, replayed on fresh worlds with one seed, gives one ledger."""

from __future__ import annotations

from pathlib import Path

from scenarios.lab.lab import Lab
from scenarios.lab.ledger_view import LedgerView
from scenarios.lab.replay import SEED, Run, replay
from scenarios.lab.world import World, open_world
from scenarios.registry import scenario
from scenarios.report.timeline import Tone
from scenarios.suites.story_steps import naive_client_burns_the_login

RUNS = 4


def canonical_race(lab: Lab) -> LedgerView:
    """The field report's race: the CLI rotates, a naive agent replays, the agent cascades."""
    account = lab.account()
    laptop = lab.machine("laptop")
    laptop.codex_login(account)
    cli, naive, agent = laptop.codex_cli(), laptop.naive_agent(), laptop.agent()
    assert cli.start().ok
    assert naive.start().ok
    assert agent.import_codex().exit_code == 0
    naive_client_burns_the_login(lab, cli, naive)
    answer = agent.ask("deterministic?")
    assert answer.exit_code == 0
    assert answer.notice
    return lab.ledger()


@scenario(
    "determinism",
    f"The canonical race (the CLI rotates, a naive agent replays, the agent cascades) run {RUNS} "
    f"times on fresh fake servers with seed {SEED} and a frozen clock: the ledger, token "
    "fingerprints included, is the same every time.",
    slow=True,
)
def determinism(lab: Lab) -> None:
    def fresh_world(workdir: Path, seed: int, start: float, port: int) -> World:
        return open_world(
            lab.world.name, workdir, seed=seed, clock_start=start, frozen=True, oauth_port=port
        )

    def noted(run: Run) -> None:
        lab.note(
            f"run {run.index}: ledger {run.digest}",
            source="lab",
            tone=Tone.GOOD if run.difference is None else Tone.BAD,
            detail=run.difference or "",
        )

    result = replay(canonical_race, fresh_world, lab.workdir, RUNS, on_run=noted)
    for run in result.differing():
        raise AssertionError(f"run {run.index} differs from run 0: {run.difference}")
