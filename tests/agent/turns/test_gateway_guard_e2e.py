"""`codex-agent gateway run` as a real process refuses web pages and requires its token.

Issue 12 items 1, 2, 8 and 11 end to end (the guard's own tests are in tests/agent/gateway).
"""

from __future__ import annotations

import stat
import sys

import httpx


def _client(record):
    return httpx.Client(base_url=f"http://127.0.0.1:{record['port']}", timeout=60, trust_env=False)


def test_a_web_page_runs_no_turn_and_reads_nothing(logged_in):
    proc = logged_in.start_gateway()
    record = logged_in.gateway_record(proc.pid)
    port = record["port"]
    chat = {"message": "spend the user's quota"}
    with _client(record) as client:
        rebound = client.get("/status", headers={"Host": f"evil.example:{port}"})
        cross_site = client.post("/v1/chat", json=chat, headers={"Origin": "https://evil.example"})
        simple = client.post(
            "/v1/chat", content=b'{"message": "x"}', headers={"Content-Type": "text/plain"}
        )
        nested = client.post(
            "/v1/chat", content=b"[" * 100_000, headers={"Content-Type": "application/json"}
        )
        put = client.put("/v1/chat", json=chat)
        health = client.get("/healthz").json()
    assert (rebound.status_code, rebound.json()["error"]["code"]) == (421, "foreign_host")
    assert (cross_site.status_code, cross_site.json()["error"]["code"]) == (
        403,
        "origin_not_allowed",
    )
    assert (simple.status_code, simple.json()["error"]["code"]) == (415, "unsupported_media_type")
    assert (nested.status_code, nested.json()["error"]["code"]) == (400, "invalid_json")
    assert (put.status_code, put.json()["error"]["code"]) == (405, "method_not_allowed")
    assert health["refused"] == {
        "foreign_host": 1,
        "invalid_json": 1,
        "method_not_allowed": 1,
        "origin_not_allowed": 1,
        "unsupported_media_type": 1,
    }
    proc.terminate()
    assert proc.wait(timeout=30) == 0
    assert "Traceback" not in proc.stderr.read()
    assert logged_in.turn_records() == []


def test_require_token_makes_prints_once_and_requires_the_token(logged_in):
    proc = logged_in.start_gateway("--require-token")
    record = logged_in.gateway_record(proc.pid)
    path = logged_in.home / "gateway.token"
    token = path.read_text().strip()
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with _client(record) as client:
        refused = client.post("/v1/chat", json={"message": "x"})
        wrong = client.get("/status", headers={"Authorization": "Bearer " + "x" * 43})
        served = client.post(
            "/v1/chat", json={"message": "hi"}, headers={"Authorization": f"Bearer {token}"}
        )
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "unauthorized")
    assert wrong.status_code == 401
    assert served.status_code == 200
    assert token not in refused.text + wrong.text + served.text

    # --replace stops it through /v1/shutdown (with the token), and the token is not shown again.
    second = logged_in.start_gateway("--require-token", "--replace")
    logged_in.gateway_record(second.pid)
    assert proc.wait(timeout=60) == 0
    second.terminate()
    assert second.wait(timeout=30) == 0
    first_err, second_err = proc.stderr.read(), second.stderr.read()
    assert first_err.count(token) == 1
    assert token not in second_err
    assert str(path) in second_err
    assert path.read_text().strip() == token


def test_a_bad_allow_origin_is_a_clear_error(lab):
    run = lab.run("gateway", "run", "--port", "0", "--allow-origin", "*")
    assert run.code != 0
    assert "--allow-origin" in run.stderr
    assert "not an origin" in run.stderr
    assert not (lab.home / "gateway.pid").exists()
