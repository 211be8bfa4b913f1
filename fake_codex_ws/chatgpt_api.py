"""The ChatGPT backend calls a real client makes around its turns (`{chatgpt_base_url}…`).

The Codex CLI 0.169.0 asks `wham/accounts/check` before every turn (and gives up on the turn
after about 14 s without an answer), reads the model catalogue, and asks for plugins, apps
(MCP), analytics and user settings. Each is authenticated as the real service does (a dead
token gets the 401 the CLI refreshes on) and answered as the real service answers an account
with nothing installed. Every call is an `aux_request` event naming its caller.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fake_codex_ws import errors
from fake_codex_ws.authority import TokenInfo
from fake_codex_ws.errors import Refusal
from fake_codex_ws.fingerprint import token_fingerprint
from fake_codex_ws.handshake import bearer_token, live_token, request_ids_of
from fake_codex_ws.http_body import read_json_object
from fake_codex_ws.model_catalog import models_response
from fake_codex_ws.state import BackendState

CHATGPT_PREFIX = "/backend-api"
# What the CLI's MCP client offers and expects back (MCP 2025-06-18 Streamable HTTP, JSON answers).
MCP_PROTOCOL_VERSION = "2025-06-18"

Answer = Callable[[Request, BackendState, TokenInfo], Awaitable[Response]]


async def authenticate(
    state: BackendState, headers: Mapping[str, str], fields: dict[str, Any]
) -> TokenInfo | Refusal:
    """The checks of a ChatGPT backend call: a live bearer token, and a ChatGPT-Account-ID (when
    sent) naming its account. The header is optional here: Hermes reads the model catalogue
    with the token alone."""
    token = bearer_token(headers)
    if token is None:
        return errors.missing_auth_refusal()
    fields["fingerprint"] = token_fingerprint(token)
    info = await live_token(state, token, headers, fields)
    if isinstance(info, Refusal):
        return info
    account_header = headers.get("chatgpt-account-id")
    if account_header and account_header != info.account_id:
        return errors.account_mismatch_refusal()
    return info


async def accounts_check(request: Request, state: BackendState, info: TokenInfo) -> Response:
    """Workspace routing discovery: the token's account, with no routing constraint."""
    return JSONResponse(
        {
            "accounts": [
                {
                    "id": info.account_id,
                    "workspace_backend_origin": "NO_CONSTRAINT",
                    "account_routing_override": "NO_CONSTRAINT",
                }
            ]
        }
    )


async def models(request: Request, state: BackendState, info: TokenInfo) -> Response:
    return JSONResponse(models_response())


async def plugins_installed(request: Request, state: BackendState, info: TokenInfo) -> Response:
    """An empty page in the shape of the CLI's own wire tests."""
    return JSONResponse({"plugins": [], "pagination": {"next_page_token": None}})


async def plugins_suggested(request: Request, state: BackendState, info: TokenInfo) -> Response:
    """Recommendations on, none to make (0.169.0 refuses a body without `enabled`)."""
    return JSONResponse({"enabled": True, "plugins": []})


async def user_settings(request: Request, state: BackendState, info: TokenInfo) -> Response:
    """A user who changed nothing: no settings stored."""
    return JSONResponse({})


async def analytics_events(request: Request, state: BackendState, info: TokenInfo) -> Response:
    """Accepted and dropped: the fake keeps no analytics (the body is read, never stored)."""
    body = await read_json_object(request, state.options.max_message_bytes)
    if isinstance(body, Refusal):
        return JSONResponse(body.body, status_code=body.status)
    return Response(status_code=204)


def _rpc_result(rpc_id: Any, result: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"jsonrpc": "2.0", "id": rpc_id, "result": result})


def _rpc_error(rpc_id: Any, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"jsonrpc": "2.0", "id": rpc_id, "error": {"code": code, "message": message}}
    )


async def apps_mcp(request: Request, state: BackendState, info: TokenInfo) -> Response:
    """The hosted apps MCP server of an account with no apps connected: it initialises, lists
    no tools, resources or prompts, and acknowledges notifications (202)."""
    message = await read_json_object(request, state.options.max_message_bytes)
    if isinstance(message, Refusal):
        return _rpc_error(None, -32700, "Parse error: send one JSON-RPC object.")
    method = message.get("method")
    rpc_id = message.get("id")
    if not isinstance(method, str):
        return _rpc_error(rpc_id, -32600, "Invalid request: 'method' must be a string.")
    if "id" not in message:
        return Response(status_code=202)  # a notification (notifications/initialized, …)
    if method == "initialize":
        params = message.get("params")
        asked = params.get("protocolVersion") if isinstance(params, dict) else None
        return _rpc_result(
            rpc_id,
            {
                "protocolVersion": asked if isinstance(asked, str) else MCP_PROTOCOL_VERSION,
                "capabilities": {"tools": {"listChanged": False}},
                "serverInfo": {"name": "codex_apps", "version": "1.0.0"},
            },
        )
    empty = {"tools/list": "tools", "resources/list": "resources", "prompts/list": "prompts"}
    if method in empty:
        return _rpc_result(rpc_id, {empty[method]: []})
    if method == "resources/templates/list":
        return _rpc_result(rpc_id, {"resourceTemplates": []})
    if method == "ping":
        return _rpc_result(rpc_id, {})
    return _rpc_error(rpc_id, -32601, f"Method not found: {method[:100]}")


def _endpoint(name: str, answer: Answer) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state: BackendState = request.app.state.backend
        headers = {k.lower(): v for k, v in request.headers.items()}
        fields: dict[str, Any] = {
            "call": name,
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query or None,
            "originator": headers.get("originator"),
            "user_agent": headers.get("user-agent"),
            "account_header": headers.get("chatgpt-account-id"),
            **request_ids_of(headers),
        }
        checked = await authenticate(state, headers, fields)
        if isinstance(checked, Refusal):
            state.log.record(
                "aux_request", "refused", status=checked.status, reason=checked.reason, **fields
            )
            return JSONResponse(checked.body, status_code=checked.status)
        response = await answer(request, state, checked)
        state.log.record("aux_request", "answered", status=response.status_code, **fields)
        return response

    return endpoint


def chatgpt_routes() -> list[Route]:
    p = CHATGPT_PREFIX
    return [
        Route(f"{p}/wham/accounts/check", _endpoint("accounts_check", accounts_check)),
        Route(f"{p}/codex/models", _endpoint("models", models)),
        Route(f"{p}/ps/plugins/installed", _endpoint("plugins_installed", plugins_installed)),
        Route(f"{p}/ps/plugins/suggested/codex", _endpoint("plugins_suggested", plugins_suggested)),
        Route(f"{p}/ps/mcp", _endpoint("apps_mcp", apps_mcp), methods=["POST"]),
        Route(
            f"{p}/codex/analytics-events/events",
            _endpoint("analytics_events", analytics_events),
            methods=["POST"],
        ),
        Route(f"{p}/wham/settings/user", _endpoint("user_settings", user_settings)),
    ]
