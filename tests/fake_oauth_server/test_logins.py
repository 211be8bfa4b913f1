"""Browser (PKCE) and device-code logins, end to end over TLS, as codex-rs/login does them."""

from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.parse

import jwt
import pytest

from fake_oauth_server import CODEX_CLIENT_ID

REDIRECT = "http://localhost:1455/auth/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_params(challenge: str, state: str = "st-123", **over: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": CODEX_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "openid profile email offline_access",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "id_token_add_organizations": "true",
        "codex_cli_simplified_flow": "true",
        "state": state,
        "originator": "codex_cli_rs",
    }
    params.update(over)
    return params


def query_of(location: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def exchange(codex, code: str, verifier: str, redirect_uri: str = REDIRECT):
    return codex.http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": CODEX_CLIENT_ID,
            "code_verifier": verifier,
        },
    )


def test_browser_login_through_the_consent_page(oauth_server, codex):
    account = oauth_server.admin.create_account(email="b@example.test", plan="team")
    verifier, challenge = pkce_pair()

    page = codex.http.get("/oauth/authorize", params=authorize_params(challenge))
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    request_id = page.text.split('name="request_id" value="')[1].split('"')[0]

    consent = codex.http.post(
        "/oauth/consent",
        data={"request_id": request_id, "account_id": account["account_id"], "decision": "approve"},
    )
    assert consent.status_code == 302
    location = consent.headers["location"]
    assert location.startswith(REDIRECT + "?")
    query = query_of(location)
    assert query["state"] == "st-123"

    tokens = exchange(codex, query["code"], verifier)
    assert tokens.status_code == 200
    body = tokens.json()
    assert {"id_token", "access_token", "refresh_token"} <= set(body)
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert claims["https://api.openai.com/auth"]["chatgpt_account_id"] == account["account_id"]
    assert claims["https://api.openai.com/auth"]["chatgpt_plan_type"] == "team"
    events = [e["type"] for e in oauth_server.admin.events()]
    assert "login" in events


def test_consent_denied_redirects_with_access_denied(oauth_server, codex):
    _, challenge = pkce_pair()
    page = codex.http.get("/oauth/authorize", params=authorize_params(challenge))
    request_id = page.text.split('name="request_id" value="')[1].split('"')[0]
    answer = codex.http.post("/oauth/consent", data={"request_id": request_id, "decision": "deny"})
    assert query_of(answer.headers["location"]) == {"error": "access_denied", "state": "st-123"}


def test_auto_consent_redirects_at_once_and_the_code_is_single_use(oauth_server, codex):
    account = oauth_server.admin.create_account()
    oauth_server.admin.set_auto_consent(True, account["account_id"])
    verifier, challenge = pkce_pair()
    answer = codex.http.get("/oauth/authorize", params=authorize_params(challenge, "s2"))
    assert answer.status_code == 302
    query = query_of(answer.headers["location"])
    assert query["state"] == "s2"
    first = exchange(codex, query["code"], verifier)
    assert first.status_code == 200
    second = exchange(codex, query["code"], verifier)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    # A replayed code revokes what it issued (RFC 6749 4.1.2).
    status = codex.introspect(first.json()["access_token"])["token_status"]
    assert status == "invalidated"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda v: v[:-1] + ("A" if v[-1] != "A" else "B"), "invalid_grant"),
        (lambda v: "short", "invalid_grant"),
    ],
)
def test_wrong_verifier_is_invalid_grant(oauth_server, codex, mutate, expected):
    oauth_server.admin.set_auto_consent(True)
    verifier, challenge = pkce_pair()
    answer = codex.http.get("/oauth/authorize", params=authorize_params(challenge))
    code = query_of(answer.headers["location"])["code"]
    response = exchange(codex, code, mutate(verifier))
    assert response.status_code == 400
    assert response.json()["error"] == expected


def test_redirect_uri_must_match(oauth_server, codex):
    oauth_server.admin.set_auto_consent(True)
    verifier, challenge = pkce_pair()
    answer = codex.http.get("/oauth/authorize", params=authorize_params(challenge))
    code = query_of(answer.headers["location"])["code"]
    response = exchange(codex, code, verifier, "http://localhost:1457/auth/callback")
    assert response.json()["error"] == "invalid_grant"


def test_authorize_without_s256_redirects_with_invalid_request(oauth_server, codex):
    _, challenge = pkce_pair()
    answer = codex.http.get(
        "/oauth/authorize", params=authorize_params(challenge, code_challenge_method="plain")
    )
    assert answer.status_code == 302
    query = query_of(answer.headers["location"])
    assert (query["error"], query["state"]) == ("invalid_request", "st-123")


