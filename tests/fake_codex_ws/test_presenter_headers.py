"""A caller's odd User-Agent or originator never breaks introspection (HTTP, to the real server).

The backend passes both headers on to the OAuth server; a value no request can carry (non-ASCII,
a control character) used to raise inside httpx, and the caller got a 500.
"""

from __future__ import annotations

import json
import socket
import ssl
from base64 import b64encode
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_codex_ws.authority import sendable_header_value
from fake_codex_ws.probe import codex_headers, response_create
from fake_codex_ws.testing import RunningCodexBackend

ODD_VALUES = [
    "codex/1.0 (Zürich)".encode(),  # UTF-8, read back as Latin-1
    b"\xff\xfe",
    b"obs-text \x85\xa0 end",  # C1 and no-break space: obs-text, which parsers accept
]


@pytest.fixture
def family(oauth_server):
    account = oauth_server.admin.create_account(email="dev@example.com")
    return oauth_server.admin.mint_family(account["account_id"])


@pytest.fixture
def be(oauth_server, codex_backend_factory) -> RunningCodexBackend:
    """A backend that asks the OAuth server over HTTP, as the CLI and the lab run it."""
    return codex_backend_factory(
        oauth_issuer=oauth_server.issuer,
        oauth_admin_token=oauth_server.admin_token,
        oauth_ca_cert=oauth_server.ca_cert,
    )


def _ctx(be: RunningCodexBackend) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(be.ca_cert))


@pytest.mark.parametrize("header", ["User-Agent", "originator"])
@pytest.mark.parametrize("value", ODD_VALUES)
def test_sse_with_an_odd_presenter_header_is_answered(be, family, header, value):
    headers: dict[str, str | bytes] = {
        **codex_headers(family["access_token"], family["account_id"], beta=None),
        header: value,
    }
    with httpx.Client(verify=_ctx(be)) as http:
        answer = http.post(
            f"{be.base_url}/responses", headers=headers, json=response_create("odd header")
        )
    assert answer.status_code == 200, answer.text
    assert '"type":"response.completed"' in answer.text.replace(" ", "")


def _raw_upgrade(be: RunningCodexBackend, headers: list[tuple[str, bytes]]) -> bytes:
    """The head of the answer to an upgrade sent byte for byte (a client library refuses to
    send non-ASCII headers)."""
    url = urlsplit(be.ws_url)
    assert url.hostname is not None
    assert url.port is not None
    lines = [
        f"GET {url.path} HTTP/1.1".encode(),
        f"Host: {url.hostname}:{url.port}".encode(),
        b"Upgrade: websocket",
        b"Connection: Upgrade",
        b"Sec-WebSocket-Key: " + b64encode(b"0123456789abcdef"),
        b"Sec-WebSocket-Version: 13",
        *(name.encode() + b": " + value for name, value in headers),
    ]
    with (
        socket.create_connection((url.hostname, url.port), timeout=30) as raw,
        _ctx(be).wrap_socket(raw, server_hostname=url.hostname) as tls,
    ):
        tls.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = tls.recv(4096)
            if not chunk:
                break
            head += chunk
    return head


@pytest.mark.parametrize("header", ["User-Agent", "originator"])
@pytest.mark.parametrize("value", ODD_VALUES)
def test_an_upgrade_with_an_odd_presenter_header_is_accepted(be, family, header, value):
    plain = codex_headers(family["access_token"], family["account_id"])
    plain.pop(header)
    headers = [(name, v.encode()) for name, v in plain.items()] + [(header, value)]
    head = _raw_upgrade(be, headers)
    assert head.startswith(b"HTTP/1.1 101 "), head[:300]
    event = be.admin.wait_for_event(lambda e: e["type"] == "ws_handshake")
    assert event["outcome"] == "accepted"


def test_sendable_values_pass_as_they_are(be, family, oauth_server):
    """A plain originator and User-Agent still reach the OAuth server."""
    headers = codex_headers(
        family["access_token"], family["account_id"], beta=None, user_agent="codex_cli_rs/0.9"
    )
    with httpx.Client(verify=_ctx(be)) as http:
        answer = http.post(f"{be.base_url}/responses", headers=headers, json=response_create("x"))
    assert answer.status_code == 200
    seen = [e for e in oauth_server.admin.events() if e["type"] == "introspected"]
    assert json.dumps("codex_cli_rs/0.9") in json.dumps(seen[-1])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=40))
def test_sendable_means_visible_ascii_with_inner_blanks_only(value: str) -> None:
    visible = all(c == "\t" or " " <= c <= "~" for c in value)
    expected = bool(value) and visible and value == value.strip(" \t")
    assert sendable_header_value(value) == expected
    if expected:
        assert httpx.Headers({"x": value})["x"] == value  # httpx encodes it as is
