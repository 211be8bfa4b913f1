"""Every family the broker serves: find a presented token's family, or make one for it.

`<home>/broker/families/<family>/` holds a family's token store (`auth.json`, with the credential
manager's lock and journal) and its lineage. The book indexes every digest of every lineage, so
a presented token is matched to at most one family: families and accounts never mix.

An unknown token is forwarded upstream once, serialised with every other unknown token (a rare
event: the first contact of a login). Its family folder and lineage are written `pending`
before the call, so that a broker killed while the issuer answers never replays it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from agent.auth.atomic import ensure_private_dir
from agent.auth.manager import CredentialManager
from agent.auth.store import AuthStore, rfc3339
from agent.auth.token_client import RefreshReason
from agent.auth.tokens import TokenSet, account_id_of
from agent.broker.digest import token_digest
from agent.broker.family import FOR_GOOD, Family, answer_body
from agent.broker.lineage import (
    UNREADABLE,
    Lineage,
    LineageUnreadable,
    Pending,
    TokenEntry,
    answer_fields_of,
    load_lineage,
    save_lineage,
    set_aside,
)
from agent.broker.outcome import Outcome, oauth_refusal, unavailable
from agent.broker.upstream import RelayingTokenClient, refusal_of
from agent.broker.window import AdoptionWindow
from agent.clock import Clock
from agent.config import AgentConfig
from agent.errors import AgentError, AuthError, TransientAuthError
from agent.fingerprint import token_fingerprint

MAX_FAMILIES = 256
REMEMBERED_REFUSALS = 256
UNKNOWN_ACCOUNT = "unknown-account"


class FamilyBook:
    def __init__(
        self,
        config: AgentConfig,
        *,
        http: httpx.Client,
        clock: Clock,
        window: AdoptionWindow,
        retry_interrupted: bool = False,
    ) -> None:
        self.config = config
        self.root = config.home / "broker" / "families"
        self.http = http
        self.clock = clock
        self.window = window
        self.retry_interrupted = retry_interrupted
        self.warnings: list[str] = []
        self._families: dict[str, Family] = {}
        self._index: dict[str, str] = {}
        self._lock = threading.Lock()
        self._unknown_lock = threading.Lock()
        self._refused_unknown: OrderedDict[str, Outcome] = OrderedDict()
        self._client = self._upstream_client()
        self._retried: set[str] = set()
        # Rotated tokens (fingerprints) of families set aside as unreadable -> the folder's name:
        # their lineage is gone, but presenting one upstream would still be a replay.
        self._aside: dict[str, str] = {}
        self._load()

    # --- presenting ------------------------------------------------------------------------------

    def present(self, refresh_token: str, *, reason: RefreshReason | None = None) -> Outcome:
        digest = token_digest(refresh_token)
        family = self._family_of(digest)
        if family is not None and not family.lineage.pending:
            return family.present(digest, reason=reason, retry_interrupted=self._retry(family))
        return self._forward_unknown(refresh_token, digest, reason)

    def _retry(self, family: Family) -> bool:
        """`--retry-interrupted`: each family's interrupted token is presented once more."""
        if not self.retry_interrupted or family.id in self._retried:
            return False
        self._retried.add(family.id)
        return True

    def _forward_unknown(
        self, refresh_token: str, digest: str, reason: RefreshReason | None
    ) -> Outcome:
        with self._unknown_lock:
            family = self._family_of(digest)
            if family is not None and not family.lineage.pending:
                return family.present(digest, reason=reason, retry_interrupted=False)
            if family is not None and family.lineage.pending is not None:
                pending = family.lineage.pending
                if pending.may_have_reached_the_server and not self._retry(family):
                    return family.present(digest, reason=reason)  # answered as interrupted
            remembered = self._refused_unknown.get(digest)
            if remembered is not None:
                return remembered
            aside = self._aside.get(token_fingerprint(refresh_token))
            if family is None and aside is not None:
                return _rotated_in_a_family_set_aside(aside)
            if family is None and len(self._families) >= MAX_FAMILIES:
                text = (
                    f"The refresh broker already serves {MAX_FAMILIES} logins; it takes no more. "
                    "Sign out of logins you no longer use, or start the broker with a fresh home."
                )
                return Outcome(503, oauth_refusal(503, "broker_full", text), "refused")
            return self._first_refresh(refresh_token, digest, reason, family)

    def _first_refresh(
        self,
        refresh_token: str,
        digest: str,
        reason: RefreshReason | None,
        family: Family | None,
    ) -> Outcome:
        now = rfc3339(self.clock.now())
        fingerprint = token_fingerprint(refresh_token)
        if family is None:
            family_id = "f_" + secrets.token_hex(6)
            folder = self.root / family_id
            for private in (self.root.parent, self.root, folder):  # mkdir's parents are 0755
                ensure_private_dir(private)
            lineage = Lineage(
                family_id,
                None,
                now,
                (TokenEntry(0, digest, fingerprint, now),),
                pending=Pending("prepared", now, os.getpid()),
            )
            save_lineage(folder, lineage)  # before the call: never a token the broker forgot
            family = self._family(folder, lineage)
            with self._lock:
                self._families[family_id] = family
                self._index[digest] = family_id
        lineage = family.lineage
        sent = replace(lineage, pending=Pending("sent", now, os.getpid()))

        def sending() -> None:
            save_lineage(family.folder, sent)

        calls = self._client.calls
        try:
            answer = self._client.refresh(refresh_token, reason=reason, on_send=sending)
        except AuthError as error:
            return self._first_refused(family, digest, error, self._client.calls - calls)
        id_token = answer.id_token or answer.access_token or ""
        access = answer.access_token or ""
        tokens = TokenSet(
            id_token=id_token,
            access_token=access,
            refresh_token=answer.refresh_token or refresh_token,
            account_id=account_id_of(id_token, access) or UNKNOWN_ACCOUNT,
        )
        rotated = tokens.refresh_token != refresh_token  # an issuer may keep the token
        family.manager.save_new_login(
            tokens, method="broker", retired=(fingerprint,) if rotated else ()
        )
        fields = {**answer_fields_of(self._client.last_success_fields)}
        if answer.id_token is None:
            fields["id_token"] = False  # the issuer sent none: neither does the broker
        login = family.current_login(
            answer_fields=fields,
            last_upstream={"at": now, "result": "rotated", "status": 200, "code": None},
        )
        assert login is not None
        family.counters["new_family"] = family.counters.get("new_family", 0) + 1
        return Outcome(
            200,
            answer_body(login, family.lineage, self.clock.now()),
            "new_family",
            family=family.id,
            generation=family.lineage.current.generation,
            upstream_calls=self._client.calls - calls,
        )

    def _first_refused(self, family: Family, digest: str, error: AuthError, calls: int) -> Outcome:
        upstream = refusal_of(error)
        if isinstance(error, TransientAuthError) and error.answer_lost:
            # It may have been rotated: keep the family pending ("sent"), never replay it.
            return family.present(digest, reason=None) if calls else unavailable(error, calls)
        self._forget(family)
        if upstream is not None:
            outcome = Outcome(upstream.status, upstream.body, "relayed", upstream_calls=calls,
                              code=error.code, headers=upstream.headers)  # fmt: skip
        elif error.code in FOR_GOOD:
            outcome = Outcome(401, oauth_refusal(401, error.code, error.message), "refused",
                              upstream_calls=calls, code=error.code)  # fmt: skip
        else:
            return unavailable(error, calls)
        if error.code in FOR_GOOD:
            self._refused_unknown[digest] = replace(outcome, upstream_calls=0)
            while len(self._refused_unknown) > REMEMBERED_REFUSALS:
                self._refused_unknown.popitem(last=False)
        return outcome

    # --- revoking --------------------------------------------------------------------------------

    def revoke(self, token: str, hint: str | None) -> Outcome:
        """A client's logout. The current refresh token of a family is revoked upstream (the
        family ends for every client, as it would without the broker); a token the broker
        already rotated is dead already and is not sent anywhere."""
        digest = token_digest(token)
        family = self._family_of(digest)
        if family is not None:
            with family.mutex:
                login = family.current_login()
                current = login is not None and token_digest(login.tokens.refresh_token) == digest
                if not current:
                    return Outcome(200, {}, "revoked", family=family.id)
                outcome = self._forward_revoke(token, hint or "refresh_token")
                if outcome.ok:
                    text = "This login was revoked: a client sharing it signed out."
                    body = oauth_refusal(401, "refresh_token_invalidated", text)
                    family._remember(401, body, "refresh_token_invalidated")
                return replace(outcome, family=family.id)
        return self._forward_revoke(token, hint or "refresh_token")

    def _forward_revoke(self, token: str, hint: str) -> Outcome:
        try:
            self._client.revoke(token, hint=hint)
        except AuthError as error:
            upstream = refusal_of(error)
            if upstream is not None:
                return Outcome(upstream.status, upstream.body, "relayed", upstream_calls=1,
                               code=error.code, headers=upstream.headers)  # fmt: skip
            return unavailable(error, 1)
        return Outcome(200, {}, "revoked", upstream_calls=1)

    # --- the families ----------------------------------------------------------------------------

    def families(self) -> list[Family]:
        with self._lock:
            return list(self._families.values())

    def _family_of(self, digest: str) -> Family | None:
        with self._lock:
            family_id = self._index.get(digest)
            return None if family_id is None else self._families.get(family_id)

    def _family(self, folder: Path, lineage: Lineage) -> Family:
        client = self._upstream_client()
        manager = CredentialManager(
            replace(self.config, home=folder, broker_url=None),
            http=self.http,
            clock=self.clock,
            token_client=client,
        )
        return Family(
            folder,
            lineage,
            manager,
            client,
            clock=self.clock,
            window=self.window,
            index=self._index_digest,
        )

    def _index_digest(self, digest: str, family_id: str) -> None:
        with self._lock:
            self._index[digest] = family_id

    def _upstream_client(self) -> RelayingTokenClient:
        return RelayingTokenClient(
            self.http,
            issuer=self.config.issuer,
            client_id=self.config.client_id,
            clock=self.clock,
            originator=self.config.originator,
        )

    def _forget(self, family: Family) -> None:
        with self._lock:
            self._families.pop(family.id, None)
            for digest in family.lineage.digests():
                self._index.pop(digest, None)
        shutil.rmtree(family.folder, ignore_errors=True)

    def _load(self) -> None:
        """Every family on disk; an unreadable one is set aside (kept: it may hold tokens)."""
        try:
            entries = sorted(p for p in self.root.iterdir() if p.is_dir() and not p.is_symlink())
        except FileNotFoundError:
            return
        folders = [p for p in entries if "." not in p.name]
        for aside in entries:
            if UNREADABLE in aside.name:
                self._remember_aside(aside)
        stamp = rfc3339(self.clock.now()).replace(":", "")
        for folder in folders:
            try:
                lineage = load_lineage(folder)
            except LineageUnreadable as exc:
                aside = set_aside(folder, stamp)
                self._remember_aside(aside)
                self.warnings.append(f"{folder} was unreadable ({exc}); kept as {aside}")
                continue
            if lineage is None:
                if not any(folder.iterdir()):
                    with contextlib.suppress(OSError):
                        folder.rmdir()  # made just before a crash: holds nothing
                    continue
                aside = set_aside(folder, stamp)
                self.warnings.append(f"{folder} had no lineage; kept as {aside}")
                continue
            family = self._family(folder, lineage)
            with contextlib.suppress(AgentError):
                family.current_login()  # level the lineage with the store after a crash
            self._families[lineage.family] = family
            for digest in family.lineage.digests():
                self._index[digest] = lineage.family

    def _remember_aside(self, folder: Path) -> None:
        try:
            login = AuthStore(folder, clock=self.clock, lock_timeout=0.0).read()
        except AgentError:
            return
        if login is not None:
            for fingerprint in login.retired_refresh:
                self._aside[fingerprint] = folder.name

    def snapshot(self) -> list[dict[str, Any]]:
        return [family.snapshot() for family in self.families()]


def _rotated_in_a_family_set_aside(folder: str) -> Outcome:
    text = (
        "Your refresh token was already rotated by the codex-agent refresh broker, whose record "
        f"of this login was unreadable and is kept aside ({folder}); presenting it to the sign-in "
        "server would revoke the login. Please log out and sign in again."
    )
    return Outcome(401, oauth_refusal(401, "refresh_token_reused", text), "refused",
                   code="refresh_token_reused")  # fmt: skip
