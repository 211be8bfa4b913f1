"""What each sibling does with its tokens: the Codex CLI (and the VS Code extension, the same
binary under another originator) and a naive agent that copies the CLI's login.

Outcomes are plain dicts with token fingerprints, never token values: they end up in reports.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from scenarios.siblings import codex_store, wire
from scenarios.siblings.codex_store import CodexStoreError, CodexTokens
from scenarios.siblings.fingerprint import token_fingerprint

EIGHT_DAYS = 8 * 24 * 3600
AUTH_FAILURE_CODES = {"token_invalidated", "token_expired", "token_revoked"}
REFRESH_FAILURE_CODES = set(wire.REFRESH_MESSAGES)
# A proactive refresh whose token is dead is presented this many times by one `codex exec`
# (0.169.0: the tasks it starts each try once before the failure is remembered; measured,
# PROTOCOL.md section 5); it then stops, and no 401 recovery follows.
DEAD_TOKEN_PRESENTATIONS = 4

Clock = Callable[[], float]


class SiblingFailure(Exception):
    """The sibling gave up, with the words its real counterpart shows the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Endpoints:
    """`urls`: where refreshes and revokes go (the issuer's, unless overridden as the CLI
    allows)."""

    issuer: str
    base_url: str
    model: str = "gpt-5.5"
    urls: wire.TokenUrls | None = None

    def __post_init__(self) -> None:
        if self.urls is None:
            self.urls = wire.TokenUrls.of(self.issuer, {})

    @property
    def token_url(self) -> str:
        assert self.urls is not None
        return self.urls.token_url

    @property
    def revoke_url(self) -> str:
        assert self.urls is not None
        return self.urls.revoke_url


def jwt_exp(token: str) -> float | None:
    """The `exp` claim, read as the Codex CLI reads it: the payload decoded, the signature not
    checked (and no crypto stack loaded for it: a sibling starts in a third of the time)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


def apply_refresh(current: CodexTokens, fresh: wire.RefreshedTokens, now: float) -> CodexTokens:
    """The stored tokens after a refresh: fields the server left out are kept (as the CLI does)."""
    return replace(
        current,
        id_token=fresh.id_token or current.id_token,
        access_token=fresh.access_token or current.access_token,
        refresh_token=fresh.refresh_token or current.refresh_token,
        last_refresh=codex_store.rfc3339(now),
    )


def ask(
    client: httpx.Client,
    endpoints: Endpoints,
    identity: wire.Identity,
    tokens: CodexTokens,
    prompt: str,
) -> str:
    return wire.take_turn(
        client, endpoints.base_url, tokens.access_token, tokens.account_id, identity, prompt,
        endpoints.model,
    )  # fmt: skip


def describe(tokens: CodexTokens | None) -> dict[str, Any]:
    if tokens is None:
        return {"logged_in": False}
    return {
        "logged_in": True,
        "account_id": tokens.account_id,
        "access": token_fingerprint(tokens.access_token),
        "refresh": token_fingerprint(tokens.refresh_token),
    }


class CodexCli:
    """The Codex CLI's token handling (PROTOCOL.md section 3), state kept in memory as the
    CLI does between its reloads of `auth.json`."""

    def __init__(
        self,
        codex_home: Path,
        endpoints: Endpoints,
        client: httpx.Client,
        identity: wire.Identity,
        clock: Clock = time.time,
        proactive_window: float = 300.0,
    ) -> None:
        self.codex_home = codex_home
        self.endpoints = endpoints
        self.client = client
        self.identity = identity
        self.clock = clock
        self.proactive_window = proactive_window
        self.tokens: CodexTokens | None = None

    # -- the CLI's own rules -------------------------------------------------------------
    def start(self) -> dict[str, Any]:
        """A CLI process reads `auth.json` once when it starts."""
        self.tokens = codex_store.load(self.codex_home)
        return describe(self.tokens)

    def _require_tokens(self) -> CodexTokens:
        if self.tokens is None:
            self.tokens = codex_store.load(self.codex_home)
        return self.tokens

    def needs_proactive_refresh(self) -> bool:
        tokens = self._require_tokens()
        exp = jwt_exp(tokens.access_token)
        now = self.clock()
        if exp is not None:
            return exp - now <= self.proactive_window
        last = codex_store.parse_rfc3339(tokens.last_refresh) if tokens.last_refresh else None
        return last is None or now - last > EIGHT_DAYS

    def _reload_if_changed(self) -> bool:
        """Reload the file; adopt it when another instance already refreshed."""
        current = self._require_tokens()
        try:
            on_disk = codex_store.load(self.codex_home)
        except CodexStoreError:
            return False
        if on_disk.account_id and current.account_id and on_disk.account_id != current.account_id:
            raise SiblingFailure(
                "account_mismatch", "auth.json now holds a different account; not adopting it"
            )
        if on_disk.refresh_token != current.refresh_token:
            self.tokens = on_disk
            return True
        return False

    def refresh(self, reason: str = wire.PROACTIVE) -> dict[str, Any]:
        """Reload first; refresh only when nobody else did. A scenario's "refresh now" is the
        CLI's proactive refresh, the only kind it makes without a 401."""
        if self._reload_if_changed():
            return {"outcome": "adopted", **describe(self.tokens)}
        current = self._require_tokens()
        try:
            fresh = wire.refresh(
                self.client,
                self.endpoints.token_url,
                current.refresh_token,
                self.identity,
                form=False,
                reason=reason,
            )
        except wire.WireError as err:
            if err.code in REFRESH_FAILURE_CODES:
                raise SiblingFailure(err.code, wire.REFRESH_MESSAGES[err.code]) from err
            raise SiblingFailure(err.code, f"refresh failed: {err.message}") from err
        updated = apply_refresh(current, fresh, self.clock())
        codex_store.save_as_cli(self.codex_home, updated)
        self.tokens = updated
        return {"outcome": "refreshed", **describe(updated)}

    def _refresh_proactively(self) -> dict[str, Any]:
        """A dead token is presented `DEAD_TOKEN_PRESENTATIONS` times before the CLI gives up."""
        presented = 1
        while True:
            try:
                return self.refresh(wire.PROACTIVE)
            except SiblingFailure as failure:
                if failure.code not in REFRESH_FAILURE_CODES:
                    raise
                if presented >= DEAD_TOKEN_PRESENTATIONS:
                    raise
                presented += 1

    def turn(self, prompt: str) -> dict[str, Any]:
        steps: list[str] = []
        if self.needs_proactive_refresh():
            steps.append(self._refresh_proactively()["outcome"])
        try:
            return self._turn_once(prompt, steps)
        except wire.WireError as err:
            if err.status != 401:
                raise SiblingFailure(err.code, err.message) from err
            steps.append(f"401:{err.code}")
        # On a 401: reload, then refresh, then give up.
        if self._reload_if_changed():
            steps.append("adopted")
        else:
            steps.append(self.refresh(wire.RECOVERY)["outcome"])
        try:
            return self._turn_once(prompt, steps)
        except wire.WireError as err:
            raise SiblingFailure(err.code, err.message) from err

    def logout(self) -> dict[str, Any]:
        """`codex logout`: the refresh token revoked at the (overridable) revoke URL, then
        `auth.json` removed."""
        tokens = self._require_tokens()
        try:
            wire.revoke(self.client, self.endpoints.revoke_url, tokens.refresh_token, self.identity)
        except wire.WireError as err:
            raise SiblingFailure(err.code, f"logout failed: {err.message}") from err
        codex_store.auth_path(self.codex_home).unlink(missing_ok=True)
        self.tokens = None
        return {"outcome": "logged_out", "revoked": token_fingerprint(tokens.refresh_token)}

    def _turn_once(self, prompt: str, steps: list[str]) -> dict[str, Any]:
        tokens = self._require_tokens()
        answer = ask(self.client, self.endpoints, self.identity, tokens, prompt)
        return {"outcome": "answered", "answer": answer, "steps": steps, **describe(tokens)}


