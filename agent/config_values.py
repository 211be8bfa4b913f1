"""Checks shared by every table of config.toml: a value in its range, or a `ConfigError`.

Each setting is checked once, at load, against the range where it means something, so that
nothing that passes can fail later: a `nan` or `1e308` timeout (OverflowError deep inside a
socket or a lock), a header value with a line break or a non-ASCII letter (httpx and
websockets refuse it mid-request), a URL with a bad port, a path with a NUL byte. Errors show
the value bounded in size and depth, so a hostile value cannot make the message itself fail.
"""

from __future__ import annotations

import math
import re
import reprlib
from urllib.parse import urlsplit

from agent.errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see agent.cli)
if TYPE_CHECKING:
    from typing import Any

_SHOWN = reprlib.Repr()
_SHOWN.maxlevel = 2
_SHOWN.maxstring = 60
_SHOWN.maxother = 60
_SHOWN.maxlist = 4
_SHOWN.maxdict = 4

_BARE_KEY = re.compile(r"[A-Za-z0-9_.\[\]-]{1,80}")
# What an HTTP header value may hold without any client refusing it: visible ASCII and
# spaces (RFC 9110 field-vchar without obs-text), none at either end.
_HEADER_VALUE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
MAX_HEADER_VALUE = 200
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")


def shown(value: Any) -> str:
    """`repr(value)`, cut short: safe for a 10 MB string or a list nested 10,000 deep."""
    try:
        return _SHOWN.repr(value)
    except (ValueError, RecursionError):
        return f"a {type(value).__name__}"


def key_name(key: str) -> str:
    """A key as written in an error: as is when plain, quoted and cut short otherwise."""
    return key if _BARE_KEY.fullmatch(key) else shown(key)


def text(value: Any, key: str, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(source, key, f"must be a non-empty string, got {shown(value)}")
    return value.strip()


def number(value: Any, key: str, source: str, low: float, high: float, unit: str = "") -> float:
    """A finite number in [low, high]; a string holding one (an environment variable) too."""
    allowed = f"a number from {low:g} to {high:g}{unit}"
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(source, key, f"must be {allowed}, got {shown(value)}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(source, key, f"must be {allowed}, got {shown(value)}")
    try:
        in_range = math.isfinite(value) and low <= value <= high
    except OverflowError:  # an int too large for a float
        in_range = False
    if not in_range:
        raise ConfigError(source, key, f"must be {allowed}, got {shown(value)}")
    return float(value)


def whole_number(value: Any, key: str, source: str, low: int, high: int, what: str = "") -> int:
    """An integer in [low, high]; a string of decimal digits (an environment variable) too."""
    allowed = what or f"a whole number from {low} to {high}"
    if isinstance(value, str):
        digits = value.strip()
        if digits.isascii() and digits.isdigit() and len(digits) <= 20:
            value = int(digits)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(source, key, f"must be {allowed}, got {shown(value)}")
    return value


def header_value(value: Any, key: str, source: str) -> str:
    """A string sent as an HTTP header value: visible ASCII, at most `MAX_HEADER_VALUE` long."""
    result = text(value, key, source)
    if len(result) > MAX_HEADER_VALUE or not _HEADER_VALUE.fullmatch(result):
        raise ConfigError(
            source,
            key,
            f"is sent as an HTTP header, so it must be at most {MAX_HEADER_VALUE} visible ASCII "
            f"characters (no line breaks, tabs or non-ASCII letters), got {shown(result)}",
        )
    return result


def is_header_value(value: str) -> bool:
    """Whether httpx and websockets can send `value` as a header value as it is."""
    return len(value) <= 8192 and _HEADER_VALUE.fullmatch(value) is not None


def url(value: Any, key: str, source: str) -> str:
    """An http(s) base URL: no spaces or control characters, a host, a valid port, no extras."""
    result = text(value, key, source).rstrip("/")
    if _URL_FORBIDDEN.search(result):
        raise ConfigError(
            source, key, f"must be a URL without spaces or control characters, got {shown(result)}"
        )
    parts = urlsplit(result)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(source, key, f"must be an http(s) URL, got {shown(result)}")
    try:
        parts.port  # noqa: B018 (parsing the port is the check)
    except ValueError:
        raise ConfigError(source, key, f"has an invalid port, got {shown(result)}") from None
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(source, key, "must not carry a query, a fragment or credentials")
    return result


def path_text(value: Any, key: str, source: str) -> str:
    """A file or folder name: a non-empty string that the OS can take (no NUL byte)."""
    result = text(value, key, source)
    if "\x00" in result:
        raise ConfigError(source, key, "must be a path without NUL bytes")
    return result
