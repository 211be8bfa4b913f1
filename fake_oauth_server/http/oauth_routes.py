"""The endpoints of PROTOCOL.md section 1."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from fake_oauth_server.authority import Authority
from fake_oauth_server.constants import ID_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT
from fake_oauth_server.errors import OAuthError, invalid_client, invalid_request
from fake_oauth_server.faults import Fault
from fake_oauth_server.http.bodies import body_format, parse_json_object, parse_params, read_body
from fake_oauth_server.http.pages import consent_page, device_page
from fake_oauth_server.http.responses import (
    NO_STORE,
    error_response,
    fault_response,
    json_response,
)
from fake_oauth_server.logins import RedirectError
from fake_oauth_server.models import Family, Presenter

log = logging.getLogger("fake_oauth_server")

Handler = Callable[[Request], Awaitable[Response]]


def guarded(handler: Handler) -> Handler:
    """OAuthError becomes its answer; anything unexpected a JSON 500 (logged without values)."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except RedirectError as exc:
            return RedirectResponse(exc.location, 302)
        except OAuthError as exc:
            return error_response(exc)
        except Exception as exc:  # a bug: answer like a server, never hang the client
            log.exception("internal error on %s: %s", request.url.path, type(exc).__name__)
            return json_response(
                {"error": "server_error", "error_description": "internal error"}, 500
            )

    return run


def presenter_of(request: Request, client_id: str | None) -> Presenter:
    headers = request.headers
    return Presenter(client_id, headers.get("originator"), headers.get("user-agent"))


