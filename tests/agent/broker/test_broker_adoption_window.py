"""The edges of the adoption window (K generations, T hours), exactly: a copy K behind and T
hours retired is honoured, one more generation or one more second is refused by the broker,
and an honoured copy whose current pair is about to expire gets a freshly rotated one."""

from __future__ import annotations

from typing import Any

from broker_testkit import RunningBroker, mint, pair_of, presentations

from agent.broker.window import AdoptionWindow
from agent.clock import ManualClock


def chain(broker: RunningBroker, upstream: Any, account: dict[str, Any], length: int) -> list[str]:
    tokens = [mint(upstream, account)["refresh_token"]]
    for _ in range(length):
        tokens.append(broker.refresh(tokens[-1]).json()["refresh_token"])
    return tokens


def test_exactly_k_generations_behind_is_honoured_and_one_more_is_not(
    start_broker: Any, upstream: Any, account: dict[str, Any]
) -> None:
    broker: RunningBroker = start_broker(window=AdoptionWindow(generations=3, hours=72))
    tokens = chain(broker, upstream, account, 5)  # generations 0-5, 5 is current
    seen = presentations(upstream, account)
    honoured = broker.refresh(tokens[2])  # 3 behind
    assert honoured.status_code == 200
    assert honoured.json()["refresh_token"] == tokens[5]
    refused = broker.refresh(tokens[1])  # 4 behind
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "refresh_token_reused"
    assert "4 generations old" in refused.json()["error"]["message"]
    assert presentations(upstream, account) == seen


def test_exactly_t_hours_after_retirement_is_honoured_and_a_second_more_is_not(
    start_broker: Any, upstream: Any, account: dict[str, Any], clock: ManualClock
) -> None:
    broker: RunningBroker = start_broker(window=AdoptionWindow(generations=8, hours=0.5))
    tokens = chain(broker, upstream, account, 2)
    clock.advance(1800)  # generation 1 retired exactly 30 minutes ago
    seen = presentations(upstream, account)
    assert broker.refresh(tokens[1]).json()["refresh_token"] == tokens[2]
    clock.advance(1)
    refused = broker.refresh(tokens[1])
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "refresh_token_reused"
    assert presentations(upstream, account) == seen


def test_a_window_of_zero_generations_honours_no_copy(
    start_broker: Any, upstream: Any, account: dict[str, Any]
) -> None:
    broker: RunningBroker = start_broker(window=AdoptionWindow(generations=0, hours=72))
    tokens = chain(broker, upstream, account, 1)
    assert broker.refresh(tokens[0]).status_code == 401
    assert broker.refresh(tokens[1]).status_code == 200  # the current one still rotates


def test_an_honoured_copy_gets_a_fresh_pair_when_the_current_one_is_expiring(
    start_broker: Any, upstream: Any, account: dict[str, Any], clock: ManualClock
) -> None:
    broker: RunningBroker = start_broker(window=AdoptionWindow(generations=8, hours=72))
    tokens = chain(broker, upstream, account, 2)
    clock.advance(3600)  # the current access token (1 h) has expired for the broker
    upstream.admin.advance_clock(3600)
    answer = broker.refresh(tokens[0])
    assert answer.status_code == 200
    assert answer.json()["refresh_token"] not in tokens  # rotated once, for this presenter
    assert broker.audit()[-1]["action"] == "rotated"
    again = broker.refresh(tokens[1])  # and the next copy is adopted: no second rotation
    assert pair_of(again.json()) == pair_of(answer.json())
    assert broker.audit()[-1]["upstream_calls"] == 0


def test_short_lived_access_tokens_do_not_make_every_adopter_rotate(
    broker: RunningBroker, upstream: Any, account: dict[str, Any]
) -> None:
    """An issuer whose access tokens live less than the refresh skew (two minutes here, inside
    the CLI's five-minute margin): sixteen holders of one stale copy are all adopted with the
    pair that was just minted, instead of rotating the family sixteen times and walking it out
    of the window (found by broker-shared-login-strict)."""
    upstream.admin.update_settings(access_ttl=120.0)
    tokens = chain(broker, upstream, account, 2)
    before = presentations(upstream, account)
    answers = [broker.refresh(tokens[0]) for _ in range(16)]
    assert [a.status_code for a in answers] == [200] * 16
    assert {a.json()["refresh_token"] for a in answers} == {tokens[2]}
    assert presentations(upstream, account) == before
    assert [r["action"] for r in broker.audit()[-16:]] == ["adopted"] * 16


def test_an_expired_pair_is_refreshed_once_for_a_burst_of_adopters(
    broker: RunningBroker, upstream: Any, account: dict[str, Any], clock: ManualClock
) -> None:
    upstream.admin.update_settings(access_ttl=120.0)
    tokens = chain(broker, upstream, account, 2)
    clock.advance(121)  # the current pair's access token has expired
    upstream.admin.advance_clock(121)
    answers = [broker.refresh(tokens[0]) for _ in range(16)]
    assert len({a.json()["refresh_token"] for a in answers}) == 1
    assert [r["action"] for r in broker.audit()[-16:]] == ["rotated"] + ["adopted"] * 15


def test_a_clock_ahead_of_the_issuers_never_makes_adopters_rotate_a_fresh_pair(
    broker: RunningBroker, upstream: Any, account: dict[str, Any], clock: ManualClock
) -> None:
    """The broker's clock two hours ahead of the issuer's: every pair the issuer mints looks
    expired here. The holder of the current token rotates once; the fifteen holders of stale
    copies get that pair, not fifteen more rotations."""
    tokens = chain(broker, upstream, account, 2)
    clock.advance(2 * 3600)
    broker.refresh(tokens[2])
    answers = [broker.refresh(tokens[0]) for _ in range(15)]
    assert len({a.json()["refresh_token"] for a in answers}) == 1
    assert [r["action"] for r in broker.audit()[-16:]] == ["rotated"] + ["adopted"] * 15
