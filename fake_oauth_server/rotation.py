"""The refresh_token grant: validation (read-only), then an atomic compare-and-set commit that
re-checks what validation saw. Nothing here waits: pause points sit between the two steps, in
the caller, so a paused request holds no lock while another client rotates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fake_oauth_server.errors import OAuthError, invalid_grant, refresh_error
from fake_oauth_server.fingerprint import token_fingerprint
from fake_oauth_server.ledger import Ledger
from fake_oauth_server.minting import TokenMinter
from fake_oauth_server.models import Family, Presentation, Presenter, TokenRecord
from fake_oauth_server.policies import Verdict, decide_reuse
from fake_oauth_server.settings import Settings


@dataclass
class Validation:
    record: TokenRecord | None
    seen_state: str | None
    context: dict[str, Any]
    error: OAuthError | None = None


@dataclass
class Minted:
    """A new pair, signed and ready, not yet in the ledger."""

    now: float
    generation: int
    records: list[TokenRecord]
    body: dict[str, Any]


@dataclass
class RefreshResult:
    body: dict[str, Any]
    outcome: str  # rotated | grace | superseded | replayed
    context: dict[str, Any]


def token_context(record: TokenRecord | None) -> dict[str, Any]:
    if record is None:
        return {"family_id": None, "generation": None, "account_id": None}
    return {
        "family_id": record.family.family_id,
        "generation": record.generation,
        "account_id": record.family.account.account_id,
    }


class RotationEngine:
    def __init__(self, ledger: Ledger, minter: TokenMinter, settings: Settings) -> None:
        self.ledger = ledger
        self.minter = minter
        self.settings = settings

    # --- issuing ------------------------------------------------------------------------------
    def mint(self, family: Family, parent: TokenRecord | None) -> Minted:
        """Everything of a new pair that can fail (signing, expiries, the answer), computed
        before anything is committed: a rotation never happens without its successor."""
        now = self.ledger.clock.now()
        generation = 0 if parent is None else parent.generation + 1
        pair = self.minter.mint(family.account, family.client_id, now, session_id=family.family_id)
        parent_fp = parent.fingerprint if parent else None
        refresh_expiry = (
            None if self.settings.refresh_ttl is None else now + self.settings.refresh_ttl
        )
        values = (
            (pair.refresh_token, "refresh", refresh_expiry),
            (pair.access_token, "access", float(pair.access_expires_at)),
            (pair.id_token, "id", float(pair.id_expires_at)),
        )
        records = [
            TokenRecord(
                value, token_fingerprint(value), kind, family, generation, parent_fp, now, expiry
            )
            for value, kind, expiry in values
        ]
        body = {
            "id_token": pair.id_token,
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "token_type": "Bearer",
            "expires_in": int(self.settings.access_ttl),
            "scope": "openid profile email offline_access",
        }
        return Minted(now, generation, records, body)

    def commit_issue(
        self, minted: Minted, family: Family, parent: TokenRecord | None, presenter: Presenter
    ) -> dict[str, Any]:
        """Put a minted pair into the ledger (caller holds the ledger lock); nothing here fails
        on input an admin could set."""
        ledger = self.ledger
        now, generation, records = minted.now, minted.generation, minted.records
        for record in records:
            ledger.add_token(record)
        records[0].companions = records[1:]
        if parent is not None:
            parent.children.append(records[0])
        family.generation = max(family.generation, generation)
        if self.settings.revoke_access_on_rotation and parent is not None:
            for token in family.tokens:
                if (
                    token.kind == "access"
                    and token.generation < generation
                    and token.state == "active"
                ):
                    token.state = "revoked"
                    token.revoked_at = now
        ledger.record(
            "issued",
            family=family,
            token=records[0],
            presenter=presenter,
            detail={"access": records[1].fingerprint, "id": records[2].fingerprint},
            at=now,
        )
        return minted.body

    def issue(
        self, family: Family, parent: TokenRecord | None, presenter: Presenter
    ) -> dict[str, Any]:
        """Mint a new pair into the family (caller holds the ledger lock)."""
        return self.commit_issue(self.mint(family, parent), family, parent, presenter)

    # --- the refresh grant --------------------------------------------------------------------
    def validate(self, value: str, presenter: Presenter) -> Validation:
        with self.ledger.lock:
            record = self.ledger.lookup(value)
            if record is None or record.kind != "refresh":
                return Validation(
                    None,
                    None,
                    token_context(None),
                    invalid_grant("the refresh token is not known to this server"),
                )
            context = token_context(record)
            if presenter.client_id != record.family.client_id:
                return Validation(
                    record,
                    record.state,
                    context,
                    invalid_grant("the refresh token was issued to another client"),
                )
            return Validation(record, record.state, context)

    def commit(self, validation: Validation, presenter: Presenter) -> RefreshResult:
        """Decide on the state as it is now (atomic), or, with the Hydra #3604 bug on, on the
        state validation saw. Raises OAuthError for every refusal."""
        if validation.error is not None:
            raise validation.error
        record = validation.record
        assert record is not None
        ledger = self.ledger
        settings = self.settings
        with ledger.lock:
            now = ledger.clock.now()
            family = record.family
            context = dict(validation.context)
            state = record.state
            if (
                settings.non_atomic_rotation
                and validation.seen_state == "active"
                and state == "rotated"
            ):
                state = "active"  # the bug: no re-check between validation and commit
            if family.state == "revoked" or state == "revoked":
                self._presented(record, presenter, now, "invalidated")
                raise refresh_error("refresh_token_invalidated", settings.reuse_status)
            if record.expires_at is not None and now >= record.expires_at:
                self._presented(record, presenter, now, "expired")
                raise refresh_error("refresh_token_expired", settings.reuse_status)
            if state == "active":
                return self._rotate(record, presenter, now, context, "rotated")
            return self._reuse(record, presenter, now, context)

    def _rotate(
        self,
        record: TokenRecord,
        presenter: Presenter,
        now: float,
        context: dict[str, Any],
        outcome: str,
        detail: dict[str, Any] | None = None,
        minted: Minted | None = None,
    ) -> RefreshResult:
        if minted is None:
            minted = self.mint(record.family, record)  # may fail: nothing has changed yet
        first = record.state == "active"
        if first:
            record.state = "rotated"
            record.rotated_at = now
        else:
            record.reuse_count += 1
        self._presented(record, presenter, now, outcome)
        body = self.commit_issue(minted, record.family, record, presenter)
        if first:
            record.response = body
        child = record.children[-1]
        event = "rotated" if outcome == "rotated" else "grace_reuse"
        self.ledger.record(
            event,
            family=record.family,
            token=record,
            presenter=presenter,
            detail={"successor": child.fingerprint, "outcome": outcome, **(detail or {})},
            at=now,
        )
        context["new_generation"] = child.generation
        return RefreshResult(body, outcome, context)

    def _reuse(
        self, record: TokenRecord, presenter: Presenter, now: float, context: dict[str, Any]
    ) -> RefreshResult:
        family = record.family
        rotated_at = record.rotated_at if record.rotated_at is not None else now
        if (
            self.settings.second_resolution_timestamps
            and int(rotated_at) == int(now)
            and record.generation == family.generation - 1
        ):
            # Keycloak #50999: compared at second resolution, the stale token looks current.
            return self._rotate(
                record, presenter, now, context, "rotated", {"known_bug": "keycloak-50999"}
            )
        policy = self.ledger.policy_for(family)
        verdict = decide_reuse(
            policy,
            age=now - rotated_at,
            generation=record.generation,
            family_generation=family.generation,
            reuse_count=record.reuse_count,
            has_response=record.response is not None,
        )
        if verdict is Verdict.FORK:
            return self._rotate(record, presenter, now, context, "grace", {"policy": policy.name})
        if verdict is Verdict.SUPERSEDE:
            minted = self.mint(family, record)  # before the old branch goes
            for child in list(record.children):
                self._revoke_subtree(child, now)
            self.ledger.record(
                "superseded",
                family=family,
                token=record,
                presenter=presenter,
                detail={"policy": policy.name},
                at=now,
            )
            return self._rotate(
                record, presenter, now, context, "superseded", {"policy": policy.name}, minted
            )
        if verdict is Verdict.REPLAY:
            assert record.response is not None
            record.reuse_count += 1
            self._presented(record, presenter, now, "replayed")
            self.ledger.record(
                "replayed",
                family=family,
                token=record,
                presenter=presenter,
                detail={"policy": policy.name},
                at=now,
            )
            return RefreshResult(dict(record.response), "replayed", context)
        self._presented(record, presenter, now, "reuse")
        self.ledger.record(
            "reuse_detected",
            family=family,
            token=record,
            presenter=presenter,
            detail={"policy": policy.name, "age": now - rotated_at},
            at=now,
        )
        self.ledger.revoke_family(family, "reuse_detected", presenter)
        raise refresh_error("refresh_token_reused", self.settings.reuse_status)

    def _revoke_subtree(self, refresh: TokenRecord, now: float) -> None:
        """Revoke a refresh token, the access/id tokens minted with it, and its descendants."""
        stack = [refresh]
        while stack:
            node = stack.pop()
            for token in [node, *node.companions]:
                if token.state != "revoked":
                    token.state = "revoked"
                    token.revoked_at = now
            stack.extend(node.children)

    @staticmethod
    def _presented(record: TokenRecord, presenter: Presenter, now: float, outcome: str) -> None:
        record.presented.append(Presentation(now, presenter, outcome))
