"""What one adversarial case came to, by the rule of issue 12: a 2xx, or a 4xx with a JSON error
body; never a 5xx, a dropped connection, a hang, a traceback or unbounded memory."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    OK = "2xx"
    REDIRECT = "3xx"
    CLIENT_JSON = "4xx JSON"
    CLIENT_NOT_JSON = "4xx not JSON"
    CLIENT_PAGE = "4xx page"  # an HTML error page: right only on pages a person uses
    SERVER_ERROR = "5xx"
    CLOSED = "closed"
    HANG = "hang"
    TRACEBACK = "traceback"
    UNBOUNDED = "unbounded"
    WORKED = "worked"  # a local command the hostile file did not concern succeeded
    CLEAR_ERROR = "clear error"  # a local command: exit 1 or 2, naming the file or setting
    UNCLEAR_ERROR = "unclear error"  # a local command that failed some other way


# The outcomes that break the rule wherever they occur.
FAILURES = frozenset(
    {
        Outcome.CLIENT_NOT_JSON,
        Outcome.SERVER_ERROR,
        Outcome.HANG,
        Outcome.TRACEBACK,
        Outcome.UNBOUNDED,
        Outcome.UNCLEAR_ERROR,
    }
)


def json_error_body(body: bytes) -> Any:
    """The parsed body if it is a JSON object carrying an `error`, else None."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if isinstance(data, dict) and "error" in data:
        return data
    return None


def classify(status: int, body: bytes, content_type: str = "") -> Outcome:
    if 200 <= status < 300:
        return Outcome.OK
    if 300 <= status < 400:
        return Outcome.REDIRECT
    if 400 <= status < 500:
        if json_error_body(body) is not None:
            return Outcome.CLIENT_JSON
        if content_type.lower().startswith("text/html"):
            return Outcome.CLIENT_PAGE
        return Outcome.CLIENT_NOT_JSON
    return Outcome.SERVER_ERROR
