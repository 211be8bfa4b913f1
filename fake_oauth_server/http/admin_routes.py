"""The admin API (bearer admin token): accounts, families, ledger, clock, policies, settings,
pauses, faults, device approval and consent. Every answer is JSON; no token value is logged."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fake_oauth_server.authority import Authority
from fake_oauth_server.errors import OAuthError
from fake_oauth_server.http.bodies import parse_json_object, read_body
from fake_oauth_server.http.responses import error_response, json_response
from fake_oauth_server.policies import PolicySpec
from fake_oauth_server.ranges import MAX_COUNT, MAX_EPOCH, MAX_SECONDS, OutOfRange, integer, number

AdminHandler = Callable[[Request, dict[str, Any]], Awaitable[Any]]


class AdminEndpoints:
    def __init__(self, authority: Authority, admin_token: str) -> None:
        self.authority = authority
        self.admin_token = admin_token.encode()

    def _route(self, path: str, handler: AdminHandler, method: str) -> Route:
        async def run(request: Request) -> Response:
            auth = request.headers.get("authorization", "")
            scheme, _, credential = auth.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                credential.strip().encode(), self.admin_token
            ):
                return json_response(
                    {"error": "unauthorized", "error_description": "admin bearer token required"},
                    401,
                )
            try:
                body = await read_body(request)
                data = parse_json_object(body) if body.strip() else {}
                result = await handler(request, data)
            except OAuthError as exc:
                return error_response(exc)
            except OutOfRange as exc:
                return json_response(
                    {
                        "error": "invalid_request",
                        "error_description": str(exc),
                        "field": exc.field,
                        "allowed": list(exc.allowed),
                    },
                    400,
                )
            except KeyError as exc:
                message = str(exc.args[0]) if exc.args else "not found"
                return json_response({"error": "not_found", "error_description": message}, 404)
            except (ValueError, TypeError) as exc:
                return json_response(
                    {"error": "invalid_request", "error_description": str(exc)}, 400
                )
            return json_response(result)

        return Route(path, run, methods=[method])

    def routes(self) -> list[Route]:
        r = self._route
        return [
            r("/admin/accounts", self.list_accounts, "GET"),
            r("/admin/accounts", self.create_account, "POST"),
            r("/admin/families", self.mint_family, "POST"),
            r("/admin/families/{family_id}/revoke", self.revoke_family, "POST"),
            r("/admin/ledger", self.ledger, "GET"),
            r("/admin/events", self.events, "GET"),
            r("/admin/audit/issued-tokens", self.issued_tokens, "GET"),
            r("/admin/clock", self.clock, "GET"),
            r("/admin/clock/advance", self.clock_advance, "POST"),
            r("/admin/clock/set", self.clock_set, "POST"),
            r("/admin/clock/freeze", self.clock_freeze, "POST"),
            r("/admin/clock/resume", self.clock_resume, "POST"),
            r("/admin/policy", self.set_policy, "POST"),
            r("/admin/settings", self.get_settings, "GET"),
            r("/admin/settings", self.set_settings, "POST"),
            r("/admin/pauses", self.list_pauses, "GET"),
            r("/admin/pauses", self.arm_pause, "POST"),
            r("/admin/pauses/{pause_id}/wait", self.wait_paused, "POST"),
            r("/admin/pauses/{pause_id}/release", self.release, "POST"),
            r("/admin/faults", self.list_faults, "GET"),
            r("/admin/faults", self.arm_fault, "POST"),
            r("/admin/faults", self.clear_faults, "DELETE"),
            r("/admin/device/approve", self.approve_device, "POST"),
            r("/admin/consent", self.set_consent, "POST"),
        ]

    # --- handlers -----------------------------------------------------------------------------
    async def list_accounts(self, request: Request, data: dict[str, Any]) -> Any:
        return {"accounts": [a.to_dict() for a in self.authority.ledger.accounts.values()]}

    async def create_account(self, request: Request, data: dict[str, Any]) -> Any:
        _only(data, "email", "plan", "account_id", "session_limit")
        return self.authority.create_account(
            email=_opt_str(data, "email"),
            plan=_opt_str(data, "plan") or "plus",
            account_id=_opt_str(data, "account_id"),
            session_limit=_opt_integer(data, "session_limit", 1, MAX_COUNT),
        ).to_dict()

    async def mint_family(self, request: Request, data: dict[str, Any]) -> Any:
        _only(data, "account_id", "client_id")
        account_id = _opt_str(data, "account_id")
        if not account_id:
            raise ValueError("account_id is required")
        client_id = _opt_str(data, "client_id")
        if client_id is None:
            return self.authority.mint_family(account_id)
        return self.authority.mint_family(account_id, client_id)

    async def revoke_family(self, request: Request, data: dict[str, Any]) -> Any:
        reason = _opt_str(data, "reason") or "admin"
        changed = self.authority.revoke_family(request.path_params["family_id"], reason)
        return {"revoked": changed}

    async def ledger(self, request: Request, data: dict[str, Any]) -> Any:
        q = request.query_params
        return self.authority.ledger.view(q.get("family_id"), q.get("account_id"))

    async def events(self, request: Request, data: dict[str, Any]) -> Any:
        since = _query_integer(request.query_params.get("since", "0"), "since")
        return {"events": self.authority.ledger.events(since)}

    async def issued_tokens(self, request: Request, data: dict[str, Any]) -> Any:
        """Every token value this server issued: the one answer that carries secrets, so that
        a leak audit can search artifacts for them. Never log it."""
        return {"values": sorted(self.authority.ledger.tokens)}

    async def clock(self, request: Request, data: dict[str, Any]) -> Any:
        clock = self.authority.clock
        return {"now": clock.now(), "frozen": clock.frozen}

    async def clock_advance(self, request: Request, data: dict[str, Any]) -> Any:
        now = self.authority.clock.advance(number(data.get("seconds"), "seconds", 0, MAX_SECONDS))
        self.authority.ledger.record("clock", detail={"op": "advance", "now": now})
        return {"now": now}

    async def clock_set(self, request: Request, data: dict[str, Any]) -> Any:
        now = self.authority.clock.set(number(data.get("epoch"), "epoch", 0, MAX_EPOCH))
        self.authority.ledger.record("clock", detail={"op": "set", "now": now})
        return {"now": now}

    async def clock_freeze(self, request: Request, data: dict[str, Any]) -> Any:
        return {"now": self.authority.clock.freeze(), "frozen": True}

    async def clock_resume(self, request: Request, data: dict[str, Any]) -> Any:
        return {"now": self.authority.clock.resume(), "frozen": False}

    async def set_policy(self, request: Request, data: dict[str, Any]) -> Any:
        _only(data, "policy", "params", "account_id", "family_id")
        policy = _opt_str(data, "policy")
        if not policy:
            raise ValueError("policy is required")
        params = data.get("params")
        if params is not None and not isinstance(params, dict):
            raise ValueError("params must be an object")
        checked = PolicySpec.parse(policy, params)  # names, types, >= 0; then the upper bound
        for key, value in checked.params.items():
            number(value, f"params.{key}", 0.0, MAX_SECONDS)
        spec = self.authority.set_policy(
            policy, params, _opt_str(data, "account_id"), _opt_str(data, "family_id")
        )
        return spec.to_dict()

    async def get_settings(self, request: Request, data: dict[str, Any]) -> Any:
        return self.authority.settings.to_dict()

    async def set_settings(self, request: Request, data: dict[str, Any]) -> Any:
        return self.authority.update_settings(data)

    async def list_pauses(self, request: Request, data: dict[str, Any]) -> Any:
        return {"pauses": self.authority.pauses.list()}

    async def arm_pause(self, request: Request, data: dict[str, Any]) -> Any:
        _only(data, "step", "match", "count")
        step = _opt_str(data, "step") or ""
        match = data.get("match")
        if match is not None and not isinstance(match, dict):
            raise ValueError("match must be an object")
        count = integer(data.get("count", 1), "count", 1, MAX_COUNT)
        return {"pause_id": self.authority.pauses.arm(step, match, count).pause_id}

    async def wait_paused(self, request: Request, data: dict[str, Any]) -> Any:
        pause = self.authority.pauses.get(request.path_params["pause_id"])
        timeout = number(data.get("timeout", 10.0), "timeout", 0.0, 300.0)
        reached = await pause.all_caught.wait_async(timeout)
        return {"paused": reached, **pause.to_dict()}

    async def release(self, request: Request, data: dict[str, Any]) -> Any:
        self.authority.pauses.release(request.path_params["pause_id"])
        return {"released": True}

    async def list_faults(self, request: Request, data: dict[str, Any]) -> Any:
        return {"faults": self.authority.faults.list()}

    async def arm_fault(self, request: Request, data: dict[str, Any]) -> Any:
        _only(data, "kind", "match", "count", "params")
        kind = _opt_str(data, "kind") or ""
        match = data.get("match")
        if match is not None and not isinstance(match, dict):
            raise ValueError("match must be an object")
        params = data.get("params") or {}
        if not isinstance(params, dict):
            raise ValueError("params must be an object")
        count = integer(data.get("count", 1), "count", -MAX_COUNT, MAX_COUNT)  # <= 0: until cleared
        return {"fault_id": self.authority.faults.arm(kind, match, count, **params).fault_id}

    async def clear_faults(self, request: Request, data: dict[str, Any]) -> Any:
        self.authority.faults.clear()
        return {"cleared": True}

    async def approve_device(self, request: Request, data: dict[str, Any]) -> Any:
        user_code = _opt_str(data, "user_code")
        if not user_code:
            raise ValueError("user_code is required")
        device = self.authority.logins.device_approve(user_code, _opt_str(data, "account_id"))
        return {"approved": True, "account_id": device.account_id}

    async def set_consent(self, request: Request, data: dict[str, Any]) -> Any:
        _only(data, "auto", "account_id")
        auto = data.get("auto", True)
        if not isinstance(auto, bool):
            raise ValueError("auto must be true or false")
        account_id = _opt_str(data, "account_id")
        if account_id is not None:
            self.authority.account(account_id)
        logins = self.authority.logins
        logins.auto_consent, logins.auto_consent_account = auto, account_id
        return {"auto": auto, "account_id": account_id}


def _only(data: dict[str, Any], *allowed: str) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"unknown field(s) {sorted(unknown)}; allowed: {list(allowed)}")


def _opt_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value


def _opt_integer(data: dict[str, Any], key: str, low: int, high: int) -> int | None:
    value = data.get(key)
    return None if value is None else integer(value, key, low, high)


def _query_integer(text: str, name: str) -> int:
    """A query parameter holding a sequence number."""
    high = 2**63 - 1
    if not text.isascii() or not text.strip().isdigit() or len(text.strip()) > 19:
        raise OutOfRange(name, 0, high, "an integer")
    return integer(int(text), name, 0, high)
