"""`codex-agent gateway run` as a real process: chat, health, status, --replace, shutdown."""

from __future__ import annotations

import signal
import socket
import threading
import time

import httpx


def _client(record):
    return httpx.Client(base_url=f"http://127.0.0.1:{record['port']}", timeout=60, trust_env=False)


def test_gateway_answers_health_status_and_chat(logged_in):
    proc = logged_in.start_gateway()
    record = logged_in.gateway_record(proc.pid)
    with _client(record) as client:
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["ok"] is True
        assert health.json()["pid"] == proc.pid

        status = client.get("/status")
        assert status.status_code == 200
        assert status.json()["ready"] is True

        first = client.post("/v1/chat", json={"message": "first"})
        assert first.status_code == 200
        body = first.json()
        assert body["reply"] == "codex[gpt-5.5]: you said: first"
        assert body["provider"] == "openai-codex"
        assert "notice" not in body
        session = body["session_id"]

        second = client.post("/v1/chat", json={"session_id": session, "message": "second"})
        assert second.json()["reply"] == "codex[gpt-5.5]: you said: second"
        assert second.json()["session_id"] == session

        json_type = {"Content-Type": "application/json"}
        assert client.post("/v1/chat", content=b"not json", headers=json_type).status_code == 400
        assert client.post("/v1/chat", content=b'{"message": "x"}').status_code == 415
        assert client.post("/v1/chat", json={"message": ""}).status_code == 400
        assert (
            client.post("/v1/chat", json={"message": "x", "session_id": "../x"}).status_code == 400
        )
        assert client.get("/nope").status_code == 404
        assert client.get("/v1/chat").status_code == 405
        assert client.post("/v1/shutdown", json={}).status_code == 403

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert not (logged_in.home / "gateway.pid").exists()
    turns = logged_in.turn_records()
    assert [t["prompt"] for t in turns] == ["first", "second"]
    assert len({t["turn_id"] for t in turns}) == 2


def test_gateway_sends_the_notice_with_the_fallback_reply(logged_in):
    proc = logged_in.start_gateway()
    record = logged_in.gateway_record(proc.pid)
    logged_in.burn_family()
    with _client(record) as client:
        answer = client.post("/v1/chat", json={"message": "still there?"})
        assert answer.status_code == 200
        body = answer.json()
        assert body["reply"] == "apikey[backup-model]: you said: still there?"
        assert body["provider"] == "openai-compatible"
        assert "openai-codex (gpt-5.5) failed" in body["notice"]
        assert body["errors"][0]["code"] == "token_invalidated"
        status = client.get("/status").json()
        assert status["ready"] is False
        logged_in.assert_no_secret(answer.text, str(status))
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0


def test_gateway_without_fallback_never_answers_empty(lab):
    lab.write_config(fallback=False)
    lab.login()
    proc = lab.start_gateway()
    record = lab.gateway_record(proc.pid)
    lab.burn_family()
    with _client(record) as client:
        answer = client.post("/v1/chat", json={"message": "hello?"})
    assert answer.status_code == 502
    body = answer.json()
    assert body["reply"] is None
    assert "No provider could answer" in body["notice"]
    assert body["error"]["code"] in {"token_invalidated", "refresh_token_invalidated"}
    proc.terminate()
    assert proc.wait(timeout=30) == 0


def test_replace_stops_the_running_gateway(logged_in):
    first = logged_in.start_gateway()
    logged_in.gateway_record(first.pid)

    refused = logged_in.start_gateway()
    assert refused.wait(timeout=60) != 0
    assert "already running" in refused.stderr.read()

    second = logged_in.start_gateway("--replace")
    record = logged_in.gateway_record(second.pid)
    assert first.wait(timeout=60) == 0
    with _client(record) as client:
        assert client.get("/healthz").json()["pid"] == second.pid
    second.terminate()
    assert second.wait(timeout=30) == 0
    assert not (logged_in.home / "gateway.pid").exists()


def test_gateway_refuses_to_start_on_a_bad_config(lab):
    lab.write_config(raw='[model]\nprovider = "nope"\n')
    proc = lab.start_gateway()
    assert proc.wait(timeout=60) != 0
    err = proc.stderr.read()
    assert "config.toml" in err
    assert "model.provider" in err
    assert not (lab.home / "gateway.pid").exists()


def test_sigterm_lets_the_turn_in_flight_finish(logged_in):
    proc = logged_in.start_gateway()
    record = logged_in.gateway_record(proc.pid)
    logged_in.backend.admin.arm_fault("slow_stream", {"transport": "ws"}, count=1, delay=0.3)
    answers = []

    def post():
        with _client(record) as client:
            answers.append(client.post("/v1/chat", json={"message": "slowly"}))

    thread = threading.Thread(target=post)
    thread.start()
    deadline = time.monotonic() + 30
    while not logged_in.backend.admin.sockets():
        assert time.monotonic() < deadline, "the turn never reached the backend"
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    thread.join(timeout=60)
    assert proc.wait(timeout=60) == 0
    assert answers[0].status_code == 200
    assert answers[0].json()["reply"] == "codex[gpt-5.5]: you said: slowly"
    assert logged_in.turn_records()[-1]["stop_reason"] == "completed"


def test_a_busy_port_is_a_clear_error(logged_in):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = logged_in.run("gateway", "run", "--port", str(port))
    assert run.code != 0
    assert f"Cannot listen on 127.0.0.1:{port}" in run.stderr
    assert not (logged_in.home / "gateway.pid").exists()


def test_concurrent_sessions_are_answered_independently(logged_in):
    proc = logged_in.start_gateway()
    record = logged_in.gateway_record(proc.pid)
    replies = {}

    def converse(name):
        with _client(record) as client:
            session = None
            for n in range(3):
                body = {"message": f"{name}-{n}"}
                if session:
                    body["session_id"] = session
                answer = client.post("/v1/chat", json=body).json()
                session = answer["session_id"]
                replies.setdefault(name, []).append(answer["reply"])

    threads = [threading.Thread(target=converse, args=(f"user{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    proc.terminate()
    assert proc.wait(timeout=30) == 0
    for i in range(4):
        assert replies[f"user{i}"] == [f"codex[gpt-5.5]: you said: user{i}-{n}" for n in range(3)]
    sessions = list((logged_in.home / "sessions").glob("*.jsonl"))
    assert len(sessions) == 4
