"""The calls to auth.openai.com (or a look-alike): token, revoke, device-code endpoints.

One attempt per call; retries are the caller's decision (`agent.auth.retry`), because whether a
retry is safe depends on what the caller knows about the refresh token.
Wire shapes: ../shared/PROTOCOL.md section 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from agent.auth.oauth_errors import (
    decode_json_object,
    extract_error_code,
    garbage_success,
    token_endpoint_error,
)
from agent.auth.refresh_route import RefreshRoute
from agent.auth.tokens import TokenSet, account_id_of
from agent.clock import Clock
from agent.errors import (
    AuthError,
    BadServerResponse,
    DeviceCodeUnavailable,
    NetworkError,
    NetworkTimeout,
)
from agent.http import USER_AGENT

# Why a refresh happens, in the Codex CLI's words (0.169.0): the access token is (about to be)
# expired, or the backend answered 401.
RefreshReason = Literal["proactive_expiry", "unauthorized_recovery"]


@dataclass(frozen=True)
class RefreshAnswer:
    """What a refresh returned; absent fields mean "keep what you had" (as the Codex CLI does)."""

    id_token: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class DeviceCode:
    device_auth_id: str = field(repr=False)
    user_code: str
    interval: float
    verification_url: str


@dataclass(frozen=True)
class DeviceGrant:
    authorization_code: str = field(repr=False)
    code_verifier: str = field(repr=False)


class TokenEndpointClient:
    def __init__(
        self,
        http: httpx.Client,
        *,
        issuer: str,
        client_id: str,
        clock: Clock,
        originator: str = "codex_cli_rs",
        route: Callable[[], RefreshRoute] | None = None,
    ) -> None:
        """`route`: where refreshes and revokes go, asked at each call (the refresh broker
        when one serves this home, `agent.auth.refresh_route`); the issuer by default."""
        self._http = http
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._clock = clock
        self._headers = {"User-Agent": USER_AGENT, "originator": originator}
        self._route = route

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/oauth/token"

    def refresh_route(self) -> RefreshRoute:
        if self._route is not None:
            return self._route()
        return RefreshRoute(self.token_url, f"{self.issuer}/oauth/revoke")

    # --- transport -----------------------------------------------------------------------------

    def _post(self, url: str, *, broker: str | None = None, **kwargs: Any) -> httpx.Response:
        server = f"The sign-in server ({self.issuer})"
        if broker is not None:
            server = f"The refresh broker ({broker})"
        try:
            response = self._http.post(url, headers=self._headers, **kwargs)
            response.read()
        except httpx.TimeoutException as exc:
            raise NetworkTimeout(
                f"{server} did not answer in time.",
                diagnosis="the network or the server is slow or down",
                answer_lost=not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout),
            ) from None
        except (httpx.TransportError, httpx.StreamError) as exc:
            diagnosis = _describe_transport(exc)
            remedy = None
            if broker is not None and isinstance(exc, httpx.ConnectError):
                diagnosis = "the refresh broker this agent is set to use is not running"
                remedy = (
                    "start it (`codex-agent broker run`, or `codex-agent broker start` when it "
                    "is installed as a service), or remove `broker_url` / "
                    "CODEX_AGENT_BROKER_URL to refresh without it"
                )
            raise NetworkError(
                f"{server} could not be reached: {type(exc).__name__}.",
                diagnosis=diagnosis,
                remedy=remedy,
                answer_lost=not isinstance(exc, httpx.ConnectError | httpx.UnsupportedProtocol),
            ) from None
        return response

    def _error(self, response: httpx.Response, what: str) -> AuthError:
        return token_endpoint_error(
            response.status_code,
            response.content,
            content_type=response.headers.get("content-type"),
            retry_after=response.headers.get("retry-after"),
            now=self._clock.now(),
            what=what,
        )

    def _json_success(self, response: httpx.Response) -> dict[str, Any]:
        doc = decode_json_object(response.content)
        if doc is None:
            raise garbage_success(
                response.content, response.headers.get("content-type"), response.status_code
            )
        return doc

    # --- refresh -------------------------------------------------------------------------------

    def refresh(
        self,
        refresh_token: str,
        *,
        reason: RefreshReason | None = None,
        on_send: Callable[[], None] | None = None,
    ) -> RefreshAnswer:
        """POST /oauth/token with the JSON body the Codex CLI sends.

        `reason` goes out as `refresh_reason`, as Codex CLI 0.169.0 sends it, when the agent
        refreshes for one of the CLI's reasons; a refresh the user forced has none (an invented
        value would be untrue).

        `on_send` runs once, just before the request's headers go out (after the connection and
        TLS are up): from then on the server may rotate the token. An exception from it stops
        the request before anything is sent.
        """
        extensions: dict[str, Any] = {}
        if on_send is not None:
            extensions["trace"] = _on_first_send(on_send)
        body = {
            "client_id": self.client_id,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        if reason is not None:
            body["refresh_reason"] = reason
        route = self.refresh_route()
        response = self._post(
            route.token_url, broker=route.broker_url, json=body, extensions=extensions
        )
        if not response.is_success:
            raise self._error(response, "refresh the access token")
        doc = self._json_success(response)
        answer = RefreshAnswer(
            id_token=_opt_token(doc, "id_token", response),
            access_token=_opt_token(doc, "access_token", response),
            refresh_token=_opt_token(doc, "refresh_token", response),
        )
        if answer.access_token is None and answer.refresh_token is None:
            raise BadServerResponse(
                "The sign-in server's refresh answer holds no token.",
                diagnosis="a 2xx answer without access_token or refresh_token",
                status=response.status_code,
            )
        return answer

    # --- authorization code ----------------------------------------------------------------------

    def exchange_code(self, code: str, *, redirect_uri: str, code_verifier: str) -> TokenSet:
        response = self._post(
            self.token_url,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.client_id,
                "code_verifier": code_verifier,
            },
        )
        if not response.is_success:
            raise self._error(response, "exchange the sign-in code for tokens")
        doc = self._json_success(response)
        values = {}
        for key in ("id_token", "access_token", "refresh_token"):
            value = doc.get(key)
            if not isinstance(value, str) or not value:
                raise BadServerResponse(
                    f"The sign-in server's token answer has no `{key}`.",
                    diagnosis="a code exchange returns id_token, access_token and refresh_token",
                    status=response.status_code,
                )
            values[key] = value
        account = account_id_of(values["id_token"], values["access_token"])
        if not account:
            raise BadServerResponse(
                "The tokens from the sign-in server name no ChatGPT account.",
                diagnosis="the id token has no `https://api.openai.com/auth`.chatgpt_account_id",
                status=response.status_code,
            )
        return TokenSet(account_id=account, **values)

    # --- revoke --------------------------------------------------------------------------------

    def revoke(self, token: str, *, hint: str) -> None:
        body: dict[str, str] = {"token": token, "token_type_hint": hint}
        if hint == "refresh_token":
            body["client_id"] = self.client_id
        route = self.refresh_route()
        response = self._post(route.revoke_url, broker=route.broker_url, json=body)
        if not response.is_success:
            raise self._error(response, "revoke the login")

    # --- device code ---------------------------------------------------------------------------

    def request_device_code(self) -> DeviceCode:
        response = self._post(
            f"{self.issuer}/api/accounts/deviceauth/usercode", json={"client_id": self.client_id}
        )
        if response.status_code == 404:
            raise DeviceCodeUnavailable()
        if not response.is_success:
            raise self._error(response, "start a device-code sign-in")
        doc = self._json_success(response)
        device_auth_id = doc.get("device_auth_id")
        user_code = doc.get("user_code") or doc.get("usercode")
        if not isinstance(device_auth_id, str) or not isinstance(user_code, str):
            raise BadServerResponse(
                "The device-code answer lacks device_auth_id or user_code.",
                status=response.status_code,
            )
        return DeviceCode(
            device_auth_id=device_auth_id,
            user_code=user_code,
            interval=_interval(doc.get("interval")),
            verification_url=f"{self.issuer}/codex/device",
        )

    def poll_device_code(self, device: DeviceCode) -> DeviceGrant | None:
        """One poll: the grant, or None while the person has not approved yet (403/404)."""
        response = self._post(
            f"{self.issuer}/api/accounts/deviceauth/token",
            json={"device_auth_id": device.device_auth_id, "user_code": device.user_code},
        )
        if response.status_code in (403, 404):
            return None
        if not response.is_success:
            raise self._error(response, "complete the device-code sign-in")
        doc = self._json_success(response)
        code = doc.get("authorization_code")
        verifier = doc.get("code_verifier")
        if not isinstance(code, str) or not isinstance(verifier, str):
            raise BadServerResponse(
                "The device-code answer lacks authorization_code or code_verifier.",
                status=response.status_code,
            )
        return DeviceGrant(authorization_code=code, code_verifier=verifier)

    @property
    def device_redirect_uri(self) -> str:
        return f"{self.issuer}/deviceauth/callback"


def _on_first_send(callback: Callable[[], None]) -> Callable[[str, dict[str, Any]], None]:
    """An httpcore trace hook that calls `callback` when the first request headers start out."""
    fired = False

    def trace(event: str, info: dict[str, Any]) -> None:
        nonlocal fired
        if not fired and event.endswith("send_request_headers.started"):
            fired = True
            callback()

    return trace


def _opt_token(doc: dict[str, Any], key: str, response: httpx.Response) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise BadServerResponse(
            f"The sign-in server's answer has an invalid `{key}`.", status=response.status_code
        )
    return value


def _interval(value: object) -> float:
    try:
        seconds = (
            float(value)
            if isinstance(value, str | int | float) and not isinstance(value, bool)
            else 5.0
        )
    except ValueError:
        seconds = 5.0
    return min(max(seconds, 1.0), 60.0)


def _describe_transport(exc: Exception) -> str:
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "certificate" in text or "ssl" in text:
            return "TLS verification failed (set CODEX_AGENT_CA_BUNDLE for a private CA)"
        return "the connection was refused or the name did not resolve (offline? proxy?)"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection mid-answer"
    return f"a network failure ({name})"


__all__ = [
    "DeviceCode",
    "DeviceGrant",
    "RefreshAnswer",
    "TokenEndpointClient",
    "extract_error_code",
]
