"""--header-timeout and --body-timeout: the read deadlines from the command line, checked."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from fake_codex_ws.__main__ import build_parser

ISSUER = ["--oauth-issuer", "https://127.0.0.1:1"]
ADMIN_TOKEN = "adm-cli-timeouts"


@pytest.mark.parametrize("flag", ["--header-timeout", "--body-timeout"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e400", "ten", "1e12"])
def test_a_timeout_that_is_not_a_positive_finite_number_is_refused(flag, value, capsys):
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args([*ISSUER, flag, value])
    assert stopped.value.code == 2
    assert f"argument {flag}:" in capsys.readouterr().err


def test_the_defaults_are_the_transport_limits():
    args = build_parser().parse_args(ISSUER)
    assert (args.header_timeout, args.body_timeout) == (10.0, 30.0)


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


def _answer_to(address: tuple[str, int], sent: bytes) -> tuple[int, dict]:
    """What the server answers a request that stops after `sent` (the socket stays open)."""
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(sent)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


@pytest.mark.slow
def test_slow_heads_and_bodies_get_408_at_the_given_deadlines(quick_backend):
    status, body = _answer_to(quick_backend, b"POST /admin/clock/advance HTTP/1.1\r\nHost: x\r\n")
    assert status == 408
    assert "headers did not arrive in time" in json.dumps(body)
    head = (
        b"POST /admin/clock/advance HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer " + ADMIN_TOKEN.encode() + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    status, body = _answer_to(quick_backend, head + b'{"seconds": ')
    assert status == 408
    assert "body did not arrive in time" in json.dumps(body)
