"""The gateway's HTTP server: chat front ends post messages, the agent answers with notices.

    POST /v1/chat     {"session_id"?, "message"}  ->  200 {"reply", "provider", "session_id",
                      "stop_reason", "notice"?, "errors"}; no provider answered -> 502 with
                      {"reply": null, "error", "notice", "errors", "session_id"}
    GET  /healthz     {"ok": true, "pid", "version", "uptime_seconds", "refused": {reason: n}}
    GET  /status      what `codex-agent status --json` shows
    POST /v1/shutdown header X-Gateway-Control: <token from the pid file>  (used by --replace)

Every request first passes the local servers' guard (`agent.local_http`: Host, Origin, bearer
token off loopback, application/json, sizes, one read deadline); refusals are JSON and counted
in `/healthz`. Every conversation is serialised; different sessions are answered concurrently.
"""

from __future__ import annotations

import hmac
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, ClassVar, Protocol

from agent.errors import AgentError
from agent.http import agent_version
from agent.local_http.access import AccessPolicy
from agent.local_http.refusal import Refusal
from agent.local_http.server import GuardedHandler, GuardedServer, Limits
from agent.turns.conversation import TurnResult
from agent.turns.session_log import InvalidSessionId, check_session_id

MAX_OPEN_CONVERSATIONS = 512
CONTROL_HEADER = "X-Gateway-Control"

StatusSource = Callable[[], dict[str, Any]]


class ChatSession(Protocol):
    """What the gateway needs of a conversation (`agent.turns.conversation.Conversation`)."""

    @property
    def session_id(self) -> str: ...

    def ask(self, prompt: str) -> TurnResult: ...


# Opens the conversation of a session id (None: a new one); the log keeps its history.
ConversationFactory = Callable[[str | None], ChatSession]


class GatewayServer(GuardedServer):
    def __init__(
        self,
        address: tuple[str, int],
        *,
        conversations: ConversationFactory,
        status: StatusSource,
        control_token: str,
        policy: AccessPolicy,
        limits: Limits | None = None,
    ) -> None:
        super().__init__(address, GatewayHandler, policy=policy, limits=limits)
        self.open_conversation = conversations
        self.status = status
        self.control_token = control_token
        self.shutdown_requested = threading.Event()
        self._conversations: OrderedDict[str, ChatSession] = OrderedDict()
        self._lock = threading.Lock()
        self._active = 0
        self._idle = threading.Condition(self._lock)

    def conversation(self, session_id: str | None) -> ChatSession:
        with self._lock:
            if session_id is not None and session_id in self._conversations:
                self._conversations.move_to_end(session_id)
                return self._conversations[session_id]
            conversation = self.open_conversation(session_id)
            self._conversations[conversation.session_id] = conversation
            while len(self._conversations) > MAX_OPEN_CONVERSATIONS:
                # The log keeps the history; an evicted session resumes from it.
                self._conversations.popitem(last=False)
            return conversation

    def request_shutdown(self) -> None:
        """Stop serving (from a signal handler or a request thread: never blocks)."""
        if not self.shutdown_requested.is_set():
            self.shutdown_requested.set()
            threading.Thread(target=self.shutdown, name="gateway-shutdown", daemon=True).start()

    def turn_started(self) -> None:
        with self._lock:
            self._active += 1

    def turn_ended(self) -> None:
        with self._lock:
            self._active -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Let turns in flight finish (their answers and log records) before exiting."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._active:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True


class GatewayHandler(GuardedHandler):
    server: GatewayServer
    server_version = f"codex-agent-gateway/{agent_version()}"
    routes: ClassVar[dict[str, dict[str, str]]] = {
        "/healthz": {"GET": "_healthz"},
        "/status": {"GET": "_status"},
        "/v1/chat": {"POST": "_chat"},
        "/v1/shutdown": {"POST": "_shutdown"},
    }

    # --- endpoints ----------------------------------------------------------------------------

    def _healthz(self) -> None:
        self.send_json(HTTPStatus.OK, self.server.health(agent_version()))

    def _status(self) -> None:
        try:
            data = self.server.status()
        except AgentError as error:
            data = {"ready": False, "summary": error.message, "last_error": error.to_dict()}
        self.send_json(HTTPStatus.OK, data)

    def _chat(self) -> None:
        body = self.json_body()
        message = body.get("message")
        session_id = body.get("session_id")
        if not isinstance(message, str) or not message.strip():
            raise Refusal(400, "invalid_message", "`message` must be a non-empty string")
        if session_id is not None:
            if not isinstance(session_id, str):
                raise Refusal(400, "invalid_session_id", "`session_id` must be a string")
            try:
                check_session_id(session_id)
            except InvalidSessionId as exc:
                raise Refusal(400, "invalid_session_id", str(exc)) from None
        self.server.turn_started()
        try:
            try:
                conversation = self.server.conversation(session_id)
                result = conversation.ask(message)
            except AgentError as error:
                self.send_json(
                    HTTPStatus.INTERNAL_SERVER_ERROR,
                    {"reply": None, "error": error.to_dict(), "session_id": session_id},
                )
                return
            # Sent before the turn counts as ended, so a shutdown never cuts a reply off.
            self._send_turn(result, conversation.session_id)
        finally:
            self.server.turn_ended()
        codes = ",".join(e["code"] for e in result.errors)
        print(
            f"turn session={conversation.session_id} stop={result.record['stop_reason']} "
            f"by={result.answered_by or '-'} errors={codes or '-'}",
            file=sys.stderr,
            flush=True,
        )

    def _send_turn(self, result: TurnResult, session_id: str) -> None:
        payload: dict[str, Any] = {
            "reply": result.reply,
            "provider": result.outcome.completion.provider if result.outcome.completion else None,
            "answered_by": result.answered_by,
            "session_id": session_id,
            "stop_reason": result.record["stop_reason"],
            "errors": result.errors,
        }
        if result.notice:
            payload["notice"] = result.notice
        if result.log_error:
            payload["log_error"] = result.log_error
        if result.reply is None:
            last = result.errors[-1] if result.errors else None
            payload["error"] = last or {
                "code": "no_answer",
                "message": "No provider could answer this turn.",
            }
            self.send_json(HTTPStatus.BAD_GATEWAY, payload)
            return
        self.send_json(HTTPStatus.OK, payload)

    def _shutdown(self) -> None:
        given = self.headers.get(CONTROL_HEADER, "").encode("latin-1", "replace")
        if not hmac.compare_digest(given, self.server.control_token.encode()):
            raise Refusal(403, "forbidden", f"a valid {CONTROL_HEADER} is needed")
        self.send_json(HTTPStatus.ACCEPTED, {"ok": True, "pid": os.getpid()})
        self.server.request_shutdown()
