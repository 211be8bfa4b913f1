"""A restarted broker (a new FamilyBook over the same home) knows every family it served: stale
copies are still adopted without an upstream call, and a store written just before a crash
(ahead of its lineage) is believed, so the token it replaced is never presented again."""

from __future__ import annotations

import shutil
from typing import Any

from broker_testkit import RunningBroker, event_types, mint, presentations, rotations


def test_a_restart_knows_every_family_and_adopts_stale_copies(
    start_broker: Any, upstream: Any, account: dict[str, Any]
) -> None:
    broker: RunningBroker = start_broker()
    other_account = upstream.admin.create_account(email="grace@example.test")
    chains = []
    for owner in (account, account, other_account):
        tokens = [mint(upstream, owner)["refresh_token"]]
        for _ in range(2):
            tokens.append(broker.refresh(tokens[-1]).json()["refresh_token"])
        chains.append(tokens)
    seen = presentations(upstream, account) + presentations(upstream, other_account)

    restarted = start_broker()
    assert len(restarted.book.families()) == 3
    for tokens in chains:
        for stale in tokens[:-1]:
            answer = restarted.refresh(stale)
            assert answer.status_code == 200
            assert answer.json()["refresh_token"] == tokens[-1]
    assert presentations(upstream, account) + presentations(upstream, other_account) == seen
    assert {r["action"] for r in restarted.audit()[-6:]} == {"adopted"}
    rotated = restarted.refresh(chains[2][-1])
    assert rotated.status_code == 200
    assert rotated.json()["id_token"] != restarted.refresh(chains[0][-1]).json()["id_token"]
    assert "reuse_detected" not in event_types(upstream, account)
    assert "reuse_detected" not in event_types(upstream, other_account)


def test_a_store_ahead_of_its_lineage_is_believed(
    start_broker: Any, upstream: Any, account: dict[str, Any]
) -> None:
    """kill -9 between the store's write and the lineage's: the store holds generation 2, the
    lineage still says generation 1 is current. Generation 1 must not be presented upstream."""
    broker: RunningBroker = start_broker()
    tokens = [mint(upstream, account)["refresh_token"]]
    tokens.append(broker.refresh(tokens[-1]).json()["refresh_token"])
    (folder,) = (broker.home / "broker" / "families").iterdir()
    behind = folder / "lineage.behind"
    shutil.copy2(folder / "lineage.json", behind)
    tokens.append(broker.refresh(tokens[-1]).json()["refresh_token"])
    shutil.copy2(behind, folder / "lineage.json")
    behind.unlink()

    restarted = start_broker()
    seen = presentations(upstream, account)
    answer = restarted.refresh(tokens[1])  # "current" for the old lineage, retired in truth
    assert answer.status_code == 200
    assert answer.json()["refresh_token"] == tokens[2]
    assert presentations(upstream, account) == seen
    assert restarted.refresh(tokens[0]).json()["refresh_token"] == tokens[2]
    assert restarted.refresh(tokens[2]).status_code == 200  # the real current one rotates
    assert rotations(upstream, account) == [0, 1, 2]
    assert "reuse_detected" not in event_types(upstream, account)
