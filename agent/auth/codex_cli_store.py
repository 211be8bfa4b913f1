"""Reading (never writing) the Codex CLI's `$CODEX_HOME/auth.json`.

The CLI rewrites that file in place (truncate + write) without a lock, so a reader can catch it
half written; a read that does not parse is retried a few times before it counts as unreadable.
A hostile file (a directory, a FIFO, a symlink loop, over 1 MiB, nested too deep, the wrong
shapes) is a `problem` naming what is wrong; the file is never moved or modified.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agent.auth.local_json import BadContent, UnusablePath, decode_json, read_small_file
from agent.auth.tokens import TokenSet, account_id_of
from agent.clock import Clock

READ_ATTEMPTS = 4
RETRY_PAUSE = 0.02
MAX_CLI_STORE_BYTES = 1 << 20
_TOKEN_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F))


@dataclass(frozen=True)
class CodexCliLogin:
    tokens: TokenSet
    last_refresh: str | None


@dataclass(frozen=True)
class CodexCliState:
    """What is at the CLI's store: a ChatGPT login, or why there is none usable."""

    path: Path
    login: CodexCliLogin | None
    problem: str | None  # None when `login` is set


def read_codex_cli_store(path: Path, clock: Clock) -> CodexCliState:
    problem = "no file"
    for attempt in range(READ_ATTEMPTS):
        try:
            raw = read_small_file(path, MAX_CLI_STORE_BYTES)
            if raw is None:
                return CodexCliState(path, None, "not logged in (no auth.json)")
            doc = decode_json(raw)
        except UnusablePath as unusable:
            return CodexCliState(path, None, f"cannot be used: {unusable.problem}")
        except BadContent as bad:
            problem = f"unreadable: {bad} (possibly being written)"
            if attempt + 1 < READ_ATTEMPTS:
                clock.sleep(RETRY_PAUSE)
            continue
        return _parse(path, doc)
    return CodexCliState(path, None, problem)


def _parse(path: Path, doc: object) -> CodexCliState:
    if not isinstance(doc, dict):
        return CodexCliState(path, None, "not a JSON object")
    tokens = doc.get("tokens")
    mode = doc.get("auth_mode")
    if not isinstance(tokens, dict):
        if doc.get("OPENAI_API_KEY"):
            return CodexCliState(path, None, "logged in with an API key, not with ChatGPT")
        return CodexCliState(path, None, "no ChatGPT tokens")
    if mode not in (None, "chatgpt", "chatgptAuthTokens"):
        shown = repr(mode[:40]) if isinstance(mode, str) else "not a string"
        return CodexCliState(path, None, f"auth_mode is {shown}, not ChatGPT")
    values: dict[str, str] = {}
    for key in ("id_token", "access_token", "refresh_token"):
        value = tokens.get(key)
        if not isinstance(value, str) or not value:
            return CodexCliState(path, None, f"`tokens.{key}` is missing or not a string")
        if not _TOKEN_CHARS.issuperset(value):
            return CodexCliState(path, None, f"`tokens.{key}` holds characters no token has")
        values[key] = value
    account = tokens.get("account_id")
    if isinstance(account, str) and account and not _TOKEN_CHARS.issuperset(account):
        return CodexCliState(path, None, "`tokens.account_id` holds characters no id has")
    if not isinstance(account, str) or not account:
        account = account_id_of(values["id_token"], values["access_token"])
    if not account:
        return CodexCliState(path, None, "the tokens name no ChatGPT account")
    last_refresh = doc.get("last_refresh")
    return CodexCliState(
        path,
        CodexCliLogin(
            TokenSet(account_id=account, **values),
            last_refresh if isinstance(last_refresh, str) else None,
        ),
        None,
    )
