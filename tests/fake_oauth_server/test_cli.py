"""The CLI as a real subprocess: one JSON ready line, serving, clean exit on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import os
import selectors
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def read_line(proc: subprocess.Popen[bytes], timeout: float = 60.0) -> bytes:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not sel.select(remaining):
            raise TimeoutError("no ready line from the server")
        chunk = os.read(proc.stdout.fileno(), 1)
        if not chunk:
            break
        line += chunk
    return line


def start(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fake_oauth_server", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_ready_line_then_serves_then_exits_cleanly(tmp_path, sig):
    proc = start(
        "--port",
        "0",
        "--seed",
        "5",
        "--state-dir",
        str(tmp_path / "state"),
        "--policy",
        "grace:window=10",
        "--auto-approve",
    )
    try:
        ready = json.loads(read_line(proc))
        assert ready["issuer"].startswith("https://127.0.0.1:")
        assert ready["ca_cert"] == str(tmp_path / "state" / "ca.pem")
        assert ready["admin_token"]
        assert ready["policy"] == {"policy": "grace", "params": {"window": 10.0}}
        verify = ssl.create_default_context(cafile=ready["ca_cert"])
        with httpx.Client(base_url=ready["issuer"], verify=verify) as http:
            config = http.get("/.well-known/openid-configuration").json()
            assert config["issuer"] == ready["issuer"]
            admin = {"authorization": f"Bearer {ready['admin_token']}"}
            account = http.post("/admin/accounts", json={}, headers=admin).json()
            fam = http.post(
                "/admin/families", json={"account_id": account["account_id"]}, headers=admin
            ).json()
            body = {
                "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
                "grant_type": "refresh_token",
                "refresh_token": fam["refresh_token"],
            }
            assert http.post("/oauth/token", json=body).status_code == 200
            assert http.post("/oauth/token", json=body).status_code == 200  # grace window
            assert http.get("/admin/ledger", headers=admin).status_code == 200
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.decode()
    assert out == b""  # the ready line was the only output
    assert fam["refresh_token"].encode() not in err
    assert (tmp_path / "state" / "ca-key.pem").stat().st_mode & 0o777 == 0o600


@pytest.mark.slow
def test_plain_http_and_given_admin_token(tmp_path):
    proc = start("--no-tls", "--admin-token", "adm_given")
    try:
        ready = json.loads(read_line(proc))
        assert ready["issuer"].startswith("http://127.0.0.1:")
        assert ready["ca_cert"] is None
        assert ready["admin_token"] == "adm_given"
        answer = httpx.get(
            ready["issuer"] + "/admin/clock", headers={"authorization": "Bearer adm_given"}
        )
        assert answer.status_code == 200
        proc.terminate()
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0


def test_bad_policy_is_refused_before_starting():
    proc = start("--policy", "lenient")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert out == b""
    assert b"unknown policy 'lenient'" in err


@pytest.mark.slow
def test_admin_token_by_file_is_not_on_the_command_line(tmp_path):
    token_file = tmp_path / "admin_token"
    token_file.write_text("adm_from_file\n")
    proc = start("--no-tls", "--admin-token-file", str(token_file))
    try:
        ready = json.loads(read_line(proc))
        assert ready["admin_token"] == "adm_from_file"
        assert b"adm_from_file" not in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        answer = httpx.get(
            ready["issuer"] + "/admin/clock", headers={"authorization": "Bearer adm_from_file"}
        )
        assert answer.status_code == 200
        proc.terminate()
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0


def test_a_missing_admin_token_file_is_refused_before_starting(tmp_path):
    proc = start("--admin-token-file", str(tmp_path / "nope"))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert out == b""
    assert f"--admin-token-file {tmp_path / 'nope'}: cannot read".encode() in err
