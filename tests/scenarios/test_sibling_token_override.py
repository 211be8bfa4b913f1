"""The simulated siblings send refreshes and revokes where the real Codex CLI does: to
`CODEX_REFRESH_TOKEN_URL_OVERRIDE` / `CODEX_REVOKE_TOKEN_URL_OVERRIDE` when set (a broker on
loopback), else to the issuer (PROTOCOL.md sections 3 and 5)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from scenarios.lab.sibling_process import SiblingSpec
from scenarios.siblings import codex_store
from scenarios.siblings.__main__ import build, execute, parse_args
from scenarios.siblings.wire import REFRESH_URL_OVERRIDE, REVOKE_URL_OVERRIDE

ISSUER = "https://auth.example.test"
BROKER = "http://127.0.0.1:8788"
OVERRIDES = {
    REFRESH_URL_OVERRIDE: f"{BROKER}/oauth/token",
    REVOKE_URL_OVERRIDE: f"{BROKER}/oauth/revoke",
}


def answer(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/oauth/revoke"):
        return httpx.Response(200, json={})
    return httpx.Response(
        200, json={"id_token": "id-2", "access_token": "at-2", "refresh_token": "rt-2"}
    )


def run(kind: str, tmp_path: Path, env: dict[str, str], *commands: str) -> list[httpx.Request]:
    codex_home = tmp_path / "codex"
    codex_store.save_in_place(codex_home, codex_store.CodexTokens("id-1", "at-1", "rt-1", "acc"))
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    args = parse_args(
        [kind, "--codex-home", str(codex_home), "--issuer", ISSUER, "--base-url", ISSUER,
         "--home", str(tmp_path / "naive")]
    )  # fmt: skip
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        sibling = build(args, client, env=env)
        for cmd in commands:
            execute(sibling, {"cmd": cmd})
    return seen


@pytest.mark.parametrize("kind", ["codex-cli", "vscode", "naive-agent"])
def test_a_refresh_goes_to_the_override_when_set(kind: str, tmp_path: Path) -> None:
    start = "import" if kind == "naive-agent" else "start"
    (request,) = run(kind, tmp_path, OVERRIDES, start, "refresh")
    assert str(request.url) == f"{BROKER}/oauth/token"
    body = request.content.decode()
    assert "rt-1" in body
    assert "refresh_token" in body


@pytest.mark.parametrize("kind", ["codex-cli", "naive-agent"])
def test_without_the_override_a_refresh_goes_to_the_issuer(kind: str, tmp_path: Path) -> None:
    start = "import" if kind == "naive-agent" else "start"
    (request,) = run(kind, tmp_path, {}, start, "refresh")
    assert str(request.url) == f"{ISSUER}/oauth/token"


def test_logout_revokes_at_the_revoke_override_and_removes_auth_json(tmp_path: Path) -> None:
    refresh, revoke = run("codex-cli", tmp_path, OVERRIDES, "start", "refresh", "logout")
    assert str(revoke.url) == f"{BROKER}/oauth/revoke"
    assert json.loads(revoke.content) == {
        "token": "rt-2",  # the pair the refresh saved
        "token_type_hint": "refresh_token",
        "client_id": json.loads(refresh.content)["client_id"],
    }
    assert not (tmp_path / "codex" / "auth.json").exists()


def test_logout_without_the_override_revokes_at_the_issuer(tmp_path: Path) -> None:
    (revoke,) = run("codex-cli", tmp_path, {}, "start", "logout")
    assert str(revoke.url) == f"{ISSUER}/oauth/revoke"


def test_a_sibling_process_never_inherits_an_override_of_the_caller(tmp_path: Path) -> None:
    spec = SiblingSpec(tmp_path, ISSUER, ISSUER, None, None)
    inherited = {"PATH": "/bin", **OVERRIDES}
    assert spec.process_env(inherited) == {"PATH": "/bin"}
    given = SiblingSpec(tmp_path, ISSUER, ISSUER, None, None, env=OVERRIDES)
    assert given.process_env({"PATH": "/bin"}) == {"PATH": "/bin", **OVERRIDES}
