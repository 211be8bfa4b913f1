"""The credential manager's decisions, against a mocked token endpoint (respx)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from agent_testkit import START, make_tokens, refresh_body, write_codex_cli_store

from agent.auth.manager import CredentialManager
from agent.auth.retry import RetryPolicy
from agent.clock import ManualClock
from agent.config import AgentConfig
from agent.errors import (
    AccountMismatch,
    BadServerResponse,
    NetworkError,
    NotLoggedIn,
    RateLimited,
    RefreshRejected,
    RefreshTokenExpired,
    RefreshTokenReused,
    RefreshTokenRevoked,
    ServerError,
    TokenInvalidated,
    TransientAuthError,
)
from agent.fingerprint import token_fingerprint

ISSUER = "https://auth.test"

REUSED = {
    "error": {
        "message": "Your refresh token has already been used to generate a new access token.",
        "type": "invalid_request_error",
        "code": "refresh_token_reused",
    }
}


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


def stored(config: AgentConfig) -> dict[str, Any]:
    return json.loads(config.auth_path.read_text())


def test_no_refresh_while_the_access_token_is_live(manager: CredentialManager, router: Any) -> None:
    tokens = make_tokens(exp=START + 3600)
    manager.save_new_login(tokens, method="device_code")
    route = router.post("/oauth/token")
    creds = manager.live_credentials()
    again = manager.live_credentials()
    assert creds.access_token == tokens.access_token
    assert creds.account_id == tokens.account_id
    assert again.source == "memory"
    assert route.call_count == 0


def test_refresh_within_the_skew_sends_the_json_body_and_persists_first(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    old = make_tokens(exp=START + 200)  # inside the 300 s skew
    new = make_tokens(exp=START + 3600)
    manager.save_new_login(old, method="device_code")
    route = router.post("/oauth/token").mock(
        return_value=httpx.Response(200, json=refresh_body(new))
    )

    creds = manager.live_credentials()

    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
        "grant_type": "refresh_token",
        "refresh_reason": "proactive_expiry",  # as Codex CLI 0.169.0 says it
        "refresh_token": old.refresh_token,
    }
    assert request.headers["user-agent"].startswith("codex-agent/")
    assert request.headers["originator"] == "codex_cli_rs"
    assert creds.access_token == new.access_token
    assert creds.source == "refreshed"
    doc = stored(config)
    assert doc["tokens"]["refresh_token"] == new.refresh_token
    assert doc["retired_refresh_fingerprints"] == [token_fingerprint(old.refresh_token)]
    assert doc["last_refresh"] == "2027-01-15T08:00:00Z"
    assert doc["last_error"] is None


def test_a_refresh_answer_without_a_refresh_token_keeps_the_old_one(
    manager: CredentialManager, config: AgentConfig, router: Any
) -> None:
    old = make_tokens(exp=START + 10)
    new = make_tokens(exp=START + 3600)
    manager.save_new_login(old, method="device_code")
    router.post("/oauth/token").mock(
        return_value=httpx.Response(
            200, json={"access_token": new.access_token, "expires_in": 3600}
        )
    )
    manager.live_credentials()
    doc = stored(config)
    assert doc["tokens"]["refresh_token"] == old.refresh_token
    assert doc["tokens"]["access_token"] == new.access_token
    assert doc["tokens"]["id_token"] == old.id_token
    assert doc["retired_refresh_fingerprints"] == []


@pytest.mark.parametrize(
    ("status", "body", "error_type"),
    [
        (400, REUSED, RefreshTokenReused),
        (401, REUSED, RefreshTokenReused),
        (401, {"error": {"code": "refresh_token_expired", "message": "x"}}, RefreshTokenExpired),
        (400, {"error": "refresh_token_invalidated"}, RefreshTokenRevoked),
        (401, {"code": "REFRESH_TOKEN_REUSED"}, RefreshTokenReused),
        (
            400,
            {"error": "invalid_grant", "error_description": "Invalid refresh token"},
            RefreshRejected,
        ),
        (401, {"error": {"message": "nope"}}, RefreshRejected),
    ],
)
def test_permanent_refusals_are_typed_recorded_and_never_presented_again(
    manager: CredentialManager,
    config: AgentConfig,
    router: Any,
    status: int,
    body: dict[str, Any],
    error_type: type[Exception],
) -> None:
    tokens = make_tokens(exp=START - 10)
    manager.save_new_login(tokens, method="device_code")
    route = router.post("/oauth/token").mock(return_value=httpx.Response(status, json=body))

    with pytest.raises(error_type) as caught:
        manager.live_credentials()
    error = caught.value
    assert error.remedy
    assert error.diagnosis
    assert not error.retryable
    record = stored(config)["last_error"]
    assert record["code"] == error.code  # type: ignore[attr-defined]
    assert record["refresh_fingerprint"] == token_fingerprint(tokens.refresh_token)
    assert tokens.refresh_token not in json.dumps(record)

    with pytest.raises(error_type):
        manager.refresh(force=True)
    assert route.call_count == 1  # the dead token was not presented a second time


def test_the_codex_cli_reuse_message_is_the_one_users_know(
    manager: CredentialManager, router: Any
) -> None:
    manager.save_new_login(make_tokens(exp=START - 10), method="device_code")
    router.post("/oauth/token").mock(return_value=httpx.Response(400, json=REUSED))
    with pytest.raises(RefreshTokenReused) as caught:
        manager.live_credentials()
    assert "refresh token was already used" in caught.value.message
    assert "another client" in caught.value.diagnosis
    assert "codex-agent login" in caught.value.remedy


def test_transient_failures_are_retried_with_bounded_backoff(
    manager: CredentialManager, clock: ManualClock, router: Any
) -> None:
    new = make_tokens()
    manager.save_new_login(make_tokens(exp=START - 10), method="device_code")
    route = router.post("/oauth/token").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(503, text="<html><body>Service Unavailable</body></html>"),
            httpx.Response(200, json=refresh_body(new)),
        ]
    )
    creds = manager.live_credentials()
    assert creds.access_token == new.access_token
    assert route.call_count == 3
    assert clock.sleeps == [0.5, 1.0]


def test_retry_after_is_honoured_on_429(
    manager: CredentialManager, clock: ManualClock, router: Any
) -> None:
    new = make_tokens()
    manager.save_new_login(make_tokens(exp=START - 10), method="device_code")
    router.post("/oauth/token").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "rate_limited"}),
            httpx.Response(200, json=refresh_body(new)),
        ]
    )
    manager.live_credentials()
    assert clock.sleeps == [7.0]


def test_a_long_retry_after_gives_up_at_once_with_the_wait_in_the_error(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    manager.save_new_login(make_tokens(exp=START - 10), method="device_code")
    route = router.post("/oauth/token").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "600"}, text="slow down")
    )
    with pytest.raises(RateLimited) as caught:
        manager.live_credentials()
    assert caught.value.retry_after == 600
    assert caught.value.retryable
    assert route.call_count == 1
    assert clock.sleeps == []
    assert stored(config)["last_error"]["code"] == "rate_limited"


def test_transient_errors_exhaust_after_three_attempts(
    manager: CredentialManager, router: Any
) -> None:
    manager.save_new_login(make_tokens(exp=START - 10), method="device_code")
    route = router.post("/oauth/token").mock(
        return_value=httpx.Response(500, json={"error": "boom"})
    )
    with pytest.raises(ServerError):
        manager.live_credentials()
    assert route.call_count == 3


def test_garbage_in_a_200_is_not_replayed(manager: CredentialManager, router: Any) -> None:
    manager.save_new_login(make_tokens(exp=START - 10), method="device_code")
    route = router.post("/oauth/token").mock(
        return_value=httpx.Response(
            200, text='{"access_token": "eyJ', headers={"content-type": "application/json"}
        )
    )
    with pytest.raises(BadServerResponse) as caught:
        manager.live_credentials()
    assert "truncated or malformed JSON" in caught.value.message
    assert route.call_count == 1


def test_a_failed_early_refresh_keeps_a_token_that_still_works(
    manager: CredentialManager, config: AgentConfig, router: Any
) -> None:
    tokens = make_tokens(exp=START + 100)  # in the skew, not expired
    manager.save_new_login(tokens, method="device_code")
    router.post("/oauth/token").mock(side_effect=httpx.ConnectError("offline"))
    creds = manager.live_credentials()
    assert creds.access_token == tokens.access_token
    assert creds.source == "stale_but_valid"
    assert isinstance(creds.warning, NetworkError)
    assert stored(config)["last_error"]["code"] == "network_error"


def test_an_expired_token_with_the_server_unreachable_raises(
    manager: CredentialManager, router: Any
) -> None:
    manager.save_new_login(make_tokens(exp=START - 1), method="device_code")
    router.post("/oauth/token").mock(side_effect=httpx.ConnectError("offline"))
    with pytest.raises(TransientAuthError) as caught:
        manager.live_credentials()
    assert caught.value.code == "network_error"


def test_a_peer_process_rotation_is_adopted_without_a_network_call(
    config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    first = CredentialManager(config, http=httpx.Client(), clock=clock)
    second = CredentialManager(config, http=httpx.Client(), clock=clock)
    first.save_new_login(make_tokens(exp=START + 3600), method="device_code")
    second.load()
    new = make_tokens(exp=START + 7200)
    route = router.post("/oauth/token").mock(
        return_value=httpx.Response(200, json=refresh_body(new))
    )

    first.refresh(force=True)
    creds = second.refresh(force=True)

    assert route.call_count == 1
    assert creds.source == "peer_agent"
    assert creds.access_token == new.access_token


def test_recovery_after_a_401_adopts_a_peer_pair_or_refreshes_once(
    config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    a = CredentialManager(config, http=httpx.Client(), clock=clock)
    b = CredentialManager(config, http=httpx.Client(), clock=clock)
    a.save_new_login(make_tokens(), method="device_code")
    rejected = b.live_credentials().access_token
    gen1, gen2 = make_tokens(), make_tokens()
    route = router.post("/oauth/token").mock(
        side_effect=[
            httpx.Response(200, json=refresh_body(gen1)),
            httpx.Response(200, json=refresh_body(gen2)),
        ]
    )
    a.refresh(force=True)  # a peer rotates; b still holds the old access token

    adopted = b.recover_after_rejection(rejected, TokenInvalidated())
    assert adopted.access_token == gen1.access_token
    assert route.call_count == 1

    refreshed = b.recover_after_rejection(adopted.access_token, TokenInvalidated())
    assert refreshed.access_token == gen2.access_token
    assert route.call_count == 2
    forced, recovery = (json.loads(call.request.content) for call in route.calls)
    assert "refresh_reason" not in forced  # the user's choice is none of the CLI's reasons
    assert recovery["refresh_reason"] == "unauthorized_recovery"


def test_recovery_failure_names_the_backend_code(
    manager: CredentialManager, config: AgentConfig, router: Any
) -> None:
    manager.save_new_login(make_tokens(), method="device_code")
    rejected = manager.live_credentials().access_token
    router.post("/oauth/token").mock(return_value=httpx.Response(401, json=REUSED))
    with pytest.raises(RefreshTokenReused) as caught:
        manager.recover_after_rejection(rejected, TokenInvalidated())
    assert "token_invalidated" in caught.value.diagnosis
    assert stored(config)["last_error"]["code"] == "refresh_token_reused"


def test_record_auth_error_keeps_the_backend_diagnosis(
    manager: CredentialManager, config: AgentConfig
) -> None:
    manager.save_new_login(make_tokens(), method="device_code")
    manager.record_auth_error(TokenInvalidated())
    record = stored(config)["last_error"]
    assert record["code"] == "token_invalidated"
    assert record["context"] == "backend"


def test_not_logged_in(manager: CredentialManager) -> None:
    with pytest.raises(NotLoggedIn):
        manager.live_credentials()


def test_a_login_for_another_account_is_never_adopted_mid_run(
    config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    running = CredentialManager(config, http=httpx.Client(), clock=clock)
    running.save_new_login(make_tokens("acc_one"), method="device_code")
    running.live_credentials()
    other = CredentialManager(config, http=httpx.Client(), clock=clock)
    router.post("/oauth/revoke").mock(return_value=httpx.Response(200))
    other.save_new_login(make_tokens("acc_two"), method="device_code")
    with pytest.raises(AccountMismatch):
        running.refresh(force=True)


def test_refresh_returning_another_account_is_refused(
    manager: CredentialManager, router: Any
) -> None:
    manager.save_new_login(make_tokens("acc_one", exp=START - 1), method="device_code")
    router.post("/oauth/token").mock(
        return_value=httpx.Response(200, json=refresh_body(make_tokens("acc_two")))
    )
    with pytest.raises(AccountMismatch):
        manager.live_credentials()


def test_a_sibling_rotation_in_the_codex_cli_store_is_adopted(
    config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    cli_path = write_codex_cli_store(config.codex_home, make_tokens(exp=START + 3600))
    manager = CredentialManager(config, http=httpx.Client(), clock=clock)
    manager.import_codex_cli()
    rotated = make_tokens(exp=START + 7200)
    write_codex_cli_store(config.codex_home, rotated)
    before = cli_path.read_bytes(), cli_path.stat().st_mtime_ns
    route = router.post("/oauth/token")

    creds = manager.refresh(force=True)

    assert creds.source == "codex_cli"
    assert creds.access_token == rotated.access_token
    assert route.call_count == 0
    assert (cli_path.read_bytes(), cli_path.stat().st_mtime_ns) == before  # never written
    assert stored(config)["codex_cli"]["seen_refresh_fingerprint"] == token_fingerprint(
        rotated.refresh_token
    )


def test_a_stale_codex_cli_copy_is_never_adopted(
    config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    original = make_tokens(exp=START + 3600)
    write_codex_cli_store(config.codex_home, original)
    manager = CredentialManager(config, http=httpx.Client(), clock=clock)
    manager.import_codex_cli()
    new = make_tokens(exp=START + 7200)
    route = router.post("/oauth/token").mock(
        return_value=httpx.Response(200, json=refresh_body(new))
    )
    manager.refresh(force=True)  # the agent rotates; the CLI's copy is now stale
    fresh = CredentialManager(config, http=httpx.Client(), clock=clock)
    clock.advance(7000)
    newer = make_tokens(exp=START + 20000)
    route.mock(return_value=httpx.Response(200, json=refresh_body(newer)))
    creds = fresh.live_credentials()
    assert creds.access_token == newer.access_token
    presented = json.loads(route.calls.last.request.content)["refresh_token"]
    assert presented == new.refresh_token  # never the CLI's retired one


def test_another_account_in_the_codex_cli_store_is_ignored(
    config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    write_codex_cli_store(config.codex_home, make_tokens("acc_mine"))
    manager = CredentialManager(config, http=httpx.Client(), clock=clock)
    manager.import_codex_cli()
    write_codex_cli_store(config.codex_home, make_tokens("acc_other"))
    new = make_tokens("acc_mine")
    router.post("/oauth/token").mock(return_value=httpx.Response(200, json=refresh_body(new)))
    assert manager.refresh(force=True).source == "refreshed"


def test_import_refuses_another_account(config: AgentConfig, clock: ManualClock) -> None:
    manager = CredentialManager(config, http=httpx.Client(), clock=clock)
    manager.save_new_login(make_tokens("acc_mine"), method="device_code")
    write_codex_cli_store(config.codex_home, make_tokens("acc_other"))
    with pytest.raises(AccountMismatch):
        manager.import_codex_cli()


def test_logout_revokes_then_deletes(
    manager: CredentialManager, config: AgentConfig, router: Any
) -> None:
    tokens = make_tokens()
    manager.save_new_login(tokens, method="device_code")
    route = router.post("/oauth/revoke").mock(return_value=httpx.Response(200, json={}))
    result = manager.logout()
    assert result.revoked
    assert not config.auth_path.exists()
    assert json.loads(route.calls.last.request.content) == {
        "token": tokens.refresh_token,
        "token_type_hint": "refresh_token",
        "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
    }


def test_logout_of_a_login_shared_with_the_codex_cli_does_not_revoke_it(
    config: AgentConfig, clock: ManualClock, router: Any
) -> None:
    write_codex_cli_store(config.codex_home, make_tokens())
    manager = CredentialManager(config, http=httpx.Client(), clock=clock)
    manager.import_codex_cli()
    route = router.post("/oauth/revoke")
    result = manager.logout()
    assert not result.revoked
    assert route.call_count == 0
    assert "shared with the Codex CLI" in result.notices[0]
    assert not config.auth_path.exists()


def test_logout_deletes_even_when_the_server_is_down(
    manager: CredentialManager, config: AgentConfig, router: Any
) -> None:
    manager.save_new_login(make_tokens(), method="device_code")
    router.post("/oauth/revoke").mock(side_effect=httpx.ConnectError("offline"))
    result = manager.logout()
    assert not result.revoked
    assert not config.auth_path.exists()
    assert "Could not revoke" in result.notices[0]


def test_retry_policy_bounds(manager: CredentialManager, clock: ManualClock, router: Any) -> None:
    manager.retry = RetryPolicy(attempts=5, base_delay=1, max_delay=3)
    manager.save_new_login(make_tokens(exp=START - 1), method="device_code")
    router.post("/oauth/token").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(TransientAuthError) as caught:
        manager.live_credentials()
    assert caught.value.code == "timeout"
    assert clock.sleeps == [1, 2, 3, 3]


def test_nothing_secret_reaches_the_store_outside_tokens(
    manager: CredentialManager, config: AgentConfig, router: Any
) -> None:
    tokens = make_tokens(exp=START - 1)
    manager.save_new_login(tokens, method="device_code")
    router.post("/oauth/token").mock(return_value=httpx.Response(400, json=REUSED))
    with pytest.raises(RefreshTokenReused):
        manager.live_credentials()
    doc = stored(config)
    del doc["tokens"]
    text = json.dumps(doc)
    for secret in (tokens.refresh_token, tokens.access_token, tokens.id_token):
        assert secret not in text


def test_paths(config: AgentConfig) -> None:
    assert config.auth_path == Path(config.home) / "auth.json"
