"""Every number the admin API takes is checked against its range where it comes in: a 400 that
names the field and the range, never a 500, and a refused input changes nothing. A value that
overflowed later used to rotate a family and then fail (the client retried into a reuse)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_oauth_server import CODEX_CLIENT_ID
from fake_oauth_server.minting import MintedPair
from fake_oauth_server.models import Account, Presenter
from fake_oauth_server.rotation import RotationEngine
from fake_oauth_server.testing import OAuthServerOptions, RunningOAuthServer, running_oauth_server

NEVER = {"client_id": "app_nobody"}  # armed pauses and faults must not catch the test's refresh

# Where each numeric admin input goes: (path, body with the value under test as VALUE).
TARGETS: list[tuple[str, dict[str, Any]]] = [
    ("/admin/clock/advance", {"seconds": "VALUE"}),
    ("/admin/clock/set", {"epoch": "VALUE"}),
    *(
        ("/admin/settings", {key: "VALUE"})
        for key in (
            "access_ttl",
            "id_ttl",
            "refresh_ttl",
            "auth_code_ttl",
            "device_code_ttl",
            "device_interval",
            "pause_timeout",
            "reuse_status",
        )
    ),
    ("/admin/accounts", {"session_limit": "VALUE"}),
    ("/admin/policy", {"policy": "grace", "params": {"window": "VALUE"}, "account_id": "acc_x"}),
    ("/admin/pauses", {"step": "after_commit", "match": NEVER, "count": "VALUE"}),
    ("/admin/faults", {"kind": "latency", "match": NEVER, "count": "VALUE"}),
    ("/admin/faults", {"kind": "latency", "match": NEVER, "params": {"seconds": "VALUE"}}),
    ("/admin/pauses/pause_1/wait", {"timeout": "VALUE"}),
]

ADMIN_NUMBERS = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=1, max_value=400).map(lambda k: 10**k),
    st.integers(min_value=1, max_value=400).map(lambda k: -(10**k)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 1e-320, 0.5, 2.0**63]),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["1e400", "10", " 3", "0x10", ""]),
    st.booleans(),
    st.none(),
)


def put(body: Any, value: Any) -> Any:
    if body == "VALUE":
        return value
    if isinstance(body, dict):
        return {k: put(v, value) for k, v in body.items()}
    return body


def encode(value: Any) -> bytes:
    """JSON as a careless client writes it: NaN/Infinity literals and 400-digit integers."""
    return json.dumps(value, allow_nan=True).encode()


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[RunningOAuthServer, httpx.Client, dict[str, str]]]:
    options = OAuthServerOptions(clock_start=1_800_000_000.0, clock_frozen=True)
    with running_oauth_server(options) as srv, srv.client() as http:
        srv.admin.create_account(account_id="acc_x")
        family = srv.admin.mint_family("acc_x")
        srv.admin.arm_pause("after_commit", NEVER)  # pause_1, for the wait endpoint
        yield srv, http, {"refresh_token": family["refresh_token"]}


def ledger(srv: RunningOAuthServer) -> Any:
    return {
        "ledger": srv.admin.ledger(),
        "settings": srv.admin.settings(),
        "clock": srv.admin.clock(),
        "accounts": srv.admin.accounts(),
        "faults": srv.authority.faults.list(),
        "pauses": srv.authority.pauses.list(),
    }


@pytest.mark.parametrize(("path", "template"), TARGETS)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=ADMIN_NUMBERS)
def test_admin_numbers_are_in_range_or_refused_with_nothing_changed(
    world: Any, path: str, template: dict[str, Any], value: Any
) -> None:
    srv, http, family = world
    waits = path.endswith("/wait") and isinstance(value, int | float)
    if waits and not isinstance(value, bool) and 0 < value <= 300:
        value = 0  # a valid wait would hold the test for that long
    before = ledger(srv)
    headers = {"authorization": f"Bearer {srv.admin_token}", "content-type": "application/json"}
    answer = http.post(path, content=encode(put(template, value)), headers=headers)
    assert answer.status_code < 500, answer.text
    body = answer.json()
    if answer.status_code >= 400:
        assert answer.status_code in (400, 404), answer.text
        assert body["error"] == "invalid_request", body
        assert ledger(srv) == before
        if "field" in body:
            low, high = body["allowed"]
            assert body["field"] in body["error_description"]
            assert math.isfinite(low)
            assert math.isfinite(high)
    # Whatever was accepted, the next refresh rotates and answers (never rotate-then-500).
    srv.authority.faults.clear()
    for pause in srv.authority.pauses.list():
        if pause["pause_id"] != "pause_1":
            srv.authority.pauses.release(pause["pause_id"])
    refreshed = http.post(
        "/oauth/token",
        json={
            "grant_type": "refresh_token",
            "client_id": CODEX_CLIENT_ID,
            "refresh_token": family["refresh_token"],
        },
    )
    assert refreshed.status_code < 500, refreshed.text
    srv.admin.update_settings(access_ttl=3600.0, id_ttl=3600.0, refresh_ttl=None)
    srv.admin.set_clock(1_800_000_000.0)
    if refreshed.status_code == 200:
        family["refresh_token"] = refreshed.json()["refresh_token"]
    else:  # e.g. refresh_ttl 0 was accepted: its tokens expire at once, as asked
        assert refreshed.json()["error"]["code"] == "refresh_token_expired", refreshed.text
        family["refresh_token"] = srv.admin.mint_family("acc_x")["refresh_token"]


def test_an_out_of_range_value_is_a_400_naming_field_and_range(world: Any) -> None:
    srv, http, _ = world
    headers = {"authorization": f"Bearer {srv.admin_token}", "content-type": "application/json"}
    answer = http.post(
        "/admin/settings", content=b'{"access_ttl": 1' + b"0" * 400 + b"}", headers=headers
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_request",
        "error_description": "access_ttl must be a number in [0, 315576000]",
        "field": "access_ttl",
        "allowed": [0.0, 315576000.0],
    }
    huge = http.post("/admin/clock/advance", content=b'{"seconds": 1e300}', headers=headers)
    assert huge.status_code == 400
    assert huge.json()["field"] == "seconds"


class FailingMinter:
    """A minter that fails the way an overflowing expiry did: after validation passed."""

    access_ttl = 3600.0
    id_ttl = 3600.0

    def mint(self, account: Account, client_id: str, now: float, *, session_id: str) -> MintedPair:
        raise OverflowError("cannot convert float infinity to integer")


def test_a_rotation_that_cannot_mint_leaves_the_family_as_it_was(world: Any) -> None:
    srv, _, _ = world
    authority = srv.authority
    family = srv.admin.mint_family("acc_x")
    engine = RotationEngine(authority.ledger, FailingMinter(), authority.settings)  # type: ignore[arg-type]
    presenter = Presenter(CODEX_CLIENT_ID)
    before = srv.admin.ledger(family_id=family["family_id"])
    validation = engine.validate(family["refresh_token"], presenter)
    with pytest.raises(OverflowError):
        engine.commit(validation, presenter)
    after = srv.admin.ledger(family_id=family["family_id"])
    assert after["families"] == before["families"]
    record = authority.ledger.lookup(family["refresh_token"])
    assert record is not None
    assert record.state == "active"
    assert record.children == []
    # The real engine rotates it as if nothing had happened.
    result = authority.engine.commit(
        authority.engine.validate(family["refresh_token"], presenter), presenter
    )
    assert result.outcome == "rotated"
