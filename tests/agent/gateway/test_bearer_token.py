"""Issue 12 item 2: beyond loopback the gateway requires a bearer token (0600, printed once)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import httpx
import pytest

from agent.local_http.access import AccessPolicy
from agent.local_http.token_file import TokenFileError, load_or_create_token

from .conftest import SAFETY, StartGateway

TOKEN = "t" * 43
CHAT = {"message": "hello"}


def test_a_non_loopback_policy_cannot_be_built_without_a_token() -> None:
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.com"):
        with pytest.raises(ValueError, match="needs a bearer token"):
            AccessPolicy.build(host)
    assert AccessPolicy.build("0.0.0.0", bearer_token=TOKEN).bearer_token == TOKEN


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN],
)
def test_a_wrong_or_missing_token_is_refused_everywhere(
    start_gateway: StartGateway, authorization: str | None
) -> None:
    gateway = start_gateway(token=TOKEN)
    headers = {"Authorization": authorization} if authorization is not None else {}
    with httpx.Client(base_url=gateway.url, timeout=SAFETY, trust_env=False) as client:
        answers = [
            client.post("/v1/chat", json=CHAT, headers=headers),
            client.get("/status", headers=headers),
            client.get("/healthz", headers=headers),
            client.get("/nope", headers=headers),
        ]
    for answer in answers:
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthorized"
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert TOKEN not in answer.text
    assert gateway.asked == []


def test_the_right_token_is_served(start_gateway: StartGateway) -> None:
    gateway = start_gateway(token=TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=gateway.url, timeout=SAFETY, trust_env=False) as client:
        chat = client.post("/v1/chat", json=CHAT, headers=auth)
        lower = client.get("/healthz", headers={"Authorization": f"bearer {TOKEN}"})
    assert chat.status_code == 200
    assert lower.status_code == 200
    assert gateway.asked == ["hello"]


def test_the_token_file_is_made_once_0600_in_a_0700_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first, created = load_or_create_token(home / "gateway.token")
    again, created_again = load_or_create_token(home / "gateway.token")
    assert created
    assert not created_again
    assert first == again
    assert len(first) >= 32
    if sys.platform != "win32":
        assert stat.S_IMODE((home / "gateway.token").stat().st_mode) == 0o600
        assert stat.S_IMODE(home.stat().st_mode) == 0o700


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_a_token_file_others_can_read_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "gateway.token"
    load_or_create_token(path)
    os.chmod(path, 0o644)
    with pytest.raises(TokenFileError) as refused:
        load_or_create_token(path)
    assert str(path) in refused.value.message
    assert "delete" in refused.value.remedy


@pytest.mark.parametrize("content", [b"", b"short", b"{" * 100, b"\xff" * 40])
def test_a_token_file_without_a_token_is_refused_by_name(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "gateway.token"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(TokenFileError) as refused:
        load_or_create_token(path)
    assert str(path) in refused.value.message


def test_a_token_file_that_is_a_folder_or_a_loop_is_refused_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "gateway.token"
    folder.mkdir(parents=True)
    loop = tmp_path / "b" / "gateway.token"
    loop.parent.mkdir()
    loop.symlink_to(loop)
    for path in (folder, loop):
        with pytest.raises(TokenFileError) as refused:
            load_or_create_token(path)
        assert str(path) in refused.value.message
