"""Issue 12 item 1: a web page (cross-origin POST, DNS rebinding) can run no turn and read nothing.

Every refusal is JSON with a stable code, and counted in /healthz.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.local_http.access import AccessPolicy, allowed_origin
from agent.local_http.refusal import Refusal

from .conftest import SAFETY, StartGateway

CHAT = {"message": "run a turn on the user's login"}


def _client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=SAFETY, trust_env=False)


@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "127.0.0.1.nip.io:{port}"])
def test_a_foreign_host_is_refused_on_every_endpoint(
    start_gateway: StartGateway, host: str
) -> None:
    gateway = start_gateway()
    header = {"Host": host.format(port=gateway.port)}
    with _client(gateway.url) as client:
        chat = client.post("/v1/chat", json=CHAT, headers=header)
        status = client.get("/status", headers=header)
        health = client.get("/healthz", headers=header)
    for answer in (chat, status, health):
        assert answer.status_code == 421
        assert answer.json()["error"]["code"] == "foreign_host"
    assert gateway.asked == []
    assert gateway.refused()["foreign_host"] == 3


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LOCALHOST", "[::1]"])
def test_the_loopback_names_with_the_bound_port_are_served(
    start_gateway: StartGateway, name: str
) -> None:
    gateway = start_gateway()
    with _client(gateway.url) as client:
        answer = client.post("/v1/chat", json=CHAT, headers={"Host": f"{name}:{gateway.port}"})
        wrong_port = client.get("/healthz", headers={"Host": f"{name}:{gateway.port + 1}"})
    assert answer.status_code == 200
    assert answer.json()["reply"] == f"you said: {CHAT['message']}"
    assert wrong_port.status_code == 421


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1:9"])
def test_a_browser_origin_nobody_allowed_is_refused(
    start_gateway: StartGateway, origin: str
) -> None:
    gateway = start_gateway()
    with _client(gateway.url) as client:
        chat = client.post("/v1/chat", json=CHAT, headers={"Origin": origin})
        status = client.get("/status", headers={"Origin": origin})
    for answer in (chat, status):
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "origin_not_allowed"
        assert "access-control-allow-origin" not in answer.headers
    assert gateway.asked == []


def test_a_preflight_gets_no_cors_grant(start_gateway: StartGateway) -> None:
    gateway = start_gateway()
    preflight = {
        "Origin": "https://evil.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    with _client(gateway.url) as client:
        answer = client.options("/v1/chat", headers=preflight)
    assert answer.status_code == 403
    assert not [h for h in answer.headers if h.lower().startswith("access-control-")]


def test_an_allowed_origin_is_served_with_its_grant(start_gateway: StartGateway) -> None:
    gateway = start_gateway(origins=("http://localhost:3000",))
    origin = {"Origin": "http://localhost:3000"}
    with _client(gateway.url) as client:
        preflight = client.options(
            "/v1/chat", headers={**origin, "Access-Control-Request-Method": "POST"}
        )
        chat = client.post("/v1/chat", json=CHAT, headers=origin)
        other = client.post("/v1/chat", json=CHAT, headers={"Origin": "http://localhost:3001"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "Content-Type" in preflight.headers["access-control-allow-headers"]
    assert chat.status_code == 200
    assert chat.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert other.status_code == 403
    assert gateway.asked == [CHAT["message"]]


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
    ],
)
def test_a_simple_request_body_cannot_run_a_turn(
    start_gateway: StartGateway, content_type: str | None
) -> None:
    gateway = start_gateway()
    headers = {"Content-Type": content_type} if content_type else {}
    with _client(gateway.url) as client:
        answer = client.post("/v1/chat", content=b'{"message": "hi"}', headers=headers)
    assert answer.status_code == 415
    assert answer.json()["error"]["code"] == "unsupported_media_type"
    assert gateway.asked == []


def test_json_with_a_charset_is_served(start_gateway: StartGateway) -> None:
    gateway = start_gateway()
    with _client(gateway.url) as client:
        answer = client.post(
            "/v1/chat",
            content=b'{"message": "hi"}',
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
    assert answer.status_code == 200


def test_refusals_are_counted_in_healthz(start_gateway: StartGateway) -> None:
    gateway = start_gateway()
    with _client(gateway.url) as client:
        client.post("/v1/chat", json=CHAT, headers={"Origin": "null"})
        client.post("/v1/chat", content=b"{}", headers={"Content-Type": "text/plain"})
        client.get("/nope")
        health = client.get("/healthz").json()
    assert health["refused"] == {
        "not_found": 1,
        "origin_not_allowed": 1,
        "unsupported_media_type": 1,
    }


_HOST_NAMES = st.from_regex(r"[a-z0-9.\-]{1,40}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(name=_HOST_NAMES, port=st.integers(1, 65535))
def test_only_loopback_names_with_the_bound_port_pass_the_host_check(name: str, port: int) -> None:
    policy = AccessPolicy.build("127.0.0.1")
    accepted = name in {"127.0.0.1", "localhost"} and port == 8787
    status = 200
    try:
        policy.check_host(f"{name}:{port}", 8787)
    except Refusal as refusal:
        status = refusal.status
    assert status == (200 if accepted else 421)


@settings(max_examples=300, deadline=None)
@given(origin=st.text(max_size=60))
def test_no_origin_passes_when_none_is_allowed(origin: str) -> None:
    policy = AccessPolicy.build("127.0.0.1")
    with pytest.raises(Refusal) as refused:
        policy.check_origin(origin)
    assert refused.value.status == 403


@pytest.mark.parametrize("value", ["*", "null", "localhost:3000", "http://x/path", ""])
def test_an_allow_origin_that_is_no_origin_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        allowed_origin(value)
