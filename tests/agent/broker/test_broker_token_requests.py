"""What `/oauth/token` takes: the JSON body of the Codex CLI and the form body of Hermes and
OpenClaw alike; a request the broker cannot serve is refused by the broker itself, in the
issuer's shape, before anything goes upstream."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from broker_testkit import (
    CLIENT_ID,
    RunningBroker,
    TokenRequests,
    mint,
    pair_of,
    presentations,
    rotations,
)


def form(refresh_token: str, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": CLIENT_ID,
        **extra,
    }


def post_token(broker: RunningBroker, fields: dict[str, str], as_form: bool) -> httpx.Response:
    """The token request as a form body or as JSON: the broker serves both alike."""
    if as_form:
        return broker.post("/oauth/token", data=fields)
    return broker.post("/oauth/token", json=fields)


def refusal(code: str, message: str) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "code": code},
        "error_description": message,
    }


def test_form_bodies_are_served_like_json(
    broker: RunningBroker, upstream: Any, account: dict[str, Any]
) -> None:
    family = mint(upstream, account)
    first = broker.post("/oauth/token", data=form(family["refresh_token"]))  # first contact
    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("application/json")
    current = first.json()["refresh_token"]
    rotated = broker.post("/oauth/token", data=form(current))  # the current token
    assert rotated.status_code == 200, rotated.text
    stale = broker.post("/oauth/token", data=form(family["refresh_token"]))  # a stale copy
    assert stale.status_code == 200
    assert pair_of(stale.json()) == pair_of(rotated.json())
    as_json = broker.refresh(current)  # a JSON client holding generation 1: the same pair
    assert pair_of(as_json.json()) == pair_of(rotated.json())
    assert [r["action"] for r in broker.audit()] == ["new_family", "rotated", "adopted", "adopted"]
    assert rotations(upstream, account) == [0, 1]


@pytest.mark.parametrize("as_form", [False, True], ids=["json", "form"])
def test_another_client_id_is_refused_without_an_upstream_call(
    broker: RunningBroker, upstream: Any, account: dict[str, Any], as_form: bool
) -> None:
    requests = TokenRequests(upstream)
    token = mint(upstream, account)["refresh_token"]
    fields = form(token, client_id="app_someone_else")
    answer = post_token(broker, fields, as_form)
    assert answer.status_code == 401
    assert answer.json() == refusal(
        "invalid_client",
        "this refresh broker serves another client id; it never mixes logins of different clients",
    )
    assert requests.count() == 0
    assert broker.audit()[-1]["presented"] is None  # nothing of the token is written


@pytest.mark.parametrize("as_form", [False, True], ids=["json", "form"])
def test_a_code_grant_is_unsupported(broker: RunningBroker, upstream: Any, as_form: bool) -> None:
    requests = TokenRequests(upstream)
    fields = {
        "grant_type": "authorization_code",
        "code": "ac_123",
        "client_id": CLIENT_ID,
        "redirect_uri": "http://localhost:1455/auth/callback",
        "code_verifier": "v" * 43,
    }
    answer = post_token(broker, fields, as_form)
    assert answer.status_code == 400
    assert answer.json() == refusal(
        "unsupported_grant_type",
        "the refresh broker serves only grant_type=refresh_token; sign in against the issuer "
        "itself",
    )
    assert requests.count() == 0


MALFORMED: dict[str, Any] = {
    "missing": None,
    "empty": "",
    "a space inside": "rt_abc def",
    "a newline": "rt_abc\ndef",
    "not ASCII": "rt_\u00e9t\u00e9",
    "too long": "r" * 8193,
    "a number": 12345,
    "a list": ["rt_abc"],
}


@pytest.mark.parametrize("value", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_refresh_token_is_refused_before_any_upstream_call(
    broker: RunningBroker, upstream: Any, value: Any
) -> None:
    requests = TokenRequests(upstream)
    body = {"grant_type": "refresh_token", "client_id": CLIENT_ID}
    if value is not None:
        body["refresh_token"] = value
    answer = broker.post("/oauth/token", json=body)
    assert answer.status_code == 400
    assert answer.json() == refusal("invalid_request", "`refresh_token` is missing or malformed")
    if isinstance(value, str) and value:
        assert value not in answer.text
    assert requests.count() == 0
    assert not (broker.home / "broker" / "families").exists() or not list(
        (broker.home / "broker" / "families").iterdir()
    )


def test_a_malformed_form_is_refused(broker: RunningBroker, upstream: Any) -> None:
    requests = TokenRequests(upstream)
    too_many = "&".join(f"f{i}=x" for i in range(40))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in (too_many.encode(), b"grant_type=refresh_token&refresh_token=\xff\xfe"):
        answer = broker.post("/oauth/token", content=body, headers=headers)
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] in ("invalid_form", "invalid_request")
    assert requests.count() == 0


def test_a_json_body_that_is_not_an_object_is_refused(broker: RunningBroker) -> None:
    for body in (b"[]", b"{", b'"rt_abc"', b"[" * 60_000):
        answer = broker.post(
            "/oauth/token", content=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "invalid_json"


def test_the_refresh_reason_is_passed_on_to_the_issuer(
    broker: RunningBroker, upstream: Any, account: dict[str, Any]
) -> None:
    family = mint(upstream, account)
    current = broker.refresh(family["refresh_token"]).json()["refresh_token"]
    answer = broker.refresh(current, refresh_reason="unauthorized_recovery")
    assert answer.status_code == 200
    bogus = broker.refresh(answer.json()["refresh_token"], refresh_reason="because I say so")
    assert bogus.status_code == 200
    events = [
        e
        for e in upstream.admin.ledger(account_id=account["account_id"])["events"]
        if e["type"] == "rotated"
    ]
    assert [e.get("refresh_reason") for e in events] == [None, "unauthorized_recovery", None]
    assert presentations(upstream, account) == 3
