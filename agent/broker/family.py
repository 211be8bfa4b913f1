"""One refresh-token family served by the broker: its decisions, under one lock.

A presenter shows a refresh token of this family (the book found it by digest):
- the current one: the credential manager refreshes, forced, once; concurrent presenters of the
  same token wait on the family's lock and then find it retired, so they are adopted (single
  flight without a second upstream call);
- a retired one inside the window: the current pair (refreshed first only when its access
  token has expired, or expires soon and the pair is not fresh: `_stale_for_adopters`);
- a retired one outside the window: refused here in the issuer's "reused" shape, never
  forwarded (a replay could revoke the family for every other client);
- any token of a family the issuer refused for good: that refusal again, no upstream call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from agent.auth.manager import CredentialManager
from agent.auth.store import TERMINAL_CODES, StoredLogin, parse_rfc3339, rfc3339
from agent.auth.token_client import RefreshReason
from agent.broker.digest import token_digest
from agent.broker.lineage import Lineage, Refusal, TokenEntry, answer_fields_of, save_lineage
from agent.broker.outcome import Outcome, oauth_refusal, unavailable
from agent.broker.upstream import RelayingTokenClient, refusal_of
from agent.broker.window import AdoptionWindow
from agent.clock import Clock
from agent.errors import AgentError, AuthError, RefreshInterrupted
from agent.fingerprint import token_fingerprint

# A pair this young is never refreshed for an adopter (see `Family._stale_for_adopters`).
FRESH_FLOOR = 30.0
# Refusals that end a family: remembered, so its tokens are never presented again.
FOR_GOOD = TERMINAL_CODES - {RefreshInterrupted.code}

INTERRUPTED_MESSAGE = (
    "The codex-agent refresh broker lost the sign-in server's answer to a refresh of this login "
    "(it was stopped, crashed or was cut off mid-refresh). The server has probably rotated the "
    "token already, so presenting it again could revoke the login for every client. Sign in "
    "again (`codex login`); if the sign-in server allows a grace period, `codex-agent broker "
    "run --retry-interrupted` tries the token once more instead."
)


class Family:
    def __init__(
        self,
        folder: Path,
        lineage: Lineage,
        manager: CredentialManager,
        client: RelayingTokenClient,
        *,
        clock: Clock,
        window: AdoptionWindow,
        index: Callable[[str, str], None] | None = None,
    ) -> None:
        """`index(digest, family)`: told of every new current token before the family's lock
        is released, so that a caller holding it is never taken for an unknown presenter."""
        self.folder = folder
        self.lineage = lineage
        self.manager = manager
        self.client = client
        self.clock = clock
        self.window = window
        self.index = index
        self.mutex = threading.Lock()
        self.counters: dict[str, int] = {}

    @property
    def id(self) -> str:
        return self.lineage.family

    # --- the decision ---------------------------------------------------------------------------

    def present(
        self, digest: str, *, reason: RefreshReason | None, retry_interrupted: bool = False
    ) -> Outcome:
        """Answer a presenter of a token of this family (caller: `FamilyBook`)."""
        with self.mutex:
            outcome = self._decide(digest, reason, retry_interrupted)
            self.counters[outcome.action] = self.counters.get(outcome.action, 0) + 1
            return outcome

    def _decide(
        self, digest: str, reason: RefreshReason | None, retry_interrupted: bool
    ) -> Outcome:
        try:
            login = self.current_login()
        except AgentError as error:
            return self._unusable(error)
        if login is None:
            return self._interrupted("the answer to this family's first refresh was lost")
        if self.lineage.refusal is not None:
            refusal = self.lineage.refusal
            return self._outcome(refusal.status, refusal.body, "relayed", code=refusal.code)
        if digest == token_digest(login.tokens.refresh_token):
            return self._rotate(reason, retry_interrupted)
        entry = self.lineage.find(digest)
        if entry is not None and self._honoured(entry):
            return self._adopt(login)
        return self._outside_window(entry)

    def _honoured(self, entry: TokenEntry) -> bool:
        behind = self.lineage.current.generation - entry.generation
        retired = parse_rfc3339(self.lineage.retired_at(entry))
        age = self.clock.now() - retired if retired is not None else float("inf")
        return self.window.honours(behind, age)

    def _rotate(self, reason: RefreshReason | None, retry_interrupted: bool = False) -> Outcome:
        calls = self.client.calls
        try:
            self.manager.refresh(force=True, reason=reason, retry_interrupted=retry_interrupted)
        except AuthError as error:
            return self._refused(error, self.client.calls - calls)
        made = self.client.calls - calls
        return self._answer("rotated" if made else "adopted", made)

    def _adopt(self, login: StoredLogin) -> Outcome:
        if self._stale_for_adopters(login):
            return self._rotate("proactive_expiry")
        return self._answer("adopted", 0)

    def _stale_for_adopters(self, login: StoredLogin) -> bool:
        """Whether to refresh before handing the current pair to a holder of a stale copy.

        Never for a pair minted in the last `FRESH_FLOOR` seconds: a new refresh could not give
        a fresher one, and a clock that disagrees with the issuer's (an `exp` already past
        here) would otherwise make every adopter rotate the family, walking it out of the
        window in a second. Otherwise an expired access token is refreshed first, and one that
        merely expires within the skew only if it is older than the skew itself: an issuer
        whose access tokens live less than the skew (five minutes is the CLI's margin) would
        else rotate at every adoption. An adopter that finds the pair too short-lived
        refreshes with the current token: one rotation for that generation.
        """
        expires = login.tokens.access_expires_at
        if expires is None:
            return False
        now = self.clock.now()
        minted = parse_rfc3339(self.lineage.current.current_since)
        age = now - minted if minted is not None else float("inf")
        if age < FRESH_FLOOR:
            return False
        if expires <= now:
            return True
        return expires - now <= self.manager.config.refresh_skew_seconds <= age

    def _answer(self, action: Any, calls: int) -> Outcome:
        changes: dict[str, Any] = {}
        if calls:
            changes["answer_fields"] = {
                **self.lineage.answer_fields,
                **answer_fields_of(self.client.last_success_fields),
            }
            changes["last_upstream"] = {
                "at": self._now(), "result": "rotated", "status": 200, "code": None,
            }  # fmt: skip
        login = self.current_login(**changes)
        assert login is not None  # a refresh just wrote it
        return self._outcome(200, answer_body(login, self.lineage, self.clock.now()), action, calls)

    # --- refusals -------------------------------------------------------------------------------

    def _refused(self, error: AuthError, calls: int) -> Outcome:
        upstream = refusal_of(error)
        if calls:
            self._update(
                last_upstream={
                    "at": self._now(),
                    "result": "refused" if error.code in FOR_GOOD else "failed",
                    "status": upstream.status if upstream else getattr(error, "status", None),
                    "code": error.code,
                }
            )
        if error.code == RefreshInterrupted.code:
            return self._interrupted(error.diagnosis, calls)
        if error.code in FOR_GOOD:
            status, body = (
                (upstream.status, upstream.body)
                if upstream is not None
                else (401, oauth_refusal(401, error.code, error.message))
            )
            self._remember(status, body, error.code)
            return self._outcome(
                status, body, "relayed" if upstream else "refused", calls, code=error.code
            )
        if upstream is not None:  # a 5xx or 429 with a body: the issuer's own words
            return self._outcome(upstream.status, upstream.body, "failed", calls, code=error.code,
                                 headers=upstream.headers)  # fmt: skip
        failed = unavailable(error, calls)
        return replace(failed, family=self.id, generation=self.lineage.current.generation)

    def _interrupted(self, diagnosis: str, calls: int = 0) -> Outcome:
        message = INTERRUPTED_MESSAGE + (f" ({diagnosis})" if diagnosis else "")
        body = oauth_refusal(401, RefreshInterrupted.code, message)
        return self._outcome(401, body, "refused", calls, code=RefreshInterrupted.code)

    def _outside_window(self, entry: TokenEntry | None) -> Outcome:
        if entry is None:
            how_old = "more than 64 generations old"
        else:
            behind = self.lineage.current.generation - entry.generation
            how_old = f"{behind} generation{'s' if behind != 1 else ''} old"
        message = (
            "Your access token could not be refreshed because your refresh token was already "
            f"used. The codex-agent refresh broker rotated this refresh token ({how_old}) and "
            f"hands out the current login only for {self.window.describe()}. Please log out "
            "and sign in again; the other clients sharing this login are not affected."
        )
        body = oauth_refusal(401, "refresh_token_reused", message)
        return self._outcome(401, body, "refused", code="refresh_token_reused")

    def _unusable(self, error: AgentError) -> Outcome:
        text = f"The refresh broker cannot use this family's store: {error.message}"
        body = oauth_refusal(503, "broker_store_unusable", text)
        return self._outcome(503, body, "failed", code="broker_store_unusable")

    def _remember(self, status: int, body: dict[str, Any], code: str) -> None:
        if self.lineage.refusal is not None:
            return
        fingerprint = self.lineage.current.fingerprint
        self._update(refusal=Refusal(status, body, code, self._now(), fingerprint))

    # --- state ----------------------------------------------------------------------------------

    def current_login(self, **changes: Any) -> StoredLogin | None:
        """The family's store, with the lineage brought level with it (after a crash between
        the store's write and the lineage's, the store is right) and `changes` made to it, in
        one write of the lineage."""
        login = self.manager.store.read()
        lineage = self.lineage
        if login is not None:
            digest = token_digest(login.tokens.refresh_token)
            if lineage.current.digest != digest or lineage.pending is not None:
                fingerprint = token_fingerprint(login.tokens.refresh_token)
                lineage = lineage.with_current(
                    digest, fingerprint, login.last_refresh or self._now()
                )
                lineage = replace(lineage, pending=None, account_id=login.tokens.account_id)
        if changes:
            lineage = replace(lineage, **changes)
        if lineage is not self.lineage:
            self._set(lineage)
        return login

    def _update(self, **changes: Any) -> None:
        self._set(replace(self.lineage, **changes))

    def _set(self, lineage: Lineage) -> None:
        save_lineage(self.folder, lineage)
        self.lineage = lineage
        if self.index is not None:
            self.index(lineage.current.digest, lineage.family)

    def _now(self) -> str:
        return rfc3339(self.clock.now())

    def _outcome(
        self,
        status: int,
        body: dict[str, Any],
        action: Any,
        calls: int = 0,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Outcome:
        return Outcome(
            status,
            body,
            action,
            family=self.id,
            generation=self.lineage.current.generation,
            upstream_calls=calls,
            code=code,
            headers=headers or {},
        )

    def snapshot(self) -> dict[str, Any]:
        """For `broker status`: no token, no digest; fingerprints, generations, outcomes."""
        data: dict[str, Any] = {
            **self.lineage.summary(),
            "answers": dict(self.counters),
        }
        try:
            login = self.manager.store.read()
        except AgentError as error:
            data["store_problem"] = error.message
        else:
            if login is not None and login.last_error is not None:
                record = login.last_error
                data["last_error"] = {
                    "code": record.code,
                    "at": record.at,
                    "diagnosis": record.diagnosis,
                    "remedy": record.remedy,
                }
        return data


def answer_body(login: StoredLogin, lineage: Lineage, now: float) -> dict[str, Any]:
    """The current pair in the issuer's answer shape."""
    tokens = login.tokens
    body: dict[str, Any] = {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
    }
    if lineage.answer_fields.get("id_token", True) is not False:
        body["id_token"] = tokens.id_token
    for key in ("token_type", "scope"):
        value = lineage.answer_fields.get(key)
        if isinstance(value, str):
            body[key] = value
    expires = tokens.access_expires_at
    if lineage.answer_fields.get("expires_in") and expires is not None:
        body["expires_in"] = max(0, int(expires - now))
    return body
