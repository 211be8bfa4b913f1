"""Whether an access token is live, asked of the OAuth server on every handshake.

The backend never caches an answer: a cache could hide a revocation, which is exactly the
failure the harness exists to reproduce.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx

TokenState = Literal["active", "expired", "revoked", "invalidated", "unknown"]
TOKEN_STATES: tuple[TokenState, ...] = ("active", "expired", "revoked", "invalidated", "unknown")


# What httpx encodes (ASCII) and h11 sends as a header value: visible characters, with blanks
# only between them. A caller's header arrives decoded as Latin-1 and may hold anything else.
_SENDABLE_HEADER_VALUE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?")


def sendable_header_value(value: str) -> bool:
    """Whether `value` can be sent as a header as is (a non-ASCII one raised UnicodeEncodeError
    inside httpx, and the caller got a 500)."""
    return _SENDABLE_HEADER_VALUE.fullmatch(value) is not None


class AuthorityError(Exception):
    """The OAuth server could not say whether a token is live (down, refused, garbage)."""


@dataclass(frozen=True)
class TokenInfo:
    """What the backend needs to know about a presented bearer token."""

    status: TokenState
    account_id: str | None = None
    family_id: str | None = None
    generation: int | None = None
    client_id: str | None = None
    exp: float | None = None
    token_type: str | None = None

    @classmethod
    def from_introspection(cls, body: Mapping[str, Any]) -> TokenInfo:
        """Read an RFC 7662 answer with the fake OAuth server's extensions (contracts.md)."""
        raw_status = body.get("token_status")
        if raw_status is None:
            raw_status = "active" if body.get("active") is True else "unknown"
        if raw_status not in TOKEN_STATES:
            raise AuthorityError(f"introspection gave an unknown token_status {raw_status!r}")
        status: TokenState = raw_status
        if status == "active" and body.get("active") is False:
            raise AuthorityError(
                "introspection answer is inconsistent: active=false, status=active"
            )
        token_type = _opt_str(body.get("token_type"))
        if status == "active" and token_type not in (None, "access_token"):
            # A refresh or id token presented as a bearer token is not a credential here.
            status = "unknown"
        generation = body.get("generation")
        exp = body.get("exp")
        return cls(
            status=status,
            account_id=_opt_str(body.get("chatgpt_account_id")),
            family_id=_opt_str(body.get("family_id")),
            generation=generation if isinstance(generation, int) else None,
            client_id=_opt_str(body.get("client_id")),
            exp=float(exp) if isinstance(exp, int | float) else None,
            token_type=token_type,
        )


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Presenter:
    """Who presented the token to the backend, passed on so that the ledger records it."""

    client_id: str | None = None
    originator: str | None = None
    user_agent: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "originator": self.originator,
            "user_agent": self.user_agent,
        }


class TokenAuthority(Protocol):
    """The seam between the backend and whoever knows the ledger."""

    async def introspect(self, token: str, presenter: Presenter | None = None) -> TokenInfo: ...

    async def aclose(self) -> None: ...


class HttpIntrospectionAuthority:
    """RFC 7662 introspection: `POST {issuer}/oauth/introspect`, Bearer admin token, form token=."""

    def __init__(
        self,
        issuer: str,
        admin_token: str,
        *,
        ca_cert: Path | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = issuer.rstrip("/") + "/oauth/introspect"
        self._admin_token = admin_token
        self._verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=str(ca_cert)) if ca_cert is not None else True
        )
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        # Created lazily so that it belongs to the event loop of the server that uses it.
        if self._client is None:
            self._client = httpx.AsyncClient(
                verify=self._verify, timeout=self._timeout, trust_env=False
            )
        return self._client

    async def introspect(self, token: str, presenter: Presenter | None = None) -> TokenInfo:
        headers = {"Authorization": f"Bearer {self._admin_token}"}
        # The caller's identity travels on, so the OAuth ledger shows who presented the token;
        # a value no request can carry stays behind (it is the caller's, and in the event log).
        if presenter is not None:
            for name, value in (
                ("originator", presenter.originator),
                ("User-Agent", presenter.user_agent),
            ):
                if value and sendable_header_value(value):
                    headers[name] = value
        try:
            answer = await self._http().post(self.url, data={"token": token}, headers=headers)
        except httpx.HTTPError as exc:
            raise AuthorityError(
                f"cannot reach the OAuth server at {self.url}: {type(exc).__name__}"
            ) from None
        if answer.status_code in (401, 403):
            raise AuthorityError(
                f"the OAuth server refused introspection (HTTP {answer.status_code}): "
                "check the OAuth admin token given to this backend "
                "(--oauth-admin-token-file or $FAKE_CODEX_WS_OAUTH_ADMIN_TOKEN)"
            )
        if answer.status_code != 200:
            raise AuthorityError(f"introspection failed with HTTP {answer.status_code}")
        try:
            body = answer.json()
        except ValueError:
            raise AuthorityError("introspection answer is not JSON") from None
        if not isinstance(body, dict):
            raise AuthorityError("introspection answer is not a JSON object")
        return TokenInfo.from_introspection(body)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class CallableAuthority:
    """In-process introspection: a function giving the same answer as the HTTP endpoint.

    Used when the OAuth server runs in the same process: no HTTP hop, same ledger object.
    """

    def __init__(self, introspect: Callable[[str, Presenter | None], Mapping[str, Any]]) -> None:
        self._introspect = introspect

    async def introspect(self, token: str, presenter: Presenter | None = None) -> TokenInfo:
        try:
            body = self._introspect(token, presenter)
        except AuthorityError:
            raise
        except Exception as exc:
            raise AuthorityError(f"in-process introspection failed: {type(exc).__name__}") from None
        return TokenInfo.from_introspection(body)

    async def aclose(self) -> None:
        return None
