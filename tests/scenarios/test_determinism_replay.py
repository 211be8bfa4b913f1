"""The canonical race on fresh in-process worlds gives one ledger, fingerprints included."""

from __future__ import annotations

from pathlib import Path

from scenarios.lab.inprocess_siblings import SiblingsInProcessWorld
from scenarios.lab.lab import Lab
from scenarios.lab.ledger_view import LedgerView
from scenarios.lab.replay import first_difference, replay
from scenarios.lab.world import World
from scenarios.suites.determinism import canonical_race

RUNS = 20


def fresh_world(workdir: Path, seed: int, start: float, port: int) -> World:
    return SiblingsInProcessWorld(
        workdir, seed=seed, clock_start=start, frozen=True, oauth_port=port
    )


def test_twenty_fresh_worlds_give_one_ledger(tmp_path: Path) -> None:
    ledgers: list[LedgerView] = []

    def story(lab: Lab) -> LedgerView:
        ledgers.append(canonical_race(lab))
        return ledgers[-1]

    result = replay(story, fresh_world, tmp_path, RUNS)

    assert [run.difference for run in result.differing()] == []
    assert result.identical == RUNS
    assert len({run.digest for run in result.runs}) == 1
    # What is compared is the race itself, fingerprints included (an empty ledger is no proof).
    canonical = ledgers[0].canonical()
    assert [family["state"] for family in canonical] == ["revoked"]
    fingerprints = [token[0] for token in canonical[0]["tokens"]]
    assert len(fingerprints) >= 2
    assert all(fingerprints)


def test_the_first_differing_field_is_named() -> None:
    first = [{"family": "f1", "tokens": [("fp-a", "refresh", 0), ("fp-b", "refresh", 1)]}]
    other = [{"family": "f1", "tokens": [("fp-a", "refresh", 0), ("fp-c", "refresh", 1)]}]

    assert first_difference(first, first) is None
    assert first_difference(first, other) == "ledger[0].tokens[1][0]: 'fp-b', then 'fp-c'"
    assert first_difference(first, first + first) == "ledger: 1 items, then 2"
    assert first_difference([{"a": 1}], [{"b": 1}]) == "ledger[0].a: present in only one ledger"
