"""End to end with the real fake OAuth server: its ledger decides every handshake outcome."""

from __future__ import annotations

import json
import ssl

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from fake_codex_ws.admin_client import AdminError
from fake_codex_ws.fingerprint import token_fingerprint
from fake_codex_ws.probe import codex_headers, read_turn, reply_text, response_create

pytestmark = pytest.mark.anyio

CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"


@pytest.fixture
def family(oauth_server):
    account = oauth_server.admin.create_account(email="dev@example.com")
    return oauth_server.admin.mint_family(account["account_id"])


def ctx_of(be) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(be.ca_cert))


def refresh(oauth_server, refresh_token: str) -> httpx.Response:
    with oauth_server.client() as http:
        return http.post(
            "/oauth/token",
            json={
                "client_id": CODEX_CLIENT_ID,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            },
            headers={"originator": "codex_cli_rs", "User-Agent": "codex_cli_rs/0.1 (sim)"},
        )


async def upgrade_status(be, token: str, account_id: str) -> tuple[int, dict]:
    try:
        async with connect(
            be.ws_url, ssl=ctx_of(be), additional_headers=codex_headers(token, account_id)
        ) as ws:
            await ws.send(json.dumps(response_create("ping")))
            events = await read_turn(ws)
            return 101, events[-1]
    except InvalidStatus as exc:
        return exc.response.status_code, json.loads(bytes(exc.response.body))


async def test_a_fresh_family_gets_answers(codex_backend, family):
    status, last = await upgrade_status(codex_backend, family["access_token"], family["account_id"])
    assert status == 101
    assert last["type"] == "response.completed"


async def test_revoking_the_family_fails_the_open_socket_and_the_next_upgrade(
    codex_backend, oauth_server, family
):
    token, account = family["access_token"], family["account_id"]
    async with connect(
        codex_backend.ws_url,
        ssl=ctx_of(codex_backend),
        additional_headers=codex_headers(token, account),
    ) as ws:
        await ws.send(json.dumps(response_create("before")))
        assert reply_text(await read_turn(ws)).endswith("before")
        oauth_server.admin.revoke_family(family["family_id"])
        await ws.send(json.dumps(response_create("after")))
        (error,) = await read_turn(ws)
        with pytest.raises(ConnectionClosed):
            await ws.recv()
    assert error["status"] == 401
    assert error["error"]["code"] == "token_invalidated"
    status, body = await upgrade_status(codex_backend, token, account)
    assert status == 401
    assert body["error"]["code"] == "token_invalidated"


async def test_reuse_of_a_rotated_refresh_token_invalidates_the_victims_token(
    codex_backend, oauth_server, family
):
    """The sibling race: A refreshes, B replays the old refresh token, strict policy kills all."""
    account = family["account_id"]
    first = refresh(oauth_server, family["refresh_token"])
    assert first.status_code == 200
    fresh_access = first.json()["access_token"]
    assert (await upgrade_status(codex_backend, fresh_access, account))[0] == 101
    replay = refresh(oauth_server, family["refresh_token"])
    assert replay.json()["error"]["code"] == "refresh_token_reused"
    status, body = await upgrade_status(codex_backend, fresh_access, account)
    assert (status, body["error"]["code"]) == (401, "token_invalidated")


async def test_an_access_token_past_exp_on_the_oauth_clock_is_token_expired(
    codex_backend, oauth_server, family
):
    oauth_server.admin.advance_clock(3600 + 1)
    status, body = await upgrade_status(codex_backend, family["access_token"], family["account_id"])
    assert (status, body["error"]["code"]) == (401, "token_expired")


async def test_an_access_token_revoked_on_rotation_is_token_revoked(
    oauth_server_factory, codex_backend_factory
):
    srv = oauth_server_factory(tls=True, policy="strict", revoke_access_on_rotation=True)
    be = codex_backend_factory(oauth=srv)
    account = srv.admin.create_account()["account_id"]
    fam = srv.admin.mint_family(account)
    assert refresh(srv, fam["refresh_token"]).status_code == 200
    status, body = await upgrade_status(be, fam["access_token"], account)
    assert (status, body["error"]["code"]) == (401, "token_revoked")


