"""Refresh requests exactly as Codex CLI 0.169.0 and Hermes 0.19.0 send them (PROTOCOL.md §5)."""

from __future__ import annotations

from fake_oauth_server import CODEX_CLIENT_ID
from fake_oauth_server.models import FIELD_CHARS

CLI_HEADERS = {
    "originator": "codex_exec",
    "user-agent": "codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)",
}


def refresh_events(srv):
    """The ledger's `rotated` entries: one per successful refresh."""
    return [e for e in srv.admin.events() if e["type"] == "rotated"]


def test_codex_cli_json_refresh_with_refresh_reason_is_recorded(oauth_server, family):
    with oauth_server.client(headers=CLI_HEADERS) as http:
        answer = http.post(
            "/oauth/token",
            json={
                "client_id": CODEX_CLIENT_ID,
                "grant_type": "refresh_token",
                "refresh_reason": "unauthorized_recovery",
                "refresh_token": family["refresh_token"],
            },
        )
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) >= {"id_token", "access_token", "refresh_token"}
    [event] = refresh_events(oauth_server)
    assert event["refresh_reason"] == "unauthorized_recovery"
    assert event["originator"] == "codex_exec"
    assert event["user_agent"] == CLI_HEADERS["user-agent"]


def test_a_form_refresh_with_refresh_reason_is_accepted(oauth_server, family):
    with oauth_server.client(headers={"user-agent": "hermes-cli/0.19.0"}) as http:
        answer = http.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": family["refresh_token"],
                "client_id": CODEX_CLIENT_ID,
                "refresh_reason": "proactive_expiry",
            },
        )
    assert answer.status_code == 200, answer.text
    [event] = refresh_events(oauth_server)
    assert event["refresh_reason"] == "proactive_expiry"
    assert event["user_agent"] == "hermes-cli/0.19.0"


def test_hermes_form_refresh_without_a_reason_has_none(oauth_server, family):
    with oauth_server.client(headers={"user-agent": "hermes-cli/0.19.0"}) as http:
        answer = http.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": family["refresh_token"],
                "client_id": CODEX_CLIENT_ID,
            },
        )
    assert answer.status_code == 200, answer.text
    [event] = refresh_events(oauth_server)
    assert "refresh_reason" not in event
    assert event["originator"] is None


def test_a_huge_user_agent_and_reason_are_kept_bounded(oauth_server, family):
    agent = "codex_exec/0.169.0 " + "x" * 8000  # under the transport's 8 KiB header line
    with oauth_server.client(headers={"user-agent": agent}) as http:
        answer = http.post(
            "/oauth/token",
            json={
                "client_id": CODEX_CLIENT_ID,
                "grant_type": "refresh_token",
                "refresh_reason": "r" * 50_000,
                "refresh_token": family["refresh_token"],
            },
        )
    assert answer.status_code == 200, answer.text
    [event] = refresh_events(oauth_server)
    for field in ("user_agent", "refresh_reason"):
        assert len(event[field]) <= FIELD_CHARS
        assert event[field].endswith("chars, truncated]")
    assert event["user_agent"].startswith("codex_exec/0.169.0 ")


def test_a_refresh_records_its_encoding_and_parameter_names(oauth_server, family):
    with oauth_server.client(headers=CLI_HEADERS) as http:
        answer = http.post(
            "/oauth/token",
            json={
                "client_id": CODEX_CLIENT_ID,
                "grant_type": "refresh_token",
                "refresh_reason": "proactive_expiry",
                "refresh_token": family["refresh_token"],
            },
        )
    assert answer.status_code == 200, answer.text
    with oauth_server.client(headers={"user-agent": "hermes-cli/0.19.0"}) as http:
        answer = http.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": answer.json()["refresh_token"],
                "client_id": CODEX_CLIENT_ID,
            },
        )
    assert answer.status_code == 200, answer.text
    json_refresh, form_refresh = refresh_events(oauth_server)
    assert json_refresh["body_format"] == "json"
    assert json_refresh["body_fields"] == [
        "client_id",
        "grant_type",
        "refresh_reason",
        "refresh_token",
    ]
    assert form_refresh["body_format"] == "form"
    assert form_refresh["body_fields"] == ["client_id", "grant_type", "refresh_token"]
    ledger = oauth_server.admin.ledger(family_id=family["family_id"])
    presented = [p for t in ledger["families"][0]["tokens"] for p in t["presented"]]
    assert [p["body_format"] for p in presented] == ["json", "form"]


def test_a_refresh_with_many_long_parameter_names_keeps_a_bounded_list(oauth_server, family):
    crowded = {f"{n:03d}" + "n" * 1000: "v" for n in range(40)}
    with oauth_server.client(headers=CLI_HEADERS) as http:
        answer = http.post(
            "/oauth/token",
            json={
                "client_id": CODEX_CLIENT_ID,
                "grant_type": "refresh_token",
                "refresh_token": family["refresh_token"],
                **crowded,
            },
        )
    assert answer.status_code == 200, answer.text
    [event] = refresh_events(oauth_server)
    assert len(event["body_fields"]) == 16
    assert all(len(name) <= 64 for name in event["body_fields"])
