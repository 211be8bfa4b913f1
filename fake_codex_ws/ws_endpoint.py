"""`wss://…/backend-api/codex/responses`: checks at the upgrade, then turns on one socket."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from fake_codex_ws import errors
from fake_codex_ws.authority import AuthorityError, Presenter
from fake_codex_ws.handshake import TURN_STATE_HEADER, Caller, bearer_token, check_codex_request
from fake_codex_ws.replies import default_codex_reply
from fake_codex_ws.state import BackendState, OpenSocket
from fake_codex_ws.turns import (
    TURN_FAULT_KINDS,
    TurnPlayer,
    TurnRequest,
    body_fields_of,
    is_prewarm,
    parse_turn_request,
)


def refusal_response(refusal: errors.Refusal, extra: dict[str, str] | None = None) -> JSONResponse:
    headers = dict(refusal.headers)
    headers.update(extra or {})
    return JSONResponse(refusal.body, status_code=refusal.status, headers=headers)


def _invalid_frame(message: str, code: str) -> dict[str, Any]:
    return {
        "type": "error",
        "status": 400,
        "error": {"type": "invalid_request_error", "code": code, "message": message},
    }


class _SocketSession:
    """The life of one accepted socket: read a message, play a turn, repeat."""

    def __init__(
        self,
        state: BackendState,
        websocket: WebSocket,
        caller: Caller,
        sock: OpenSocket,
        token: str,
    ) -> None:
        self.state = state
        self.ws = websocket
        self.caller = caller
        self.sock = sock
        self.token = token  # asked about again before every turn

    def _log(self, type_: str, outcome: str, **fields: Any) -> None:
        self.state.log.record(
            type_,
            outcome,
            transport="ws",
            socket_id=self.sock.socket_id,
            **self.caller.log_fields(),
            **fields,
        )

    async def _send(self, event: dict[str, Any]) -> None:
        await self.ws.send_text(json.dumps(event, separators=(",", ":")))

    async def run(self) -> None:
        closer = asyncio.ensure_future(self.sock.close_requested.wait())
        try:
            while True:
                receiver = asyncio.ensure_future(self.ws.receive())
                done, _ = await asyncio.wait(
                    {receiver, closer}, return_when=asyncio.FIRST_COMPLETED
                )
                if closer in done:
                    receiver.cancel()
                    self._log("ws_closed", "closed_by_admin", close_code=self.sock.close_code)
                    await self.ws.close(self.sock.close_code)
                    return
                message = receiver.result()
                if message["type"] == "websocket.disconnect":
                    code = message.get("code", 1000)
                    outcome = "message_too_big" if code == 1009 else "client_closed"
                    if code == 1007:
                        outcome = "invalid_utf8"
                    self._log("ws_closed", outcome, close_code=code)
                    return
                if not await self._handle(message):
                    return
        except WebSocketDisconnect as exc:
            self._log("ws_closed", "client_closed", close_code=exc.code)
        finally:
            closer.cancel()

    async def _handle(self, message: Any) -> bool:
        """Handle one client message; False once the socket is done."""
        text = message.get("text")
        if text is None:
            await self._send(
                _invalid_frame(
                    "Binary frames are not supported; send JSON text frames.", "invalid_frame"
                )
            )
            self._log("ws_message", "binary_frame", close_code=1003)
            await self.ws.close(1003, "binary frames are not supported")
            return False
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError):
            await self._send(_invalid_frame("The message is not valid JSON.", "invalid_json"))
            self._log("ws_message", "invalid_json", close_code=1007)
            await self.ws.close(1007, "message is not valid JSON")
            return False
        if not isinstance(payload, dict):
            await self._send(_invalid_frame("A message must be a JSON object.", "invalid_message"))
            self._log("ws_message", "not_an_object")
            return True
        kind = payload.get("type")
        if kind != "response.create":
            shown = kind if isinstance(kind, str) else json.dumps(kind)
            await self._send(
                _invalid_frame(
                    f"Unsupported message type '{shown[:100]}'; expected 'response.create'.",
                    "unknown_message_type",
                )
            )
            self._log("ws_message", "unknown_type", message_type=str(shown)[:100])
            return True
        return await self._turn(payload)

    async def _turn(self, payload: dict[str, Any]) -> bool:
        state = self.state
        # A prewarm is no turn: it takes no turn number, pause, fault or scripted reply.
        prewarm = is_prewarm(payload)
        kind = "prewarm" if prewarm else "ws_turn"
        turn_no: int | None = None
        if not prewarm:
            self.sock.turns += 1
            turn_no = self.sock.turns
        # The connection limit, on the virtual clock.
        if state.clock.now() - self.sock.opened_at >= self.sock.limit_seconds:
            await self._send(errors.connection_limit_frame())
            self._log(kind, "connection_limit_reached", turn=turn_no, close_code=1000)
            await self.ws.close(1000, "connection limit reached")
            return False
        if not prewarm:
            model = payload.get("model")
            early = self.caller.facts("ws", model=model if isinstance(model, str) else None)
            paused = await state.pauses.checkpoint("turn", early)
            if paused is not None:
                self._log("ws_pause", "released", turn=turn_no, pause_id=paused, step="turn")
        # The token is asked about again on every turn: a revoked family must show here.
        try:
            presenter = Presenter(None, self.caller.originator, self.caller.user_agent)
            info = await state.authority.introspect(self.token, presenter)
        except AuthorityError as exc:
            refusal = errors.authority_unavailable_refusal(str(exc))
            await self._send(errors.error_frame(refusal))
            self._log(kind, "authority_error", turn=turn_no, status=503, detail=str(exc))
            return True
        if info.status != "active":
            refusal = errors.token_refusal(info.status)
            await self._send(errors.error_frame(refusal))
            self._log(
                kind,
                "refused",
                turn=turn_no,
                status=401,
                reason=refusal.reason,
                token_status_now=info.status,
                close_code=1008,
            )
            await self.ws.close(1008, "authentication token is no longer valid")
            return False
        owner = self.caller.info.account_id or self.caller.fingerprint
        parsed = parse_turn_request(state, payload, owner)
        if isinstance(parsed, errors.Refusal):
            await self._send(errors.error_frame(parsed))
            self._log(kind, "invalid_request", turn=turn_no, status=400, reason=parsed.reason)
            return True
        if turn_no is None:
            return await self._prewarm(parsed, body_fields_of(payload))
        return await self._play(parsed, turn_no, body_fields_of(payload))

    async def _prewarm(self, request: TurnRequest, body_fields: list[str]) -> bool:
        owner = self.caller.info.account_id or self.caller.fingerprint
        player = TurnPlayer(self.state, request, "", [], owner)
        outcome = await player.prewarm(self._send)
        self._log(
            "prewarm",
            outcome.outcome,
            model=request.model,
            response_id=outcome.response_id,
            previous_response_id=request.previous_response_id,
            body_fields=body_fields,
        )
        return True

    async def _play(self, request: TurnRequest, turn_no: int, body_fields: list[str]) -> bool:
        state = self.state
        facts = self.caller.facts("ws", model=request.model, text=request.text)
        faults = state.faults.take("turn", facts, TURN_FAULT_KINDS)
        reply = state.replies.reply_for(
            account_id=self.caller.info.account_id,
            key_fingerprint=None,
            model=request.model,
            text=request.text,
        )
        scripted = reply is not None
        if reply is None:
            reply = default_codex_reply(request.model, request.text)
        owner = self.caller.info.account_id or self.caller.fingerprint
        player = TurnPlayer(
            state,
            request,
            reply,
            faults,
            owner,
            on_first_delta=lambda: state.pauses.checkpoint("stream", facts),
        )
        outcome = await player.play(self._send)
        self._log(
            "ws_turn",
            outcome.outcome,
            turn=turn_no,
            model=request.model,
            text=request.text[:200],
            response_id=outcome.response_id,
            previous_response_id=request.previous_response_id,
            scripted=scripted or None,
            faults=player.fault_ids() or None,
            close_code=outcome.close.code if outcome.close else None,
            body_fields=body_fields,
            **outcome.detail,
        )
        if outcome.close is not None:
            if outcome.close.abrupt:
                # Returning without a close frame makes the server drop the TCP connection.
                return False
            await self.ws.close(outcome.close.code, "stream closed before response.completed")
            return False
        return True


async def codex_websocket(websocket: WebSocket) -> None:
    """The Starlette endpoint: refuse before the upgrade, or accept and serve turns."""
    state: BackendState = websocket.app.state.backend
    headers = {k.lower(): v for k, v in websocket.headers.items()}
    caller, refusal, fields = await check_codex_request(state, headers, "ws")
    if refusal is not None or caller is None:
        assert refusal is not None
        state.log.record(
            "ws_handshake", "refused", status=refusal.status, reason=refusal.reason, **fields
        )
        await websocket.send_denial_response(refusal_response(refusal))
        return
    limit = state.options.connection_limit_seconds
    for fault in caller.connect_faults:
        if fault.kind == "connection_limit":
            limit = float(fault.params["after_seconds"])
    sock = state.open_socket(
        fingerprint=caller.fingerprint,
        account_id=caller.info.account_id,
        family_id=caller.info.family_id,
        originator=caller.originator,
        limit_seconds=limit,
    )
    state.log.record("ws_handshake", "accepted", status=101, socket_id=sock.socket_id, **fields)
    try:
        await websocket.accept(headers=[(TURN_STATE_HEADER.encode(), caller.turn_state.encode())])
        token = bearer_token(headers)
        assert token is not None  # the checks passed, so the header is there
        await _SocketSession(state, websocket, caller, sock, token).run()
    finally:
        state.forget_socket(sock)