async def test_refresh_and_id_tokens_are_not_bearer_credentials(codex_backend, family):
    for other in (family["refresh_token"], family["id_token"]):
        status, body = await upgrade_status(codex_backend, other, family["account_id"])
        assert (status, body["error"]["code"]) == (401, "token_invalid")


async def test_a_token_of_another_account_is_refused(codex_backend, oauth_server, family):
    other = oauth_server.admin.create_account()["account_id"]
    status, body = await upgrade_status(codex_backend, family["access_token"], other)
    assert (status, body["error"]["code"]) == (401, "account_mismatch")


async def test_the_oauth_ledger_records_who_presented_the_token(
    codex_backend, oauth_server, family
):
    await upgrade_status(codex_backend, family["access_token"], family["account_id"])
    introspected = [e for e in oauth_server.admin.events() if e["type"] == "introspected"]
    assert introspected
    assert introspected[-1]["fingerprint"] == token_fingerprint(family["access_token"])
    assert introspected[-1]["originator"] == "codex_cli_rs"


async def test_the_connection_limit_uses_the_oauth_servers_clock(
    codex_backend, oauth_server, family
):
    with pytest.raises(AdminError) as refused:
        codex_backend.admin.advance_clock(10)
    assert refused.value.status == 409
    oauth_server.admin.freeze_clock()
    token, account = family["access_token"], family["account_id"]
    async with connect(
        codex_backend.ws_url,
        ssl=ctx_of(codex_backend),
        additional_headers=codex_headers(token, account),
    ) as ws:
        oauth_server.admin.advance_clock(3600)
        await ws.send(json.dumps(response_create("late")))
        (error,) = await read_turn(ws)
    assert error["error"]["code"] == "websocket_connection_limit_reached"


async def test_http_introspection_gives_the_same_answers(
    oauth_server, codex_backend_factory, family
):
    be = codex_backend_factory(
        oauth_issuer=oauth_server.issuer,
        oauth_admin_token=oauth_server.admin_token,
        oauth_ca_cert=oauth_server.ca_cert,
    )
    token, account = family["access_token"], family["account_id"]
    assert (await upgrade_status(be, token, account))[0] == 101
    oauth_server.admin.revoke_family(family["family_id"])
    status, body = await upgrade_status(be, token, account)
    assert (status, body["error"]["code"]) == (401, "token_invalidated")


async def test_a_wrong_introspection_admin_token_is_a_503_that_says_why(
    oauth_server, codex_backend_factory, family
):
    be = codex_backend_factory(
        oauth_issuer=oauth_server.issuer,
        oauth_admin_token="not-the-admin-token",
        oauth_ca_cert=oauth_server.ca_cert,
    )
    status, body = await upgrade_status(be, family["access_token"], family["account_id"])
    assert status == 503
    # The lab passes the token in a file: the message names the file flag (and the variable).
    assert "--oauth-admin-token-file" in body["error"]["message"]
    assert "FAKE_CODEX_WS_OAUTH_ADMIN_TOKEN" in body["error"]["message"]


async def test_sse_against_the_real_ledger(codex_backend, oauth_server, family):
    token, account = family["access_token"], family["account_id"]
    headers = codex_headers(token, account, beta=None)
    with httpx.Client(verify=ctx_of(codex_backend)) as http:
        ok = http.post(
            f"{codex_backend.base_url}/responses", headers=headers, json=response_create("sse")
        )
        assert ok.status_code == 200
        oauth_server.admin.revoke_family(family["family_id"])
        dead = http.post(
            f"{codex_backend.base_url}/responses", headers=headers, json=response_create("sse")
        )
    assert (dead.status_code, dead.json()["error"]["code"]) == (401, "token_invalidated")
