"""Request bodies sent compressed (`Content-Encoding: zstd`): OpenClaw's SSE fallback sends its
`response.create` that way (PROTOCOL.md section 5).

The body is decompressed within the same size limit as a plain one, a few bytes of input at a
time, so that a small "zstd bomb" is refused long before it becomes a large allocation; a
truncated or corrupt frame is refused too, never read as the part that happened to decode.
"""

from __future__ import annotations

from collections.abc import Callable

import zstandard

from fake_codex_ws import errors
from fake_codex_ws.errors import Refusal

IDENTITY = "identity"
ZSTD = "zstd"
SUPPORTED_ENCODINGS = (IDENTITY, ZSTD)
# A frame asking for a larger window needs that much memory before its first byte comes out.
# Encoders cap the window at the content's size, and no accepted body is larger than a few MiB.
MAX_WINDOW_BYTES = 8 * 1024 * 1024
# Compressed bytes fed per step. One block header (3 bytes) can stand for 128 KiB of output,
# so a step of 16 bytes yields at most about 700 KiB before the limit is checked again.
_STEP = 16

Decoder = Callable[[bytes, int], "bytes | Refusal"]


def _too_large(limit: int) -> Refusal:
    return Refusal(
        413,
        errors.error_body(
            f"The decompressed request body is larger than {limit} bytes.", "request_too_large"
        ),
        reason="decompressed_too_large",
    )


def _undecodable(encoding: str, why: str) -> Refusal:
    return Refusal(
        400,
        errors.error_body(
            f"The request body could not be decoded as {encoding}: {why}.",
            "invalid_content_encoding",
        ),
        reason="invalid_content_encoding",
    )


def _unsupported(encoding: str) -> Refusal:
    shown = encoding if len(encoding) <= 40 else encoding[:39] + "…"
    return Refusal(
        415,
        errors.error_body(
            f"Content-Encoding {shown!r} is not supported; send the body uncompressed "
            f"or with one of: {', '.join(SUPPORTED_ENCODINGS)}.",
            "unsupported_content_encoding",
        ),
        reason="unsupported_content_encoding",
    )


def decode_zstd(body: bytes, limit: int) -> bytes | Refusal:
    """Every frame of `body` decompressed, or a refusal once the output passes `limit`."""
    decompressor = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW_BYTES)
    frame = decompressor.decompressobj()
    in_frame = False
    out: list[bytes] = []
    size = 0
    try:
        for start in range(0, len(body), _STEP):
            pending = body[start : start + _STEP]
            while pending:
                in_frame = True
                piece = frame.decompress(pending)
                size += len(piece)
                if size > limit:
                    return _too_large(limit)
                out.append(piece)
                pending = b""
                if frame.eof:  # the next frame starts with what this one left over
                    pending, in_frame = frame.unused_data, False
                    frame = decompressor.decompressobj()
    except zstandard.ZstdError as exc:
        return _undecodable(ZSTD, str(exc).removeprefix("zstd decompressor error: "))
    if in_frame:
        return _undecodable(ZSTD, "the frame ends early (truncated)")
    return b"".join(out)


DECODERS: dict[str, Decoder] = {ZSTD: decode_zstd}


def decode_body(body: bytes, content_encoding: str | None, limit: int) -> bytes | Refusal:
    """`body` with its content codings undone (last applied, first undone), at most `limit`
    bytes after each; 415 for a coding this backend does not speak."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
    codings = [c for c in codings if c and c != IDENTITY]
    for coding in codings:
        if coding not in DECODERS:
            return _unsupported(coding)
    for coding in reversed(codings):
        decoded = DECODERS[coding](body, limit)
        if isinstance(decoded, Refusal):
            return decoded
        body = decoded
    return body
