"""Request bodies: bounded reads and parameters from JSON or form encoding."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from starlette.requests import ClientDisconnect, Request

from fake_oauth_server.constants import MAX_BODY_BYTES
from fake_oauth_server.errors import OAuthError, invalid_request


def too_large() -> OAuthError:
    return OAuthError("invalid_request", f"request body larger than {MAX_BODY_BYTES} bytes", 413)


async def read_body(request: Request) -> bytes:
    """The body, refusing (413) anything over 64 KiB without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > MAX_BODY_BYTES:
                raise too_large()
        except ValueError:
            raise invalid_request("bad Content-Length") from None
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise too_large()
            chunks.append(chunk)
    except ClientDisconnect:
        # Gone, or timed out by the transport (which counts it): the answer reaches no one.
        raise invalid_request("the client left before the body was complete") from None
    return b"".join(chunks)


def _no_constants(name: str) -> Any:
    """NaN and Infinity are not JSON (Python accepts them; a clock set to inf would be a bug)."""
    raise ValueError(f"{name} is not valid JSON")


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise invalid_request("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise invalid_request("body must be a JSON object")
    return data


def body_format(request: Request, body: bytes) -> str:
    """How the parameters travel: `json` (Codex CLI) or `form` (anything else is refused)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json" or (not ctype and body[:1] == b"{"):
        return "json"
    return "form"


def parse_params(request: Request, body: bytes) -> dict[str, str]:
    """OAuth parameters from a JSON object (Codex CLI) or a form (RFC 6749, Hermes)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body_format(request, body) == "json":
        data = parse_json_object(body)
        params: dict[str, str] = {}
        for key, value in data.items():
            if value is None:
                continue
            if not isinstance(value, str):
                raise invalid_request(f"parameter {key!r} must be a string")
            params[key] = value
        return params
    if ctype in ("application/x-www-form-urlencoded", ""):
        try:
            text = body.decode("utf-8")
            pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            raise invalid_request("body is not a valid form") from None
        params = {}
        for key, value in pairs:
            if key in params:
                raise invalid_request(f"parameter {key!r} given more than once")
            params[key] = value
        return params
    raise invalid_request(f"unsupported content type {ctype!r}")
