"""A web page the user visits must not drive the gateway (issue 12, item 1): a foreign Host (DNS
rebinding), a browser Origin, or a simple-request content type is refused in JSON, and no turn
reaches the Codex backend."""

from __future__ import annotations

import json

import pytest
from advkit.probe import Target
from advkit.raw_http import exchange, request_bytes
from advkit.tally import TALLY
from advkit.verdict import Outcome, classify, json_error_body
from advkit.world import World

CATEGORY = "gateway web page"
TURN = json.dumps({"message": "say hi"}).encode()


def _post_chat(gateway: Target, headers: list[tuple[str, str]], *, host: str | None = None) -> int:
    """A raw POST /v1/chat (raw, so Host and Origin are exactly what a browser would send)."""
    endpoint = gateway.endpoint
    payload = request_bytes(
        "POST", "/v1/chat", endpoint.host_header() if host is None else host, headers, TURN
    )
    answer = exchange(endpoint, payload, timeout=60)
    outcome = classify(answer.status, answer.body) if answer.status else Outcome.CLOSED
    TALLY.record(CATEGORY, outcome)
    assert outcome == Outcome.CLIENT_JSON, f"expected a 4xx JSON refusal, got {answer.describe()}"
    return answer.status or 0


def _no_turn_since(world: World, seq: int) -> None:
    events = world.backend.turn_events(seq)
    assert events == [], f"a refused request reached the Codex backend: {events}"


def test_the_positive_control_runs_a_turn(world: World, gateway: Target) -> None:
    """Without this, a refusal below could be a broken world rather than a guard."""
    seq = world.backend.last_seq()
    response = gateway.send(
        "POST",
        "/v1/chat",
        category=CATEGORY,
        content=TURN,
        headers={"Content-Type": "application/json"},
        allowed={Outcome.OK},
    )
    assert response is not None
    assert response.json()["reply"]
    assert world.backend.turn_events(seq), "the turn left no event at the backend"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
     "multipart/form-data; boundary=x", None],
)  # fmt: skip
def test_a_simple_request_content_type_is_refused(
    world: World, gateway: Target, content_type: str | None
) -> None:
    """What a page's fetch() or <form> may send cross-origin without a preflight."""
    seq = world.backend.last_seq()
    headers = [("Content-Type", content_type)] if content_type is not None else []
    _post_chat(gateway, headers)
    _no_turn_since(world, seq)


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}",
     "localhost.evil.example:{port}", "attacker.test:80", "0.0.0.0:{port}", ""],
)  # fmt: skip
def test_a_foreign_host_is_refused(world: World, gateway: Target, host: str) -> None:
    """DNS rebinding: the browser sends the attacker's name as Host to 127.0.0.1."""
    seq = world.backend.last_seq()
    _post_chat(gateway, [("Content-Type", "application/json")], host=host.format(
        port=gateway.endpoint.port))  # fmt: skip
    _no_turn_since(world, seq)


@pytest.mark.parametrize("path", ["/status", "/healthz"])
def test_a_rebound_page_cannot_read_status(gateway: Target, path: str) -> None:
    endpoint = gateway.endpoint
    answer = exchange(endpoint, request_bytes("GET", path, f"evil.example:{endpoint.port}"), 30)
    outcome = classify(answer.status, answer.body) if answer.status else Outcome.CLOSED
    TALLY.record(CATEGORY, outcome)
    assert outcome == Outcome.CLIENT_JSON, answer.describe()


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://127.0.0.1.evil.example", "null",
               "http://localhost:3000", "file://"],
)  # fmt: skip
def test_a_browser_origin_is_refused(world: World, gateway: Target, origin: str) -> None:
    """A page's fetch() carries its Origin; none is allowed unless configured."""
    seq = world.backend.last_seq()
    _post_chat(gateway, [("Content-Type", "application/json"), ("Origin", origin)])
    _no_turn_since(world, seq)
    endpoint = gateway.endpoint
    status = exchange(
        endpoint, request_bytes("GET", "/status", endpoint.host_header(), [("Origin", origin)]), 30
    )
    outcome = classify(status.status, status.body) if status.status else Outcome.CLOSED
    TALLY.record(CATEGORY, outcome)
    assert outcome == Outcome.CLIENT_JSON, status.describe()


def test_a_preflight_grants_nothing(gateway: Target) -> None:
    endpoint = gateway.endpoint
    headers = [
        ("Origin", "https://evil.example"),
        ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "content-type"),
    ]
    answer = exchange(
        endpoint, request_bytes("OPTIONS", "/v1/chat", endpoint.host_header(), headers), 30
    )
    outcome = classify(answer.status, answer.body) if answer.status else Outcome.CLOSED
    TALLY.record(CATEGORY, outcome)
    assert "access-control-allow-origin" not in answer.headers, answer.describe()
    assert outcome == Outcome.CLIENT_JSON, answer.describe()
    assert json_error_body(answer.body) is not None