class OAuthEndpoints:
    def __init__(self, authority: Authority, admin_token: str) -> None:
        self.authority = authority
        self.admin_token = admin_token

    def routes(self) -> list[Route]:
        return [
            Route("/oauth/token", guarded(self.token), methods=["POST"]),
            Route("/oauth/revoke", guarded(self.revoke), methods=["POST"]),
            Route("/oauth/introspect", guarded(self.introspect), methods=["POST"]),
            Route("/oauth/authorize", guarded(self.authorize), methods=["GET"]),
            Route("/oauth/consent", guarded(self.consent), methods=["POST"]),
            Route(
                "/api/accounts/deviceauth/usercode", guarded(self.device_usercode), methods=["POST"]
            ),
            Route("/api/accounts/deviceauth/token", guarded(self.device_token), methods=["POST"]),
            Route("/codex/device", guarded(self.device_page), methods=["GET", "POST"]),
            Route("/deviceauth/callback", guarded(self.device_callback), methods=["GET"]),
            Route("/.well-known/openid-configuration", guarded(self.discovery), methods=["GET"]),
            Route("/.well-known/jwks.json", guarded(self.jwks), methods=["GET"]),
        ]

    # --- faults and pauses --------------------------------------------------------------------
    def _family(self, context: dict[str, Any]) -> Family | None:
        family_id = context.get("family_id")
        return self.authority.ledger.families.get(family_id) if family_id else None

    def _fault(self, context: dict[str, Any]) -> Fault | None:
        fault = self.authority.faults.take(context)
        if fault is not None:
            self.authority.ledger.record(
                "fault",
                family=self._family(context),
                detail={
                    "kind": fault.kind,
                    "fault_id": fault.fault_id,
                    "endpoint": context.get("endpoint"),
                },
                generation=context.get("generation"),
            )
        return fault

    async def _pause(self, step: str, context: dict[str, Any]) -> None:
        pause = self.authority.pauses.catch(step, context)
        if pause is None:
            return
        self.authority.ledger.record(
            "paused",
            family=self._family(context),
            generation=context.get("generation"),
            detail={"pause_id": pause.pause_id, "step": step},
        )
        await pause.released.wait_async(self.authority.settings.pause_timeout)

    async def _pre_fault(self, context: dict[str, Any]) -> tuple[Response | None, Fault | None]:
        """Apply a fault that acts before processing; hand back a commit-then-fail one."""
        fault = self._fault(context)
        if fault is None:
            return None, None
        if fault.kind == "latency":
            await asyncio.sleep(float(fault.params["seconds"]))
            return None, None
        if fault.kind == "commit_then_fail":
            return None, fault
        return fault_response(fault.kind, fault.params), None

    # --- /oauth/token -------------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        body = await read_body(request)
        params = parse_params(request, body)
        grant_type = params.get("grant_type")
        client_id = params.get("client_id")
        presenter = presenter_of(request, client_id)
        if grant_type == "refresh_token":
            presenter = replace(
                presenter,
                refresh_reason=params.get("refresh_reason") or None,
                body_format=body_format(request, body),
                body_fields=tuple(params),
            )
        context: dict[str, Any] = {
            "endpoint": "/oauth/token",
            "grant_type": grant_type,
            "client_id": client_id,
            "originator": presenter.originator,
            "user_agent": presenter.user_agent,
        }
        authority = self.authority
        refresh_token = params.get("refresh_token") if grant_type == "refresh_token" else None
        if refresh_token:
            context.update(authority.refresh_validate(refresh_token, presenter).context)
        answer, late_fault = await self._pre_fault(context)
        if answer is not None:
            return answer
        await self._pause("before_validation", context)
        try:
            result = await self._grant(grant_type, params, presenter, context)
        except OAuthError as exc:
            answer = error_response(exc)
        else:
            answer = json_response(result, 200, NO_STORE)
        await self._pause("after_commit", context)
        if late_fault is not None:  # whatever was decided stands; its answer is lost
            return fault_response(late_fault.kind, late_fault.params)
        return answer

    async def _grant(
        self,
        grant_type: str | None,
        params: dict[str, str],
        presenter: Presenter,
        context: dict[str, Any],
    ) -> dict[str, Any]:
        authority = self.authority
        if not grant_type:
            raise invalid_request("grant_type is required")
        if grant_type == "refresh_token":
            authority.check_client(params.get("client_id"))
            token = params.get("refresh_token")
            if not token:
                raise invalid_request("refresh_token is required")
            validation = authority.refresh_validate(token, presenter)
            await self._pause("after_validation", context)
            if authority.settings.non_atomic_rotation:
                await asyncio.sleep(0)  # Hydra #3604: let concurrent presenters interleave
            result = authority.refresh_commit(validation, presenter)
            context.update(result.context)
            return result.body
        if grant_type == "authorization_code":
            await self._pause("after_validation", context)
            return authority.logins.exchange(params, presenter)
        if grant_type == TOKEN_EXCHANGE_GRANT:
            authority.check_client(params.get("client_id"))
            if params.get("requested_token") != "openai-api-key":
                raise invalid_request("requested_token must be openai-api-key")
            if params.get("subject_token_type") != ID_TOKEN_TYPE:
                raise invalid_request(f"subject_token_type must be {ID_TOKEN_TYPE}")
            subject = params.get("subject_token")
            if not subject:
                raise invalid_request("subject_token is required")
            await self._pause("after_validation", context)
            return {"access_token": authority.exchange_api_key(subject, presenter)}
        raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")

    # --- revoke and introspect ----------------------------------------------------------------
    async def revoke(self, request: Request) -> Response:
        params = parse_params(request, await read_body(request))
        context = {"endpoint": "/oauth/revoke", "client_id": params.get("client_id")}
        answer, _ = await self._pre_fault(context)
        if answer is not None:
            return answer
        token = params.get("token")
        if not token:
            raise invalid_request("token is required")
        hint = params.get("token_type_hint")
        if hint is not None and hint not in ("refresh_token", "access_token"):
            raise OAuthError("unsupported_token_type", f"token_type_hint {hint!r} is not supported")
        if params.get("client_id"):
            self.authority.check_client(params.get("client_id"))
        self.authority.revoke(token, presenter_of(request, params.get("client_id")))
        return json_response({}, 200)

    async def introspect(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        scheme, _, credential = auth.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            credential.strip().encode(), self.admin_token.encode()
        ):
            raise invalid_client("introspection needs the admin bearer token")
        params = parse_params(request, await read_body(request))
        answer, _ = await self._pre_fault({"endpoint": "/oauth/introspect"})
        if answer is not None:
            return answer
        token = params.get("token")
        if not token:
            raise invalid_request("token is required")
        presenter = presenter_of(request, None)
        return json_response(self.authority.introspect(token, presenter), 200, NO_STORE)

    # --- browser login ------------------------------------------------------------------------
    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        logins = self.authority.logins
        auth_request = logins.start(
            params, request.headers.get("originator") or params.get("originator")
        )
        if logins.auto_consent:
            location = logins.consent(auth_request.request_id, logins.auto_consent_account, True)
            return RedirectResponse(location, 302)
        accounts = list(self.authority.ledger.accounts.values()) or [
            self.authority.default_account()
        ]
        return HTMLResponse(
            consent_page(
                auth_request.request_id, auth_request.client_id, auth_request.scope, accounts
            )
        )

    async def consent(self, request: Request) -> Response:
        params = parse_params(request, await read_body(request))
        request_id = params.get("request_id")
        if not request_id:
            raise invalid_request("request_id is required")
        approve = params.get("decision", "approve") == "approve"
        try:
            location = self.authority.logins.consent(request_id, params.get("account_id"), approve)
        except KeyError as exc:
            raise invalid_request(str(exc.args[0])) from None
        return RedirectResponse(location, 302)

    # --- device login -------------------------------------------------------------------------
    async def device_usercode(self, request: Request) -> Response:
        data = parse_json_object(await read_body(request))
        answer, _ = await self._pre_fault({"endpoint": "/api/accounts/deviceauth/usercode"})
        if answer is not None:
            return answer
        client_id = data.get("client_id")
        device = self.authority.logins.device_start(
            client_id if isinstance(client_id, str) else None
        )
        interval = str(self.authority.settings.device_interval)
        return json_response(
            {
                "device_auth_id": device.device_auth_id,
                # One key only: codex-rs aliases user_code/usercode, so both at once fail there.
                self.authority.settings.user_code_field: device.user_code,
                "interval": interval,
            }
        )

    async def device_token(self, request: Request) -> Response:
        data = parse_json_object(await read_body(request))
        answer, _ = await self._pre_fault({"endpoint": "/api/accounts/deviceauth/token"})
        if answer is not None:
            return answer
        device_id, user_code = data.get("device_auth_id"), data.get("user_code")
        return json_response(
            self.authority.logins.device_poll(
                device_id if isinstance(device_id, str) else None,
                user_code if isinstance(user_code, str) else None,
            )
        )

    async def device_page(self, request: Request) -> Response:
        accounts = list(self.authority.ledger.accounts.values()) or [
            self.authority.default_account()
        ]
        if request.method == "GET":
            return HTMLResponse(device_page(accounts))
        params = parse_params(request, await read_body(request))
        try:
            self.authority.logins.device_approve(
                params.get("user_code", ""), params.get("account_id") or None
            )
        except (KeyError, ValueError) as exc:
            message = str(exc.args[0]) if exc.args else "refused"
            return HTMLResponse(device_page(accounts, message), 400)
        return HTMLResponse(device_page(accounts, "Approved. You may close this page."))

    async def device_callback(self, request: Request) -> Response:
        return HTMLResponse("<!DOCTYPE html><p>Signed in. Return to your terminal.</p>")

    # --- discovery ----------------------------------------------------------------------------
    async def discovery(self, request: Request) -> Response:
        issuer = self.authority.issuer
        return json_response(
            {
                "issuer": issuer,
                "authorization_endpoint": issuer + "/oauth/authorize",
                "token_endpoint": issuer + "/oauth/token",
                "revocation_endpoint": issuer + "/oauth/revoke",
                "introspection_endpoint": issuer + "/oauth/introspect",
                "jwks_uri": issuer + "/.well-known/jwks.json",
                "device_authorization_endpoint": issuer + "/api/accounts/deviceauth/usercode",
                "response_types_supported": ["code"],
                "grant_types_supported": [
                    "authorization_code",
                    "refresh_token",
                    TOKEN_EXCHANGE_GRANT,
                ],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": [self.authority.key.alg],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "token_endpoint_auth_methods_supported": ["none"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        return json_response({"keys": [self.authority.key.public_jwk()]})
