"""What a refresh killed mid-way leaves behind: temp files, the journal, a lost answer.

The dead process is simulated by the files it leaves (a journal entry, a temp file); the real
kill -9 sweep is `adversarial/test_refresh_kill_sweep.py`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from agent_testkit import START, make_tokens, refresh_body, write_codex_cli_store

from agent.auth.manager import CredentialManager
from agent.auth.refresh_journal import RefreshJournal
from agent.auth.status import collect_status
from agent.auth.store import StoredLogin
from agent.auth.tokens import TokenSet
from agent.clock import ManualClock
from agent.config import AgentConfig
from agent.errors import RefreshInterrupted, RefreshTokenReused

ISSUER = "https://auth.test"


@pytest.fixture
def config(make_config: Callable[..., AgentConfig]) -> AgentConfig:
    return make_config(ISSUER)


@pytest.fixture
def manager(config: AgentConfig, clock: ManualClock) -> CredentialManager:
    return CredentialManager(config, http=httpx.Client(), clock=clock)


@pytest.fixture
def router() -> Any:
    with respx.mock(base_url=ISSUER, assert_all_called=False) as mock:
        yield mock


def fresh_manager(config: AgentConfig, clock: ManualClock) -> CredentialManager:
    """The next process: nothing in memory."""
    return CredentialManager(config, http=httpx.Client(), clock=clock)


def leftovers(config: AgentConfig) -> list[str]:
    return sorted(p.name for p in config.home.iterdir() if ".tmp-" in p.name)


def leave_temp_file(config: AgentConfig, login: StoredLogin, *, complete: bool = True) -> Path:
    """What a writer killed between its fsync and its rename leaves."""
    data = json.dumps(login.to_json()).encode()
    path = config.home / f".auth.json.tmp-4242-{os.urandom(4).hex()}"
    path.write_bytes(data if complete else data[: len(data) // 2])
    path.chmod(0o600)
    return path


def leave_journal(config: AgentConfig, presented: str, phase: str) -> None:
    (config.home / "refresh-journal.json").write_text(
        json.dumps(
            {
                "version": 1,
                "attempt": "a1",
                "presented": presented,
                "phase": phase,
                "started_at": "2027-01-15T07:59:00Z",
                "pid": 4242,
            }
        )
    )


def logged_in_expiring(manager: CredentialManager) -> TokenSet:
    tokens = make_tokens(exp=START + 100)  # inside the skew: the next use refreshes
    manager.save_new_login(tokens, method="device_code")
    return tokens


# --- temp files (issue 12, item 12) ------------------------------------------------------------


def test_a_dead_writers_temp_file_is_removed_by_the_next_locked_command(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    tokens = make_tokens()
    login = manager.save_new_login(tokens, method="device_code").login
    temp = leave_temp_file(config, login)
    collect_status(config, clock)
    assert temp.exists()  # status never touches anything

    fresh_manager(config, clock).refresh()

    assert leftovers(config) == []


def test_logout_removes_temp_files_the_journal_and_corrupt_copies(
    manager: CredentialManager, config: AgentConfig, router: Any
) -> None:
    login = manager.save_new_login(make_tokens(), method="device_code").login
    leave_temp_file(config, login)
    (config.home / ".refresh-journal.json.tmp-1-ab").write_text("{}")
    leave_journal(config, "t_000000000000", "sent")
    corrupt = config.home / "auth.json.corrupt-20270101T000000Z"
    corrupt.write_text(json.dumps(login.to_json())[:100])
    router.post("/oauth/revoke").mock(return_value=httpx.Response(200, json={}))

    result = manager.logout()

    assert result.removed_copies == (corrupt,)
    assert sorted(p.name for p in config.home.iterdir()) == ["auth.json.lock"]


def test_logout_over_a_corrupt_store_removes_every_copy(
    manager: CredentialManager, config: AgentConfig
) -> None:
    config.home.mkdir(mode=0o700)
    config.auth_path.write_text('{"tokens": {"refresh_token": "rt_secret"')
    result = manager.logout()
    assert not result.was_logged_in
    assert len(result.removed_copies) == 1  # the file it just moved aside
    assert sorted(p.name for p in config.home.iterdir()) == ["auth.json.lock"]


# --- the journal (issue 12, item 13) ------------------------------------------------------------


def test_each_attempt_is_journaled_before_the_request_goes_out_without_a_secret(
    manager: CredentialManager, config: AgentConfig, router: Any
) -> None:
    old = logged_in_expiring(manager)
    new = make_tokens(exp=START + 3600)
    seen: dict[str, Any] = {}

    def server(request: httpx.Request) -> httpx.Response:
        seen["before"] = json.loads((config.home / "refresh-journal.json").read_text())
        request.extensions["trace"]("http11.send_request_headers.started", {})
        text = (config.home / "refresh-journal.json").read_text()
        seen["sent"] = json.loads(text)
        seen["text"] = text
        return httpx.Response(200, json=refresh_body(new))

    router.post("/oauth/token").mock(side_effect=server)
    manager.refresh()

    assert seen["before"]["phase"] == "prepared"
    assert seen["sent"]["phase"] == "sent"
    assert seen["sent"]["presented"] == old.refresh_fingerprint
    for secret in (old.refresh_token, old.access_token, old.id_token):
        assert secret not in seen["text"]
    assert not (config.home / "refresh-journal.json").exists()  # closed with the outcome


def test_a_complete_temp_file_with_the_newer_pair_is_adopted(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    old = logged_in_expiring(manager)
    login = manager.load()
    assert login is not None
    new = make_tokens(exp=START + 3600)
    answer = login.with_tokens(new, refreshed_at="2027-01-15T07:59:01Z")
    leave_temp_file(config, answer, complete=False)  # a half-written one is ignored
    leave_temp_file(config, answer)
    leave_journal(config, old.refresh_fingerprint, "sent")
    route = router.post("/oauth/token")

    creds = fresh_manager(config, clock).refresh()

    assert route.call_count == 0
    assert creds.access_token == new.access_token
    doc = json.loads(config.auth_path.read_text())
    assert doc["tokens"]["refresh_token"] == new.refresh_token
    assert leftovers(config) == []
    assert not (config.home / "refresh-journal.json").exists()


def test_an_interrupted_refresh_is_diagnosed_and_never_replayed(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    old = logged_in_expiring(manager)
    leave_journal(config, old.refresh_fingerprint, "sent")
    route = router.post("/oauth/token")

    with pytest.raises(RefreshInterrupted) as caught:
        fresh_manager(config, clock).refresh()
    assert "pid 4242" in caught.value.diagnosis
    assert "--retry-interrupted" in caught.value.remedy
    with pytest.raises(RefreshInterrupted):
        fresh_manager(config, clock).live_credentials()  # still not presented
    assert route.call_count == 0

    record = json.loads(config.auth_path.read_text())["last_error"]
    assert record["code"] == "refresh_interrupted"
    assert record["answer_lost"] is True
    assert record["refresh_fingerprint"] == old.refresh_fingerprint
    report = collect_status(config, clock)
    assert not report.ready
    assert report.data["last_error"]["code"] == "refresh_interrupted"


def test_status_shows_an_interrupted_refresh_before_any_other_command_ran(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock
) -> None:
    old = logged_in_expiring(manager)
    leave_journal(config, old.refresh_fingerprint, "sent")
    report = collect_status(config, clock)
    assert not report.ready
    assert report.data["last_error"]["code"] == "refresh_interrupted"
    assert report.data["last_error"]["answer_lost"] is True
    assert (config.home / "refresh-journal.json").exists()  # status changes nothing


def test_while_the_access_token_lives_an_interrupted_refresh_only_warns(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock
) -> None:
    tokens = make_tokens(exp=START + 3600)
    manager.save_new_login(tokens, method="device_code")
    leave_journal(config, tokens.refresh_fingerprint, "sent")
    creds = fresh_manager(config, clock).live_credentials()
    assert creds.access_token == tokens.access_token
    report = collect_status(config, clock)
    assert report.ready
    assert "codex-agent login" in report.summary


def test_the_user_can_opt_into_one_replay(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    old = logged_in_expiring(manager)
    leave_journal(config, old.refresh_fingerprint, "sent")
    with pytest.raises(RefreshInterrupted):
        fresh_manager(config, clock).refresh()
    new = make_tokens(exp=START + 3600)
    route = router.post("/oauth/token").mock(
        return_value=httpx.Response(200, json=refresh_body(new))
    )
    creds = fresh_manager(config, clock).refresh(retry_interrupted=True)
    assert route.call_count == 1
    assert creds.source == "refreshed"
    assert json.loads(config.auth_path.read_text())["last_error"] is None


def test_an_opted_in_replay_that_the_server_calls_reuse_says_the_answer_was_lost(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    old = logged_in_expiring(manager)
    leave_journal(config, old.refresh_fingerprint, "sent")
    reused = {"error": {"code": "refresh_token_reused", "message": "already used"}}
    router.post("/oauth/token").mock(return_value=httpx.Response(401, json=reused))
    with pytest.raises(RefreshTokenReused) as caught:
        fresh_manager(config, clock).refresh(retry_interrupted=True)
    assert "answer was lost" in caught.value.diagnosis


def test_an_attempt_that_died_before_sending_is_simply_retried(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    old = logged_in_expiring(manager)
    leave_journal(config, old.refresh_fingerprint, "prepared")
    new = make_tokens(exp=START + 3600)
    route = router.post("/oauth/token").mock(
        return_value=httpx.Response(200, json=refresh_body(new))
    )
    creds = fresh_manager(config, clock).refresh()
    assert route.call_count == 1
    assert creds.source == "refreshed"


def test_an_entry_whose_outcome_was_saved_is_just_closed(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    logged_in_expiring(manager)
    leave_journal(config, "t_0123456789ab", "sent")  # another token than the store's
    new = make_tokens(exp=START + 3600)
    router.post("/oauth/token").mock(return_value=httpx.Response(200, json=refresh_body(new)))
    assert fresh_manager(config, clock).refresh().source == "refreshed"
    assert RefreshJournal(config.home).open_entry() is None


def test_an_imported_login_adopts_the_codex_clis_newer_pair_instead(
    config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    first = make_tokens(exp=START + 100)
    write_codex_cli_store(config.codex_home, first)
    fresh_manager(config, clock).import_codex_cli()
    leave_journal(config, first.refresh_fingerprint, "sent")
    rotated_by_cli = make_tokens(exp=START + 3600)
    write_codex_cli_store(config.codex_home, rotated_by_cli)
    route = router.post("/oauth/token")

    creds = fresh_manager(config, clock).refresh()

    assert route.call_count == 0
    assert creds.source == "codex_cli"
    assert creds.access_token == rotated_by_cli.access_token
