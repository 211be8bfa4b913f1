"""`Content-Encoding` on the SSE endpoint: zstd bodies (OpenClaw's fallback transport) are read
like plain ones; a bomb, a broken frame or an unknown encoding get a JSON refusal, never a 500."""

from __future__ import annotations

import json

import httpx
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_codex_ws.body_encoding import MAX_WINDOW_BYTES, decode_body
from fake_codex_ws.errors import Refusal
from fake_codex_ws.probe import codex_headers, parse_sse, reply_text, response_create

LIMIT = 1024 * 1024  # the backend's default max_message_bytes


@pytest.fixture
def http(backend, tls_context):
    with httpx.Client(verify=tls_context, timeout=30) as client:
        yield client


def post_encoded(http, backend, token, body: bytes, encoding: str) -> httpx.Response:
    headers = codex_headers(token, "acc_1", beta=None)
    headers |= {
        "Accept": "text/event-stream",
        "Content-Type": "application/json",
        "Content-Encoding": encoding,
    }
    return http.post(f"{backend.base_url}/responses", headers=headers, content=body)


def zstd(data: bytes, **options) -> bytes:
    return zstandard.ZstdCompressor(**options).compress(data)


def streamed_zstd(data: bytes) -> bytes:
    """As a streaming encoder writes it (Node's zlib stream): no content size in the header."""
    compressor = zstandard.ZstdCompressor(write_content_size=False).compressobj()
    return compressor.compress(data) + compressor.flush()


def request_body(text: str) -> bytes:
    return json.dumps(response_create(text)).encode()


@pytest.mark.parametrize("encode", [zstd, streamed_zstd], ids=["one-shot", "streamed"])
def test_a_zstd_body_is_answered_like_a_plain_one(backend, authority, http, encode):
    token = authority.issue("acc_1")
    answer = post_encoded(http, backend, token, encode(request_body("squeezed")), "zstd")
    assert answer.status_code == 200, answer.text
    assert reply_text(parse_sse(answer.text)) == "codex[gpt-5-codex]: you said: squeezed"
    (event,) = [e for e in backend.admin.events() if e["type"] == "sse_request"]
    assert event["content_encoding"] == "zstd"
    assert event["outcome"] == "completed"


def test_encoding_names_are_read_as_http_reads_them(backend, authority, http):
    token = authority.issue("acc_1")
    for name in ("ZSTD", "identity, zstd", "zstd,identity"):
        answer = post_encoded(http, backend, token, zstd(request_body(name)), name)
        assert answer.status_code == 200, (name, answer.text)
    plain = post_encoded(http, backend, token, request_body("as is"), "identity")
    assert plain.status_code == 200


def test_a_zstd_bomb_is_refused_with_413_before_it_is_inflated(backend, authority, http):
    token = authority.issue("acc_1")
    bomb = zstd(b" " * (64 * LIMIT), level=19)  # 64 MiB of blanks in a few KiB
    assert len(bomb) < 16 * 1024
    answer = post_encoded(http, backend, token, bomb, "zstd")
    assert answer.status_code == 413
    error = answer.json()["error"]
    assert error["code"] == "request_too_large"
    assert error["message"] == f"The decompressed request body is larger than {LIMIT} bytes."


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (zstd(request_body("cut"))[:-4], "the frame ends early (truncated)"),
        (b"{not zstd at all}", "Unknown frame descriptor"),
    ],
    ids=["truncated", "not-zstd"],
)
def test_a_broken_zstd_body_gets_a_400_naming_the_encoding(backend, authority, http, body, why):
    token = authority.issue("acc_1")
    answer = post_encoded(http, backend, token, body, "zstd")
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid_content_encoding"
    assert error["message"].startswith("The request body could not be decoded as zstd: ")
    assert why in error["message"]


def test_a_zstd_body_that_is_not_json_is_still_invalid_json(backend, authority, http):
    token = authority.issue("acc_1")
    answer = post_encoded(http, backend, token, zstd(b"{not json"), "zstd")
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_json")


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd, gzip", "x-custom"])
def test_an_unknown_encoding_gets_a_415_naming_it(backend, authority, http, encoding):
    token = authority.issue("acc_1")
    answer = post_encoded(http, backend, token, request_body("x"), encoding)
    assert answer.status_code == 415
    error = answer.json()["error"]
    assert error["code"] == "unsupported_content_encoding"
    named = next(c.strip() for c in encoding.split(",") if c.strip() != "zstd")
    assert error["message"].startswith(f"Content-Encoding {named!r} is not supported")


# --- the decoder on its own ---------------------------------------------------------------


def test_a_frame_asking_for_a_huge_window_is_refused_not_allocated() -> None:
    params = zstandard.ZstdCompressionParameters(window_log=27)  # 128 MiB
    compressor = zstandard.ZstdCompressor(compression_params=params).compressobj()
    body = compressor.compress(b"x" * 100) + compressor.flush()
    assert MAX_WINDOW_BYTES < 1 << 27
    refused = decode_body(body, "zstd", LIMIT)
    assert isinstance(refused, Refusal)
    assert (refused.status, refused.code) == (400, "invalid_content_encoding")


def test_frames_one_after_another_are_one_body() -> None:
    assert decode_body(zstd(b"ab") + streamed_zstd(b"cd"), "zstd", 10) == b"abcd"


def test_the_limit_counts_the_decompressed_bytes() -> None:
    assert decode_body(zstd(b"x" * 100), "zstd", 100) == b"x" * 100
    refused = decode_body(zstd(b"x" * 101), "zstd", 100)
    assert isinstance(refused, Refusal)
    assert refused.status == 413


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048), st.sampled_from(["zstd", "identity", "gzip", "zstd, zstd"]))
def test_any_body_decodes_or_is_refused_within_the_limit(body: bytes, encoding: str) -> None:
    decoded = decode_body(body, encoding, 4096)
    if isinstance(decoded, Refusal):
        assert decoded.status in (400, 413, 415)
        assert decoded.code in (
            "invalid_content_encoding",
            "request_too_large",
            "unsupported_content_encoding",
        )
    else:
        assert len(decoded) <= 4096


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=4096))
def test_whatever_is_compressed_comes_back_whole(data: bytes) -> None:
    assert decode_body(zstd(data), "zstd", 4096) == data
    assert decode_body(streamed_zstd(zstd(data)), "zstd, zstd", 8192) == data
