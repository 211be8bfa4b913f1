"""Reading a JSON request body without ever crashing on what a client sends."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import ClientDisconnect, Request

from fake_codex_ws import errors
from fake_codex_ws.body_encoding import decode_body
from fake_codex_ws.errors import Refusal


def _too_large(limit: int) -> Refusal:
    return Refusal(
        413,
        errors.error_body(f"Request body is larger than {limit} bytes.", "request_too_large"),
        reason="request_too_large",
    )


async def _read_body(request: Request, limit: int) -> bytes | Refusal:
    """The body, refusing one declared or found larger than `limit` before reading it all."""
    try:
        declared = int(request.headers.get("content-length", "0"))
    except ValueError:
        return errors.bad_request("The Content-Length header is not a number.", "invalid_request")
    if declared > limit:
        return _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return _too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        # Gone, or timed out by the transport (which counts it): the answer reaches no one.
        return errors.bad_request(
            "The client left before the body was complete.", "client_disconnected"
        )
    return b"".join(chunks)


async def read_json_object(request: Request, limit: int) -> dict[str, Any] | Refusal:
    """The body as a JSON object, or a 400/413 refusal saying what is wrong with it."""
    body = await _read_body(request, limit)
    if isinstance(body, Refusal):
        return body
    return _json_object(body)


async def read_encoded_json_object(request: Request, limit: int) -> dict[str, Any] | Refusal:
    """The same, for a body that may be compressed (`Content-Encoding`): `limit` bounds the body
    as sent and as decompressed; 415 for an encoding that is not supported."""
    body = await _read_body(request, limit)
    if isinstance(body, Refusal):
        return body
    decoded = decode_body(body, request.headers.get("content-encoding"), limit)
    if isinstance(decoded, Refusal):
        return decoded
    return _json_object(decoded)


def _json_object(body: bytes) -> dict[str, Any] | Refusal:
    if not body.strip():
        return errors.bad_request("The request body is empty; send a JSON object.", "invalid_json")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return errors.bad_request(
            "We could not parse the JSON body of your request. The body must be valid JSON.",
            "invalid_json",
        )
    if not isinstance(payload, dict):
        return errors.bad_request("The JSON body must be an object.", "invalid_json")
    return payload
