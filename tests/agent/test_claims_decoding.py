"""Reading JWT payloads without a crypto stack: the same claims PyJWT reads, and `None` (never an
exception) for anything that is not a compact JWS of JSON objects."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.auth.claims import decode_payload

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KEY = "a key of 32 bytes, never checked"  # clients never check the signature
PAYLOADS = st.dictionaries(st.text(max_size=12), JSON_VALUES, max_size=6)


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@settings(max_examples=300, deadline=None)
@given(PAYLOADS)
def test_the_payload_is_what_pyjwt_reads(payload: dict[str, Any]) -> None:
    token = jwt.encode(payload, KEY, algorithm="HS256")
    expected = jwt.decode(token, options={"verify_signature": False})
    assert decode_payload(token) == expected


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_a_payload_or_none(text: str) -> None:
    result = decode_payload(text)
    assert result is None or isinstance(result, dict)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES.filter(lambda v: not isinstance(v, dict)), st.binary(max_size=40))
def test_a_payload_that_is_not_an_object_is_none(value: Any, signature: bytes) -> None:
    header = _segment(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _segment(json.dumps(value).encode())
    assert decode_payload(f"{header}.{body}.{_segment(signature)}") is None


def test_broken_forms_are_none() -> None:
    good = jwt.encode({"email": "ada@example.com"}, KEY, algorithm="HS256")
    header, body, signature = good.split(".")
    for broken in [
        "",
        good + ".extra",
        f"{header}.{body}",
        f"{header}.{body}.{signature}!",  # not base64url
        f"{header}.{body}+/.{signature}",  # standard base64, not url-safe
        f"{header}.{_segment(b'[' * 100_000)}.{signature}",  # nested too deep
        f"{_segment(b'not json')}.{body}.{signature}",
        f"{header}.{_segment(bytes([0xFF, 0xFE]))}.{signature}",  # not UTF-8
        "é.é.é",
    ]:
        assert decode_payload(broken) is None, broken
    assert decode_payload(good) == {"email": "ada@example.com"}
