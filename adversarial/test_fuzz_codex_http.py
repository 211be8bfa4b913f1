"""The fake Codex backend's HTTP endpoints under hypothesis: SSE /responses (with and without a
live login), the API-key backend, the admin API with and without its token. Each answer is a 2xx
or a 4xx JSON error; never a 5xx, a dropped connection or a traceback on its stderr."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from advkit import strategies as hs
from advkit.fuzz import fuzz
from advkit.probe import Target, assert_responsive, assert_stderr_clean
from advkit.verdict import Outcome
from advkit.world import API_KEY, BackendProcess, OAuthProcess
from hypothesis import given
from hypothesis import strategies as st

from agent.auth.tokens import TokenSet
from fake_codex_ws.options import DEFAULT_BETA

TURN_KEYS = [
    "type", "model", "instructions", "input", "tools", "tool_choice", "parallel_tool_calls",
    "reasoning", "store", "stream", "include", "previous_response_id", "text", "prompt_cache_key",
]  # fmt: skip
CHAT_KEYS = ["model", "messages", "stream", "stream_options", "max_tokens", "temperature"]
MODELS = st.sampled_from(["gpt-5.5", "gpt-5-codex", ""]) | st.text(max_size=30)


@pytest.fixture(scope="module")
def target(fuzz_pair: tuple[OAuthProcess, BackendProcess]) -> Iterator[Target]:
    _, backend = fuzz_pair
    t = Target("codex", backend.server, backend.url, backend.tls())
    yield t
    t.close()


@pytest.fixture(scope="module")
def login(fuzz_pair: tuple[OAuthProcess, BackendProcess]) -> TokenSet:
    return fuzz_pair[0].login()


def turn_bodies() -> st.SearchStrategy[bytes]:
    message = st.fixed_dictionaries(
        {"type": st.just("message"), "role": st.sampled_from(["user", "system"]) | hs.SCALARS,
         "content": st.lists(st.fixed_dictionaries(
             {"type": st.just("input_text") | hs.SCALARS, "text": st.text() | hs.JSON_VALUES}),
             max_size=2) | hs.JSON_VALUES},
    )  # fmt: skip
    turn = st.fixed_dictionaries(
        {"model": MODELS},
        optional={
            "type": st.just("response.create") | hs.SCALARS,
            "input": st.lists(message, max_size=3) | hs.JSON_VALUES,
            "stream": st.booleans() | hs.SCALARS,
            "instructions": st.text() | hs.JSON_VALUES,
            "previous_response_id": st.text(max_size=30) | hs.JSON_VALUES,
            "store": st.booleans() | hs.SCALARS,
        },
    )
    return turn.map(hs.json_text) | hs.bodies(TURN_KEYS)


def chat_bodies() -> st.SearchStrategy[bytes]:
    messages = st.lists(
        st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]) | hs.SCALARS,
                               "content": st.text(max_size=40) | hs.JSON_VALUES}),
        max_size=3,
    ) | hs.JSON_VALUES  # fmt: skip
    body = st.fixed_dictionaries(
        {"model": MODELS},
        optional={"messages": messages, "input": messages | st.text(max_size=30),
                  "stream": st.booleans() | hs.SCALARS,
                  "stream_options": st.just({"include_usage": True}) | hs.JSON_VALUES},
    )  # fmt: skip
    return body.map(hs.json_text) | hs.bodies(CHAT_KEYS)


@fuzz(150)
@given(body=turn_bodies(), ctype=hs.CONTENT_TYPES, extra=hs.headers(), logged_in=st.booleans())
def test_sse_responses(
    target: Target, login: TokenSet, body: bytes, ctype: str, extra: dict[str, str], logged_in: bool
) -> None:
    headers = {**extra, "Content-Type": ctype}
    if logged_in:
        headers["Authorization"] = f"Bearer {login.access_token}"
        headers["ChatGPT-Account-ID"] = login.account_id
        headers["OpenAI-Beta"] = DEFAULT_BETA
    target.send(
        "POST", "/backend-api/codex/responses", category="codex sse", content=body, headers=headers
    )


@fuzz(150)
@given(
    path=st.sampled_from(["/v1/chat/completions", "/v1/responses"]),
    body=chat_bodies(),
    ctype=hs.CONTENT_TYPES,
    auth=st.just(f"Bearer {API_KEY}") | hs.AUTHORIZATION | st.just(""),
)
def test_api_key_backend(target: Target, path: str, body: bytes, ctype: str, auth: str) -> None:
    headers = {"Content-Type": ctype}
    if auth:
        headers["Authorization"] = auth
    target.send("POST", path, category="codex api-key", content=body, headers=headers)


ADMIN_ROUTES: list[tuple[str, str, list[str]]] = [
    ("GET", "/admin/events", []),
    ("GET", "/admin/faults", []),
    ("POST", "/admin/faults", ["match", "count", "params"]),  # never a real kind: no faults
    ("DELETE", "/admin/faults", []),
    ("GET", "/admin/replies", []),
    ("POST", "/admin/replies", ["reply", "account_id", "key_fingerprint", "count"]),
    ("DELETE", "/admin/replies", []),
    ("GET", "/admin/clock", []),
    ("POST", "/admin/clock/advance", ["seconds"]),
    ("POST", "/admin/clock/set", ["epoch"]),
    ("POST", "/admin/clock/freeze", []),
    ("POST", "/admin/clock/resume", []),
    ("GET", "/admin/pauses", []),
    ("POST", "/admin/pauses", ["match", "count"]),  # never a real step: a pause would hold cases
    ("DELETE", "/admin/pauses", []),
    ("POST", "/admin/pauses/{id}/wait", ["timeout"]),
    ("POST", "/admin/pauses/{id}/release", []),
    ("GET", "/admin/sockets", []),
    ("POST", "/admin/sockets/close", ["match", "code"]),
    ("GET", "/admin/api-keys", []),
    ("POST", "/admin/api-keys", ["key"]),
]


@fuzz(100)
@given(
    route=st.sampled_from(ADMIN_ROUTES),
    auth=hs.AUTHORIZATION | st.just(""),
    body=hs.bodies(["seconds"]),
)
def test_admin_refuses_without_the_token(
    target: Target, route: tuple[str, str, list[str]], auth: str, body: bytes
) -> None:
    method, path, _ = route
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    response = target.send(
        method, path.replace("{id}", "p_1"), category="codex admin no token",
        content=body if method != "GET" else None, headers=headers, allowed={Outcome.CLIENT_JSON},
    )  # fmt: skip
    assert response is not None
    assert response.status_code == 401, (path, response.status_code)


@fuzz(200)
@given(data=st.data(), route=st.sampled_from(ADMIN_ROUTES))
def test_admin_with_the_token(
    fuzz_pair: tuple[OAuthProcess, BackendProcess],
    target: Target,
    data: st.DataObject,
    route: tuple[str, str, list[str]],
) -> None:
    method, path, keys = route
    path_id = data.draw(st.sampled_from(["p_unknown", "x" * 300, "%2e%2e", "0"]))
    body = data.draw(hs.object_with(keys).map(hs.json_text) | hs.bodies(keys)) if keys else b""
    headers = {"Authorization": f"Bearer {fuzz_pair[1].admin_token}"}
    if method != "GET":
        headers["Content-Type"] = data.draw(st.just("application/json") | hs.CONTENT_TYPES)
    query = [("since", data.draw(st.sampled_from(["0", "-1", "1e400", "nan", "x", "9" * 30])))]
    target.send(
        method, path.replace("{id}", path_id), category="codex admin",
        content=body if method != "GET" else None, headers=headers,
        params=query if method == "GET" else None,
    )  # fmt: skip


@fuzz(40)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "FOO"]),
    path=st.sampled_from(["/backend-api/codex/responses", "/v1/chat/completions", "/healthz",
                          "/nope", "/admin", "/%00", "/" + "a" * 2000]),
    body=st.binary(max_size=100),
)  # fmt: skip
def test_any_method_on_any_path(target: Target, method: str, path: str, body: bytes) -> None:
    target.send(method, path, category="codex routing", content=body or None)


def test_the_server_stayed_up_and_quiet(target: Target) -> None:
    assert_responsive(target)
    assert_stderr_clean(target.server)
