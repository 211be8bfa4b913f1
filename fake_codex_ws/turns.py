"""One Responses turn: the request it reads, the events it streams, the faults it plays.

The same sequence goes over a socket (one JSON text frame per event) and over SSE.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fake_codex_ws import errors
from fake_codex_ws.errors import Refusal
from fake_codex_ws.faults import Fault
from fake_codex_ws.replies import InputError, approx_tokens, responses_user_text, split_deltas
from fake_codex_ws.state import BackendState

Emit = Callable[[dict[str, Any]], Awaitable[None]]

TURN_FAULT_KINDS = frozenset(
    {"close_before_completed", "error_frame", "response_failed", "rate_limited", "slow_stream"}
)

FAILED_MESSAGES = {
    "context_length_exceeded": (
        "Your input exceeds the context window of this model. "
        "Please adjust your input and try again."
    ),
    "insufficient_quota": (
        "You exceeded your current quota, please check your plan and billing details."
    ),
    "usage_not_included": (
        "Your ChatGPT plan does not include Codex usage. Upgrade your plan to continue."
    ),
    "rate_limit_exceeded": "Rate limit reached. Please try again in 11.054s.",
    "server_error": "An error occurred while processing your request. Please retry.",
}


@dataclass(frozen=True)
class TurnRequest:
    """The fields of `response.create` (or of a POST body) the backend acts on."""

    model: str
    text: str
    previous_response_id: str | None
    input_tokens: int


@dataclass(frozen=True)
class CloseAction:
    code: int
    abrupt: bool


@dataclass
class TurnOutcome:
    outcome: str
    response_id: str | None = None
    close: CloseAction | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _count_input_tokens(input_: Any) -> int:
    if isinstance(input_, str):
        return approx_tokens(input_)
    total = 0
    if isinstance(input_, list):
        for item in input_:
            if isinstance(item, dict):
                content = item.get("content")
                if isinstance(content, str):
                    total += approx_tokens(content)
                elif isinstance(content, list):
                    for part in content:
                        if isinstance(part, dict) and isinstance(part.get("text"), str):
                            total += approx_tokens(part["text"])
    return total


def parse_turn_request(
    state: BackendState, payload: dict[str, Any], owner: str
) -> TurnRequest | Refusal:
    """Validate a Responses request body; a Refusal says what is wrong, as the API would."""
    model = payload.get("model")
    if not isinstance(model, str) or not model.strip():
        return errors.bad_request(
            "Missing required parameter: 'model'.", "missing_required_parameter", "model"
        )
    if "input" not in payload:
        return errors.bad_request(
            "Missing required parameter: 'input'.", "missing_required_parameter", "input"
        )
    try:
        text = responses_user_text(payload["input"])
    except InputError as exc:
        return errors.bad_request(f"Invalid 'input': {exc}.", "invalid_value", "input")
    previous = payload.get("previous_response_id")
    if previous is not None and (
        not isinstance(previous, str) or state.response_owner(previous) != owner
    ):
        shown = previous if isinstance(previous, str) else type(previous).__name__
        return errors.bad_request(
            f"Previous response with id '{shown}' not found.",
            "previous_response_not_found",
            "previous_response_id",
        )
    return TurnRequest(
        model=model,
        text=text,
        previous_response_id=previous,
        input_tokens=_count_input_tokens(payload["input"]),
    )


# The top-level field names of a request body, recorded so clients can be compared on the wire;
# the caller chooses them, so at most this many.
BODY_FIELD_NAMES = 32


def body_fields_of(payload: dict[str, Any]) -> list[str]:
    """The body's top-level field names, sorted (never their values)."""
    return sorted(str(name) for name in payload)[:BODY_FIELD_NAMES]


def is_prewarm(payload: dict[str, Any]) -> bool:
    """`"generate": false`: the Codex CLI's (0.169.0) first message on a socket, warming the
    context with `input: []`. Answered with no output, and not counted as a turn."""
    return payload.get("generate") is False


def rate_limit_parts(state: BackendState, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal]:
    """The `codex.rate_limits` event and the 429 that follow a usage limit."""
    now = state.clock.now()
    resets_at = int(now + params["resets_in"])
    used = float(params["used_percent"])
    window = int(params["window_minutes"])
    event = {
        "type": "codex.rate_limits",
        "plan_type": params["plan_type"],
        "rate_limits": {
            "primary": {"used_percent": used, "window_minutes": window, "reset_at": resets_at},
            "secondary": None,
        },
        "credits": {"has_credits": False, "unlimited": False, "balance": None},
    }
    headers = {
        "x-codex-primary-used-percent": f"{used:.1f}",
        "x-codex-primary-window-minutes": str(window),
        "x-codex-primary-reset-at": str(resets_at),
    }
    refusal = Refusal(
        429,
        errors.error_body(
            "The usage limit has been reached",
            None,
            type_="usage_limit_reached",
            plan_type=params["plan_type"],
            resets_at=resets_at,
            resets_in_seconds=int(params["resets_in"]),
        ),
        reason="usage_limit_reached",
        headers=headers,
    )
    return event, refusal


