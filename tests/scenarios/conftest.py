"""Sibling simulators wired to the in-process fakes; plain helpers (real_actor_standins.py) are
put on sys.path here."""

from __future__ import annotations

import ssl
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from scenarios.lab.world import World, open_world, write_ca_bundle
from scenarios.siblings import codex_store, wire
from scenarios.siblings.codex_store import CodexTokens
from scenarios.siblings.simulators import CodexCli, Endpoints


@pytest.fixture
def account(oauth_server: Any) -> dict[str, Any]:
    created: dict[str, Any] = oauth_server.admin.create_account(email="sib@example.test")
    return created


@pytest.fixture
def http(oauth_server: Any, codex_backend: Any, tmp_path: Path) -> Iterator[httpx.Client]:
    bundle = write_ca_bundle(tmp_path / "ca.pem", oauth_server.ca_cert, codex_backend.ca_cert)
    assert bundle is not None
    with httpx.Client(verify=ssl.create_default_context(cafile=str(bundle)), timeout=30) as client:
        yield client


@pytest.fixture
def codex_home(tmp_path: Path) -> Path:
    return tmp_path / "codex"


@pytest.fixture
def login(oauth_server: Any, account: dict[str, Any], codex_home: Path) -> Callable[[], str]:
    """`codex login` on this machine: a new family in `~/.codex/auth.json`; its family id."""

    def run() -> str:
        family = oauth_server.admin.mint_family(account["account_id"])
        tokens = CodexTokens(
            family["id_token"], family["access_token"], family["refresh_token"],
            account["account_id"], codex_store.rfc3339(oauth_server.admin.clock()),
        )  # fmt: skip
        codex_store.save_in_place(codex_home, tokens)
        return str(family["family_id"])

    return run


@pytest.fixture
def make_cli(
    oauth_server: Any, codex_backend: Any, http: httpx.Client, codex_home: Path
) -> Callable[..., CodexCli]:
    def make(originator: str = "codex_cli_rs") -> CodexCli:
        identity = wire.Identity(originator=originator, user_agent=f"{originator}/0.0.0 (sim)")
        endpoints = Endpoints(oauth_server.issuer, codex_backend.base_url)
        return CodexCli(
            codex_home, endpoints, http, identity, clock=oauth_server.authority.clock.now
        )

    return make


@pytest.fixture(scope="module")
def codex() -> Path:
    """The pinned real Codex CLI: installed once, then reused from the cache."""
    from scenarios.real_clients.install import ensure_client

    return ensure_client("codex").executable


@pytest.fixture(scope="module")
def public_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A process world that answers for auth.openai.com and chatgpt.com, approving sign-ins."""
    folder = tmp_path_factory.mktemp("public-world")
    with open_world(
        "process", folder, auto_approve=True, public_issuer="https://auth.openai.com"
    ) as running:
        yield running