def test_authorize_refuses_foreign_redirect_without_redirecting(oauth_server, codex):
    _, challenge = pkce_pair()
    answer = codex.http.get(
        "/oauth/authorize",
        params=authorize_params(challenge, redirect_uri="https://evil.example/cb"),
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_authorize_unknown_client_is_invalid_client(oauth_server, codex):
    _, challenge = pkce_pair()
    answer = codex.http.get(
        "/oauth/authorize", params=authorize_params(challenge, client_id="app_nope")
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def device_start(codex) -> dict[str, str]:
    response = codex.http.post(
        "/api/accounts/deviceauth/usercode", json={"client_id": CODEX_CLIENT_ID}
    )
    assert response.status_code == 200
    return response.json()


def test_device_login_pending_then_approved_on_the_page(oauth_server, codex):
    account = oauth_server.admin.create_account(email="d@example.test")
    start = device_start(codex)
    assert set(start) == {"device_auth_id", "user_code", "interval"}
    assert isinstance(start["interval"], str)
    assert int(start["interval"]) > 0
    poll = {"device_auth_id": start["device_auth_id"], "user_code": start["user_code"]}

    pending = codex.http.post("/api/accounts/deviceauth/token", json=poll)
    assert pending.status_code == 403

    page = codex.http.get("/codex/device")
    assert page.status_code == 200
    assert 'name="user_code"' in page.text
    approved = codex.http.post(
        "/codex/device",
        data={"user_code": start["user_code"].lower(), "account_id": account["account_id"]},
    )
    assert approved.status_code == 200
    assert "Approved" in approved.text

    done = codex.http.post("/api/accounts/deviceauth/token", json=poll)
    assert done.status_code == 200
    pair = done.json()
    assert set(pair) == {"authorization_code", "code_challenge", "code_verifier"}
    tokens = exchange(
        codex,
        pair["authorization_code"],
        pair["code_verifier"],
        oauth_server.issuer + "/deviceauth/callback",
    )
    assert tokens.status_code == 200
    claims = jwt.decode(tokens.json()["access_token"], options={"verify_signature": False})
    assert claims["https://api.openai.com/auth"]["chatgpt_account_id"] == account["account_id"]


def test_device_code_approved_by_admin(oauth_server, codex):
    account = oauth_server.admin.create_account()
    start = device_start(codex)
    oauth_server.admin.approve_device_code(start["user_code"], account["account_id"])
    poll = {"device_auth_id": start["device_auth_id"], "user_code": start["user_code"]}
    assert codex.http.post("/api/accounts/deviceauth/token", json=poll).status_code == 200


def test_device_page_rejects_an_unknown_code(oauth_server, codex):
    oauth_server.admin.create_account()
    answer = codex.http.post("/codex/device", data={"user_code": "ZZZZ-ZZZZ"})
    assert answer.status_code == 400
    assert "unknown user code" in answer.text


def test_device_poll_with_unknown_id_is_404(codex):
    answer = codex.http.post(
        "/api/accounts/deviceauth/token", json={"device_auth_id": "x", "user_code": "y"}
    )
    assert answer.status_code == 404


def test_device_code_expires_on_the_virtual_clock(oauth_server, codex):
    oauth_server.admin.freeze_clock()
    start = device_start(codex)
    oauth_server.admin.advance_clock(901)
    poll = {"device_auth_id": start["device_auth_id"], "user_code": start["user_code"]}
    answer = codex.http.post("/api/accounts/deviceauth/token", json=poll)
    assert answer.status_code == 400
    assert answer.json()["error"] == "expired_token"


def test_auto_approve_finishes_a_device_login_with_no_person(oauth_server_factory, codex_factory):
    srv = oauth_server_factory(auto_approve=True)
    codex = codex_factory(srv)
    start = device_start(codex)
    poll = {"device_auth_id": start["device_auth_id"], "user_code": start["user_code"]}
    assert codex.http.post("/api/accounts/deviceauth/token", json=poll).status_code == 200


def test_usercode_field_name_is_configurable(oauth_server, codex):
    oauth_server.admin.update_settings(user_code_field="usercode")
    start = device_start(codex)
    assert "usercode" in start
    assert "user_code" not in start


def test_api_key_exchange_returns_a_key_the_server_knows(oauth_server, codex, family):
    response = codex.http.post(
        "/oauth/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "client_id": CODEX_CLIENT_ID,
            "requested_token": "openai-api-key",
            "subject_token": family["id_token"],
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        },
    )
    assert response.status_code == 200
    key = response.json()["access_token"]
    assert key.startswith("sk-")
    info = codex.introspect(key)
    assert (info["active"], info["token_type"]) == (True, "api_key")


def test_api_key_exchange_refuses_a_foreign_id_token(codex):
    forged = jwt.encode({"sub": "x"}, "a-secret-that-this-server-never-used", algorithm="HS256")
    response = codex.http.post(
        "/oauth/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "client_id": CODEX_CLIENT_ID,
            "requested_token": "openai-api-key",
            "subject_token": forged,
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_session_limit_revokes_the_oldest_family(oauth_server, codex):
    account = oauth_server.admin.create_account(session_limit=2)
    first = oauth_server.admin.mint_family(account["account_id"])
    second = oauth_server.admin.mint_family(account["account_id"])
    third = oauth_server.admin.mint_family(account["account_id"])
    assert codex.introspect(first["access_token"])["token_status"] == "invalidated"
    assert codex.introspect(second["access_token"])["token_status"] == "active"
    assert codex.introspect(third["access_token"])["token_status"] == "active"
    fams = {f["family_id"]: f for f in oauth_server.admin.ledger()["families"]}
    assert fams[first["family_id"]]["revoked_reason"] == "session_limit"
    assert "session_limit" in [e["type"] for e in oauth_server.admin.events()]


def test_discovery_and_jwks_verify_issued_tokens(oauth_server, codex, family):
    config = codex.http.get("/.well-known/openid-configuration").json()
    assert config["issuer"] == oauth_server.issuer
    assert config["token_endpoint"] == oauth_server.issuer + "/oauth/token"
    jwks = codex.http.get(config["jwks_uri"].removeprefix(oauth_server.issuer)).json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(
        family["id_token"],
        key.key,
        algorithms=[jwks["keys"][0]["alg"]],
        audience=CODEX_CLIENT_ID,
        issuer=oauth_server.issuer,
    )
    assert claims["email"].endswith("@example.test")


# --- one code, one login (RFC 6749 4.1.2 and 10.5, RFC 8628, RFC 7636) -------------------------


def auto_consented_code(oauth_server, codex) -> tuple[str, str]:
    oauth_server.admin.set_auto_consent(True)
    verifier, challenge = pkce_pair()
    answer = codex.http.get("/oauth/authorize", params=authorize_params(challenge))
    return query_of(answer.headers["location"])["code"], verifier


def test_a_device_authorization_hands_out_its_code_once(oauth_server, codex):
    account = oauth_server.admin.create_account()
    start = device_start(codex)
    oauth_server.admin.approve_device_code(start["user_code"], account["account_id"])
    poll = {"device_auth_id": start["device_auth_id"], "user_code": start["user_code"]}
    pair = codex.http.post("/api/accounts/deviceauth/token", json=poll).json()
    tokens = exchange(
        codex,
        pair["authorization_code"],
        pair["code_verifier"],
        oauth_server.issuer + "/deviceauth/callback",
    ).json()
    again = codex.http.post("/api/accounts/deviceauth/token", json=poll)
    # 400 ends the Codex CLI's polling with an error (it keeps polling on 403 and 404).
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert "already delivered" in again.json()["error_description"]
    assert "authorization_code" not in again.text
    assert codex.introspect(tokens["access_token"])["token_status"] == "active"


def test_a_wrong_verifier_does_not_consume_the_code(oauth_server, codex):
    code, verifier = auto_consented_code(oauth_server, codex)
    wrong, _ = pkce_pair()
    for _ in range(10):
        refused = exchange(codex, code, wrong)
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_grant"
        assert "code_verifier" in refused.json()["error_description"]
    tokens = exchange(codex, code, verifier)
    assert tokens.status_code == 200


def test_a_replay_without_the_verifier_leaves_the_login_alone(oauth_server, codex):
    code, verifier = auto_consented_code(oauth_server, codex)
    first = exchange(codex, code, verifier).json()
    wrong, _ = pkce_pair()
    replay = exchange(codex, code, wrong)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert codex.introspect(first["access_token"])["token_status"] == "active"
    # Proven possession twice is a real replay: refused, and the first login revoked.
    second = exchange(codex, code, verifier)
    assert second.json()["error"] == "invalid_grant"
    assert "already used" in second.json()["error_description"]
    assert codex.introspect(first["access_token"])["token_status"] == "invalidated"


def test_a_wrong_redirect_uri_does_not_consume_the_code(oauth_server, codex):
    code, verifier = auto_consented_code(oauth_server, codex)
    assert exchange(codex, code, verifier, "http://localhost:1457/cb").status_code == 400
    assert exchange(codex, code, verifier).status_code == 200
