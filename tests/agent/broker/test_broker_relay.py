"""The issuer's refusals reach the presenter as the issuer said them (status and body), so each
client prints its own message; a refusal for good is remembered per family, so no token of that
family is presented upstream again."""

from __future__ import annotations

from typing import Any

import pytest
from broker_testkit import (
    RunningBroker,
    TokenRequests,
    direct_refresh,
    family_view,
    mint,
    presentations,
)

from fake_oauth_server.errors import OPENAI_MESSAGES


def openai_refusal(code: str) -> dict[str, Any]:
    return {
        "error": {"message": OPENAI_MESSAGES[code], "type": "invalid_request_error", "code": code}
    }


def owned_family(broker: RunningBroker, upstream: Any, account: dict[str, Any]) -> list[str]:
    """A login the broker owns after one rotation: [generation 0, generation 1 (current)]."""
    family = mint(upstream, account)
    first = broker.refresh(family["refresh_token"])
    assert first.status_code == 200, first.text
    return [family["refresh_token"], first.json()["refresh_token"]]


def assert_remembered(
    broker: RunningBroker,
    upstream: Any,
    account: dict[str, Any],
    tokens: list[str],
    status: int,
    body: dict[str, Any],
) -> None:
    """Every token of the family gets the same answer again, and the issuer sees none of them."""
    seen = presentations(upstream, account)
    for token in tokens:
        again = broker.refresh(token)
        assert (again.status_code, again.json()) == (status, body)
    assert presentations(upstream, account) == seen
    assert [r["upstream_calls"] for r in broker.audit()[-len(tokens) :]] == [0] * len(tokens)


@pytest.mark.parametrize("reuse_status", [400, 401])
def test_a_reuse_refusal_is_relayed_and_remembered(
    broker: RunningBroker, upstream: Any, account: dict[str, Any], reuse_status: int
) -> None:
    upstream.admin.update_settings(reuse_status=reuse_status)
    family = mint(upstream, account)
    tokens = owned_family(broker, upstream, account)
    assert direct_refresh(upstream, tokens[1]).status_code == 200  # a sibling around the broker
    answer = broker.refresh(tokens[1])
    assert answer.status_code == reuse_status
    assert answer.json() == openai_refusal("refresh_token_reused")
    assert broker.audit()[-1]["action"] == "relayed"
    assert broker.audit()[-1]["code"] == "refresh_token_reused"
    assert family_view(upstream, account, family["family_id"])["state"] == "active"  # not ours
    assert_remembered(broker, upstream, account, tokens, reuse_status, answer.json())


def test_an_expired_refresh_token_is_relayed_and_remembered(
    broker: RunningBroker, upstream: Any, account: dict[str, Any]
) -> None:
    upstream.admin.update_settings(refresh_ttl=600)
    tokens = owned_family(broker, upstream, account)
    upstream.admin.advance_clock(3600)
    answer = broker.refresh(tokens[1])
    assert (answer.status_code, answer.json()) == (400, openai_refusal("refresh_token_expired"))
    assert_remembered(broker, upstream, account, tokens, 400, answer.json())


def test_a_revoked_login_is_relayed_and_remembered(
    broker: RunningBroker, upstream: Any, account: dict[str, Any]
) -> None:
    tokens = owned_family(broker, upstream, account)
    (family,) = upstream.admin.ledger(account_id=account["account_id"])["families"]
    upstream.admin.revoke_family(family["family_id"])  # signed out on the website
    answer = broker.refresh(tokens[1])
    assert (answer.status_code, answer.json()) == (400, openai_refusal("refresh_token_invalidated"))
    assert_remembered(broker, upstream, account, tokens, 400, answer.json())


def test_remembered_refusals_survive_a_restart(
    start_broker: Any, upstream: Any, account: dict[str, Any]
) -> None:
    broker = start_broker()
    tokens = owned_family(broker, upstream, account)
    (family,) = upstream.admin.ledger(account_id=account["account_id"])["families"]
    upstream.admin.revoke_family(family["family_id"])
    answer = broker.refresh(tokens[1])
    restarted = start_broker()
    assert_remembered(restarted, upstream, account, tokens, 400, answer.json())


def test_invalid_grant_in_the_standard_shape_is_relayed_and_remembered(
    broker: RunningBroker, upstream: Any
) -> None:
    requests = TokenRequests(upstream)
    stranger = "rt_not_issued_by_this_server_0123456789"
    expected = {
        "error": "invalid_grant",
        "error_description": "the refresh token is not known to this server",
    }
    answer = broker.refresh(stranger)
    assert (answer.status_code, answer.json()) == (400, expected)
    assert requests.count() == 1
    again = broker.refresh(stranger)
    assert (again.status_code, again.json()) == (400, expected)
    assert requests.count() == 1
    assert not list((broker.home / "broker" / "families").iterdir())  # no family was kept


SERVER_ERROR = {
    "error": {
        "message": "The server had an error while processing your request.",
        "type": "server_error",
        "code": "server_error",
    }
}
RATE_LIMITED = {
    "error": {
        "message": "Rate limit reached. Please try again later.",
        "type": "rate_limit_error",
        "code": "rate_limit_exceeded",
    }
}


@pytest.fixture(params=[True, False], ids=["first-contact", "owned"])
def token(
    request: pytest.FixtureRequest, broker: RunningBroker, upstream: Any, account: dict[str, Any]
) -> str:
    """A refresh token the broker has never met, or the current one of a family it owns."""
    if request.param:
        return str(mint(upstream, account)["refresh_token"])
    return owned_family(broker, upstream, account)[1]


def test_a_server_error_with_a_body_is_relayed_and_not_remembered(
    broker: RunningBroker, upstream: Any, token: str
) -> None:
    upstream.admin.arm_fault("error_5xx", count=0, status=503)
    answer = broker.refresh(token)
    assert (answer.status_code, answer.json()) == (503, SERVER_ERROR)
    upstream.admin.clear_faults()
    later = broker.refresh(token)  # a passing outage ends nothing
    assert later.status_code == 200, later.text
    assert later.json()["refresh_token"] != token


def test_rate_limiting_is_relayed_with_its_retry_after(
    broker: RunningBroker, upstream: Any, token: str
) -> None:
    upstream.admin.arm_fault("rate_limit", count=0, retry_after=120)
    answer = broker.refresh(token)
    assert (answer.status_code, answer.json()) == (429, RATE_LIMITED)
    assert answer.headers.get("Retry-After") == "120"
    upstream.admin.clear_faults()
    assert broker.refresh(token).status_code == 200
