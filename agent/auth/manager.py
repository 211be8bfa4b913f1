"""The credential manager: the one place that decides every refresh.

Every agent process sharing a home shares one store (`agent.auth.store`). The rules:

- Fast path (`live_credentials`): if the store file has not changed since this process last read
  it and the access token does not expire within the skew, hand out the token from memory (a
  `stat`, no lock, no network). A changed file is re-read without the lock (writes are atomic).
- Everything else happens under the store lock: re-read the store and, for a login imported from
  the Codex CLI, the CLI's `$CODEX_HOME/auth.json`. A *peer rotation* (a refresh token different
  from the one this process last saw, same account, not one the agent knows was retired) is
  adopted with no network call. Only when nothing fresher exists is the token endpoint called,
  with the newest refresh token known; the new pair is written to the store before it is used.
- A refresh token the agent knows was rotated is never presented; neither is one the server
  already refused for good (the recorded error is raised again instead).
- The Codex CLI's store is only ever read.
- Failures are typed (`agent.errors`); the last one, with its diagnosis, is kept in the store for
  `status`, and cleared by the next success.
- Crash safety: each refresh attempt is journaled before the call (`agent.auth.refresh_journal`).
  Under the lock, before anything else, what a dead process left is settled: a temp file holding
  the newer pair of an interrupted attempt is adopted; an attempt that may have reached the server
  with no pair to show for it is recorded as `refresh_interrupted` (answer_lost) and its token is
  not presented again unless the user opts in (`refresh --retry-interrupted`); stale temp files
  are removed.

Interface for the turn engine:

    manager = CredentialManager.from_config(load_config())
    creds = manager.live_credentials()          # LiveCredentials(access_token, account_id, ...)
    ... backend answers 401 with code C ...
    creds = manager.recover_after_rejection(creds.access_token, backend_auth_error(C))
    ... still 401: manager.record_auth_error(backend_auth_error(C)); give up or fall back ...

The methods block (file lock, HTTP): from asyncio call them through `asyncio.to_thread`. One
manager per process is enough; it is thread-safe.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from agent.auth.codex_cli_store import CodexCliState, read_codex_cli_store
from agent.auth.refresh_journal import RefreshAttempt, RefreshJournal
from agent.auth.refresh_route import refresh_route
from agent.auth.retry import RetryPolicy, call_with_retry
from agent.auth.store import AuthStore, ErrorRecord, Origin, StoredLogin, parse_rfc3339, rfc3339
from agent.auth.token_client import RefreshAnswer, RefreshReason, TokenEndpointClient
from agent.auth.tokens import TokenSet, account_id_of
from agent.clock import Clock, SystemClock
from agent.config import AgentConfig
from agent.errors import (
    AccountMismatch,
    AgentError,
    AuthError,
    BackendAuthError,
    CodexCliLoginUnusable,
    CorruptStore,
    NotLoggedIn,
    RefreshInterrupted,
    RefreshRejected,
    RefreshTokenExpired,
    RefreshTokenReused,
    RefreshTokenRevoked,
    TransientAuthError,
)
from agent.http import build_http_client

# With no readable `exp`, the Codex CLI refreshes a pair older than this.
STALE_WITHOUT_EXP = 8 * 24 * 3600.0

_FROM_RECORD: dict[str, type[AuthError]] = {
    "refresh_token_reused": RefreshTokenReused,
    "refresh_token_expired": RefreshTokenExpired,
    "refresh_token_invalidated": RefreshTokenRevoked,
    "refresh_token_rejected": RefreshRejected,
    "refresh_interrupted": RefreshInterrupted,
}


@dataclass(frozen=True)
class LiveCredentials:
    """What a request to the Codex backend needs."""

    access_token: str = field(repr=False)
    account_id: str
    expires_at: float | None
    # memory | store | peer_agent | codex_cli | refreshed | stale_but_valid
    source: str
    warning: AgentError | None = None


@dataclass(frozen=True)
class LoginSaved:
    login: StoredLogin
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class LogoutResult:
    was_logged_in: bool
    revoked: bool
    notices: tuple[str, ...] = ()
    removed_copies: tuple[Path, ...] = ()


class CredentialManager:
    def __init__(
        self,
        config: AgentConfig,
        *,
        http: httpx.Client | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        token_client: TokenEndpointClient | None = None,
    ) -> None:
        """`token_client`: how the issuer is reached (the broker passes one that keeps the
        issuer's answers); by default the configured issuer, or the refresh broker serving this
        home (`agent.auth.refresh_route`)."""
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self._own_http = http is None
        self._http = http or build_http_client(config)
        self.client = token_client or TokenEndpointClient(
            self._http,
            issuer=config.issuer,
            client_id=config.client_id,
            clock=self.clock,
            originator=config.originator,
            route=lambda: refresh_route(config),
        )
        self.store = AuthStore(
            config.home, clock=self.clock, lock_timeout=config.lock_timeout_seconds
        )
        self.journal = RefreshJournal(config.home)
        self.retry = retry or RetryPolicy()
        self._mutex = threading.RLock()
        self._known: StoredLogin | None = None
        self._signature: tuple[int, int, int] | None = None
        self._account_id: str | None = None
        self._retired: set[str] = set()

    @classmethod
    def from_config(cls, config: AgentConfig, *, clock: Clock | None = None) -> CredentialManager:
        """The production manager: its own HTTP client (system CAs plus the configured one)."""
        return cls(config, clock=clock)

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def __enter__(self) -> CredentialManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading -------------------------------------------------------------------------------

    def load(self) -> StoredLogin | None:
        """Read the store into memory without the lock (no side effects)."""
        with self._mutex:
            signature = self.store.signature()
            login = self.store.read()
            if login is not None:
                self._bind_account(login.tokens.account_id)
            self._remember(login, signature)
            return login

    def _load_quietly(self) -> None:
        """Know what "before" looked like; a bad file is reported by the locked path instead."""
        if self._known is None:
            with contextlib.suppress(CorruptStore):
                self.load()

    def ensure_writable(self) -> None:
        """Fail early (before a login flow) when the store could never be written."""
        with contextlib.suppress(CorruptStore):
            self.store.read()

    @property
    def account_id(self) -> str | None:
        return self._account_id

    # --- the interface of the turn engine --------------------------------------------------------

    def live_credentials(self) -> LiveCredentials:
        """A live access token and its account: from memory, a peer's rotation, or a refresh."""
        with self._mutex:
            signature = self.store.signature()
            known = self._known
            if signature is not None and signature != self._signature:
                try:
                    fresh = self.store.read()
                except AgentError:
                    fresh = None  # the locked path below reports it properly
                if (
                    fresh is not None
                    and fresh.tokens.account_id == (self._account_id or fresh.tokens.account_id)
                    and fresh.tokens.refresh_fingerprint not in self._retired
                ):
                    source = "store" if known is None else "peer_agent"
                    if known is not None and fresh.tokens == known.tokens:
                        source = "memory"
                    self._bind_account(fresh.tokens.account_id)
                    self._remember(fresh, signature)
                    known = fresh
                    if not self._needs_refresh(fresh):
                        return self._credentials(fresh.tokens, source)
            elif known is not None and signature is not None and not self._needs_refresh(known):
                return self._credentials(known.tokens, "memory")
            return self._ensure(force=False, rejected=None)

    def refresh(
        self,
        *,
        force: bool = False,
        retry_interrupted: bool = False,
        reason: RefreshReason | None = None,
    ) -> LiveCredentials:
        """`codex-agent refresh [--force]`: ensure a live token; force rotates unless a peer did.

        `retry_interrupted` (the user's explicit choice) presents once more a refresh token whose
        earlier refresh was interrupted; it implies `force`. `reason` is what a forced refresh
        tells the issuer (the broker passes on its caller's); none by default.
        """
        with self._mutex:
            self._load_quietly()
            return self._ensure(
                force=force or retry_interrupted,
                rejected=None,
                retry_interrupted=retry_interrupted,
                forced_reason=reason,
            )

    def recover_after_rejection(
        self, rejected_access_token: str, backend_error: BackendAuthError | None = None
    ) -> LiveCredentials:
        """The one recovery try after the backend answered 401 for `rejected_access_token`.

        Adopts a pair a peer already rotated if there is one (no network), else refreshes once.
        Raises the typed error (recorded for `status`) when nothing can be saved.
        """
        with self._mutex:
            self._load_quietly()
            return self._ensure(force=False, rejected=rejected_access_token, backend=backend_error)

    def record_auth_error(self, error: AgentError, *, context: str = "backend") -> None:
        """Keep `error` (no secret) as the last auth error, for `status`."""
        with self._mutex, self.store.locked():
            try:
                login = self._load_locked()
            except AgentError:
                return
            if login is None:
                return
            self._save(self._with_error(login, error, context))

    # --- the decision, under the lock ------------------------------------------------------------

    def _ensure(
        self,
        *,
        force: bool,
        rejected: str | None,
        backend: BackendAuthError | None = None,
        retry_interrupted: bool = False,
        forced_reason: RefreshReason | None = None,
    ) -> LiveCredentials:
        with self.store.locked():
            login = self._load_locked()
            if login is None:
                self._remember(None, None)
                raise NotLoggedIn()
            self._bind_account(login.tokens.account_id)
            login, source = self._adopt_newest(login)
            tokens = login.tokens
            peer = source in ("peer_agent", "codex_cli")
            if rejected is not None:
                if tokens.access_token != rejected and not self._needs_refresh(login):
                    return self._credentials(tokens, source if peer else "store")
            elif force:
                if peer and not self._needs_refresh(login):
                    return self._credentials(tokens, source)
            elif not self._needs_refresh(login):
                return self._credentials(tokens, source)
            reason: RefreshReason | None = "proactive_expiry"
            if rejected is not None:
                reason = "unauthorized_recovery"
            elif force:
                reason = forced_reason  # none for the user's choice: neither of the CLI's
            return self._refresh_locked(
                login,
                keep_if_valid=not force and rejected is None,
                backend=backend,
                retry_interrupted=retry_interrupted,
                reason=reason,
            )

    # --- what a dead process left behind, under the lock -----------------------------------------

    def _load_locked(self) -> StoredLogin | None:
        """Read the store under the lock and settle an interrupted refresh and stale temp files."""
        login = self.store.load_for_update()
        entry = self.journal.open_entry()
        temps = self.store.stale_temp_files()
        if entry is not None and login is not None:
            login = self._settle_attempt(login, entry, temps)
        self.store.remove_files(temps + self.journal.stale_temp_files())
        if entry is not None:
            self.journal.close()
        return login

    def _settle_attempt(
        self, login: StoredLogin, entry: RefreshAttempt, temps: list[Path]
    ) -> StoredLogin:
        current = login.tokens.refresh_fingerprint
        if entry.presented is not None and entry.presented != current:
            return login  # its outcome was saved, or another pair replaced the token since
        known = self._known
        if (
            entry.presented is not None
            and entry.presented in self._retired
            and known is not None
            and known.tokens.refresh_fingerprint != current
        ):
            # This process holds the answer (its save failed): write it back.
            restored = replace(known, last_error=login.last_error)
            self._save(restored)
            return restored
        for temp in temps:
            pair = self.store.read_temp(temp)
            if (
                pair is not None
                and pair.tokens.account_id == login.tokens.account_id
                and pair.tokens.refresh_fingerprint != current
                and current in pair.retired_refresh
            ):
                self._save(pair)  # the dead writer's answer, complete and fsynced: adopt it
                return pair
        if not entry.may_have_reached_the_server:
            return login  # it died before the request went out: the token was never sent
        started = f" at {entry.started_at}" if entry.started_at else ""
        who = f" (pid {entry.pid})" if entry.pid else ""
        error = RefreshInterrupted(
            diagnosis=f"a codex-agent process{who} sent this refresh token to the sign-in "
            f"server{started} and stopped (killed, crashed or powered off) before it saved the "
            "answer; the server has probably rotated the token already, so presenting it again "
            "would be a replay that can revoke the login"
        )
        recorded = self._with_error(login, error, "refresh")
        self._save(recorded)
        return recorded

    def _adopt_newest(self, login: StoredLogin) -> tuple[StoredLogin, str]:
        """Bring `login` (just read under the lock) up to the newest pair known anywhere."""
        known = self._known
        source = "store"
        all_retired = self._retired | set(login.retired_refresh)
        if (
            known is not None
            and login.tokens.refresh_fingerprint != known.tokens.refresh_fingerprint
        ):
            if login.tokens.refresh_fingerprint in self._retired:
                # The file holds a pair this process already rotated away (an earlier save
                # failed): never adopt it; write ours back instead.
                login = replace(known, last_error=login.last_error)
                self._save(login)
            else:
                source = "peer_agent"
        if login.origin.imported_from_codex_cli:
            login, adopted = self._adopt_from_codex_cli(login, all_retired)
            if adopted:
                source = "codex_cli"
        self._remember(login, self.store.signature())
        return login, source

    def _codex_cli_path(self, login: StoredLogin) -> Path:
        if login.origin.codex_home:
            return Path(login.origin.codex_home) / "auth.json"
        return self.config.codex_cli_auth_path

    def _adopt_from_codex_cli(
        self, login: StoredLogin, retired: set[str]
    ) -> tuple[StoredLogin, bool]:
        state = read_codex_cli_store(self._codex_cli_path(login), self.clock)
        if state.login is None:
            return login, False
        cli = state.login.tokens
        cli_fp = cli.refresh_fingerprint
        if (
            cli_fp == login.tokens.refresh_fingerprint
            or cli.account_id != login.tokens.account_id
            or cli_fp == login.codex_cli_seen_refresh
            or cli_fp in retired
        ):
            return login, False
        refreshed_at = state.login.last_refresh or rfc3339(self.clock.now())
        adopted = replace(
            login.with_tokens(cli, refreshed_at=refreshed_at),
            codex_cli_seen_refresh=cli_fp,
            last_error=None,
        )
        self._save(adopted)
        return adopted, True

    def _refresh_locked(
        self,
        login: StoredLogin,
        *,
        keep_if_valid: bool,
        backend: BackendAuthError | None,
        retry_interrupted: bool = False,
        reason: RefreshReason | None = None,
    ) -> LiveCredentials:
        tokens = login.tokens
        fingerprint = tokens.refresh_fingerprint
        record = login.last_error
        if fingerprint in self._retired or fingerprint in login.retired_refresh:
            raise self._record(login, self._known_rotated(), "refresh")
        opted_in = (
            retry_interrupted and record is not None and record.code == RefreshInterrupted.code
        )
        if (
            record is not None
            and record.terminal
            and record.refresh_fingerprint == fingerprint
            and not opted_in
        ):
            raise _error_from_record(record)
        lost = (
            record is not None and record.answer_lost and record.refresh_fingerprint == fingerprint
        )

        def attempt() -> RefreshAnswer:
            nonlocal lost
            entry = self.journal.begin(fingerprint, started_at=rfc3339(self.clock.now()))

            def sending() -> None:
                self.journal.mark_sent(entry)

            try:
                return self.client.refresh(tokens.refresh_token, reason=reason, on_send=sending)
            except TransientAuthError as error:
                lost = lost or error.answer_lost
                raise

        try:
            answer = call_with_retry(attempt, self.clock, self.retry)
        except TransientAuthError as error:
            expires = tokens.access_expires_at
            if keep_if_valid and expires is not None and expires > self.clock.now():
                self._record(login, error, "refresh")
                self.journal.close()
                return self._credentials(tokens, "stale_but_valid", warning=error)
            self._record(login, error, "refresh")
            self.journal.close()
            raise error from None
        except AuthError as error:
            error = self._diagnose(error, login, backend, answer_lost=lost)
            self._record(login, error, "refresh")
            self.journal.close()
            raise error from None
        new = TokenSet(
            id_token=answer.id_token or tokens.id_token,
            access_token=answer.access_token or tokens.access_token,
            refresh_token=answer.refresh_token or tokens.refresh_token,
            account_id=tokens.account_id,
        )
        issued_for = account_id_of(new.id_token, new.access_token)
        if issued_for is not None and issued_for != tokens.account_id:
            raise self._record(
                login,
                AccountMismatch(diagnosis="the sign-in server returned tokens of another account"),
                "refresh",
            )
        refreshed = replace(
            login.with_tokens(new, refreshed_at=rfc3339(self.clock.now())), last_error=None
        )
        if new.refresh_token != tokens.refresh_token:
            self._retired.add(fingerprint)
        self._known = refreshed  # in memory first, so a failed save never loses the new pair
        self._save(refreshed)
        self.journal.close()
        return self._credentials(new, "refreshed")

    def _known_rotated(self) -> AuthError:
        return RefreshTokenReused(
            "The only refresh token available is one the agent knows was already rotated.",
            diagnosis="the store holds a retired refresh token; presenting it would be a replay",
            remedy="run `codex-agent login`",
        )

    def _diagnose(
        self,
        error: AuthError,
        login: StoredLogin,
        backend: BackendAuthError | None,
        *,
        answer_lost: bool = False,
    ) -> AuthError:
        """Say who most likely caused a permanent refusal."""
        imported = login.origin.imported_from_codex_cli
        if isinstance(error, RefreshTokenReused) and answer_lost:
            error.diagnosis = (
                "an earlier refresh reached the sign-in server but its answer was lost (a dropped "
                "connection, a timeout, an unreadable reply or a process that was stopped "
                "mid-refresh); the server had already rotated the refresh token, so trying again "
                "counted as reuse"
            )
            error.remedy = "run `codex-agent login`"
        elif isinstance(error, RefreshTokenReused):
            if imported:
                error.diagnosis = (
                    "the refresh token was already consumed by another client (Codex CLI or VS "
                    "Code extension) sharing this login, and its new token was not found in "
                    f"{self._codex_cli_path(login)}; the server may have revoked the whole login"
                )
            else:
                error.diagnosis = (
                    "the refresh token was already consumed by another client holding a copy of "
                    "this login (a copied auth.json?); the server may have revoked the whole login"
                )
        elif isinstance(error, RefreshTokenRevoked) and imported:
            cli = read_codex_cli_store(self._codex_cli_path(login), self.clock).login
            retired = self._retired | set(login.retired_refresh)
            if cli is not None and cli.tokens.refresh_fingerprint in retired:
                error.diagnosis = (
                    "the Codex CLI still held a refresh token the agent had already rotated and "
                    "presented it; the server saw reuse and revoked the whole login"
                )
        if backend is not None:
            error.diagnosis = (
                f"after the Codex backend refused the access token ({backend.code}), the refresh "
                f"failed: {error.diagnosis}"
            )
        return error

    # --- logins --------------------------------------------------------------------------------

    def save_new_login(
        self,
        tokens: TokenSet,
        *,
        method: str,
        codex_home: Path | None = None,
        retired: tuple[str, ...] = (),
    ) -> LoginSaved:
        """Persist a login that just happened (device, browser, import); replaces the old one.

        `retired`: fingerprints of refresh tokens of this login already rotated (the broker's
        first contact: the token it presented), never to be presented again."""
        notices: list[str] = []
        with self._mutex:
            with self.store.locked():
                try:
                    previous = self._load_locked()
                except CorruptStore as error:
                    if error.moved_to is None:
                        raise  # it could not be moved aside: never overwrite it
                    previous = None
                    notices.append(error.message)
                    self._clean_leftovers()
                now = self.clock.now()
                login = StoredLogin(
                    tokens=tokens,
                    origin=Origin(
                        method=method,
                        at=rfc3339(now),
                        codex_home=str(codex_home) if codex_home else None,
                    ),
                    last_refresh=rfc3339(now),
                    codex_cli_seen_refresh=tokens.refresh_fingerprint if codex_home else None,
                    retired_refresh=retired,
                )
                self._save(login)
                self._account_id = tokens.account_id
                self._remember(login, self.store.signature())
            if (
                previous is not None
                and not previous.origin.imported_from_codex_cli
                and previous.tokens.refresh_token != tokens.refresh_token
            ):
                # The replaced login was the agent's own: nobody else holds it.
                try:
                    self.client.revoke(previous.tokens.refresh_token, hint="refresh_token")
                except AuthError as error:
                    notices.append(f"The previous login could not be revoked: {error.message}")
        return LoginSaved(login, tuple(notices))

    def import_codex_cli(self) -> LoginSaved:
        """Adopt the Codex CLI's login (same account as the agent's, if the agent has one)."""
        path = self.config.codex_cli_auth_path
        state: CodexCliState = read_codex_cli_store(path, self.clock)
        if state.login is None:
            raise CodexCliLoginUnusable(
                f"There is no usable Codex CLI login at {path}: {state.problem}.",
                diagnosis="import-codex needs a ChatGPT login made by `codex login`",
            )
        cli = state.login.tokens
        try:
            current = self.store.read()
        except CorruptStore:
            current = None  # moved aside and reported by save_new_login
        if current is not None and current.tokens.account_id != cli.account_id:
            raise AccountMismatch(
                "The Codex CLI is logged in to a different ChatGPT account than the agent.",
                remedy="run `codex-agent logout` first to switch accounts, or `codex login` with "
                "the agent's account",
            )
        if current is not None and cli.refresh_fingerprint in (
            set(current.retired_refresh) | {current.tokens.refresh_fingerprint}
        ):
            raise CodexCliLoginUnusable(
                "The Codex CLI's login is the agent's current login or an older copy of it.",
                diagnosis="the agent already holds this login (or rotated past the CLI's copy)",
                remedy="nothing to do; `codex-agent status` shows the login",
            )
        return self.save_new_login(
            cli, method="codex_cli_import", codex_home=self.config.codex_home
        )

    def logout(self, *, revoke_shared: bool = False) -> LogoutResult:
        """Revoke at the server (unless shared with the Codex CLI), then delete the tokens."""
        notices: list[str] = []
        with self._mutex, self.store.locked():
            try:
                login = self._load_locked()
            except CorruptStore as error:
                self._remember(None, None)
                self._clean_leftovers()
                removed = self._remove_corrupt_copies(notices)
                return LogoutResult(False, False, (error.message, *notices), removed)
            if login is None:
                self._remember(None, None)
                removed = self._remove_corrupt_copies(notices)
                return LogoutResult(False, False, tuple(notices), removed)
            revoked = False
            if login.origin.imported_from_codex_cli and not revoke_shared:
                notices.append(
                    "Not revoked at the server: this login is shared with the Codex CLI, which "
                    "would be signed out too (use --revoke to revoke it anyway)."
                )
            else:
                try:
                    self.client.revoke(login.tokens.refresh_token, hint="refresh_token")
                    revoked = True
                except AuthError as error:
                    notices.append(
                        f"Could not revoke the login at the server ({error.message}); the local "
                        "tokens are deleted anyway."
                    )
            self.store.delete()
            self._clean_leftovers()
            removed = self._remove_corrupt_copies(notices)
            self._remember(None, None)
            self._account_id = None
            return LogoutResult(True, revoked, tuple(notices), removed)

    def _clean_leftovers(self) -> None:
        """Temp files and the journal entry: gone with the login they belonged to."""
        self.store.remove_files(self.store.stale_temp_files() + self.journal.stale_temp_files())
        self.journal.close()

    def _remove_corrupt_copies(self, notices: list[str]) -> tuple[Path, ...]:
        """Logout deletes every copy of a secret, including stores once moved aside as corrupt."""
        copies = self.store.corrupt_copies()
        failed = self.store.remove_files(copies)
        for path in failed:
            notices.append(f"Could not delete {path}; it may hold tokens: delete it by hand.")
        return tuple(p for p in copies if p not in failed)

    # --- helpers -------------------------------------------------------------------------------

    def _needs_refresh(self, login: StoredLogin) -> bool:
        now = self.clock.now()
        expires = login.tokens.access_expires_at
        if expires is not None:
            return expires - now <= self.config.refresh_skew_seconds
        last = parse_rfc3339(login.last_refresh)
        return last is None or now - last >= STALE_WITHOUT_EXP

    def _credentials(
        self, tokens: TokenSet, source: str, warning: AgentError | None = None
    ) -> LiveCredentials:
        return LiveCredentials(
            access_token=tokens.access_token,
            account_id=tokens.account_id,
            expires_at=tokens.access_expires_at,
            source=source,
            warning=warning,
        )

    def _bind_account(self, account_id: str) -> None:
        if self._account_id is None:
            self._account_id = account_id
        elif self._account_id != account_id:
            raise AccountMismatch(
                "The agent's store now holds a login for a different ChatGPT account.",
                diagnosis="someone logged the agent in to another account while this process was "
                "running; it never switches accounts on its own",
                remedy="restart the agent to use the new login",
            )

    def _remember(self, login: StoredLogin | None, signature: tuple[int, int, int] | None) -> None:
        self._known = login
        self._signature = signature
        if login is not None:
            self._retired.update(login.retired_refresh)

    def _save(self, login: StoredLogin) -> None:
        self.store.save(login)
        self._remember(login, self.store.signature())

    def _with_error(self, login: StoredLogin, error: AgentError, context: str) -> StoredLogin:
        record = ErrorRecord.from_error(
            error,
            at=self.clock.now(),
            context=context,
            refresh_fingerprint=login.tokens.refresh_fingerprint,
        )
        return replace(login, last_error=record)

    def _record(self, login: StoredLogin, error: AuthError, context: str) -> AuthError:
        with contextlib.suppress(AgentError):
            self._save(self._with_error(login, error, context))
        return error

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store lock (tests and tools that must exclude every refresh)."""
        with self._mutex, self.store.locked():
            yield


def _error_from_record(record: ErrorRecord) -> AuthError:
    cls = _FROM_RECORD.get(record.code, RefreshRejected)
    error = cls(
        record.message or None,
        diagnosis=(record.diagnosis + " " if record.diagnosis else "")
        + f"(recorded {record.at}; this refresh token is not presented again)",
        remedy=record.remedy or None,
    )
    return error
