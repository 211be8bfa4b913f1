"""The broker's decisions against the fake issuer under the strict policy: what each presenter
gets back, and what the issuer's ledger saw (exactly one rotation per generation, no reuse)."""

from __future__ import annotations

import threading
from typing import Any

from broker_testkit import RunningBroker

from agent.broker.window import AdoptionWindow
from agent.fingerprint import token_fingerprint


def mint(upstream: Any, account: dict[str, Any]) -> dict[str, Any]:
    return upstream.admin.mint_family(account["account_id"])  # type: ignore[no-any-return]


def ledger_events(upstream: Any, account: dict[str, Any]) -> list[str]:
    ledger = upstream.admin.ledger(account_id=account["account_id"])
    return [e["type"] for e in ledger["events"]]


def test_first_contact_forwards_once_and_owns_the_family(
    broker: RunningBroker, upstream: Any, account: dict[str, Any]
) -> None:
    family = mint(upstream, account)
    answer = broker.refresh(family["refresh_token"])
    assert answer.status_code == 200, answer.text
    pair = answer.json()
    assert pair["refresh_token"] != family["refresh_token"]
    assert {"access_token", "id_token", "refresh_token"} <= set(pair)
    (record,) = broker.audit()
    assert record["action"] == "new_family"
    assert record["upstream_calls"] == 1
    assert record["presented"] == token_fingerprint(family["refresh_token"])


def test_a_stale_copy_is_adopted_without_an_upstream_call(
    broker: RunningBroker, upstream: Any, account: dict[str, Any]
) -> None:
    family = mint(upstream, account)
    first = broker.refresh(family["refresh_token"]).json()
    again = broker.refresh(family["refresh_token"])  # the sibling that still holds generation 0
    assert again.status_code == 200
    assert again.json()["refresh_token"] == first["refresh_token"]
    assert [r["action"] for r in broker.audit()] == ["new_family", "adopted"]
    assert broker.audit()[-1]["upstream_calls"] == 0
    ledger = upstream.admin.ledger(account_id=account["account_id"])
    assert all(f["state"] == "active" for f in ledger["families"])


def test_sixteen_presenters_of_the_current_token_cause_one_rotation(
    broker: RunningBroker, upstream: Any, account: dict[str, Any]
) -> None:
    family = mint(upstream, account)
    current = broker.refresh(family["refresh_token"]).json()["refresh_token"]
    answers: list[Any] = []
    go = threading.Barrier(16)

    def present() -> None:
        go.wait()
        answers.append(broker.refresh(current))

    threads = [threading.Thread(target=present) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [a.status_code for a in answers] == [200] * 16
    assert len({a.json()["refresh_token"] for a in answers}) == 1
    actions = [r["action"] for r in broker.audit()[1:]]
    assert sorted(actions) == ["adopted"] * 15 + ["rotated"]
    assert sum(r["upstream_calls"] for r in broker.audit()) == 2  # first contact + one rotation


def test_outside_the_window_the_broker_refuses_and_never_forwards(
    start_broker: Any, upstream: Any, account: dict[str, Any]
) -> None:
    broker = start_broker(window=AdoptionWindow(generations=2, hours=72))
    family = mint(upstream, account)
    token = family["refresh_token"]
    for _ in range(3):
        token = broker.refresh(token).json()["refresh_token"]
    stale = broker.refresh(family["refresh_token"])  # generation 0, three behind
    assert stale.status_code == 401
    assert stale.json()["error"]["code"] == "refresh_token_reused"
    assert "sign in again" in stale.json()["error"]["message"]
    assert broker.audit()[-1]["upstream_calls"] == 0
    ledger = upstream.admin.ledger(account_id=account["account_id"])
    assert all(f["state"] == "active" for f in ledger["families"])
