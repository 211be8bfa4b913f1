"""The store on disk: permissions, atomic writes, corrupt and future files, the lock."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable

import httpx
import pytest
from agent_testkit import make_tokens, snapshot_tree

from agent.auth.manager import CredentialManager
from agent.auth.status import collect_status
from agent.auth.store import AuthStore
from agent.clock import ManualClock
from agent.config import AgentConfig
from agent.errors import CorruptStore, LockTimeout, NotLoggedIn, StoreFromNewerVersion


@pytest.fixture
def config(make_config: Callable[..., AgentConfig]) -> AgentConfig:
    return make_config("https://auth.test", lock_timeout_seconds=0.2)


@pytest.fixture
def manager(config: AgentConfig, clock: ManualClock) -> CredentialManager:
    return CredentialManager(config, http=httpx.Client(), clock=clock)


def test_files_are_private_and_no_temp_file_is_left(
    manager: CredentialManager, config: AgentConfig
) -> None:
    manager.save_new_login(make_tokens(), method="device_code")
    assert config.home.stat().st_mode & 0o777 == 0o700
    assert config.auth_path.stat().st_mode & 0o777 == 0o600
    leftovers = [p.name for p in config.home.iterdir() if p.name.startswith(".auth.json.tmp")]
    assert leftovers == []


def test_a_write_replaces_the_file_atomically(
    manager: CredentialManager, config: AgentConfig
) -> None:
    manager.save_new_login(make_tokens(), method="device_code")
    inode = config.auth_path.stat().st_ino
    manager.record_auth_error(NotLoggedIn())
    assert config.auth_path.stat().st_ino != inode  # a rename, not an in-place rewrite


def test_the_layout_is_documented_and_versioned(
    manager: CredentialManager, config: AgentConfig
) -> None:
    tokens = make_tokens()
    manager.save_new_login(tokens, method="device_code")
    doc = json.loads(config.auth_path.read_text())
    assert doc["version"] == 1
    assert set(doc) == {
        "version",
        "auth_mode",
        "tokens",
        "origin",
        "last_refresh",
        "codex_cli",
        "retired_refresh_fingerprints",
        "last_error",
    }
    assert doc["tokens"]["account_id"] == tokens.account_id


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (b'{"version": 1}', "`tokens` is missing"),
        (b'{"version": "1", "tokens": {}}', "`version` is missing or not an integer"),
        (
            b'{"version": 1, "tokens": {"id_token": "a", "access_token": "b"}}',
            "`tokens.refresh_token`",
        ),
        (b"\xff\xfe garbage", "not UTF-8"),
    ],
)
def test_a_corrupt_store_is_moved_aside_and_reported(
    manager: CredentialManager,
    config: AgentConfig,
    clock: ManualClock,
    content: bytes,
    problem: str,
) -> None:
    config.home.mkdir(mode=0o700)
    config.auth_path.write_bytes(content)

    report = collect_status(config, clock)  # status only reports it
    assert not report.ready
    assert report.data["store_state"] == "store_corrupt"
    assert config.auth_path.read_bytes() == content

    with pytest.raises(CorruptStore) as caught:
        manager.live_credentials()
    moved = caught.value.moved_to
    assert moved is not None
    assert moved.name == "auth.json.corrupt-20270115T080000Z"
    assert moved.read_bytes() == content
    assert problem in caught.value.message
    assert str(moved) in caught.value.message
    assert not config.auth_path.exists()
    with pytest.raises(NotLoggedIn):
        manager.live_credentials()


def test_two_corrupt_files_in_the_same_second_both_survive(
    manager: CredentialManager, config: AgentConfig
) -> None:
    config.home.mkdir(mode=0o700)
    for content in (b"first", b"second"):
        config.auth_path.write_bytes(content)
        with pytest.raises(CorruptStore):
            manager.live_credentials()
    kept = sorted(p.read_bytes() for p in config.home.glob("auth.json.corrupt-*"))
    assert kept == [b"first", b"second"]


def test_a_store_from_a_newer_version_is_refused_and_never_overwritten(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock
) -> None:
    config.home.mkdir(mode=0o700)
    future = json.dumps({"version": 2, "tokens": {"whatever": "new layout"}}).encode()
    config.auth_path.write_bytes(future)
    for action in (
        manager.live_credentials,
        lambda: manager.refresh(force=True),
        lambda: manager.save_new_login(make_tokens(), method="device_code"),
        manager.logout,
    ):
        with pytest.raises(StoreFromNewerVersion) as caught:
            action()
        assert "upgrade codex-agent" in caught.value.remedy
    assert config.auth_path.read_bytes() == future
    assert collect_status(config, clock).data["store_state"] == "store_version_unsupported"


def test_a_lock_held_elsewhere_times_out_with_a_clear_error(
    manager: CredentialManager, config: AgentConfig
) -> None:
    manager.save_new_login(make_tokens(exp=1.0), method="device_code")
    other = AuthStore(config.home, clock=ManualClock(), lock_timeout=5)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with other.locked():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    try:
        with pytest.raises(LockTimeout) as caught:
            manager.live_credentials()
        assert caught.value.retryable
        assert "auth.json.lock" in caught.value.message
    finally:
        release.set()
        thread.join()


def test_status_warns_about_a_readable_store(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock
) -> None:
    manager.save_new_login(make_tokens(), method="device_code")
    os.chmod(config.auth_path, 0o644)
    report = collect_status(config, clock)
    assert "readable by other users" in report.data["store_warning"]


def test_status_in_process_changes_nothing(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock
) -> None:
    manager.save_new_login(make_tokens(exp=1.0), method="device_code")
    before = snapshot_tree(config.home)
    report = collect_status(config, clock)
    assert report.ready
    assert snapshot_tree(config.home) == before


def test_unknown_keys_of_the_same_version_are_kept(
    manager: CredentialManager, config: AgentConfig
) -> None:
    manager.save_new_login(make_tokens(), method="device_code")
    doc = json.loads(config.auth_path.read_text())
    doc["added_by_a_patch_release"] = {"x": 1}
    config.auth_path.write_text(json.dumps(doc))
    manager.record_auth_error(NotLoggedIn())
    assert json.loads(config.auth_path.read_text())["added_by_a_patch_release"] == {"x": 1}


def test_reading_does_not_need_the_lock(config: AgentConfig, manager: CredentialManager) -> None:
    manager.save_new_login(make_tokens(), method="device_code")
    store = AuthStore(config.home, clock=ManualClock(), lock_timeout=0.1)
    with store.locked():
        assert store.read() is not None


def test_status_is_ready_when_the_codex_cli_holds_a_fresher_pair(
    config: AgentConfig, clock: ManualClock
) -> None:
    import respx
    from agent_testkit import write_codex_cli_store

    from agent.errors import RefreshTokenReused

    write_codex_cli_store(config.codex_home, make_tokens(exp=1.0))
    manager = CredentialManager(config, http=httpx.Client(), clock=clock)
    manager.import_codex_cli()
    with respx.mock(base_url=config.issuer) as router:
        router.post("/oauth/token").mock(
            return_value=httpx.Response(400, json={"error": {"code": "refresh_token_reused"}})
        )
        with pytest.raises(RefreshTokenReused):
            manager.live_credentials()
    assert not collect_status(config, clock).ready

    write_codex_cli_store(config.codex_home, make_tokens())  # the CLI signs in again
    report = collect_status(config, clock)
    assert report.ready
    assert "adopts the Codex CLI's newer pair" in report.summary
    assert manager.live_credentials().source == "codex_cli"
