"""`public_issuer`: the fake plays https://auth.openai.com while it listens on loopback.

Hermes Agent 0.19.0 and OpenClaw hard-code the device-code redirect_uri
`https://auth.openai.com/deviceauth/callback`; a world where the fake answers for that host must
accept it, and advertise and sign as that issuer (PROTOCOL.md section 5).
"""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from fake_oauth_server import CODEX_CLIENT_ID
from fake_oauth_server.__main__ import build_parser
from fake_oauth_server.testing import OAuthServerOptions

PUBLIC = "https://auth.openai.com"
HERMES_HEADERS = {"user-agent": "hermes-cli/0.19.0"}


def device_login(srv: Any, http: httpx.Client, redirect_uri: str) -> httpx.Response:
    """Hermes's device login: usercode, admin approval, poll, then a form code exchange."""
    account = srv.admin.create_account(email="hermes@example.test")
    start = http.post("/api/accounts/deviceauth/usercode", json={"client_id": CODEX_CLIENT_ID})
    assert start.status_code == 200, start.text
    code = start.json()
    srv.admin.approve_device_code(code["user_code"], account["account_id"])
    poll = {"device_auth_id": code["device_auth_id"], "user_code": code["user_code"]}
    pair = http.post("/api/accounts/deviceauth/token", json=poll)
    assert pair.status_code == 200, pair.text
    return http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": pair.json()["authorization_code"],
            "redirect_uri": redirect_uri,
            "client_id": CODEX_CLIENT_ID,
            "code_verifier": pair.json()["code_verifier"],
        },
    )


def test_hermes_device_login_with_the_real_redirect_uri(oauth_server_factory):
    srv = oauth_server_factory(public_issuer=PUBLIC)
    with srv.client(headers=HERMES_HEADERS) as http:
        answer = device_login(srv, http, PUBLIC + "/deviceauth/callback")
        assert answer.status_code == 200, answer.text
        tokens = answer.json()
        discovery = http.get("/.well-known/openid-configuration").json()
    assert set(tokens) >= {"id_token", "access_token", "refresh_token"}
    for name in ("id_token", "access_token"):
        claims = jwt.decode(tokens[name], options={"verify_signature": False})
        assert claims["iss"] == PUBLIC
    assert discovery["issuer"] == PUBLIC
    assert discovery["token_endpoint"] == PUBLIC + "/oauth/token"
    assert srv.issuer.startswith("https://127.0.0.1:")  # it still listens on loopback


def test_the_listening_issuers_callback_is_still_accepted(oauth_server_factory):
    """A client pointed at the loopback URL (`codex login --experimental_issuer`) logs in too."""
    srv = oauth_server_factory(public_issuer=PUBLIC)
    with srv.client() as http:
        answer = device_login(srv, http, srv.issuer + "/deviceauth/callback")
    assert answer.status_code == 200, answer.text


def test_without_the_setting_the_real_redirect_uri_is_refused(oauth_server):
    with oauth_server.client(headers=HERMES_HEADERS) as http:
        answer = device_login(oauth_server, http, PUBLIC + "/deviceauth/callback")
        discovery = http.get("/.well-known/openid-configuration").json()
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert discovery["issuer"] == oauth_server.issuer


def test_the_admin_api_sets_and_clears_it(oauth_server):
    assert oauth_server.admin.settings()["public_issuer"] is None
    assert oauth_server.admin.update_settings(public_issuer=PUBLIC + "/")["public_issuer"] == PUBLIC
    family = oauth_server.admin.mint_family(oauth_server.admin.create_account()["account_id"])
    claims = jwt.decode(family["access_token"], options={"verify_signature": False})
    assert claims["iss"] == PUBLIC
    oauth_server.admin.update_settings(public_issuer=None)
    with oauth_server.client() as http:
        discovery = http.get("/.well-known/openid-configuration").json()
    assert discovery["issuer"] == oauth_server.issuer


@pytest.mark.parametrize(
    "bad",
    [
        "http://auth.openai.com",
        "https://auth.openai.com/path",
        "https://auth.openai.com?x=1",
        "https://user@auth.openai.com",
        "https://auth.openai.com:99999",
        "auth.openai.com",
        "https://",
        "https://auth openai.com",
    ],
)
def test_a_bad_public_issuer_is_refused_naming_the_flag(bad, capsys):
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["--public-issuer", bad])
    assert stopped.value.code == 2
    assert "--public-issuer" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["http://auth.openai.com", 7, "https://a.example/x"])
def test_a_bad_public_issuer_is_refused_by_the_options_and_the_admin_api(bad, oauth_server):
    with pytest.raises(ValueError, match="public_issuer must be an https origin"):
        OAuthServerOptions(public_issuer=bad).settings()  # type: ignore[arg-type]
    with pytest.raises(Exception, match="public_issuer must be an https origin"):
        oauth_server.admin.update_settings(public_issuer=bad)
    assert oauth_server.admin.settings()["public_issuer"] is None
