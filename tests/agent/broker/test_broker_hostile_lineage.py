"""A family folder whose lineage cannot be believed (garbage, a directory, a symlink, huge, a
FIFO, another version, another family's copy) is set aside with a warning and kept, never
deleted (its store holds tokens). The broker starts, serves the other families, and never
presents a token of the damaged family that was already rotated: that would burn the login."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from broker_testkit import RunningBroker, event_types, family_view, mint

from agent.fingerprint import token_fingerprint


def garbage(lineage: Path, other: Path) -> None:
    lineage.write_bytes(b"\x00{not json")


def directory(lineage: Path, other: Path) -> None:
    lineage.unlink()
    lineage.mkdir()
    (lineage / "x").write_text("{}")


def symlink(lineage: Path, other: Path) -> None:
    lineage.unlink()
    lineage.symlink_to(other)


def huge(lineage: Path, other: Path) -> None:
    doc = json.loads(lineage.read_text())
    doc["padding"] = "x" * (600 * 1024)
    lineage.write_text(json.dumps(doc))


def fifo(lineage: Path, other: Path) -> None:
    lineage.unlink()
    os.mkfifo(lineage)


def newer_version(lineage: Path, other: Path) -> None:
    doc = json.loads(lineage.read_text())
    doc["version"] = 2
    lineage.write_text(json.dumps(doc))


def another_family(lineage: Path, other: Path) -> None:
    lineage.write_bytes(other.read_bytes())


HOSTILE: dict[str, Callable[[Path, Path], None]] = {
    "garbage": garbage,
    "directory": directory,
    "symlink": symlink,
    "huge": huge,
    "fifo": fifo,
    "newer-version": newer_version,
    "another-family": another_family,
}


@pytest.mark.parametrize("damage", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_damaged_lineage_is_set_aside_and_its_rotated_tokens_never_go_upstream(
    start_broker: Any, upstream: Any, account: dict[str, Any], damage: Callable[..., None]
) -> None:
    broker: RunningBroker = start_broker()
    chains: list[list[str]] = []
    family_ids = []
    for _ in range(2):
        family = mint(upstream, account)
        family_ids.append(family["family_id"])
        tokens = [family["refresh_token"]]
        for _ in range(3):
            tokens.append(broker.refresh(tokens[-1]).json()["refresh_token"])
        chains.append(tokens)
    folders = {f.lineage.current.fingerprint: f.folder for f in broker.book.families()}
    damaged_folder, healthy_folder = (folders[token_fingerprint(c[-1])] for c in chains)
    damage(damaged_folder / "lineage.json", healthy_folder / "lineage.json")

    restarted = start_broker()
    (warning,) = restarted.book.warnings
    assert str(damaged_folder) in warning
    (aside,) = damaged_folder.parent.glob(damaged_folder.name + ".unreadable-*")
    assert (aside / "auth.json").is_file()  # kept: it holds the login
    assert not damaged_folder.exists()

    healthy = restarted.refresh(chains[1][0])  # the other family is served as before
    assert healthy.json()["refresh_token"] == chains[1][-1]
    view = family_view(upstream, account, family_ids[0])
    before = {t["fingerprint"]: len(t["presented"]) for t in view["tokens"]}
    for stale in chains[0][:-1]:
        answer = restarted.refresh(stale)
        assert answer.status_code == 401, answer.text
        assert stale not in answer.text
    view = family_view(upstream, account, family_ids[0])
    assert {t["fingerprint"]: len(t["presented"]) for t in view["tokens"]} == before
    assert view["state"] == "active"
    assert "reuse_detected" not in event_types(upstream, account)
    again = start_broker()  # and on the next start too, with the folder already aside
    assert again.refresh(chains[0][1]).status_code == 401
    assert family_view(upstream, account, family_ids[0])["state"] == "active"


@pytest.mark.parametrize("damage", [garbage, directory, fifo], ids=["garbage", "directory", "fifo"])
def test_a_damaged_token_store_never_crashes_and_never_goes_upstream(
    start_broker: Any, upstream: Any, account: dict[str, Any], damage: Callable[..., None]
) -> None:
    broker: RunningBroker = start_broker()
    family = mint(upstream, account)
    tokens = [family["refresh_token"]]
    for _ in range(2):
        tokens.append(broker.refresh(tokens[-1]).json()["refresh_token"])
    (folder,) = (f.folder for f in broker.book.families())
    damage(folder / "auth.json", folder / "auth.json")
    before = {t["fingerprint"]: len(t["presented"])
              for t in family_view(upstream, account, family["family_id"])["tokens"]}  # fmt: skip
    restarted = start_broker()
    for token in tokens:
        answer = restarted.refresh(token)
        assert answer.status_code in (401, 503), answer.text
        assert answer.json()["error"]["code"] in ("broker_store_unusable", "refresh_interrupted")
        assert token not in answer.text
    view = family_view(upstream, account, family["family_id"])
    assert {t["fingerprint"]: len(t["presented"]) for t in view["tokens"]} == before
    assert view["state"] == "active"
