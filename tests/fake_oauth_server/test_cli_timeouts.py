"""--header-timeout and --body-timeout: the read deadlines from the command line, checked
(the flags of both fakes come from fake_oauth_server/cli_flags.py; the fake Codex backend's
live deadlines are in tests/fake_codex_ws/test_cli_timeouts.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from fake_codex_ws.__main__ import build_parser as backend_parser
from fake_oauth_server.__main__ import build_parser as oauth_parser
from fake_oauth_server.testing import answer_to_partial_request

# Each fake's parser and the arguments it needs besides the timeouts.
FAKES = {
    "oauth": (oauth_parser, []),
    "backend": (backend_parser, ["--oauth-issuer", "https://127.0.0.1:1"]),
}


@pytest.mark.parametrize("fake", FAKES)
@pytest.mark.parametrize("flag", ["--header-timeout", "--body-timeout"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e400", "ten", "1e12"])
def test_a_timeout_that_is_not_a_positive_finite_number_is_refused(fake, flag, value, capsys):
    build_parser, required = FAKES[fake]
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args([*required, flag, value])
    assert stopped.value.code == 2
    assert f"argument {flag}:" in capsys.readouterr().err


@pytest.mark.parametrize("fake", FAKES)
def test_the_defaults_are_the_transport_limits(fake):
    build_parser, required = FAKES[fake]
    args = build_parser().parse_args(required)
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


def test_a_head_slower_than_header_timeout_gets_408(quick_server):
    status, body = answer_to_partial_request(
        quick_server, b"POST /oauth/token HTTP/1.1\r\nHost: x\r\n"
    )
    assert status == 408
    assert "headers did not arrive in time" in json.dumps(body)


def test_a_body_slower_than_body_timeout_gets_408(quick_server):
    head = (
        b"POST /oauth/token HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
    )
    status, body = answer_to_partial_request(quick_server, head + b"grant_type=")
    assert status == 408
    assert "body did not arrive in time" in json.dumps(body)
