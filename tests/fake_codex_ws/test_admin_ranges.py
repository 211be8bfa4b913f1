"""Every number the backend's admin API takes is checked where it comes in: a 400 naming the
field and its range, never a 500 (a clock advanced by 1e308 twice reached inf, and every
answer after it failed), and a refused input changes nothing."""

from __future__ import annotations

import json
import math
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_codex_ws.authority import AuthorityError, Presenter, TokenInfo
from fake_codex_ws.clock import VirtualClock
from fake_codex_ws.testing import RunningCodexBackend, running_codex_backend

NEVER = {"account_id": "acc_nobody"}

TARGETS: list[tuple[str, dict[str, Any]]] = [
    ("/admin/clock/advance", {"seconds": "VALUE"}),
    ("/admin/clock/set", {"epoch": "VALUE"}),
    ("/admin/faults", {"kind": "slow_stream", "match": NEVER, "count": "VALUE"}),
    ("/admin/faults", {"kind": "slow_stream", "match": NEVER, "params": {"delay": "VALUE"}}),
    ("/admin/replies", {"reply": "r", "account_id": "acc_nobody", "count": "VALUE"}),
    ("/admin/pauses", {"step": "turn", "match": NEVER, "count": "VALUE"}),
    ("/admin/sockets/close", {"match": NEVER, "code": "VALUE"}),
]

ADMIN_NUMBERS = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=1, max_value=400).map(lambda k: 10**k),
    st.integers(min_value=1, max_value=400).map(lambda k: -(10**k)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 0.5, 2.0**63]),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["1e400", "10", ""]),
    st.booleans(),
    st.none(),
)


class NoTokens:
    """The admin API is under test here, not tokens."""

    async def introspect(self, token: str, presenter: Presenter | None = None) -> TokenInfo:
        raise AuthorityError("no tokens in this test")

    async def aclose(self) -> None:
        return None


def put(body: Any, value: Any) -> Any:
    if body == "VALUE":
        return value
    if isinstance(body, dict):
        return {k: put(v, value) for k, v in body.items()}
    return body


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[RunningCodexBackend, httpx.Client]]:
    clock = VirtualClock(1_800_000_000.0, frozen=True)
    with running_codex_backend(authority=NoTokens(), clock=clock) as backend:
        assert backend.ca_cert is not None
        tls = ssl.create_default_context(cafile=str(backend.ca_cert))
        with httpx.Client(base_url=backend.url, verify=tls, timeout=30) as http:
            yield backend, http


def snapshot(backend: RunningCodexBackend) -> dict[str, Any]:
    admin = backend.admin
    return {
        "clock": admin.clock(),
        "faults": admin.faults(),
        "replies": admin.replies(),
        "pauses": admin.pauses(),
    }


@pytest.mark.parametrize(("path", "template"), TARGETS)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=ADMIN_NUMBERS)
def test_admin_numbers_are_in_range_or_refused_with_nothing_changed(
    running: Any, path: str, template: dict[str, Any], value: Any
) -> None:
    backend, http = running
    before = snapshot(backend)
    headers = {"authorization": f"Bearer {backend.admin_token}", "content-type": "application/json"}
    content = json.dumps(put(template, value), allow_nan=True).encode()
    answer = http.post(path, content=content, headers=headers)
    assert answer.status_code < 500, answer.text
    error = answer.json().get("error")
    if answer.status_code >= 400:
        assert answer.status_code == 400, answer.text
        assert error["code"] == "invalid_admin_request", error
        assert snapshot(backend) == before
        if "param" in error:
            assert error["param"] in error["message"]
            assert all(math.isfinite(bound) for bound in error["allowed"])
    # Whatever was accepted, the backend still answers in JSON.
    assert http.get("/admin/clock", headers=headers).status_code == 200
    backend.admin.set_clock(1_800_000_000.0)
    backend.admin.clear_faults()
    backend.admin.clear_replies()
    backend.admin.clear_pauses()


def test_a_clock_step_past_the_range_names_the_field(running: Any) -> None:
    backend, http = running
    headers = {"authorization": f"Bearer {backend.admin_token}"}
    answer = http.post("/admin/clock/advance", json={"seconds": 1e300}, headers=headers)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["param"] == "seconds"
    assert error["message"] == "seconds must be a number in [0, 315576000]"
    assert error["allowed"] == [0.0, 315576000.0]
