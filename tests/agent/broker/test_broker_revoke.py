"""`/oauth/revoke` through the broker: a client's logout of the current token ends the login
upstream (as it would without the broker) and the broker answers for it from then on; a token
the broker already rotated away is dead already and is never sent anywhere."""

from __future__ import annotations

from typing import Any

import pytest
from broker_testkit import CLIENT_ID, RunningBroker, family_view, mint, presentations

REVOKED = "This login was revoked: a client sharing it signed out."


def revoke_requests(upstream: Any) -> str:
    """A fault that counts what reaches the issuer's revoke endpoint (and changes nothing)."""
    fault_id: str = upstream.admin.arm_fault(
        "latency", match={"endpoint": "/oauth/revoke"}, count=0, seconds=0
    )
    return fault_id


def fired(upstream: Any, fault_id: str) -> int:
    faults = upstream.admin._call("GET", "/admin/faults")["faults"]
    return int(next(f["fired"] for f in faults if f["fault_id"] == fault_id))


def owned(broker: RunningBroker, upstream: Any, account: dict[str, Any]) -> tuple[str, list[str]]:
    family = mint(upstream, account)
    tokens = [family["refresh_token"]]
    for _ in range(2):
        tokens.append(broker.refresh(tokens[-1]).json()["refresh_token"])
    return family["family_id"], tokens


@pytest.mark.parametrize("as_form", [False, True], ids=["json", "form"])
def test_revoking_the_current_token_ends_the_login_for_every_client(
    start_broker: Any, upstream: Any, account: dict[str, Any], as_form: bool
) -> None:
    broker: RunningBroker = start_broker()
    family_id, tokens = owned(broker, upstream, account)
    counted = revoke_requests(upstream)
    body = {"token": tokens[-1], "token_type_hint": "refresh_token", "client_id": CLIENT_ID}
    answer = (
        broker.post("/oauth/revoke", data=body)
        if as_form
        else broker.post("/oauth/revoke", json=body)
    )
    assert (answer.status_code, answer.json()) == (200, {})
    assert fired(upstream, counted) == 1
    view = family_view(upstream, account, family_id)
    assert (view["state"], view["revoked_reason"]) == ("revoked", "revoked_by_client")
    seen = presentations(upstream, account)
    expected = {
        "error": {"message": REVOKED, "type": "invalid_request_error",
                  "code": "refresh_token_invalidated"},
        "error_description": REVOKED,
    }  # fmt: skip
    for broker_now in (broker, start_broker()):  # and after a restart
        for token in tokens:
            later = broker_now.refresh(token)
            assert (later.status_code, later.json()) == (401, expected)
    assert presentations(upstream, account) == seen
    assert fired(upstream, counted) == 1


def test_revoking_a_rotated_token_is_answered_here_and_the_login_lives_on(
    broker: RunningBroker, upstream: Any, account: dict[str, Any]
) -> None:
    family_id, tokens = owned(broker, upstream, account)
    counted = revoke_requests(upstream)
    answer = broker.revoke(tokens[0])  # a sibling signing out with its stale copy
    assert (answer.status_code, answer.json()) == (200, {})
    assert fired(upstream, counted) == 0
    assert broker.audit()[-1]["upstream_calls"] == 0
    assert family_view(upstream, account, family_id)["state"] == "active"
    later = broker.refresh(tokens[-1])
    assert later.status_code == 200
    assert later.json()["refresh_token"] not in tokens


def test_revoking_an_unknown_token_is_forwarded(
    broker: RunningBroker, upstream: Any, account: dict[str, Any]
) -> None:
    family = mint(upstream, account)  # a login the broker never saw
    counted = revoke_requests(upstream)
    answer = broker.revoke(family["refresh_token"])
    assert (answer.status_code, answer.json()) == (200, {})
    assert fired(upstream, counted) == 1
    assert family_view(upstream, account, family["family_id"])["state"] == "revoked"


def test_a_failed_revoke_is_relayed_and_ends_nothing(
    broker: RunningBroker, upstream: Any, account: dict[str, Any]
) -> None:
    family_id, tokens = owned(broker, upstream, account)
    upstream.admin.arm_fault("error_5xx", match={"endpoint": "/oauth/revoke"}, status=502)
    answer = broker.revoke(tokens[-1])
    assert answer.status_code == 502
    assert answer.json()["error"]["code"] == "server_error"
    assert family_view(upstream, account, family_id)["state"] == "active"
    assert broker.refresh(tokens[-1]).status_code == 200  # the login was not ended


@pytest.mark.parametrize("token", ["", "rt with space", None])
def test_a_malformed_revoke_is_refused(broker: RunningBroker, upstream: Any, token: Any) -> None:
    counted = revoke_requests(upstream)
    body = {} if token is None else {"token": token}
    answer = broker.post("/oauth/revoke", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_request"
    assert fired(upstream, counted) == 0