class TurnPlayer:
    """Streams one turn through `emit`, applying the faults armed for it."""

    def __init__(
        self,
        state: BackendState,
        request: TurnRequest,
        reply: str,
        faults: list[Fault],
        owner: str,
        on_first_delta: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.state = state
        self.request = request
        self.reply = reply
        self.owner = owner
        self.on_first_delta = on_first_delta
        self.faults = {f.kind: f for f in faults}
        slow = self.faults.get("slow_stream")
        self.delay = float(slow.params["delay"]) if slow else 0.0
        self._seq = 0

    def fault_ids(self) -> list[str]:
        return [f.fault_id for f in self.faults.values()]

    async def _send(self, emit: Emit, event: dict[str, Any]) -> None:
        if self.delay and self._seq:
            await asyncio.sleep(self.delay)
        event["sequence_number"] = self._seq
        self._seq += 1
        await emit(event)

    def _response(self, response_id: str, status: str, **more: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": response_id,
            "object": "response",
            "created_at": int(self.state.clock.now()),
            "status": status,
            "model": self.request.model,
            "previous_response_id": self.request.previous_response_id,
            "output": [],
            "usage": None,
            "error": None,
        }
        body.update(more)
        return body

    async def prewarm(self, emit: Emit) -> TurnOutcome:
        """`response.created`, then `response.completed` with no output: what the real
        service answers to `"generate": false`. Its id may be the next turn's
        `previous_response_id`."""
        response_id = self.state.ids.new("resp")
        await self._send(
            emit,
            {"type": "response.created", "response": self._response(response_id, "in_progress")},
        )
        usage = {
            "input_tokens": self.request.input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 0,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": self.request.input_tokens,
        }
        self.state.remember_response(response_id, self.owner)
        await self._send(
            emit,
            {
                "type": "response.completed",
                "response": self._response(response_id, "completed", usage=usage),
            },
        )
        return TurnOutcome("prewarmed", response_id)

    async def play(self, emit: Emit) -> TurnOutcome:
        state = self.state
        if "error_frame" in self.faults:
            p = self.faults["error_frame"].params
            message = p["message"] or FAILED_MESSAGES.get(p["code"], "The server had an error.")
            frame = {
                "type": "error",
                "status": p["status"],
                "error": {"type": p["error_type"], "code": p["code"], "message": message},
            }
            await emit(frame)
            return TurnOutcome("error_frame", detail={"status": p["status"], "code": p["code"]})
        if "rate_limited" in self.faults:
            event, refusal = rate_limit_parts(state, self.faults["rate_limited"].params)
            await emit(event)
            await emit(errors.error_frame(refusal))
            return TurnOutcome("rate_limited", detail={"status": 429})

        response_id = state.ids.new("resp")
        message_id = state.ids.new("msg")
        await self._send(
            emit,
            {
                "type": "response.created",
                "response": self._response(response_id, "in_progress"),
            },
        )
        if "response_failed" in self.faults:
            code = self.faults["response_failed"].params["code"]
            message = self.faults["response_failed"].params["message"] or FAILED_MESSAGES.get(
                code, f"The response failed ({code})."
            )
            await self._send(
                emit,
                {
                    "type": "response.failed",
                    "response": self._response(
                        response_id, "failed", error={"code": code, "message": message}
                    ),
                },
            )
            return TurnOutcome("failed", response_id, detail={"code": code})

        await self._send(
            emit,
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {
                    "id": message_id,
                    "type": "message",
                    "status": "in_progress",
                    "role": "assistant",
                    "content": [],
                },
            },
        )
        close = self.faults.get("close_before_completed")
        deltas = split_deltas(self.reply, state.options.deltas_per_reply)
        for sent, delta in enumerate(deltas):
            if close is not None and sent >= close.params["after_deltas"]:
                break
            await self._send(
                emit,
                {
                    "type": "response.output_text.delta",
                    "item_id": message_id,
                    "output_index": 0,
                    "content_index": 0,
                    "delta": delta,
                },
            )
            if sent == 0 and self.on_first_delta is not None:
                await self.on_first_delta()
        if close is not None:
            action = CloseAction(int(close.params["close_code"]), bool(close.params["abrupt"]))
            return TurnOutcome(
                "closed_before_completed",
                response_id,
                close=action,
                detail={"after_deltas": min(len(deltas), close.params["after_deltas"])},
            )
        item = {
            "id": message_id,
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": self.reply, "annotations": []}],
        }
        await self._send(
            emit, {"type": "response.output_item.done", "output_index": 0, "item": item}
        )
        output_tokens = approx_tokens(self.reply)
        usage = {
            "input_tokens": self.request.input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": self.request.input_tokens + output_tokens,
        }
        state.remember_response(response_id, self.owner)
        await self._send(
            emit,
            {
                "type": "response.completed",
                "response": self._response(response_id, "completed", output=[item], usage=usage),
            },
        )
        return TurnOutcome("completed", response_id, detail={"deltas": len(deltas)})
