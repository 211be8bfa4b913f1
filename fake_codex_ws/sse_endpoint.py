"""`POST …/backend-api/codex/responses`: the same checks and events as the socket, over SSE."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from fake_codex_ws import errors
from fake_codex_ws.handshake import TURN_STATE_HEADER, check_codex_request
from fake_codex_ws.http_body import read_encoded_json_object
from fake_codex_ws.replies import default_codex_reply
from fake_codex_ws.sse import Emit, stream_from
from fake_codex_ws.state import BackendState
from fake_codex_ws.turns import (
    TURN_FAULT_KINDS,
    TurnPlayer,
    TurnRequest,
    body_fields_of,
    is_prewarm,
    parse_turn_request,
    rate_limit_parts,
)
from fake_codex_ws.ws_endpoint import refusal_response


async def codex_responses_sse(request: Request) -> Response:
    state: BackendState = request.app.state.backend
    headers = {k.lower(): v for k, v in request.headers.items()}
    caller, refusal, fields = await check_codex_request(state, headers, "sse")

    def log(outcome: str, **more: Any) -> None:
        state.log.record("sse_request", outcome, **{**fields, **more})

    if refusal is not None or caller is None:
        assert refusal is not None
        log("refused", status=refusal.status, reason=refusal.reason)
        return refusal_response(refusal)
    turn_header = {TURN_STATE_HEADER: caller.turn_state}
    if "content-encoding" in headers:  # OpenClaw's fallback compresses its body
        fields["content_encoding"] = headers["content-encoding"][:100]
    payload = await read_encoded_json_object(request, state.options.max_message_bytes)
    if isinstance(payload, errors.Refusal):
        log("invalid_request", status=payload.status, reason=payload.reason)
        return refusal_response(payload, turn_header)
    fields["body_fields"] = body_fields_of(payload)
    if payload.get("stream") is False:
        bad = errors.bad_request("Stream must be set to true", "invalid_value", "stream")
        log("invalid_request", status=400, reason="stream_false")
        return refusal_response(bad, turn_header)
    owner = caller.info.account_id or caller.fingerprint
    parsed = parse_turn_request(state, payload, owner)
    if isinstance(parsed, errors.Refusal):
        log("invalid_request", status=parsed.status, reason=parsed.reason)
        return refusal_response(parsed, turn_header)
    if is_prewarm(payload):
        return _prewarm_stream(state, parsed, owner, fields, turn_header)

    facts = caller.facts("sse", model=parsed.model, text=parsed.text)
    fields["paused_turn"] = await state.pauses.checkpoint("turn", facts)
    faults = state.faults.take("turn", facts, TURN_FAULT_KINDS)
    limited = [f for f in faults if f.kind == "rate_limited"]
    if limited:
        _, too_many = rate_limit_parts(state, limited[0].params)
        log("rate_limited", status=429, faults=[limited[0].fault_id], model=parsed.model)
        return refusal_response(too_many, turn_header)

    reply = state.replies.reply_for(
        account_id=caller.info.account_id,
        key_fingerprint=None,
        model=parsed.model,
        text=parsed.text,
    )
    scripted = reply is not None
    if reply is None:
        reply = default_codex_reply(parsed.model, parsed.text)
    player = TurnPlayer(
        state,
        parsed,
        reply,
        faults,
        owner,
        on_first_delta=lambda: state.pauses.checkpoint("stream", facts),
    )

    async def produce(emit: Emit) -> None:
        outcome = await player.play(emit)
        details: dict[str, Any] = {
            "status": 200,
            "model": parsed.model,
            "text": parsed.text[:200],
            "response_id": outcome.response_id,
            "previous_response_id": parsed.previous_response_id,
            "scripted": scripted or None,
            "faults": player.fault_ids() or None,
        }
        details.update(outcome.detail)
        log(outcome.outcome, **details)

    return StreamingResponse(
        stream_from(
            produce,
            on_abandon=lambda: log("client_closed", status=200, model=parsed.model),
        ),
        media_type="text/event-stream",
        headers={**turn_header, "cache-control": "no-cache"},
    )


def _prewarm_stream(
    state: BackendState,
    request: TurnRequest,
    owner: str,
    fields: dict[str, Any],
    turn_header: dict[str, str],
) -> Response:
    """A `"generate": false` request over SSE: no turn, no pause, fault or scripted reply."""
    player = TurnPlayer(state, request, "", [], owner)

    async def produce(emit: Emit) -> None:
        outcome = await player.prewarm(emit)
        state.log.record(
            "prewarm",
            outcome.outcome,
            **{
                **fields,
                "status": 200,
                "model": request.model,
                "response_id": outcome.response_id,
                "previous_response_id": request.previous_response_id,
            },
        )

    return StreamingResponse(
        stream_from(produce),
        media_type="text/event-stream",
        headers={**turn_header, "cache-control": "no-cache"},
    )
