"""The broker's HTTP side: the issuer's token and revoke endpoints, on loopback.

    POST /oauth/token    refresh grant, as a JSON or a form body (the Codex CLI sends JSON,
                         Hermes and OpenClaw forms); answered in the issuer's shape and status
    POST /oauth/revoke   {token, token_type_hint?, client_id?}
    GET  /healthz        {"ok", "pid", "version", "uptime_seconds", "refused", "answers"}
    GET  /status         what `codex-agent broker status --json` shows of the running broker
    POST /v1/shutdown    header X-Gateway-Control: <control token of broker.pid>

The local servers' guard comes first (`agent.local_http`): a foreign `Host` (DNS rebinding) is
421, any browser `Origin` 403, sizes and one read deadline as for the gateway. Forms are taken
(real clients post them); a browser's form post carries an `Origin` and is refused by it.
"""

from __future__ import annotations

import hmac
import os
import threading
from collections import Counter
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from agent.auth.store import rfc3339
from agent.auth.token_client import RefreshReason
from agent.broker.audit import AuditLog, printable
from agent.broker.book import FamilyBook
from agent.broker.outcome import Outcome, oauth_refusal
from agent.fingerprint import token_fingerprint
from agent.http import agent_version
from agent.local_http.access import AccessPolicy
from agent.local_http.json_body import json_object
from agent.local_http.refusal import Refusal
from agent.local_http.server import GuardedHandler, GuardedServer, Limits
from agent.local_http.takeover import CONTROL_HEADER

FORM = "application/x-www-form-urlencoded"
MAX_TOKEN_CHARS = 8192
_REASONS: dict[str, RefreshReason] = {
    "proactive_expiry": "proactive_expiry",
    "unauthorized_recovery": "unauthorized_recovery",
}
_TOKEN_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F))


class BadTokenRequest(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class BrokerServer(GuardedServer):
    def __init__(
        self,
        address: tuple[str, int],
        *,
        book: FamilyBook,
        audit: AuditLog,
        client_id: str,
        control_token: str,
        policy: AccessPolicy,
        status: Callable[[], dict[str, Any]],
        limits: Limits | None = None,
    ) -> None:
        super().__init__(
            address, BrokerHandler, policy=policy, limits=limits or Limits(max_body=64 * 1024)
        )
        self.book = book
        self.audit = audit
        self.client_id = client_id
        self.control_token = control_token
        self.status = status
        self.answers: Counter[str] = Counter()
        self.upstream_calls = 0
        self._counts = threading.Lock()
        self.shutdown_requested = threading.Event()

    def record(self, outcome: Outcome, event: str, presented: str | None, **extra: Any) -> None:
        with self._counts:
            self.answers[outcome.action] += 1
            self.upstream_calls += outcome.upstream_calls
        self.audit.write(
            {
                "at": rfc3339(self.book.clock.now()),
                "event": event,
                "action": outcome.action,
                "family": outcome.family,
                "generation": outcome.generation,
                "presented": presented,
                "status": outcome.status,
                "code": outcome.code,
                "upstream_calls": outcome.upstream_calls,
                **extra,
            }
        )

    def request_shutdown(self) -> None:
        if not self.shutdown_requested.is_set():
            self.shutdown_requested.set()
            threading.Thread(target=self.shutdown, name="broker-shutdown", daemon=True).start()


class BrokerHandler(GuardedHandler):
    server: BrokerServer
    server_version = f"codex-agent-broker/{agent_version()}"
    body_media_types: ClassVar[frozenset[str]] = frozenset({"application/json", FORM})
    routes: ClassVar[dict[str, dict[str, str]]] = {
        "/oauth/token": {"POST": "_token"},
        "/oauth/revoke": {"POST": "_revoke"},
        "/healthz": {"GET": "_healthz"},
        "/status": {"GET": "_status"},
        "/v1/shutdown": {"POST": "_shutdown"},
    }

    def _fields(self) -> dict[str, Any]:
        media = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if media != FORM:
            return json_object(self.body)
        try:
            pairs = parse_qsl(self.body.decode("utf-8"), keep_blank_values=True, max_num_fields=32)
        except (UnicodeDecodeError, ValueError):
            raise Refusal(
                HTTPStatus.BAD_REQUEST, "invalid_form", "the body is not a form"
            ) from None
        return dict(pairs)

    def _token(self) -> None:
        client = printable(self.headers.get("User-Agent"))
        try:
            token, reason = self._refresh_request(self._fields())
        except BadTokenRequest as bad:
            outcome = Outcome(bad.status, oauth_refusal(bad.status, bad.code, bad.message),
                              "refused", code=bad.code)  # fmt: skip
            self.server.record(outcome, "refresh", None, client=client)
            self.send_json(outcome.status, outcome.body, outcome.headers)
            return
        outcome = self.server.book.present(token, reason=reason)
        self.server.record(outcome, "refresh", token_fingerprint(token), client=client,
                           reason=reason)  # fmt: skip
        self.send_json(outcome.status, outcome.body, outcome.headers)

    def _refresh_request(self, fields: dict[str, Any]) -> tuple[str, RefreshReason | None]:
        grant = fields.get("grant_type")
        if grant != "refresh_token":
            raise BadTokenRequest(
                400,
                "unsupported_grant_type",
                "the refresh broker serves only grant_type=refresh_token; sign in against the "
                "issuer itself",
            )
        client_id = fields.get("client_id")
        if client_id is not None and client_id != self.server.client_id:
            raise BadTokenRequest(
                401,
                "invalid_client",
                "this refresh broker serves another client id; it never mixes logins of "
                "different clients",
            )
        token = fields.get("refresh_token")
        if (
            not isinstance(token, str)
            or not token
            or len(token) > MAX_TOKEN_CHARS
            or not _TOKEN_CHARS.issuperset(token)
        ):
            raise BadTokenRequest(400, "invalid_request", "`refresh_token` is missing or malformed")
        reason = fields.get("refresh_reason")
        return token, _REASONS.get(reason) if isinstance(reason, str) else None

    def _revoke(self) -> None:
        fields = self._fields()
        token = fields.get("token")
        hint = fields.get("token_type_hint")
        if not isinstance(token, str) or not token or not _TOKEN_CHARS.issuperset(token):
            body = oauth_refusal(400, "invalid_request", "`token` is missing or malformed")
            self.send_json(400, body)
            return
        outcome = self.server.book.revoke(token, hint if isinstance(hint, str) else None)
        self.server.record(outcome, "revoke", token_fingerprint(token),
                           client=printable(self.headers.get("User-Agent")))  # fmt: skip
        self.send_json(outcome.status, outcome.body, outcome.headers)

    def _healthz(self) -> None:
        with self.server._counts:
            answers = dict(self.server.answers)
            upstream = self.server.upstream_calls
        self.send_json(
            HTTPStatus.OK,
            {
                **self.server.health(agent_version()),
                "answers": answers,
                "upstream_calls": upstream,
                "families": len(self.server.book.families()),
            },
        )

    def _status(self) -> None:
        self.send_json(HTTPStatus.OK, self.server.status())

    def _shutdown(self) -> None:
        given = self.headers.get(CONTROL_HEADER, "").encode("latin-1", "replace")
        if not hmac.compare_digest(given, self.server.control_token.encode("ascii")):
            raise Refusal(
                HTTPStatus.FORBIDDEN, "bad_control_token", f"a valid {CONTROL_HEADER} is needed"
            )
        self.send_json(HTTPStatus.ACCEPTED, {"stopping": True, "pid": os.getpid()})
        self.server.request_shutdown()
