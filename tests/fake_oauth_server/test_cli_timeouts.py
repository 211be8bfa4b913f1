"""--header-timeout and --body-timeout: the read deadlines from the command line, checked."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from fake_oauth_server.__main__ import build_parser


@pytest.mark.parametrize("flag", ["--header-timeout", "--body-timeout"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e400", "ten", "1e12"])
def test_a_timeout_that_is_not_a_positive_finite_number_is_refused(flag, value, capsys):
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args([flag, value])
    assert stopped.value.code == 2
    assert f"argument {flag}:" in capsys.readouterr().err


def test_the_defaults_are_the_transport_limits():
    args = build_parser().parse_args([])
    assert (args.header_timeout, args.body_timeout) == (10.0, 30.0)


@pytest.fixture(scope="module")
def quick_server() -> Iterator[tuple[str, int]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fake_oauth_server", "--no-tls",
         "--header-timeout", "0.5", "--body-timeout", "0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        issuer = urlsplit(json.loads(proc.stdout.readline())["issuer"])  # once it listens
        assert issuer.hostname is not None
        assert issuer.port is not None
        yield issuer.hostname, issuer.port
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


def test_a_head_slower_than_header_timeout_gets_408(quick_server):
    status, body = _answer_to(quick_server, b"POST /oauth/token HTTP/1.1\r\nHost: x\r\n")
    assert status == 408
    assert "headers did not arrive in time" in json.dumps(body)


def test_a_body_slower_than_body_timeout_gets_408(quick_server):
    head = (
        b"POST /oauth/token HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
    )
    status, body = _answer_to(quick_server, head + b"grant_type=")
    assert status == 408
    assert "body did not arrive in time" in json.dumps(body)
