"""The agent's token store: `<home>/auth.json`, one login, shared by every agent process.

Layout (version 1; the file is 0600 in a 0700 home, always replaced atomically):

    {
      "version": 1,
      "auth_mode": "chatgpt",
      "tokens": {"id_token": "…", "access_token": "…", "refresh_token": "…",
                 "account_id": "…"},
      "origin": {"method": "device_code" | "browser" | "codex_cli_import",
                 "at": "<RFC 3339>", "codex_home": "/home/u/.codex" | null},
      "last_refresh": "<RFC 3339>" | null,
      "codex_cli": {"seen_refresh_fingerprint": "t_…"} | null,
      "retired_refresh_fingerprints": ["t_…", …],
      "last_error": {"code", "message", "diagnosis", "remedy", "retryable", "at",
                     "context", "refresh_fingerprint", "answer_lost"} | null
    }

- `codex_cli.seen_refresh_fingerprint`: for a login imported from the Codex CLI, the fingerprint of
  the refresh token the CLI's own store held when the agent last looked. A different token there
  later means the CLI rotated (a *peer rotation*) and the agent adopts it instead of refreshing.
- `retired_refresh_fingerprints`: refresh tokens the agent knows were rotated (newest last, at
  most 64); the agent never presents one of them, and never adopts one as "newer".
- `last_error`: the last auth failure with its diagnosis, for `status`; `refresh_fingerprint`
  names the refresh token that failed, so a dead token is not presented again.
No secret other than the three tokens is ever written; fingerprints are `t_` + 12 hex of sha256.

Concurrency: writers hold `<home>/auth.json.lock` (filelock) from the read that decides to the
write that records the outcome; readers without the lock still see whole files because every
write is a rename. A corrupt file (not UTF-8, not JSON, over 1 MiB, nested too deep, the wrong
shapes) is moved to `auth.json.corrupt-<UTC time>` by a writer (never by `status`); a file with a
higher `version` is refused and never overwritten; a path that is not a regular file (a
directory, a symlink loop, a FIFO) is refused and left alone.

Temp files: a write goes through `.auth.json.tmp-<pid>-<random>` (0600). Writers hold the lock, so
any temp file seen while holding the lock belongs to a writer that died (kill -9 between write
and rename): `stale_temp_files` lists them for the credential manager, which adopts a newer pair
from one (see `agent.auth.refresh_journal`) and then removes them all.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from agent.auth.atomic import PRIVATE_FILE_MODE, ensure_private_dir, fsync_dir, write_atomic
from agent.auth.local_json import BadContent, UnusablePath, decode_json, read_small_file
from agent.auth.tokens import TokenSet
from agent.clock import Clock
from agent.errors import (
    AgentError,
    CorruptStore,
    LockTimeout,
    StoreFromNewerVersion,
    StoreUnusable,
    StoreWriteFailed,
)

STORE_VERSION = 1
MAX_RETIRED = 64
MAX_STORE_BYTES = 1 << 20  # a real store is a few KiB
TEMP_PREFIX = ".auth.json.tmp-"
CORRUPT_PREFIX = "auth.json.corrupt-"
TERMINAL_CODES = frozenset(
    {
        "refresh_token_reused",
        "refresh_token_expired",
        "refresh_token_invalidated",
        "refresh_token_rejected",
        "refresh_interrupted",
    }
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see agent.cli)
if TYPE_CHECKING:
    from typing import Any
_TOKEN_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F))  # visible ASCII: JWTs, opaque tokens


def rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


@dataclass(frozen=True)
class Origin:
    method: str
    at: str | None = None
    codex_home: str | None = None

    @property
    def imported_from_codex_cli(self) -> bool:
        return self.method == "codex_cli_import"


@dataclass(frozen=True)
class ErrorRecord:
    code: str
    message: str
    diagnosis: str
    remedy: str
    retryable: bool
    at: str
    context: str
    refresh_fingerprint: str | None = None
    answer_lost: bool = False

    @classmethod
    def from_error(
        cls, error: AgentError, *, at: float, context: str, refresh_fingerprint: str | None
    ) -> ErrorRecord:
        return cls(
            code=error.code,
            message=error.message,
            diagnosis=error.diagnosis,
            remedy=error.remedy,
            retryable=error.retryable,
            at=rfc3339(at),
            context=context,
            refresh_fingerprint=refresh_fingerprint,
            answer_lost=bool(getattr(error, "answer_lost", False)),
        )

    @property
    def terminal(self) -> bool:
        return self.code in TERMINAL_CODES

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "diagnosis": self.diagnosis,
            "remedy": self.remedy,
            "retryable": self.retryable,
            "at": self.at,
            "context": self.context,
            "refresh_fingerprint": self.refresh_fingerprint,
            "answer_lost": self.answer_lost,
        }


@dataclass(frozen=True)
class StoredLogin:
    tokens: TokenSet
    origin: Origin
    last_refresh: str | None = None
    codex_cli_seen_refresh: str | None = None
    retired_refresh: tuple[str, ...] = ()
    last_error: ErrorRecord | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def with_tokens(self, tokens: TokenSet, *, refreshed_at: str | None) -> StoredLogin:
        """The login after a rotation: the old refresh token joins the retired list."""
        retired = self.retired_refresh
        old = self.tokens.refresh_fingerprint
        if tokens.refresh_token != self.tokens.refresh_token and old not in retired:
            retired = (*retired, old)[-MAX_RETIRED:]
        return replace(self, tokens=tokens, last_refresh=refreshed_at, retired_refresh=retired)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.extra)
        data.update(
            {
                "version": STORE_VERSION,
                "auth_mode": "chatgpt",
                "tokens": {
                    "id_token": self.tokens.id_token,
                    "access_token": self.tokens.access_token,
                    "refresh_token": self.tokens.refresh_token,
                    "account_id": self.tokens.account_id,
                },
                "origin": {
                    "method": self.origin.method,
                    "at": self.origin.at,
                    "codex_home": self.origin.codex_home,
                },
                "last_refresh": self.last_refresh,
                "codex_cli": (
                    {"seen_refresh_fingerprint": self.codex_cli_seen_refresh}
                    if self.codex_cli_seen_refresh
                    else None
                ),
                "retired_refresh_fingerprints": list(self.retired_refresh),
                "last_error": self.last_error.to_dict() if self.last_error else None,
            }
        )
        return data


class StoreFormatError(ValueError):
    """Why a store document is not a valid version-1 store (never contains a secret)."""


def parse_store(doc: object) -> StoredLogin:
    """Validate a decoded auth.json; raises StoreFormatError (or _NewerVersion)."""
    if not isinstance(doc, dict):
        raise StoreFormatError("the top level is not a JSON object")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise StoreFormatError("`version` is missing or not an integer")
    if version > STORE_VERSION:
        raise _NewerVersion(version)
    if version < 1:
        raise StoreFormatError(f"`version` {version} is not a valid version")
    tokens = doc.get("tokens")
    if not isinstance(tokens, dict):
        raise StoreFormatError("`tokens` is missing or not an object")
    values = {}
    for key in ("id_token", "access_token", "refresh_token", "account_id"):
        value = tokens.get(key)
        if not isinstance(value, str) or not value:
            raise StoreFormatError(f"`tokens.{key}` is missing or not a string")
        if not _TOKEN_CHARS.issuperset(value):
            raise StoreFormatError(f"`tokens.{key}` holds characters no token has")
        values[key] = value
    origin_doc = doc.get("origin") or {}
    if not isinstance(origin_doc, dict):
        raise StoreFormatError("`origin` is not an object")
    origin = Origin(
        method=_opt_str(origin_doc, "method", "origin.") or "unknown",
        at=_opt_str(origin_doc, "at", "origin."),
        codex_home=_opt_str(origin_doc, "codex_home", "origin."),
    )
    cli = doc.get("codex_cli") or {}
    if not isinstance(cli, dict):
        raise StoreFormatError("`codex_cli` is not an object")
    retired = doc.get("retired_refresh_fingerprints") or []
    if not isinstance(retired, list) or not all(isinstance(x, str) for x in retired):
        raise StoreFormatError("`retired_refresh_fingerprints` is not a list of strings")
    error_doc = doc.get("last_error")
    last_error = None
    if error_doc is not None:
        if not isinstance(error_doc, dict) or not isinstance(error_doc.get("code"), str):
            raise StoreFormatError("`last_error` is not an error object")
        last_error = ErrorRecord(
            code=error_doc["code"],
            message=_opt_str(error_doc, "message", "last_error.") or "",
            diagnosis=_opt_str(error_doc, "diagnosis", "last_error.") or "",
            remedy=_opt_str(error_doc, "remedy", "last_error.") or "",
            retryable=bool(error_doc.get("retryable")),
            at=_opt_str(error_doc, "at", "last_error.") or "",
            context=_opt_str(error_doc, "context", "last_error.") or "",
            refresh_fingerprint=_opt_str(error_doc, "refresh_fingerprint", "last_error."),
            answer_lost=bool(error_doc.get("answer_lost")),
        )
    known = {
        "version",
        "auth_mode",
        "tokens",
        "origin",
        "last_refresh",
        "codex_cli",
        "retired_refresh_fingerprints",
        "last_error",
    }
    return StoredLogin(
        tokens=TokenSet(**values),
        origin=origin,
        last_refresh=_opt_str(doc, "last_refresh", ""),
        codex_cli_seen_refresh=_opt_str(cli, "seen_refresh_fingerprint", "codex_cli."),
        retired_refresh=tuple(retired[-MAX_RETIRED:]),
        last_error=last_error,
        extra={k: v for k, v in doc.items() if k not in known},
    )


class _NewerVersion(Exception):
    def __init__(self, version: int) -> None:
        self.version = version


def _opt_str(doc: Mapping[str, Any], key: str, prefix: str) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise StoreFormatError(f"`{prefix}{key}` is not a string")
    return value


class AuthStore:
    """One `<home>/auth.json`. Mutations must happen inside `locked()`."""

    def __init__(self, home: Path, *, clock: Clock, lock_timeout: float) -> None:
        self.home = home
        self.path = home / "auth.json"
        self.lock_path = home / "auth.json.lock"
        self._clock = clock
        self._lock_timeout = lock_timeout

    # --- reading -----------------------------------------------------------------------------

    def signature(self) -> tuple[int, int, int] | None:
        """A cheap identity of the file's current version (changes on every atomic write).

        None when missing or unusable: the locked path then reads the file and says why."""
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def read(self) -> StoredLogin | None:
        """Read without side effects (for `status` and fast paths); None when logged out."""
        return self._read(quarantine=False)

    def load_for_update(self) -> StoredLogin | None:
        """Read under the lock; a corrupt file is moved aside and reported."""
        return self._read(quarantine=True)

    def _read(self, *, quarantine: bool) -> StoredLogin | None:
        try:
            raw = read_small_file(self.path, MAX_STORE_BYTES)
            if raw is None:
                return None
            return parse_store(decode_json(raw))
        except UnusablePath as unusable:
            raise StoreUnusable(self.path, unusable.problem, unusable.remedy) from None
        except _NewerVersion as newer:
            raise StoreFromNewerVersion(self.path, newer.version, STORE_VERSION) from None
        except (BadContent, StoreFormatError) as exc:
            problem = str(exc)
        moved = self._quarantine() if quarantine else None
        raise CorruptStore(self.path, problem, moved)

    # --- what dead writers left behind (call under the lock) -----------------------------------

    def stale_temp_files(self) -> list[Path]:
        """Temp files of writers that died; only meaningful while holding the lock."""
        try:
            return sorted(self.home.glob(TEMP_PREFIX + "*"))
        except OSError:
            return []

    def read_temp(self, path: Path) -> StoredLogin | None:
        """The login a dead writer's temp file holds, or None if it is incomplete or invalid."""
        try:
            raw = read_small_file(path, MAX_STORE_BYTES)
            return parse_store(decode_json(raw)) if raw is not None else None
        except (UnusablePath, BadContent, StoreFormatError, _NewerVersion):
            return None

    def corrupt_copies(self) -> list[Path]:
        """Files moved aside as corrupt; they may still hold tokens."""
        try:
            return sorted(self.home.glob(CORRUPT_PREFIX + "*"))
        except OSError:
            return []

    def remove_files(self, paths: list[Path]) -> list[Path]:
        """Unlink `paths` (then fsync the folder); returns the ones that could not be removed."""
        failed = []
        for path in paths:
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError:
                failed.append(path)
        if paths:
            fsync_dir(self.home)
        return failed

    def _quarantine(self) -> Path | None:
        stamp = datetime.fromtimestamp(self._clock.now(), UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"auth.json.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"auth.json.corrupt-{stamp}-{n}")
        try:
            os.replace(self.path, target)
            os.chmod(target, PRIVATE_FILE_MODE)
        except OSError:
            return None
        return target

    def file_mode(self) -> int | None:
        try:
            return stat.S_IMODE(os.stat(self.path).st_mode)
        except OSError:
            return None

    # --- writing (under the lock) ------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self, timeout: float | None = None) -> Iterator[None]:
        # filelock (and the asyncio it imports) is loaded by writers only: `status` never locks.
        import filelock

        ensure_private_dir(self.home)
        wait = self._lock_timeout if timeout is None else timeout
        lock = filelock.FileLock(str(self.lock_path), timeout=wait, mode=PRIVATE_FILE_MODE)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise LockTimeout(self.lock_path, wait) from None
        except OSError as exc:
            raise self._unusable_lock(exc) from None
        try:
            yield
        finally:
            lock.release()

    def _unusable_lock(self, exc: OSError) -> StoreUnusable:
        if os.path.isdir(self.lock_path):
            problem = "the lock file is a directory"
            remedy = (
                f"remove it (`rmdir {self.lock_path}`, or move it away if it is not empty); "
                "the lock holds nothing and is recreated"
            )
        else:
            problem = f"the lock file cannot be opened ({exc.strerror or type(exc).__name__})"
            remedy = f"remove it (`rm {self.lock_path}`); the lock holds nothing and is recreated"
        return StoreUnusable(self.lock_path, problem, remedy)

    def save(self, login: StoredLogin) -> None:
        ensure_private_dir(self.home)
        data = json.dumps(login.to_json(), indent=2, sort_keys=False).encode("utf-8") + b"\n"
        write_atomic(self.path, data)

    def delete(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreWriteFailed(f"Cannot delete {self.path}: {exc.strerror}.") from None
