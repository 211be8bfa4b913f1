"""The guard in front of the broker: a web page must never reach a credential oracle on
loopback, neither by rebinding its name (Host) nor by posting a form (Origin). Every refusal
is the broker's own, with no upstream call and no token in the answer or the audit log."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from broker_testkit import CLIENT_ID, RunningBroker, TokenRequests, mint


@pytest.fixture
def token(upstream: Any, account: dict[str, Any]) -> str:
    return mint(upstream, account)["refresh_token"]  # type: ignore[no-any-return]


def form(token: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": token, "client_id": CLIENT_ID}


def assert_untouched(
    broker: RunningBroker, requests: TokenRequests, answer: httpx.Response, token: str
) -> None:
    assert token not in answer.text
    assert requests.count() == 0
    assert broker.audit() == []  # refused before any decision
    assert not (broker.home / "broker" / "families").exists()


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{port}",
        "evil.example",
        "localhost.evil.example:{port}",
        "127.0.0.1:{other}",
        "127.0.0.2:{port}",
    ],
)
@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke"])
def test_a_foreign_host_is_misdirected(
    broker: RunningBroker, upstream: Any, token: str, host: str, path: str
) -> None:
    requests = TokenRequests(upstream)
    port = broker.server.port
    name = host.format(port=port, other=port + 1 if port < 65535 else port - 1)
    answer = broker.post(path, data={**form(token), "token": token}, headers={"Host": name})
    assert answer.status_code == 421
    assert answer.json()["error"]["code"] == "foreign_host"
    assert_untouched(broker, requests, answer, token)


@pytest.mark.parametrize(
    "origin", ["null", "https://evil.example", "http://127.0.0.1:{port}", "http://localhost:{port}"]
)
@pytest.mark.parametrize("as_form", [True, False], ids=["form", "json"])
def test_any_browser_origin_is_forbidden(
    broker: RunningBroker, upstream: Any, token: str, origin: str, as_form: bool
) -> None:
    requests = TokenRequests(upstream)
    headers = {"Origin": origin.format(port=broker.server.port)}
    if as_form:
        answer = broker.post("/oauth/token", data=form(token), headers=headers)
    else:
        answer = broker.post("/oauth/token", json=form(token), headers=headers)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in answer.headers
    assert_untouched(broker, requests, answer, token)


def test_a_preflight_from_a_page_is_forbidden(broker: RunningBroker) -> None:
    with httpx.Client(base_url=broker.url, trust_env=False) as http:
        answer = http.options(
            "/oauth/token",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
    assert answer.status_code == 403
    assert "access-control-allow-origin" not in answer.headers


def test_a_text_plain_body_is_unsupported(broker: RunningBroker, upstream: Any, token: str) -> None:
    requests = TokenRequests(upstream)
    body = f"grant_type=refresh_token&refresh_token={token}&client_id={CLIENT_ID}"
    answer = broker.post("/oauth/token", content=body, headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415
    assert answer.json()["error"]["code"] == "unsupported_media_type"
    assert_untouched(broker, requests, answer, token)


def test_an_oversize_body_is_refused_unread(
    broker: RunningBroker, upstream: Any, token: str
) -> None:
    requests = TokenRequests(upstream)
    body = {**form(token), "padding": "x" * (64 * 1024)}
    answer = broker.post("/oauth/token", json=body)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "body_too_large"
    assert_untouched(broker, requests, answer, token)
