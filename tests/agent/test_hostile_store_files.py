"""Broken and hostile local files: the agent's auth.json, its lock, and the Codex CLI's auth.json.

Each is a clear error naming the file and the fix; a corrupt store is moved aside by the commands
that write and never overwritten; the Codex CLI's file is never modified.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from agent_testkit import cli_env, make_tokens, run_cli, write_codex_cli_store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.auth.manager import CredentialManager
from agent.auth.status import collect_status
from agent.auth.store import AuthStore
from agent.clock import ManualClock
from agent.config import AgentConfig
from agent.errors import CodexCliLoginUnusable, CorruptStore, StoreError, StoreUnusable

NESTED = b"[" * 200_000 + b"]" * 200_000


def _valid_doc() -> dict[str, Any]:
    tokens = make_tokens()
    return {
        "version": 1,
        "tokens": {
            "id_token": tokens.id_token,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "account_id": tokens.account_id,
        },
    }


def _with(path: list[str], value: object) -> bytes:
    doc: dict[str, Any] = _valid_doc()
    node: Any = doc
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return json.dumps(doc).encode()


def _deep(n: int) -> object:
    value: object = "x"
    for _ in range(n):
        value = {"a": value}
    return value


HOSTILE = {
    "nested brackets": (NESTED, "nested too deeply"),
    "nested objects": (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nested"),
    "not UTF-8": (b'{"version": 1, "x": "\xff\xfe"}', "not UTF-8"),
    "huge": (b'{"pad": "' + b"x" * (2 << 20) + b'"}', "larger than"),
    "a JSON array": (b"[1, 2, 3]", "not a JSON object"),
    "a 5000-digit number": (b'{"version": ' + b"9" * 5000 + b"}", "not valid JSON"),
    "an object for a token": (_with(["tokens", "id_token"], _deep(30)), "`tokens.id_token`"),
    "a deep object for a message": (
        _with(["last_error"], {"code": "x", "message": _deep(30)}),
        "`last_error.message`",
    ),
    "a deep unknown key": (_with(["extra"], _deep(40)), "nested more than"),
    "a token with a newline": (_with(["tokens", "access_token"], "a\nb"), "characters"),
}


@pytest.fixture
def config(make_config: Callable[..., AgentConfig]) -> AgentConfig:
    return make_config("https://127.0.0.1:9", lock_timeout_seconds=0.5)


@pytest.fixture
def manager(config: AgentConfig, clock: ManualClock) -> CredentialManager:
    return CredentialManager(config, http=httpx.Client(), clock=clock)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_store_is_reported_moved_aside_and_never_overwritten(
    name: str, manager: CredentialManager, config: AgentConfig, clock: ManualClock
) -> None:
    content, problem = HOSTILE[name]
    config.home.mkdir(mode=0o700)
    config.auth_path.write_bytes(content)

    report = collect_status(config, clock)
    assert not report.ready
    assert report.data["store_state"] == "store_corrupt"
    assert problem in report.data["last_error"]["message"]

    with pytest.raises(CorruptStore) as caught:
        manager.refresh()
    assert caught.value.moved_to is not None
    assert caught.value.moved_to.read_bytes() == content

    config.auth_path.write_bytes(content)
    saved = manager.save_new_login(make_tokens(), method="device_code")
    assert any("moved aside" in notice for notice in saved.notices)
    copies = sorted(config.home.glob("auth.json.corrupt-*"))
    assert [p.read_bytes() for p in copies] == [content, content]


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(
                        [
                            "version",
                            "tokens",
                            "id_token",
                            "access_token",
                            "refresh_token",
                            "account_id",
                            "origin",
                            "last_error",
                            "code",
                            "message",
                            "codex_cli",
                            "retired_refresh_fingerprints",
                            "last_refresh",
                            "method",
                        ]
                    ),
                    inner,
                    max_size=6,
                )
            ),
            max_leaves=30,
        ).map(lambda doc: json.dumps(doc).encode()),
    )
)
def test_any_content_reads_as_a_login_none_or_a_store_error(
    content: bytes, config: AgentConfig, clock: ManualClock
) -> None:
    config.home.mkdir(mode=0o700, exist_ok=True)
    config.auth_path.write_bytes(content)
    store = AuthStore(config.home, clock=clock, lock_timeout=0.5)
    try:
        login = store.read()
    except StoreError:
        return
    assert login is not None
    assert login.tokens.refresh_fingerprint.startswith("t_")
    collect_status(config, clock)  # and status can describe it


def test_a_symlink_loop_names_the_file_and_the_fix(
    manager: CredentialManager, config: AgentConfig, clock: ManualClock
) -> None:
    config.home.mkdir(mode=0o700)
    os.symlink("auth.json", config.auth_path)
    for action in (manager.refresh, manager.ensure_writable, manager.logout):
        with pytest.raises(StoreUnusable) as caught:
            action()
        assert str(config.auth_path) in caught.value.message
        assert "symbolic link that loops" in caught.value.message
        assert f"rm {config.auth_path}" in caught.value.remedy
    assert os.readlink(config.auth_path) == "auth.json"
    assert collect_status(config, clock).data["store_state"] == "store_unusable"


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_a_store_that_is_not_a_file_is_refused_without_hanging(
    kind: str, manager: CredentialManager, config: AgentConfig, clock: ManualClock
) -> None:
    config.home.mkdir(mode=0o700)
    if kind == "directory":
        config.auth_path.mkdir()
    else:
        os.mkfifo(config.auth_path)
    with pytest.raises(StoreUnusable) as caught:
        manager.refresh()
    assert str(config.auth_path) in caught.value.message
    assert collect_status(config, clock).data["store_state"] == "store_unusable"
    assert config.auth_path.exists()


def test_a_lock_that_is_a_directory_names_the_lock_and_the_fix(
    manager: CredentialManager, config: AgentConfig
) -> None:
    manager.save_new_login(make_tokens(), method="device_code")
    lock = config.home / "auth.json.lock"
    lock.unlink()
    lock.mkdir()
    with pytest.raises(StoreUnusable) as caught:
        manager.refresh(force=True)
    assert str(lock) in caught.value.message
    assert "is a directory" in caught.value.message
    assert f"rmdir {lock}" in caught.value.remedy


@pytest.mark.parametrize("name", [n for n in HOSTILE if n != "a deep object for a message"])
def test_a_hostile_codex_cli_store_is_refused_and_never_modified(
    name: str, manager: CredentialManager, config: AgentConfig
) -> None:
    content, _ = HOSTILE[name]
    config.codex_home.mkdir()
    cli_path = config.codex_home / "auth.json"
    cli_path.write_bytes(content)
    with pytest.raises(CodexCliLoginUnusable) as caught:
        manager.import_codex_cli()
    assert str(cli_path) in caught.value.message
    assert cli_path.read_bytes() == content


def test_adoption_reads_a_hostile_codex_cli_store_as_nothing_to_adopt(
    config: AgentConfig, clock: ManualClock
) -> None:
    tokens = make_tokens()
    cli_path = write_codex_cli_store(config.codex_home, tokens)
    manager = CredentialManager(config, http=httpx.Client(), clock=clock)
    manager.import_codex_cli()
    cli_path.write_bytes(NESTED)
    creds = CredentialManager(config, http=httpx.Client(), clock=clock).refresh()
    assert creds.access_token == tokens.access_token
    assert cli_path.read_bytes() == NESTED
    status = collect_status(config, clock)
    assert "nested too deeply" in status.data["codex_cli"]["problem"]


def test_commands_report_a_nested_store_clearly(config: AgentConfig, tmp_path: Path) -> None:
    config.home.mkdir(mode=0o700)
    env = cli_env(config.home, config.codex_home, "https://127.0.0.1:9", None)
    env["CODEX_AGENT_CODEX_BASE_URL"] = "https://127.0.0.1:9/backend-api/codex"
    for args in (["status"], ["ask", "hello"], ["refresh"]):
        config.auth_path.write_bytes(NESTED)
        result = run_cli(args, env)
        out = result.stdout + result.stderr
        assert result.returncode != 0, args
        assert "Traceback" not in out, (args, out[-2000:])
        assert "a bug" not in out, (args, out[-2000:])
        assert str(config.auth_path) in out, args
    moved = list(config.home.glob("auth.json.corrupt-*"))
    assert len(moved) == 2  # by `ask` and `refresh`, the commands that write; not by `status`
    assert all(p.read_bytes() == NESTED for p in moved)
