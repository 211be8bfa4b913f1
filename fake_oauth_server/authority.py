"""The in-process domain object: accounts, families, rotation, introspection, revocation, the
clock, pauses and faults. No HTTP here; every method is safe to call from any thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fake_oauth_server.clock import VirtualClock
from fake_oauth_server.constants import CODEX_CLIENT_ID, PLANS
from fake_oauth_server.errors import OAuthError, invalid_client, invalid_grant
from fake_oauth_server.faults import FaultPlan
from fake_oauth_server.ids import IdSource
from fake_oauth_server.keys import SigningKey
from fake_oauth_server.ledger import Ledger
from fake_oauth_server.logins import LoginStore
from fake_oauth_server.minting import TokenMinter
from fake_oauth_server.models import Account, Family, Presenter
from fake_oauth_server.pauses import PausePoints
from fake_oauth_server.policies import PolicySpec
from fake_oauth_server.rotation import RefreshResult, RotationEngine, Validation
from fake_oauth_server.settings import Settings


@dataclass
class AuthorityConfig:
    issuer: str
    policy: PolicySpec = field(default_factory=PolicySpec)
    seed: int | None = None
    clients: tuple[str, ...] = (CODEX_CLIENT_ID,)
    state_dir: Path | None = None
    clock_start: float | None = None
    clock_frozen: bool = False
    settings: Settings = field(default_factory=Settings)


class Authority:
    def __init__(self, config: AuthorityConfig) -> None:
        self.config = config
        self.clients = set(config.clients)
        self.clock = VirtualClock(start=config.clock_start, frozen=config.clock_frozen)
        self.ids = IdSource(config.seed)
        self.settings = config.settings
        self.key = (
            SigningKey.from_seed(config.seed)
            if config.seed is not None
            else SigningKey.load_or_create(config.state_dir)
        )
        self.minter = TokenMinter(
            key=self.key,
            ids=self.ids,
            issuer=self.issuer,
            access_ttl=self.settings.access_ttl,
            id_ttl=self.settings.id_ttl,
        )
        self.ledger = Ledger(self.clock, config.policy)
        self.engine = RotationEngine(self.ledger, self.minter, self.settings)
        self.pauses = PausePoints()
        self.faults = FaultPlan()
        self.logins = LoginStore(self)
        self.default_account_id: str | None = None

    # --- settings -----------------------------------------------------------------------------
    @property
    def issuer(self) -> str:
        """The issuer it advertises and signs as: the public one when set, else where it
        listens (`config.issuer`, the URL a client connects to)."""
        return self.settings.public_issuer or self.config.issuer

    @property
    def device_callbacks(self) -> frozenset[str]:
        """The device-code redirect_uri it accepts: the advertised issuer's, and the listening
        one's (a client pointed at the loopback URL, e.g. `--experimental_issuer`)."""
        return frozenset(
            f"{base}/deviceauth/callback" for base in (self.issuer, self.config.issuer)
        )

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        with self.ledger.lock:
            self.settings.update(changes)
            self.minter.access_ttl = self.settings.access_ttl
            self.minter.id_ttl = self.settings.id_ttl
            self.minter.issuer = self.issuer
            return self.settings.to_dict()

    def check_client(self, client_id: str | None) -> str:
        if not client_id:
            raise OAuthError("invalid_request", "client_id is required")
        if client_id not in self.clients:
            raise invalid_client(f"unknown client_id {client_id!r}")
        return client_id

    # --- accounts -----------------------------------------------------------------------------
    def create_account(
        self,
        email: str | None = None,
        plan: str = "plus",
        account_id: str | None = None,
        session_limit: int | None = None,
    ) -> Account:
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}; known: {', '.join(PLANS)}")
        if session_limit is not None and (
            isinstance(session_limit, bool)
            or not isinstance(session_limit, int)
            or session_limit < 1
        ):
            raise ValueError("session_limit must be a positive integer or null")
        with self.ledger.lock:
            account_id = account_id or self.ids.prefixed("acc")
            if not isinstance(account_id, str) or not account_id:
                raise ValueError("account_id must be a non-empty string")
            if account_id in self.ledger.accounts:
                raise ValueError(f"account {account_id!r} already exists")
            account = Account(
                account_id=account_id,
                email=email or f"user-{account_id}@example.test",
                plan=plan,
                user_id=self.ids.prefixed("user"),
                session_limit=session_limit,
            )
            self.ledger.accounts[account_id] = account
            if self.default_account_id is None:
                self.default_account_id = account_id
            self.ledger.record("account_created", detail={"account_id": account_id})
            return account

    def account(self, account_id: str) -> Account:
        account = self.ledger.accounts.get(account_id)
        if account is None:
            raise KeyError(f"unknown account {account_id!r}")
        return account

    def default_account(self) -> Account:
        with self.ledger.lock:
            if self.default_account_id is None:
                return self.create_account(email="user@example.test")
            return self.account(self.default_account_id)

    # --- logins -------------------------------------------------------------------------------
    def login(
        self, account_id: str, client_id: str = CODEX_CLIENT_ID, presenter: Presenter | None = None
    ) -> tuple[Family, dict[str, Any]]:
        """A new family (grant) for the account; a session limit revokes the oldest ones."""
        self.check_client(client_id)
        presenter = presenter or Presenter(client_id=client_id)
        with self.ledger.lock:
            account = self.account(account_id)
            family = Family(
                family_id=self.ids.prefixed("fam"),
                account=account,
                client_id=client_id,
                created_at=self.clock.now(),
            )
            minted = self.engine.mint(family, None)  # may fail: nothing is in the ledger yet
            self.ledger.families[family.family_id] = family
            self.ledger.record(
                "login",
                family=family,
                generation=0,
                presenter=presenter,
                detail={"account_id": account_id},
            )
            body = self.engine.commit_issue(minted, family, None, presenter)
            if account.session_limit is not None:
                live = [
                    f
                    for f in self.ledger.families.values()
                    if f.account is account and f.state == "active"
                ]
                for old in live[: max(0, len(live) - account.session_limit)]:
                    self.ledger.record(
                        "session_limit",
                        family=old,
                        generation=old.generation,
                        presenter=presenter,
                        detail={"limit": account.session_limit, "new_family": family.family_id},
                    )
                    self.ledger.revoke_family(old, "session_limit", presenter)
            return family, body

    def mint_family(self, account_id: str, client_id: str = CODEX_CLIENT_ID) -> dict[str, Any]:
        family, body = self.login(
            account_id, client_id, Presenter(client_id=client_id, user_agent="admin")
        )
        return {
            "family_id": family.family_id,
            "account_id": account_id,
            "id_token": body["id_token"],
            "access_token": body["access_token"],
            "refresh_token": body["refresh_token"],
        }

    # --- refresh ------------------------------------------------------------------------------
    def refresh_validate(self, refresh_token: str, presenter: Presenter) -> Validation:
        return self.engine.validate(refresh_token, presenter)

    def refresh_commit(self, validation: Validation, presenter: Presenter) -> RefreshResult:
        return self.engine.commit(validation, presenter)

    def refresh(self, refresh_token: str, presenter: Presenter) -> dict[str, Any]:
        """Both steps at once, for in-process callers with no pauses."""
        return self.refresh_commit(self.refresh_validate(refresh_token, presenter), presenter).body

    # --- introspection and revocation ---------------------------------------------------------
    def introspect(self, token: str, presenter: object | None = None) -> dict[str, Any]:
        """RFC 7662 plus `token_status`. `presenter` may be any object with client_id,
        originator and user_agent (the fake Codex backend passes its own)."""
        who = (
            presenter
            if isinstance(presenter, Presenter) or presenter is None
            else Presenter(
                getattr(presenter, "client_id", None),
                getattr(presenter, "originator", None),
                getattr(presenter, "user_agent", None),
            )
        )
        with self.ledger.lock:
            now = self.clock.now()
            record = self.ledger.lookup(token)
            if record is None:
                family_id = self.ledger.api_keys.get(token)
                if family_id is not None:
                    family = self.ledger.families[family_id]
                    return {
                        "active": True,
                        "token_type": "api_key",
                        "token_status": "active",
                        "family_id": family_id,
                        "chatgpt_account_id": family.account.account_id,
                    }
                return {"active": False, "token_status": "unknown"}
            family = record.family
            if family.state == "revoked":
                status = "invalidated"
            elif record.state == "revoked":
                status = "revoked"
            elif record.expires_at is not None and now >= record.expires_at:
                status = "expired"
            elif record.kind == "refresh" and record.state == "rotated":
                status = "revoked"  # a rotated refresh token is no longer usable as such
            else:
                status = "active"
            self.ledger.record(
                "introspected",
                family=family,
                token=record,
                presenter=who,
                detail={"token_status": status},
            )
            answer: dict[str, Any] = {
                "active": status == "active",
                "token_type": f"{record.kind}_token",
                "client_id": family.client_id,
                "sub": family.account.user_id,
                "iat": int(record.issued_at),
                "family_id": family.family_id,
                "generation": record.generation,
                "chatgpt_account_id": family.account.account_id,
                "token_status": status,
            }
            if record.expires_at is not None:
                answer["exp"] = int(record.expires_at)
            return answer

    def revoke(self, token: str, presenter: Presenter) -> None:
        """RFC 7009: unknown tokens are ignored. A refresh token ends its grant (a logout)."""
        with self.ledger.lock:
            record = self.ledger.lookup(token)
            if record is None:
                return
            if record.kind == "refresh":
                self.ledger.revoke_family(record.family, "revoked_by_client", presenter)
                return
            if record.state != "revoked":
                record.state = "revoked"
                record.revoked_at = self.clock.now()
                self.ledger.record(
                    "revoked",
                    family=record.family,
                    token=record,
                    presenter=presenter,
                    detail={"kind": record.kind},
                )

    def revoke_family(self, family_id: str, reason: str = "admin") -> bool:
        with self.ledger.lock:
            family = self.ledger.families.get(family_id)
            if family is None:
                raise KeyError(f"unknown family {family_id!r}")
            return self.ledger.revoke_family(family, reason)

    # --- api keys -----------------------------------------------------------------------------
    def exchange_api_key(self, id_token: str, presenter: Presenter) -> str:
        with self.ledger.lock:
            record = self.ledger.lookup(id_token)
            if record is None or record.kind != "id" or self.minter.verify(id_token) is None:
                raise invalid_grant("subject_token is not an id_token issued by this server")
            if record.family.state == "revoked" or record.state == "revoked":
                raise invalid_grant("the grant of this id_token was revoked")
            key = self.minter.api_key()
            self.ledger.api_keys[key] = record.family.family_id
            self.ledger.record(
                "api_key_issued", family=record.family, token=record, presenter=presenter
            )
            return key

    # --- policies -----------------------------------------------------------------------------
    def set_policy(
        self,
        policy: str,
        params: dict[str, Any] | None = None,
        account_id: str | None = None,
        family_id: str | None = None,
    ) -> PolicySpec:
        spec = PolicySpec.parse(policy, params)
        with self.ledger.lock:
            if family_id is not None:
                family = self.ledger.families.get(family_id)
                if family is None:
                    raise KeyError(f"unknown family {family_id!r}")
                family.policy = spec
            elif account_id is not None:
                self.account(account_id).policy = spec
            else:
                self.ledger.default_policy = spec
            self.ledger.record(
                "policy_set",
                detail={**spec.to_dict(), "account_id": account_id, "family_id": family_id},
            )
        return spec
