"""The Codex CLI's `$CODEX_HOME/auth.json`, read and written the way the CLI does it.

Older CLI builds wrote the file in place (truncate, then write; mode 0600 when created) with no
lock; `save_in_place` reproduces that for the lab's logins and the naive agent. Codex CLI 0.169.0
(`save_as_cli`) writes a temporary file and renames it over `auth.json`, and keeps only the
fields it knows: a field it does not know is gone after its refresh (measured, issue 16 §5).
The simulator reproduces that rather than doing better.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The fields of `auth.json` Codex CLI 0.169.0 knows, and so keeps when it rewrites the file.
CLI_TOP_LEVEL_FIELDS = ("auth_mode", "OPENAI_API_KEY", "tokens", "last_refresh")
CLI_TOKEN_FIELDS = (
    "id_token",
    "access_token",
    "refresh_token",
    "account_id",
    "oauth_provenance",
    "login_owner_id",
)


class CodexStoreError(Exception):
    """The file is missing, unreadable or not in the CLI's layout."""


@dataclass(frozen=True)
class CodexTokens:
    id_token: str
    access_token: str
    refresh_token: str
    account_id: str | None
    last_refresh: str | None = None


def auth_path(codex_home: Path) -> Path:
    return codex_home / "auth.json"


def rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat().replace("+00:00", "Z")


def parse_rfc3339(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def load(codex_home: Path) -> CodexTokens:
    path = auth_path(codex_home)
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CodexStoreError(f"not logged in: {path} does not exist") from exc
    except (OSError, ValueError) as exc:
        raise CodexStoreError(f"cannot read {path}: {type(exc).__name__}") from exc
    tokens = raw.get("tokens") if isinstance(raw, dict) else None
    if not isinstance(tokens, dict):
        raise CodexStoreError(f"{path} holds no ChatGPT tokens")
    try:
        return CodexTokens(
            id_token=str(tokens["id_token"]),
            access_token=str(tokens["access_token"]),
            refresh_token=str(tokens["refresh_token"]),
            account_id=tokens.get("account_id"),
            last_refresh=raw.get("last_refresh"),
        )
    except KeyError as exc:
        raise CodexStoreError(f"{path} lacks tokens.{exc.args[0]}") from exc


def save_in_place(codex_home: Path, tokens: CodexTokens) -> None:
    """Truncate and rewrite, as the CLI does (a reader may see a half-written file)."""
    codex_home.mkdir(parents=True, exist_ok=True)
    document = {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": tokens.id_token,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "account_id": tokens.account_id,
        },
        "last_refresh": tokens.last_refresh,
    }
    fd = os.open(auth_path(codex_home), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)


def save_as_cli(codex_home: Path, tokens: CodexTokens) -> None:
    """Rewrite as Codex CLI 0.169.0 does: known fields kept from the file, unknown ones
    dropped, a temporary file renamed over `auth.json` (0600)."""
    path = auth_path(codex_home)
    try:
        previous: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    previous = previous if isinstance(previous, dict) else {}
    old_tokens = previous.get("tokens") if isinstance(previous.get("tokens"), dict) else {}
    document = {k: previous[k] for k in CLI_TOP_LEVEL_FIELDS if k in previous}
    document.update(auth_mode="chatgpt", OPENAI_API_KEY=document.get("OPENAI_API_KEY"))
    document["tokens"] = {
        **{k: old_tokens[k] for k in CLI_TOKEN_FIELDS if k in old_tokens},
        "id_token": tokens.id_token,
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "account_id": tokens.account_id,
    }
    document["last_refresh"] = tokens.last_refresh
    codex_home.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
    os.replace(temp, path)
