"""Hostile inputs for hypothesis: JSON of every shape (deep, huge numbers, NaN and Infinity
literals, wrong types), arbitrary bytes, wrong content types and arbitrary headers."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def json_text(value: Any) -> bytes:
    return json.dumps(value).encode()


# Literal texts no encoder writes but a parser may meet.
NASTY_LITERALS = st.sampled_from(
    [
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b'{"seconds": NaN}',
        b'{"seconds": Infinity}',
        b'{"seconds": 1e400}',
        b'{"seconds": -1e400}',
        b'{"seconds": 1' + b"0" * 5000 + b"}",
        b"[" * 100_000,
        b"{" * 50_000,
        b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
        b"[" * 3000 + b"]" * 3000,
        b"\xff\xfe\x00\x00",
        b'{"a": "\xed\xa0\x80"}',
        b'"\\ud800"',
        b"",
        b"null",
        b"{}",
        b"[]",
        b"{" + b'"k": 1,' * 10_000 + b'"k": 2}',
    ]
)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def object_with(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects using the endpoint's real keys, with values of any type."""
    names = st.sampled_from(keys) | st.text(max_size=10) if keys else st.text(max_size=10)
    return st.dictionaries(names, JSON_VALUES, max_size=6)


def bodies(keys: list[str]) -> st.SearchStrategy[bytes]:
    """A request body: JSON with the real keys, any JSON, a nasty literal, or any bytes."""
    return st.one_of(
        object_with(keys).map(json_text),
        JSON_VALUES.map(json_text),
        NASTY_LITERALS,
        st.integers(min_value=1, max_value=60_000).map(nested),
        st.binary(max_size=300),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    )


def form_bodies(keys: list[str]) -> st.SearchStrategy[bytes]:
    """An urlencoded form using the real keys, with arbitrary (also repeated, broken) values."""
    pair = st.tuples(st.sampled_from(keys) | st.text(max_size=8), st.text(max_size=30))

    def encode(pairs: list[tuple[str, str]]) -> bytes:
        import urllib.parse

        return urllib.parse.urlencode(pairs).encode()

    return st.one_of(
        st.lists(pair, max_size=6).map(encode),
        st.binary(max_size=200),
        st.just(b"%zz=%"),
        st.just(b"a=" + b"%ff" * 100),
    )


CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/xml",
        "",
        "application/json; charset=latin-1",
        "APPLICATION/JSON",
        "*/*",
        "\u00e9/\u00e9",
    ]
)
HEADER_NAME = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz-ABCXYZ0123456789!#$%&'*+.^_`|~"),
    min_size=1,
    max_size=24,
).filter(lambda n: n.lower() not in {"content-length", "transfer-encoding", "host", "connection"})
HEADER_VALUE = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=200,
)
KNOWN_HEADERS = st.sampled_from(
    [
        "Authorization",
        "Origin",
        "Referer",
        "User-Agent",
        "originator",
        "ChatGPT-Account-ID",
        "OpenAI-Beta",
        "x-codex-turn-state",
        "Accept",
        "Accept-Encoding",
        "Cookie",
        "X-Gateway-Control",
        "Expect",
    ]
)
AUTHORIZATION = st.one_of(
    st.just("Bearer "),
    st.just("Bearer"),
    st.just("Basic Zm9vOmJhcg=="),
    HEADER_VALUE.map(lambda v: "Bearer " + v),
    st.just("Bearer " + "a" * 5000),
    st.just("Bearer eyJhbGciOiJub25lIn0.eyJleHAiOjF9."),
)


def headers() -> st.SearchStrategy[dict[str, str]]:
    """Arbitrary (legal on the wire) header names and values, known ones more often."""
    return st.dictionaries(
        st.one_of(KNOWN_HEADERS, HEADER_NAME), HEADER_VALUE, max_size=5
    ) | st.fixed_dictionaries({"Authorization": AUTHORIZATION})


def query_params(keys: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    return st.lists(st.tuples(st.sampled_from(keys) | st.text(max_size=8), st.text(max_size=40)))
