"""`python -m fake_codex_ws` as a real subprocess: the ready line, serving, clean exits."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from fake_codex_ws.probe import codex_headers, parse_sse, reply_text, response_create

pytestmark = pytest.mark.slow


def start(args: list[str], env_extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "fake_codex_ws", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def ready_line(proc: subprocess.Popen[str]) -> dict:
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the server listens (or exits)
    if not line:
        _, err = proc.communicate(timeout=30)
        pytest.fail(f"no ready line; stderr: {err}")
    return json.loads(line)


@pytest.fixture
def oauth_args(oauth_server):
    return [
        "--oauth-issuer",
        oauth_server.issuer,
        "--ca-cert",
        str(oauth_server.ca_cert),
    ], {"FAKE_CODEX_WS_OAUTH_ADMIN_TOKEN": oauth_server.admin_token}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_cli_serves_then_stops_cleanly(oauth_server, oauth_args, tmp_path, sig):
    args, env = oauth_args
    state_dir = tmp_path / "state"
    proc = start(
        [
            *args,
            "--state-dir",
            str(state_dir),
            "--api-key",
            "sk-cli-1",
            "--api-key",
            "sk-cli-2",
            "--seed",
            "3",
        ],
        env,
    )
    try:
        ready = ready_line(proc)
        assert ready["base_url"].startswith("https://127.0.0.1:")
        assert ready["base_url"].endswith("/backend-api/codex")
        assert ready["api_base_url"].endswith("/v1")
        assert Path(ready["ca_cert"]).is_file()
        token_file = Path(ready["admin_token_file"])
        assert token_file.read_text().strip() == ready["admin_token"]
        assert token_file.stat().st_mode & 0o777 == 0o600
        assert (state_dir / "tls" / "server-key.pem").stat().st_mode & 0o777 == 0o600

        account = oauth_server.admin.create_account()["account_id"]
        fam = oauth_server.admin.mint_family(account)
        ctx = ssl.create_default_context(cafile=ready["ca_cert"])
        with httpx.Client(verify=ctx, timeout=30) as http:
            answer = http.post(
                f"{ready['base_url']}/responses",
                headers=codex_headers(fam["access_token"], account, beta=None),
                json=response_create("from the cli"),
            )
            assert reply_text(parse_sse(answer.text)).endswith("from the cli")
            key = http.post(
                f"{ready['api_base_url']}/chat/completions",
                headers={"Authorization": "Bearer sk-cli-2"},
                json={"model": "m", "messages": [{"role": "user", "content": "k"}]},
            )
            assert key.json()["choices"][0]["message"]["content"] == "apikey[m]: you said: k"
            events = http.get(
                ready["url"] + "/admin/events",
                headers={"Authorization": f"Bearer {ready['admin_token']}"},
            ).json()["events"]
            assert [e["outcome"] for e in events] == ["completed", "completed"]
            # Its own clock, settable through the admin API, in CLI mode.
            moved = http.post(
                ready["url"] + "/admin/clock/advance",
                headers={"Authorization": f"Bearer {ready['admin_token']}"},
                json={"seconds": 60},
            )
            assert moved.json()["source"] == "own"
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert fam["access_token"] not in out + err


def test_the_cli_requires_an_issuer_and_an_admin_token(tmp_path):
    no_issuer = subprocess.run(
        [sys.executable, "-m", "fake_codex_ws"], capture_output=True, text=True, timeout=60
    )
    assert no_issuer.returncode == 2
    assert "--oauth-issuer" in no_issuer.stderr
    env = {k: v for k, v in os.environ.items() if k != "FAKE_CODEX_WS_OAUTH_ADMIN_TOKEN"}
    no_token = subprocess.run(
        [sys.executable, "-m", "fake_codex_ws", "--oauth-issuer", "https://127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert no_token.returncode == 2
    assert "--oauth-admin-token" in no_token.stderr
    missing_ca = subprocess.run(
        [
            sys.executable,
            "-m",
            "fake_codex_ws",
            "--oauth-issuer",
            "https://127.0.0.1:1",
            "--oauth-admin-token",
            "x",
            "--ca-cert",
            str(tmp_path / "nope.pem"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing_ca.returncode == 2
    assert "no such file" in missing_ca.stderr


def test_a_busy_port_is_a_clear_error(oauth_args):
    args, env = oauth_args
    first = start(args, env)
    try:
        port = ready_line(first)["base_url"].split(":")[2].split("/")[0]
        second = subprocess.run(
            [sys.executable, "-m", "fake_codex_ws", *args, "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **env},
        )
        assert second.returncode == 2
        assert "cannot serve" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    assert first.returncode == 0


def test_secrets_by_file_never_reach_the_command_line(oauth_server, tmp_path):
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir(mode=0o700)
    (secrets_dir / "oauth").write_text(oauth_server.admin_token + "\n")
    (secrets_dir / "keys").write_text("# fallback keys\nsk-file-1\n\nsk-file-2\n")
    (secrets_dir / "admin").write_text("adm-from-file\n")
    args = ["--oauth-issuer", oauth_server.issuer, "--ca-cert", str(oauth_server.ca_cert)]
    args += ["--oauth-admin-token-file", str(secrets_dir / "oauth")]
    args += ["--api-key-file", str(secrets_dir / "keys")]
    args += ["--admin-token-file", str(secrets_dir / "admin")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_CODEX_WS_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "fake_codex_ws", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        ready = ready_line(proc)
        assert ready["admin_token"] == "adm-from-file"
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        for secret in (oauth_server.admin_token, "sk-file-1", "adm-from-file"):
            assert secret.encode() not in cmdline
        ctx = ssl.create_default_context(cafile=ready["ca_cert"])
        with httpx.Client(verify=ctx, timeout=30) as http:
            for key in ("sk-file-1", "sk-file-2"):
                answer = http.post(
                    f"{ready['api_base_url']}/chat/completions",
                    headers={"Authorization": f"Bearer {key}"},
                    json={"model": "m", "messages": [{"role": "user", "content": "k"}]},
                )
                assert answer.status_code == 200
            # The OAuth admin token from its file works: introspection answers.
            account = oauth_server.admin.create_account()["account_id"]
            fam = oauth_server.admin.mint_family(account)
            turn = http.post(
                f"{ready['base_url']}/responses",
                headers=codex_headers(fam["access_token"], account, beta=None),
                json=response_create("by file"),
            )
            assert reply_text(parse_sse(turn.text)).endswith("by file")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--oauth-admin-token-file", "{missing}"], "--oauth-admin-token-file {missing}: cannot"),
        (["--oauth-admin-token-file", "{empty}"], "holds no value"),
        (["--api-key-file", "{missing}"], "--api-key-file {missing}: cannot"),
        (
            ["--oauth-admin-token", "x", "--oauth-admin-token-file", "{empty}"],
            "not both",
        ),
    ],
)
def test_an_unusable_secret_file_is_a_clear_error(tmp_path, extra, message):
    paths = {"missing": str(tmp_path / "nope"), "empty": str(tmp_path / "empty")}
    (tmp_path / "empty").write_text("\n")
    argv = [part.format(**paths) for part in extra]
    if "--oauth-admin-token-file" not in argv and "--oauth-admin-token" not in argv:
        argv += ["--oauth-admin-token", "x"]
    done = subprocess.run(
        [sys.executable, "-m", "fake_codex_ws", "--oauth-issuer", "https://127.0.0.1:1", *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert message.format(**paths) in done.stderr
    assert "Traceback" not in done.stderr
