"""A request body as a JSON object, or the 400 that says why not."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from agent.local_http.refusal import Refusal


def json_object(raw: bytes) -> dict[str, Any]:
    """Parse `raw` (UTF-8 JSON); anything but an object is a `Refusal` (400), never a crash.

    The decoder recurses once per level of nesting: a body of 100,000 `[` raises
    RecursionError, which is bad input like any other.
    """
    try:
        body = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise Refusal(
            HTTPStatus.BAD_REQUEST, "invalid_json", "the body is nested too deeply"
        ) from None
    except (UnicodeDecodeError, ValueError):
        raise Refusal(
            HTTPStatus.BAD_REQUEST, "invalid_json", "the body must be a JSON object"
        ) from None
    if not isinstance(body, dict):
        raise Refusal(HTTPStatus.BAD_REQUEST, "invalid_json", "the body must be a JSON object")
    return body