class NaiveAgent:
    """An agent of the field report: copies the CLI's login into its own file, refreshes that
    copy on its own schedule and never looks at the CLI's file again, except to re-copy it
    after its own copy died."""

    def __init__(
        self,
        home: Path,
        codex_home: Path,
        endpoints: Endpoints,
        client: httpx.Client,
        identity: wire.Identity,
        clock: Clock = time.time,
    ) -> None:
        self.home = home
        self.codex_home = codex_home
        self.endpoints = endpoints
        self.client = client
        self.identity = identity
        self.clock = clock

    def _own(self) -> CodexTokens:
        return codex_store.load(self.home)

    def start(self) -> dict[str, Any]:
        return self.import_codex()

    def import_codex(self) -> dict[str, Any]:
        tokens = codex_store.load(self.codex_home)
        codex_store.save_in_place(self.home, tokens)
        return {"outcome": "imported", **describe(tokens)}

    def refresh(self) -> dict[str, Any]:
        current = self._own()
        try:
            fresh = wire.refresh(
                self.client,
                self.endpoints.token_url,
                current.refresh_token,
                self.identity,
                form=True,
            )
        except wire.WireError as err:
            # Its own copy is dead: re-copy the CLI's login so the next try "works".
            self.import_codex()
            raise SiblingFailure(err.code, f"refresh failed ({err.code}); re-imported") from err
        updated = apply_refresh(current, fresh, self.clock())
        codex_store.save_in_place(self.home, updated)
        return {"outcome": "refreshed", **describe(updated)}

    def turn(self, prompt: str) -> dict[str, Any]:
        current = self._own()
        try:
            answer = ask(self.client, self.endpoints, self.identity, current, prompt)
        except wire.WireError as err:
            if err.status != 401:
                raise SiblingFailure(err.code, err.message) from err
            self.refresh()
            current = self._own()
            try:
                answer = ask(self.client, self.endpoints, self.identity, current, prompt)
            except wire.WireError as again:
                raise SiblingFailure(again.code, again.message) from again
        return {"outcome": "answered", "answer": answer, **describe(current)}
