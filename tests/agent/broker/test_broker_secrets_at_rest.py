"""Tokens rest only in each family's token store (0600 in 0700 folders): the lineage, the
audit log and the answers to `/status` and `/healthz` hold fingerprints, never a token."""

from __future__ import annotations

import stat
from typing import Any

import httpx
from broker_testkit import RunningBroker, direct_refresh, mint

from agent.broker.window import AdoptionWindow


def test_no_token_outside_the_token_stores(
    start_broker: Any, upstream: Any, account: dict[str, Any]
) -> None:
    broker: RunningBroker = start_broker(window=AdoptionWindow(generations=1, hours=72))
    family = mint(upstream, account)
    tokens = [family["refresh_token"]]
    for _ in range(3):
        tokens.append(broker.refresh(tokens[-1]).json()["refresh_token"])
    broker.refresh(tokens[0])  # outside the window: refused
    broker.refresh(tokens[-2])  # adopted
    broker.revoke(tokens[1])  # a rotated token: answered locally
    other = mint(upstream, account)
    direct_refresh(upstream, other["refresh_token"])
    broker.refresh(other["refresh_token"])  # first contact refused as reused
    with httpx.Client(base_url=broker.url, trust_env=False) as http:
        views = http.get("/status").text + http.get("/healthz").text
    secrets = upstream.admin.issued_token_values()
    root = broker.home / "broker"
    stores = set(root.glob("families/*/auth.json"))
    assert stores
    for path in root.rglob("*"):
        info = path.lstat()
        mode = stat.S_IMODE(info.st_mode)
        if stat.S_ISDIR(info.st_mode):
            assert mode == 0o700, path
            continue
        assert mode == 0o600, path
        if path in stores:
            continue
        text = path.read_text()
        assert not [s for s in secrets if s in text], f"a token in {path}"
    assert not [s for s in secrets if s in views]
