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
