"""What Codex CLI 0.169.0 and Hermes 0.19.0 send, exactly as PROTOCOL.md section 5 records it.

Before every turn the CLI asks `{chatgpt_base_url}wham/accounts/check`; without an answer it
fails the turn after about 14 s. Its socket opens with a prewarm (`"generate": false`,
`input: []`), tools travel as an `additional_tools` input item, and the turn's
`previous_response_id` is the prewarm's response.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from fake_codex_ws.event_log import FIELD_CHARS
from fake_codex_ws.probe import parse_sse, read_turn, reply_text

CLI_UA = "codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)"
SESSION = "01a22bd7-6d95-7db3-903b-ddcb8d3ce801"
TOOLS = [{"type": "function", "name": "shell", "parameters": {"type": "object"}}]


def cli_headers(token: str, account_id: str = "acc_1", **more: str) -> dict[str, str]:
    """The headers of a 0.169.0 request (turn headers carry the beta and the ids too)."""
    headers = {
        "authorization": f"Bearer {token}",
        "chatgpt-account-id": account_id,
        "originator": "codex_exec",
        "user-agent": CLI_UA,
        "version": "0.169.0",
    }
    headers.update(more)
    return headers


def turn_headers(token: str) -> dict[str, str]:
    return cli_headers(
        token,
        **{
            "openai-beta": "responses_websockets=2026-02-06",
            "session-id": SESSION,
            "thread-id": SESSION,
            "x-client-request-id": SESSION,
            "x-codex-window-id": f"{SESSION}:0",
            "x-codex-turn-metadata": json.dumps({"turn_id": "t1"}),
            "x-codex-beta-features": "",
        },
    )


def cli_body(text: str | None, **more: Any) -> dict[str, Any]:
    """A 0.169.0 `response.create`: no top-level instructions or tools, extra body fields."""
    items: list[dict[str, Any]] = []
    if text is not None:
        items = [
            {"type": "additional_tools", "tools": TOOLS},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
        ]
    body: dict[str, Any] = {
        "type": "response.create",
        "model": "gpt-5.5",
        "input": items,
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "reasoning": None,
        "store": False,
        "stream": True,
        "include": [],
        "prompt_cache_key": SESSION,
        "text": {"verbosity": "low"},
        "client_metadata": {"x-codex-installation-id": "inst_1"},
    }
    body.update(more)
    return body


def prewarm_body() -> dict[str, Any]:
    return cli_body(None, generate=False)


@pytest.fixture
def http(backend, tls_context):
    with httpx.Client(base_url=backend.url, verify=tls_context, timeout=30) as client:
        yield client


def aux_events(backend) -> list[dict[str, Any]]:
    return [e for e in backend.admin.events() if e["type"] == "aux_request"]


# --- wham/accounts/check ---------------------------------------------------------------------


def test_accounts_check_answers_the_tokens_account_and_logs_the_caller(backend, authority, http):
    token = authority.issue("acc_1")
    answer = http.get("/backend-api/wham/accounts/check", headers=cli_headers(token))
    assert answer.status_code == 200
    assert answer.json() == {
        "accounts": [
            {
                "id": "acc_1",
                "workspace_backend_origin": "NO_CONSTRAINT",
                "account_routing_override": "NO_CONSTRAINT",
            }
        ]
    }
    [event] = aux_events(backend)
    assert event["outcome"] == "answered"
    assert event["call"] == "accounts_check"
    assert event["path"] == "/backend-api/wham/accounts/check"
    assert (event["originator"], event["user_agent"]) == ("codex_exec", CLI_UA)
    assert event["account_id"] == "acc_1"
    assert token not in json.dumps(event)


@pytest.mark.parametrize(
    ("status", "code"), [("invalidated", "token_invalidated"), ("expired", "token_expired")]
)
def test_accounts_check_refuses_a_dead_token_with_the_401_the_cli_refreshes_on(
    backend, authority, http, status, code
):
    token = authority.issue("acc_1", status=status)
    answer = http.get("/backend-api/wham/accounts/check", headers=cli_headers(token))
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["code"] == code
    assert "Please try signing in again." in error["message"]
    [event] = aux_events(backend)
    assert (event["outcome"], event["status"], event["reason"]) == ("refused", 401, code)


def test_accounts_check_refuses_no_token_and_another_account(backend, authority, http):
    token = authority.issue("acc_1")
    bare = {k: v for k, v in cli_headers(token).items() if k != "authorization"}
    assert http.get("/backend-api/wham/accounts/check", headers=bare).status_code == 401
    other = http.get("/backend-api/wham/accounts/check", headers=cli_headers(token, "acc_2"))
    assert other.status_code == 401
    assert other.json()["error"]["code"] == "account_mismatch"


def test_an_aux_callers_huge_user_agent_is_logged_bounded(backend, authority, http):
    token = authority.issue("acc_1")
    headers = cli_headers(token, **{"user-agent": "codex_exec/0.169.0 " + "x" * 6000})
    assert http.get("/backend-api/wham/accounts/check", headers=headers).status_code == 200
    [event] = aux_events(backend)
    assert len(event["user_agent"]) <= FIELD_CHARS
    assert event["user_agent"].startswith("codex_exec/0.169.0 ")


# --- the model catalogue -----------------------------------------------------------------------


def test_models_lists_the_catalogue_in_the_shape_the_cli_parses(backend, authority, http):
    token = authority.issue("acc_1")
    answer = http.get(
        "/backend-api/codex/models?client_version=0.169.0", headers=cli_headers(token)
    )
    assert answer.status_code == 200
    models = answer.json()["models"]
    assert models
    for model in models:
        assert isinstance(model["slug"], str)
        assert model["slug"]
        assert model["visibility"] in ("list", "hide", "none")
        assert isinstance(model["priority"], int)
        assert model["shell_type"] == "shell_command"
        assert model["truncation_policy"]["mode"] in ("bytes", "tokens")
        assert {level["effort"] for level in model["supported_reasoning_levels"]} >= {"medium"}
        assert isinstance(model["experimental_supported_tools"], list)
    assert min(models, key=lambda m: m["priority"])["slug"] == "gpt-5.5"
    [event] = aux_events(backend)
    assert event["query"] == "client_version=0.169.0"


def test_hermes_reads_the_models_with_the_token_alone(backend, authority, http):
    token = authority.issue("acc_1")
    answer = http.get(
        "/backend-api/codex/models?client_version=1.0.0",
        headers={"authorization": f"Bearer {token}", "user-agent": "hermes-cli/0.19.0"},
    )
    assert answer.status_code == 200
    visible = [m["slug"] for m in answer.json()["models"] if m["visibility"] != "hide"]
    assert "gpt-5.5" in visible
    [event] = aux_events(backend)
    assert event["user_agent"] == "hermes-cli/0.19.0"


# --- plugins, apps, analytics, settings ------------------------------------------------------


def test_plugins_settings_and_analytics_answer_as_for_an_account_with_nothing(
    backend, authority, http
):
    headers = cli_headers(authority.issue("acc_1"))
    installed = http.get("/backend-api/ps/plugins/installed?limit=200", headers=headers)
    assert installed.json() == {"plugins": [], "pagination": {"next_page_token": None}}
    suggested = http.get("/backend-api/ps/plugins/suggested/codex?scope=GLOBAL", headers=headers)
    assert suggested.json() == {"enabled": True, "plugins": []}
    assert http.get("/backend-api/wham/settings/user", headers=headers).json() == {}
    analytics = http.post(
        "/backend-api/codex/analytics-events/events", headers=headers, json={"events": []}
    )
    assert analytics.status_code == 204
    calls = [e["call"] for e in aux_events(backend)]
    assert calls == ["plugins_installed", "plugins_suggested", "user_settings", "analytics_events"]


def test_analytics_refuses_a_body_that_is_not_json(backend, authority, http):
    headers = cli_headers(authority.issue("acc_1"))
    answer = http.post(
        "/backend-api/codex/analytics-events/events", headers=headers, content=b"{not json"
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_json"


def test_apps_mcp_initialises_with_no_tools(backend, authority, http):
    headers = {**cli_headers(authority.issue("acc_1")), "user-agent": "codex-mcp-client/0.169.0"}
    init = http.post(
        "/backend-api/ps/mcp",
        headers=headers,
        json={
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {}},
        },
    )
    assert init.status_code == 200
    assert init.json()["result"]["protocolVersion"] == "2025-06-18"
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert http.post("/backend-api/ps/mcp", headers=headers, json=note).status_code == 202
    tools = http.post(
        "/backend-api/ps/mcp",
        headers=headers,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    )
    assert tools.json() == {"jsonrpc": "2.0", "id": 1, "result": {"tools": []}}
    unknown = http.post(
        "/backend-api/ps/mcp", headers=headers, json={"jsonrpc": "2.0", "id": 2, "method": "x/y"}
    )
    assert unknown.json()["error"]["code"] == -32601


def test_apps_mcp_without_the_token_is_a_401(backend, http):
    """0.169.0 sends no ChatGPT token to a non-chatgpt.com origin; it carries on without apps."""
    answer = http.post(
        "/backend-api/ps/mcp",
        headers={"user-agent": "codex-mcp-client/0.169.0", "originator": "codex_exec"},
        json={"jsonrpc": "2.0", "id": 0, "method": "initialize"},
    )
    assert answer.status_code == 401


# --- the socket: prewarm, additional_tools, ids ----------------------------------------------


@pytest.mark.anyio
async def test_prewarm_then_turn_on_one_socket_as_the_cli_sends_them(
    backend, authority, tls_context
):
    token = authority.issue("acc_1")
    async with connect(
        backend.ws_url, ssl=tls_context, additional_headers=turn_headers(token)
    ) as ws:
        await ws.send(json.dumps(prewarm_body()))
        warm = await read_turn(ws)
        warm_id = warm[-1]["response"]["id"]
        await ws.send(json.dumps(cli_body("hi there", previous_response_id=warm_id)))
        turn = await read_turn(ws)
    assert [e["type"] for e in warm] == ["response.created", "response.completed"]
    assert warm[-1]["response"]["output"] == []
    assert warm[-1]["response"]["usage"]["output_tokens"] == 0
    assert turn[-1]["type"] == "response.completed"
    assert reply_text(turn) == "codex[gpt-5.5]: you said: hi there"
    assert turn[-1]["response"]["previous_response_id"] == warm_id

    events = backend.admin.events()
    [prewarm] = [e for e in events if e["type"] == "prewarm"]
    [played] = [e for e in events if e["type"] == "ws_turn"]
    assert prewarm["outcome"] == "prewarmed"
    assert "turn" not in prewarm
    assert played["turn"] == 1
    assert played["previous_response_id"] == warm_id
    [handshake] = [e for e in events if e["type"] == "ws_handshake"]
    for event in (handshake, prewarm, played):
        assert event["session_id"] == SESSION
        assert event["thread_id"] == SESSION
        assert event["client_request_id"] == SESSION
        assert event["user_agent"] == CLI_UA


@pytest.mark.anyio
async def test_a_prewarm_takes_no_turn_fault_or_scripted_reply(backend, authority, tls_context):
    token = authority.issue("acc_1")
    backend.admin.script_reply("scripted", account_id="acc_1", count=1)
    async with connect(
        backend.ws_url, ssl=tls_context, additional_headers=turn_headers(token)
    ) as ws:
        await ws.send(json.dumps(prewarm_body()))
        first_warm = await read_turn(ws)
        await ws.send(json.dumps(cli_body("go")))
        scripted = await read_turn(ws)
        backend.admin.arm_fault("response_failed", code="server_error")
        await ws.send(json.dumps(prewarm_body()))
        second_warm = await read_turn(ws)
        await ws.send(json.dumps(cli_body("go again")))
        failed = await read_turn(ws)
    assert first_warm[-1]["type"] == second_warm[-1]["type"] == "response.completed"
    assert reply_text(scripted) == "scripted"
    assert failed[-1]["type"] == "response.failed"
    turns = [e["turn"] for e in backend.admin.events() if e["type"] == "ws_turn"]
    assert turns == [1, 2]


@pytest.mark.anyio
async def test_a_prewarm_with_a_revoked_token_is_refused(backend, authority, tls_context):
    token = authority.issue("acc_1")
    async with connect(
        backend.ws_url, ssl=tls_context, additional_headers=turn_headers(token)
    ) as ws:
        authority.set_status(token, "invalidated")
        await ws.send(json.dumps(prewarm_body()))
        [frame] = await read_turn(ws)
    assert frame["type"] == "error"
    assert frame["error"]["code"] == "token_invalidated"
    [event] = [e for e in backend.admin.events() if e["type"] == "prewarm"]
    assert event["outcome"] == "refused"


def test_prewarm_over_sse_is_no_turn(backend, authority, http):
    token = authority.issue("acc_1")
    headers = {**turn_headers(token), "accept": "text/event-stream"}
    answer = http.post("/backend-api/codex/responses", headers=headers, json=prewarm_body())
    assert answer.status_code == 200
    events = parse_sse(answer.text)
    assert [e["type"] for e in events] == ["response.created", "response.completed"]
    turn = http.post("/backend-api/codex/responses", headers=headers, json=cli_body("over sse"))
    assert reply_text(parse_sse(turn.text)) == "codex[gpt-5.5]: you said: over sse"
    types = [e["type"] for e in backend.admin.events()]
    assert types == ["prewarm", "sse_request"]


# --- what a request looked like, for comparing clients on the wire --------------------------

CLI_BODY_FIELDS = [
    "client_metadata",
    "include",
    "input",
    "model",
    "parallel_tool_calls",
    "prompt_cache_key",
    "reasoning",
    "store",
    "stream",
    "text",
    "tool_choice",
    "type",
]


@pytest.mark.anyio
async def test_the_socket_records_version_beta_and_body_field_names(
    backend, authority, tls_context
):
    token = authority.issue("acc_1")
    async with connect(
        backend.ws_url, ssl=tls_context, additional_headers=turn_headers(token)
    ) as ws:
        await ws.send(json.dumps(prewarm_body()))
        await read_turn(ws)
        await ws.send(json.dumps(cli_body("names only")))
        await read_turn(ws)
    events = backend.admin.events()
    [handshake] = [e for e in events if e["type"] == "ws_handshake"]
    assert handshake["version"] == "0.169.0"
    assert handshake["openai_beta"] == "responses_websockets=2026-02-06"
    [prewarm] = [e for e in events if e["type"] == "prewarm"]
    [played] = [e for e in events if e["type"] == "ws_turn"]
    assert prewarm["body_fields"] == sorted([*CLI_BODY_FIELDS, "generate"])
    assert played["body_fields"] == CLI_BODY_FIELDS  # names, never values
    assert "inst_1" not in json.dumps(played)


def test_an_sse_turn_records_its_body_field_names_and_a_huge_body_keeps_few(
    backend, authority, http
):
    token = authority.issue("acc_1")
    headers = {**cli_headers(token), "accept": "text/event-stream"}
    answer = http.post("/backend-api/codex/responses", headers=headers, json=cli_body("sse"))
    assert answer.status_code == 200
    crowded = cli_body("crowded", **{f"x{n:04d}": 1 for n in range(1000)})
    answer = http.post("/backend-api/codex/responses", headers=headers, json=crowded)
    assert answer.status_code == 200
    first, second = [e for e in backend.admin.events() if e["type"] == "sse_request"]
    assert first["body_fields"] == CLI_BODY_FIELDS
    assert first["version"] == "0.169.0"
    assert first.get("openai_beta") is None
    assert len(second["body_fields"]) == 32
