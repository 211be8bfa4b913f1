"""The `openai-compatible` provider: any chat-completions endpoint with an API key.

The key is read from the environment variable named in config.toml at each turn, never stored
by the agent and never written anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from agent.config_values import is_header_value
from agent.errors import AgentError
from agent.providers.base import Completion, DeltaSink, TurnRequest
from agent.providers.codex_sse import read_json_error
from agent.providers.errors import (
    ApiKeyMissing,
    BadResponse,
    EmptyAnswer,
    StreamIncomplete,
    Unreachable,
    http_error,
    stream_error,
)
from agent.providers.sse import iter_sse


class OpenAICompatibleProvider:
    name = "openai-compatible"

    def __init__(
        self,
        *,
        model: str,
        base_url: str,
        key_env: str,
        http_client: httpx.Client,
        env: Mapping[str, str],
        user_agent: str,
    ) -> None:
        self._model = model
        self._base_url = base_url.rstrip("/")
        self._key_env = key_env
        self._http = http_client
        self._env = env
        self._user_agent = user_agent

    @property
    def model(self) -> str:
        return self._model

    @property
    def label(self) -> str:
        return f"{self.name} ({self._model})"

    def complete(self, request: TurnRequest, on_delta: DeltaSink) -> Completion:
        key = self._env.get(self._key_env, "").strip()
        if not key:
            raise ApiKeyMissing(
                f"The environment variable {self._key_env} is not set.",
                diagnosis=f"the provider {self.label} reads its API key from {self._key_env}",
                remedy=f"set {self._key_env}, or remove this provider from config.toml",
            )
        if not is_header_value(key):
            raise ApiKeyMissing(
                f"The environment variable {self._key_env} does not hold a usable API key.",
                diagnosis="it holds characters an HTTP header cannot carry (a line break, a "
                "tab, a non-ASCII letter)",
                remedy=f"set {self._key_env} to the key alone",
            )
        messages: list[dict[str, str]] = []
        if request.instructions:
            messages.append({"role": "system", "content": request.instructions})
        messages.extend({"role": m.role, "content": m.text} for m in request.messages)
        body: dict[str, Any] = {"model": self._model, "messages": messages, "stream": True}
        headers = {
            "Authorization": f"Bearer {key}",
            "Accept": "text/event-stream",
            "User-Agent": self._user_agent,
        }
        chunks: list[str] = []
        finished = False
        response_id: str | None = None
        url = self._base_url + "/chat/completions"
        try:
            with self._http.stream("POST", url, json=body, headers=headers) as response:
                if response.status_code != 200:
                    raise http_error(
                        response.status_code,
                        read_json_error(response),
                        retry_after=response.headers.get("Retry-After"),
                        api_key_auth=True,
                        what=self.label,
                    )
                content_type = response.headers.get("Content-Type", "")
                if "text/event-stream" not in content_type:
                    raise BadResponse(
                        f"{self.label} answered HTTP 200 with "
                        f"{content_type or 'no content type'} instead of an event stream."
                    )
                for sse in iter_sse(response.iter_lines()):
                    if sse.data.strip() == "[DONE]":
                        finished = True
                        break
                    try:
                        chunk = json.loads(sse.data)
                    except ValueError:
                        raise BadResponse(f"{self.label} sent an event that is not JSON.") from None
                    if not isinstance(chunk, dict):
                        raise BadResponse(f"{self.label} sent an event that is not an object.")
                    if "error" in chunk:
                        raise stream_error({"type": "error", **chunk})
                    response_id = response_id or _str(chunk.get("id"))
                    for choice in _choices(chunk):
                        delta = choice.get("delta")
                        text = delta.get("content") if isinstance(delta, dict) else None
                        if isinstance(text, str) and text:
                            chunks.append(text)
                            on_delta(text)
                        if choice.get("finish_reason"):
                            finished = True
        except httpx.TimeoutException:
            if chunks:
                raise StreamIncomplete(f"The stream of {self.label} stalled.") from None
            raise Unreachable(f"{self.label} did not answer in time.") from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise StreamIncomplete(
                f"The stream of {self.label} broke before it finished ({type(exc).__name__})."
            ) from None
        except httpx.TransportError as exc:
            raise Unreachable(
                f"{self.label} could not be reached ({type(exc).__name__}: {exc})."
            ) from None
        except httpx.HTTPError as exc:
            raise BadResponse(
                f"{self.label} answered with a response that could not be read "
                f"({type(exc).__name__})."
            ) from None
        if not finished:
            raise StreamIncomplete(f"The stream of {self.label} ended before it finished.")
        text = "".join(chunks)
        if not text.strip():
            raise EmptyAnswer()
        return Completion(
            text=text,
            provider=self.name,
            model=self._model,
            transport="sse",
            response_id=response_id,
        )

    def recover(self, request: TurnRequest, error: AgentError) -> bool:
        """An API key cannot be refreshed: an auth failure here is final for this turn."""
        del request, error
        return False

    def record_failure(self, error: AgentError, *, after_recovery: bool = False) -> None:
        """Nothing to keep: the session log has the envelope."""
        del error, after_recovery


def _choices(chunk: dict[str, Any]) -> list[dict[str, Any]]:
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        return []
    return [c for c in choices if isinstance(c, dict)]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
