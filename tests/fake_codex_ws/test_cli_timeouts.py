"""--header-timeout and --body-timeout of the fake Codex backend: its live read deadlines (the
flags themselves are checked for both fakes in tests/fake_oauth_server/test_cli_timeouts.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from fake_oauth_server.testing import answer_to_partial_request

ADMIN_TOKEN = "adm-cli-timeouts"


@pytest.fixture
def quick_backend(oauth_server, tmp_path) -> Iterator[tuple[str, int]]:
    env = {
        **os.environ,
        "FAKE_CODEX_WS_OAUTH_ADMIN_TOKEN": oauth_server.admin_token,
        "FAKE_CODEX_WS_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "fake_codex_ws", "--no-tls", "--state-dir", str(tmp_path / "s"),
         "--oauth-issuer", oauth_server.issuer, "--ca-cert", str(oauth_server.ca_cert),
         "--header-timeout", "0.5", "--body-timeout", "0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = urlsplit(json.loads(proc.stdout.readline())["url"])  # once it listens
        assert url.hostname is not None
        assert url.port is not None
        yield url.hostname, url.port
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


@pytest.mark.slow
def test_slow_heads_and_bodies_get_408_at_the_given_deadlines(quick_backend):
    status, body = answer_to_partial_request(
        quick_backend, b"POST /admin/clock/advance HTTP/1.1\r\nHost: x\r\n"
    )
    assert status == 408
    assert "headers did not arrive in time" in json.dumps(body)
    head = (
        b"POST /admin/clock/advance HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer " + ADMIN_TOKEN.encode() + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    status, body = answer_to_partial_request(quick_backend, head + b'{"seconds": ')
    assert status == 408
    assert "body did not arrive in time" in json.dumps(body)
