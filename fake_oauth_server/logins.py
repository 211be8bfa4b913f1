"""Logins: the browser flow (authorize, consent, code exchange with PKCE) and the device-code
flow (user code, approval, polling). Each ends in a new family through the authority."""

from __future__ import annotations

import threading
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fake_oauth_server.errors import OAuthError, invalid_grant, invalid_request
from fake_oauth_server.models import Presenter
from fake_oauth_server.pkce import s256, verifier_matches

if TYPE_CHECKING:
    from fake_oauth_server.authority import Authority

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")


@dataclass
class AuthRequest:
    request_id: str
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str
    originator: str | None
    created_at: float


@dataclass
class AuthCode:
    client_id: str
    redirect_uri: str
    code_challenge: str
    account_id: str
    expires_at: float
    used: bool = False  # redeemed (by a request that proved it holds the verifier)
    replayed: bool = False  # redeemed again: what it issued is revoked
    family_id: str | None = None


@dataclass
class DeviceCode:
    device_auth_id: str
    user_code: str
    client_id: str
    expires_at: float
    account_id: str | None = None
    code: str | None = None
    verifier: str | None = None
    challenge: str | None = None
    delivered: bool = False  # a poll has handed out the code pair: later polls are refused


class LoginStore:
    def __init__(self, authority: Authority) -> None:
        self.authority = authority
        self._lock = threading.Lock()
        self._requests: dict[str, AuthRequest] = {}
        self._codes: dict[str, AuthCode] = {}
        self._devices: dict[str, DeviceCode] = {}  # by device_auth_id
        self._user_codes: dict[str, str] = {}  # normalised user code -> device_auth_id
        self.auto_consent = False  # answer the consent page at once, for this account
        self.auto_consent_account: str | None = None  # None: the default account
        self.auto_approve_devices = False

    @property
    def device_callback(self) -> str:
        return self.authority.issuer + "/deviceauth/callback"

    # --- browser flow -------------------------------------------------------------------------
    def check_redirect_uri(self, redirect_uri: str) -> None:
        if redirect_uri in self.authority.device_callbacks:
            return
        parts = urllib.parse.urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS or parts.fragment:
            raise invalid_request(
                "redirect_uri must be a loopback http URL (or the device callback)"
            )

    def start(self, params: dict[str, str], originator: str | None) -> AuthRequest:
        """Validate an authorize request. Errors that may not be redirected raise OAuthError."""
        client_id = self.authority.check_client(params.get("client_id"))
        redirect_uri = params.get("redirect_uri") or ""
        self.check_redirect_uri(redirect_uri)
        request = AuthRequest(
            request_id=self.authority.ids.urlsafe(16),
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=params.get("scope", ""),
            state=params.get("state"),
            code_challenge=params.get("code_challenge", ""),
            originator=originator,
            created_at=self.authority.clock.now(),
        )
        if params.get("response_type") != "code":
            raise RedirectError(request, "unsupported_response_type", "response_type must be code")
        if params.get("code_challenge_method") != "S256" or not request.code_challenge:
            raise RedirectError(request, "invalid_request", "PKCE with S256 is required")
        with self._lock:
            self._requests[request.request_id] = request
        return request

    def consent(self, request_id: str, account_id: str | None, approve: bool) -> str:
        """The redirect URL answering the consent: a code, or `access_denied`."""
        with self._lock:
            request = self._requests.pop(request_id, None)
        if request is None:
            raise invalid_request("unknown or already answered authorization request")
        if not approve:
            return _with_query(
                request.redirect_uri, {"error": "access_denied", "state": request.state}
            )
        account = (
            self.authority.account(account_id) if account_id else self.authority.default_account()
        )
        code = self._issue_code(
            request.client_id, request.redirect_uri, request.code_challenge, account.account_id
        )
        return _with_query(request.redirect_uri, {"code": code, "state": request.state})

    def _issue_code(
        self, client_id: str, redirect_uri: str, challenge: str, account_id: str
    ) -> str:
        code = "ac_" + self.authority.ids.urlsafe(24)
        expires = self.authority.clock.now() + self.authority.settings.auth_code_ttl
        with self._lock:
            self._codes[code] = AuthCode(client_id, redirect_uri, challenge, account_id, expires)
        return code

    def exchange(self, params: dict[str, str], presenter: Presenter) -> dict[str, Any]:
        """Redeem a code. Only a request that proves it holds the code (client, redirect_uri
        and PKCE verifier all match) touches it: a wrong verifier leaves the code usable, so
        whoever saw the code in a redirect cannot burn the login. A second proven redemption
        is refused and revokes what the first one issued (RFC 6749 4.1.2)."""
        client_id = self.authority.check_client(params.get("client_id"))
        for name in ("code", "redirect_uri", "code_verifier"):
            if not params.get(name):
                raise invalid_request(f"{name} is required")
        with self._lock:
            grant = self._codes.get(params["code"])
        if grant is None:
            raise invalid_grant("unknown authorization code")
        if grant.client_id != client_id:
            raise invalid_grant("authorization code was issued to another client")
        device_callbacks = self.authority.device_callbacks
        if grant.redirect_uri != params["redirect_uri"] and not (
            grant.redirect_uri in device_callbacks and params["redirect_uri"] in device_callbacks
        ):
            raise invalid_grant("redirect_uri does not match the authorization request")
        if not verifier_matches(params["code_verifier"], grant.code_challenge):
            raise invalid_grant("code_verifier does not match the code_challenge")
        with self._lock:
            replayed = grant.used
            grant.used = True
            if replayed:
                grant.replayed = True
            issued = grant.family_id
        if replayed:
            if issued is not None:  # else the first redemption revokes its own on finishing
                self.authority.revoke_family(issued, "code_replayed")
            raise invalid_grant("authorization code already used")
        if self.authority.clock.now() >= grant.expires_at:
            raise invalid_grant("authorization code expired")
        family, body = self.authority.login(grant.account_id, client_id, presenter)
        with self._lock:
            grant.family_id = family.family_id
            replayed_meanwhile = grant.replayed
        if replayed_meanwhile:
            self.authority.revoke_family(family.family_id, "code_replayed")
            raise invalid_grant("authorization code already used")
        return body

    # --- device flow --------------------------------------------------------------------------
    def device_start(self, client_id: str | None) -> DeviceCode:
        client_id = self.authority.check_client(client_id)
        ids = self.authority.ids
        device = DeviceCode(
            device_auth_id="deviceauth_" + ids.urlsafe(16),
            user_code=ids.user_code(),
            client_id=client_id,
            expires_at=self.authority.clock.now() + self.authority.settings.device_code_ttl,
        )
        with self._lock:
            self._devices[device.device_auth_id] = device
            self._user_codes[_normal(device.user_code)] = device.device_auth_id
        if self.auto_approve_devices:
            self.device_approve(device.user_code, None)
        return device

    def device_approve(self, user_code: str, account_id: str | None) -> DeviceCode:
        account = (
            self.authority.account(account_id) if account_id else self.authority.default_account()
        )
        with self._lock:
            device_id = self._user_codes.get(_normal(user_code))
            device = self._devices.get(device_id) if device_id else None
        if device is None:
            raise KeyError("unknown user code")
        if self.authority.clock.now() >= device.expires_at:
            raise ValueError("this code has expired")
        if device.code is not None:
            raise ValueError("this code was already approved")
        verifier = self.authority.ids.urlsafe(64)
        challenge = s256(verifier)
        code = self._issue_code(
            device.client_id, self.device_callback, challenge, account.account_id
        )
        with self._lock:
            device.account_id = account.account_id
            device.verifier, device.challenge, device.code = verifier, challenge, code
        self.authority.ledger.record(
            "device_approved",
            detail={"account_id": account.account_id, "device_auth_id": device.device_auth_id},
        )
        return device

    def device_poll(self, device_auth_id: str | None, user_code: str | None) -> dict[str, str]:
        """The code pair once approved, exactly once; OAuthError 403 while pending (what the CLI
        polls on). A later poll gets 400 `invalid_grant`, which ends the CLI's polling with
        an error: the pair is not handed to a second poller, who could replay the code."""
        if not device_auth_id or not user_code:
            raise invalid_request("device_auth_id and user_code are required")
        with self._lock:
            device = self._devices.get(device_auth_id)
        if device is None or _normal(device.user_code) != _normal(user_code):
            raise OAuthError("deviceauth_not_found", "unknown device authorization", 404)
        with self._lock:
            delivered = device.delivered
            ready = device.code is not None
            expired = self.authority.clock.now() >= device.expires_at
            if ready and not delivered and not expired:
                device.delivered = True
        if delivered:
            raise invalid_grant("this device authorization already delivered its code")
        if expired:
            raise OAuthError("expired_token", "the device code has expired", 400)
        if device.code is None or device.verifier is None or device.challenge is None:
            raise OAuthError("deviceauth_authorization_pending", "authorization pending", 403)
        return {
            "authorization_code": device.code,
            "code_challenge": device.challenge,
            "code_verifier": device.verifier,
        }


class RedirectError(OAuthError):
    """An authorize error that goes back to the client's redirect_uri."""

    def __init__(self, request: AuthRequest, code: str, description: str) -> None:
        super().__init__(code, description, 302)
        self.location = _with_query(
            request.redirect_uri,
            {"error": code, "error_description": description, "state": request.state},
        )


def _normal(user_code: str) -> str:
    return user_code.replace("-", "").replace(" ", "").upper()


def _with_query(url: str, params: dict[str, str | None]) -> str:
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    return url + ("&" if "?" in url else "?") + query
