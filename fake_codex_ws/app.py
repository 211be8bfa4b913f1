"""The ASGI application: routes of the Codex backend, the API-key backend and the admin API."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from fake_codex_ws.admin_api import admin_routes
from fake_codex_ws.apikey_backend import chat_completions, responses
from fake_codex_ws.chatgpt_api import chatgpt_routes
from fake_codex_ws.errors import error_body
from fake_codex_ws.sse_endpoint import codex_responses_sse
from fake_codex_ws.state import BackendState
from fake_codex_ws.ws_endpoint import codex_websocket

CODEX_PREFIX = "/backend-api/codex"
API_PREFIX = "/v1"

log = logging.getLogger("fake_codex_ws")


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse(
        error_body(exc.detail or "error", None, param=None), status_code=exc.status_code
    )


async def _crash(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return JSONResponse(
        error_body("The fake backend hit an internal error.", None, type_="server_error"),
        status_code=500,
    )


def build_app(state: BackendState) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await state.authority.aclose()

    app = Starlette(
        routes=[
            WebSocketRoute(f"{CODEX_PREFIX}/responses", codex_websocket),
            Route(f"{CODEX_PREFIX}/responses", codex_responses_sse, methods=["POST"]),
            Route(f"{API_PREFIX}/chat/completions", chat_completions, methods=["POST"]),
            Route(f"{API_PREFIX}/responses", responses, methods=["POST"]),
            *chatgpt_routes(),
            Route("/healthz", healthz, methods=["GET"]),
            *admin_routes(),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _crash},
        lifespan=lifespan,
    )
    app.state.backend = state
    return app
