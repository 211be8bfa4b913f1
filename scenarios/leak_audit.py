"""After every scenario: is any token value the fakes issued written anywhere it should not be?

Every artifact (logs, session files, reports, recordings, captured output) is searched for every
issued value, except the token stores themselves, whose job is to hold them. A JWT is also
searched for by its payload and its signature separately, each unique to that token, so a
truncated print of a token is caught too; the header is shared by all tokens and is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from scenarios.siblings.fingerprint import token_fingerprint

# The Codex CLI's, Hermes's and the agent's `auth.json`; OpenClaw's SQLite stores (its state
# database and its agent's auth store), with SQLite's side files.
TOKEN_STORE_NAMES = frozenset({"auth.json", "openclaw.sqlite", "openclaw-agent.sqlite"})
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
MIN_NEEDLE = 16


@dataclass(frozen=True)
class Leak:
    artifact: str
    fingerprint: str  # which token, named safely

    def __str__(self) -> str:
        return f"token {self.fingerprint} found in {self.artifact}"


def needles(token: str) -> list[str]:
    found = [token]
    parts = token.split(".")
    if len(parts) == 3:
        found.extend(p for p in parts[1:] if len(p) >= MIN_NEEDLE)
    return found


def is_token_store(path: Path) -> bool:
    if path.name in TOKEN_STORE_NAMES or path.name.startswith("auth.json."):
        return True
    return any(
        path.name == f"{store}{side}" for store in TOKEN_STORE_NAMES for side in _SQLITE_SIDE_FILES
    )


def audit_texts(texts: dict[str, str], tokens: Iterable[str]) -> list[Leak]:
    """`texts` maps an artifact's name to its content."""
    index = [
        (needle, token_fingerprint(token)) for token in set(tokens) for needle in needles(token)
    ]
    leaks: list[Leak] = []
    for name, text in texts.items():
        seen: set[str] = set()
        for needle, fingerprint in index:
            if fingerprint not in seen and needle in text:
                seen.add(fingerprint)
                leaks.append(Leak(name, fingerprint))
    return leaks


def audit_tree(
    root: Path, tokens: Iterable[str], extra: dict[str, str] | None = None
) -> list[Leak]:
    texts = dict(extra or {})
    for path in sorted(root.rglob("*")):
        if path.is_file() and not is_token_store(path):
            texts[str(path.relative_to(root))] = path.read_bytes().decode("utf-8", "replace")
    return audit_texts(texts, tokens)
