"""A family's lineage: every refresh token the broker saw it hold, as digests, durable.

`<home>/broker/families/<family>/lineage.json` (0600, atomic), next to the family's token store
(`auth.json`, the credential manager's):

    {"version": 1, "family": "f_…", "account_id": "…" | null, "created_at": "<RFC 3339>",
     "pending": null | {"phase": "prepared" | "sent", "started_at": "…", "pid": 1234},
     "tokens": [{"generation": 0, "digest": "<sha256 hex>", "fingerprint": "t_…",
                 "current_since": "<RFC 3339>"}, …],
     "refusal": null | {"status": 401, "body": {…}, "code": "…", "at": "…", "fingerprint": "t_…"},
     "answer_fields": {"token_type": "Bearer", …},
     "last_upstream": null | {"at": "…", "result": "rotated" | "refused" | "failed",
                              "status": 200 | null, "code": "…" | null}}

Order of writes (why the broker never presents a rotated token upstream, even after kill -9):
- A token enters the lineage before it is ever presented upstream: a family made for an unknown
  token is written `pending` (its one token, phase `prepared`, then `sent`) before the call.
- The store is written by the manager once the issuer answered; the lineage follows. A crash
  between the two leaves a store whose current token the lineage lacks: `reconcile` appends it.
- A `pending` family with no store after a restart is an answer lost in flight: its token is
  refused locally (`refresh_interrupted`) instead of being replayed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from agent.auth.atomic import write_atomic
from agent.auth.local_json import BadContent, UnusablePath, decode_json, read_small_file
from agent.broker.window import MAX_GENERATIONS

LINEAGE_NAME = "lineage.json"
UNREADABLE = ".unreadable-"  # in the name of a family folder set aside
LINEAGE_VERSION = 1
MAX_LINEAGE_BYTES = 512 * 1024  # ~65 entries and 1,024 older digests: about 90 KiB
MAX_BODY_KEYS = 32
KEEP_TOKENS = MAX_GENERATIONS + 1  # the current one and every generation a window may honour
# Digests of tokens older than that: never honoured, but recognised, so that a very stale copy
# is refused by the broker instead of being forwarded upstream as unknown (a replay).
KEEP_OLDER = 1024


class LineageUnreadable(ValueError):
    """Why a lineage file is not one the broker wrote (never holds a secret)."""


@dataclass(frozen=True)
class TokenEntry:
    generation: int
    digest: str
    fingerprint: str
    current_since: str

    def to_json(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "digest": self.digest,
            "fingerprint": self.fingerprint,
            "current_since": self.current_since,
        }


@dataclass(frozen=True)
class Refusal:
    """An issuer's refusal for good, kept so the family's tokens are never presented again."""

    status: int
    body: dict[str, Any]
    code: str
    at: str
    fingerprint: str

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "body": self.body,
            "code": self.code,
            "at": self.at,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True)
class Pending:
    phase: str  # prepared | sent
    started_at: str
    pid: int

    @property
    def may_have_reached_the_server(self) -> bool:
        return self.phase != "prepared"


@dataclass(frozen=True)
class Lineage:
    family: str
    account_id: str | None
    created_at: str
    tokens: tuple[TokenEntry, ...]
    pending: Pending | None = None
    refusal: Refusal | None = None
    answer_fields: dict[str, Any] = field(default_factory=dict)
    last_upstream: dict[str, Any] | None = None
    older: tuple[str, ...] = ()

    @property
    def current(self) -> TokenEntry:
        return self.tokens[-1]

    def find(self, digest: str) -> TokenEntry | None:
        for entry in self.tokens:
            if entry.digest == digest:
                return entry
        return None

    def knows(self, digest: str) -> bool:
        return self.find(digest) is not None or digest in self.older

    def digests(self) -> list[str]:
        return [entry.digest for entry in self.tokens] + list(self.older)

    def retired_at(self, entry: TokenEntry) -> str | None:
        """When `entry` stopped being current: its successor's `current_since`."""
        for later in self.tokens:
            if later.generation == entry.generation + 1:
                return later.current_since
        return None

    def with_current(self, digest: str, fingerprint: str, at: str) -> Lineage:
        if self.tokens and self.current.digest == digest:
            return self
        generation = self.current.generation + 1 if self.tokens else 0
        tokens = (*self.tokens, TokenEntry(generation, digest, fingerprint, at))
        dropped = tuple(entry.digest for entry in tokens[:-KEEP_TOKENS])
        return replace(
            self,
            tokens=tokens[-KEEP_TOKENS:],
            older=(*self.older, *dropped)[-KEEP_OLDER:],
        )

    def summary(self) -> dict[str, Any]:
        """What `broker status` shows of a family: fingerprints and generations, no digest."""
        return {
            "family": self.family,
            "account_id": self.account_id,
            "created_at": self.created_at,
            "generation": self.current.generation,
            "current": self.current.fingerprint,
            "current_since": self.current.current_since,
            "pending": self.pending is not None,
            "last_upstream": self.last_upstream,
            "refused_for_good": (
                None if self.refusal is None else {"code": self.refusal.code, "at": self.refusal.at}
            ),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "version": LINEAGE_VERSION,
            "family": self.family,
            "account_id": self.account_id,
            "created_at": self.created_at,
            "pending": (
                None
                if self.pending is None
                else {
                    "phase": self.pending.phase,
                    "started_at": self.pending.started_at,
                    "pid": self.pending.pid,
                }
            ),
            "tokens": [entry.to_json() for entry in self.tokens],
            "refusal": None if self.refusal is None else self.refusal.to_json(),
            "answer_fields": self.answer_fields,
            "last_upstream": self.last_upstream,
            "older": list(self.older),
        }


