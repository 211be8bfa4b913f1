"""The admin API: arm faults, script replies, read the event log, move the clock, drop sockets.

Every route needs `Authorization: Bearer <admin token>`. Documented in README.md.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fake_codex_ws.clock import VirtualClock
from fake_codex_ws.errors import Refusal, error_body
from fake_codex_ws.faults import MATCH_KEYS, FaultError
from fake_codex_ws.http_body import read_json_object
from fake_codex_ws.pauses import PauseError
from fake_codex_ws.state import BackendState
from fake_oauth_server.ranges import MAX_COUNT, MAX_EPOCH, MAX_SECONDS, OutOfRange, integer, number

Handler = Callable[[Request], Awaitable[Response]]


def _error(status: int, message: str, code: str, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(message, code, type_="admin_error", **extra), status_code=status)


def _guarded(handler: Callable[[BackendState, Request], Awaitable[Response]]) -> Handler:
    async def endpoint(request: Request) -> Response:
        state: BackendState = request.app.state.backend
        given = request.headers.get("authorization", "")
        expected = f"Bearer {state.admin_token}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return _error(
                401, "The admin API needs Authorization: Bearer <admin token>.", "unauthorized"
            )
        try:
            return await handler(state, request)
        except OutOfRange as exc:
            return _error(
                400, str(exc), "invalid_admin_request", param=exc.field, allowed=list(exc.allowed)
            )
        except PauseError as exc:
            status = 404 if str(exc).startswith("no pause") else 400
            return _error(status, str(exc), "invalid_admin_request")
        except (FaultError, ValueError, TypeError) as exc:
            return _error(400, str(exc), "invalid_admin_request")

    return endpoint


async def _body(request: Request) -> dict[str, Any] | JSONResponse:
    payload = await read_json_object(request, 1024 * 1024)
    if isinstance(payload, Refusal):
        return JSONResponse(payload.body, status_code=payload.status)
    return payload


async def events(state: BackendState, request: Request) -> Response:
    raw = request.query_params.get("since", "0")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        raise OutOfRange("since", 0, 2**63 - 1, "an integer (an event seq)")
    return JSONResponse({"events": state.log.since(int(raw)), "last_seq": state.log.last_seq})


async def list_faults(state: BackendState, request: Request) -> Response:
    return JSONResponse({"faults": state.faults.describe()})


async def arm_fault(state: BackendState, request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, Response):
        return body
    kind = body.get("kind")
    if not isinstance(kind, str):
        raise ValueError("kind is required (a fault kind)")
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise ValueError("params must be an object")
    match = body.get("match")
    if match is not None and not isinstance(match, dict):
        raise ValueError(f"match must be an object with keys among {sorted(MATCH_KEYS)}")
    fault = state.faults.arm(kind, match, _count(body, "count", 1), params)
    return JSONResponse(fault.describe(), status_code=201)


async def clear_faults(state: BackendState, request: Request) -> Response:
    return JSONResponse({"cleared": state.faults.clear()})


async def list_replies(state: BackendState, request: Request) -> Response:
    return JSONResponse({"replies": state.replies.describe()})


async def script_reply(state: BackendState, request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, Response):
        return body
    script = state.replies.add(
        body.get("reply"),  # type: ignore[arg-type]  # validated by ReplyBook.add
        account_id=body.get("account_id"),
        key_fingerprint=body.get("key_fingerprint"),
        count=_count(body, "count", None),
    )
    return JSONResponse(script.describe(), status_code=201)


async def clear_replies(state: BackendState, request: Request) -> Response:
    return JSONResponse({"cleared": state.replies.clear()})


def _clock_view(state: BackendState) -> dict[str, Any]:
    clock = state.clock
    own = isinstance(clock, VirtualClock)
    return {
        "now": clock.now(),
        "source": "own" if own else "oauth",
        "frozen": clock.frozen if isinstance(clock, VirtualClock) else None,
    }


async def get_clock(state: BackendState, request: Request) -> Response:
    return JSONResponse(_clock_view(state))


def _own_clock(state: BackendState) -> VirtualClock | JSONResponse:
    if isinstance(state.clock, VirtualClock):
        return state.clock
    return _error(
        409,
        "This backend reads the in-process OAuth server's clock; move that clock instead.",
        "clock_not_owned",
    )


def _count(body: dict[str, Any], key: str, default: int | None) -> int | None:
    """A count of requests or turns; null (where the default is) means every one."""
    value = body.get(key, default)
    return None if value is None else integer(value, key, 1, MAX_COUNT)


def _advance(clock: VirtualClock, value: Any) -> None:
    seconds = number(value, "seconds", 0.0, MAX_SECONDS)
    room = MAX_EPOCH - clock.now()
    if seconds > room:
        raise OutOfRange("seconds", 0.0, max(0.0, room))
    clock.advance(seconds)


def _clock_action(action: str) -> Callable[[BackendState, Request], Awaitable[Response]]:
    async def move(state: BackendState, request: Request) -> Response:
        clock = _own_clock(state)
        if isinstance(clock, JSONResponse):
            return clock
        body = await _body(request) if action in ("advance", "set") else {}
        if isinstance(body, Response):
            return body
        if action == "advance":
            _advance(clock, body.get("seconds"))
        elif action == "set":
            clock.set(number(body.get("epoch"), "epoch", 0.0, MAX_EPOCH))
        elif action == "freeze":
            clock.freeze()
        else:
            clock.resume()
        return JSONResponse(_clock_view(state))

    return move


async def list_pauses(state: BackendState, request: Request) -> Response:
    return JSONResponse({"pauses": state.pauses.describe()})


async def arm_pause(state: BackendState, request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, Response):
        return body
    step = body.get("step")
    if not isinstance(step, str):
        raise ValueError("step is required: handshake, turn or stream")
    match = body.get("match")
    if match is not None and not isinstance(match, dict):
        raise ValueError("match must be an object")
    count = integer(body.get("count", 1), "count", 1, MAX_COUNT)
    pause = state.pauses.arm(step, match, count)
    return JSONResponse(pause.describe(), status_code=201)


async def wait_pause(state: BackendState, request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, Response):
        return body
    timeout = number(body.get("timeout", 10.0), "timeout", 0.0, 600.0)
    pause_id = request.path_params["pause_id"]
    paused = await state.pauses.wait(pause_id, timeout)
    return JSONResponse({**state.pauses.get(pause_id).describe(), "paused": paused})


async def release_pause(state: BackendState, request: Request) -> Response:
    return JSONResponse(state.pauses.release(request.path_params["pause_id"]).describe())


async def clear_pauses(state: BackendState, request: Request) -> Response:
    return JSONResponse({"cleared": state.pauses.clear()})


async def list_sockets(state: BackendState, request: Request) -> Response:
    return JSONResponse({"sockets": [s.describe() for s in state.sockets()]})


async def close_sockets(state: BackendState, request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, Response):
        return body
    match = body.get("match") or {}
    if not isinstance(match, dict):
        raise ValueError("match must be an object")
    allowed = {"socket_id", "account_id", "family_id", "fingerprint", "originator"}
    if set(match) - allowed:
        raise ValueError(f"socket match keys are {sorted(allowed)}")
    code = integer(body.get("code", 1001), "code", 1000, 4999)
    closed = []
    for sock in state.sockets():
        view = sock.describe()
        if all(view.get(k) == v for k, v in match.items()):
            sock.close_code = code
            sock.close_requested.set()
            closed.append(sock.socket_id)
    return JSONResponse({"closed": closed})


async def add_api_key(state: BackendState, request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, Response):
        return body
    key = body.get("key")
    if not isinstance(key, str):
        raise ValueError("key must be a string")
    return JSONResponse({"key_fingerprint": state.add_api_key(key)}, status_code=201)


async def list_api_keys(state: BackendState, request: Request) -> Response:
    return JSONResponse({"key_fingerprints": state.api_key_fingerprints()})


def admin_routes() -> list[Route]:
    return [
        Route("/admin/events", _guarded(events), methods=["GET"]),
        Route("/admin/faults", _guarded(list_faults), methods=["GET"]),
        Route("/admin/faults", _guarded(arm_fault), methods=["POST"]),
        Route("/admin/faults", _guarded(clear_faults), methods=["DELETE"]),
        Route("/admin/replies", _guarded(list_replies), methods=["GET"]),
        Route("/admin/replies", _guarded(script_reply), methods=["POST"]),
        Route("/admin/replies", _guarded(clear_replies), methods=["DELETE"]),
        Route("/admin/clock", _guarded(get_clock), methods=["GET"]),
        *(
            Route(f"/admin/clock/{action}", _guarded(_clock_action(action)), methods=["POST"])
            for action in ("advance", "set", "freeze", "resume")
        ),
        Route("/admin/pauses", _guarded(list_pauses), methods=["GET"]),
        Route("/admin/pauses", _guarded(arm_pause), methods=["POST"]),
        Route("/admin/pauses", _guarded(clear_pauses), methods=["DELETE"]),
        Route("/admin/pauses/{pause_id}/wait", _guarded(wait_pause), methods=["POST"]),
        Route("/admin/pauses/{pause_id}/release", _guarded(release_pause), methods=["POST"]),
        Route("/admin/sockets", _guarded(list_sockets), methods=["GET"]),
        Route("/admin/sockets/close", _guarded(close_sockets), methods=["POST"]),
        Route("/admin/api-keys", _guarded(list_api_keys), methods=["GET"]),
        Route("/admin/api-keys", _guarded(add_api_key), methods=["POST"]),
    ]