def answer_fields_of(doc: dict[str, Any]) -> dict[str, Any]:
    """The non-secret fields of an issuer's refresh answer worth repeating to every caller."""
    kept: dict[str, Any] = {}
    for key in ("token_type", "scope"):
        value = doc.get(key)
        if isinstance(value, str) and len(value) <= 200:
            kept[key] = value
    if doc.get("expires_in") is not None:
        kept["expires_in"] = True  # recomputed from the access token's `exp` at each answer
    return kept


def save_lineage(folder: Path, lineage: Lineage) -> None:
    data = json.dumps(lineage.to_json(), indent=1).encode("utf-8") + b"\n"
    write_atomic(folder / LINEAGE_NAME, data)


def load_lineage(folder: Path) -> Lineage | None:
    """The lineage in `folder`, None when there is none; `LineageUnreadable` for anything else.

    A symbolic link is not a lineage the broker wrote (it writes by rename): followed, it could
    give one family the tokens of another. A lineage naming another family (a copy) neither.
    """
    path = folder / LINEAGE_NAME
    if path.is_symlink():
        raise LineageUnreadable("it is a symbolic link, not a file the broker wrote")
    try:
        raw = read_small_file(path, MAX_LINEAGE_BYTES)
        if raw is None:
            return None
        doc = decode_json(raw)
    except UnusablePath as exc:
        raise LineageUnreadable(exc.problem) from None
    except BadContent as exc:
        raise LineageUnreadable(str(exc)) from None
    lineage = parse_lineage(doc)
    if lineage.family != folder.name:
        raise LineageUnreadable(f"it names family {lineage.family[:40]!r}, not {folder.name!r}")
    return lineage


def parse_lineage(doc: object) -> Lineage:
    if not isinstance(doc, dict) or doc.get("version") != LINEAGE_VERSION:
        raise LineageUnreadable("not a version-1 lineage object")
    family = _text(doc, "family")
    account = doc.get("account_id")
    if account is not None and not isinstance(account, str):
        raise LineageUnreadable("`account_id` is not a string")
    raw_tokens = doc.get("tokens")
    if not isinstance(raw_tokens, list) or not raw_tokens:
        raise LineageUnreadable("`tokens` is not a non-empty list")
    tokens = []
    for item in raw_tokens:
        if not isinstance(item, dict):
            raise LineageUnreadable("a token entry is not an object")
        generation = item.get("generation")
        if not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
            raise LineageUnreadable("a token entry has no generation")
        digest = _text(item, "digest")
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise LineageUnreadable("a token entry's digest is not a SHA-256")
        tokens.append(
            TokenEntry(generation, digest, _text(item, "fingerprint"), _text(item, "current_since"))
        )
    if any(b.generation != a.generation + 1 for a, b in pairwise(tokens)):
        raise LineageUnreadable("the generations are not consecutive")
    pending = None
    pending_doc = doc.get("pending")
    if pending_doc is not None:
        if not isinstance(pending_doc, dict) or pending_doc.get("phase") not in (
            "prepared",
            "sent",
        ):
            raise LineageUnreadable("`pending` is not a pending attempt")
        pid = pending_doc.get("pid")
        pending = Pending(
            pending_doc["phase"],
            _text(pending_doc, "started_at"),
            pid if isinstance(pid, int) and not isinstance(pid, bool) else 0,
        )
    refusal = None
    refusal_doc = doc.get("refusal")
    if refusal_doc is not None:
        if not isinstance(refusal_doc, dict):
            raise LineageUnreadable("`refusal` is not an object")
        status, body = refusal_doc.get("status"), refusal_doc.get("body")
        if not isinstance(status, int) or not 400 <= status <= 599 or not isinstance(body, dict):
            raise LineageUnreadable("`refusal` has no status or body")
        refusal = Refusal(
            status,
            dict(list(body.items())[:MAX_BODY_KEYS]),
            _text(refusal_doc, "code"),
            _text(refusal_doc, "at"),
            _text(refusal_doc, "fingerprint"),
        )
    fields = doc.get("answer_fields") or {}
    last = doc.get("last_upstream")
    older = doc.get("older") or []
    if not isinstance(older, list) or not all(isinstance(d, str) and len(d) == 64 for d in older):
        raise LineageUnreadable("`older` is not a list of SHA-256 digests")
    return Lineage(
        family=family,
        account_id=account,
        created_at=_text(doc, "created_at"),
        tokens=tuple(tokens),
        pending=pending,
        refusal=refusal,
        answer_fields=dict(fields) if isinstance(fields, dict) else {},
        last_upstream=dict(last) if isinstance(last, dict) else None,
        older=tuple(older[-KEEP_OLDER:]),
    )


def _text(doc: dict[str, Any], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or len(value) > 4096:
        raise LineageUnreadable(f"`{key}` is not a text")
    return value


def set_aside(folder: Path, stamp: str) -> Path:
    """Move an unreadable family folder out of the way (kept, never deleted: it holds tokens)."""
    target = folder.with_name(f"{folder.name}{UNREADABLE}{stamp}")
    os.replace(folder, target)
    return target
