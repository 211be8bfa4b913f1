"""The gateway's endpoints under hypothesis: /v1/chat with JSON of every shape (deep nesting,
huge numbers, NaN literals, wrong types), bytes and content types; /status, /healthz and
/v1/shutdown with arbitrary headers. Each answer is a 2xx (a 502 when no provider answers a
turn) or a 4xx JSON error; never a dropped connection or a traceback on its stderr."""

from __future__ import annotations

import pytest
from advkit import strategies as hs
from advkit.fuzz import fuzz
from advkit.probe import ANSWERED, Target, assert_responsive, assert_stderr_clean
from advkit.verdict import Outcome
from hypothesis import example, given
from hypothesis import strategies as st

# A turn no provider could answer is the gateway's documented 502, with a JSON error.
CHAT_ANSWERS = ANSWERED | {Outcome.SERVER_ERROR}
SESSION_IDS = st.sampled_from(
    ["", "../../etc/passwd", "a" * 300, "00000000-0000-0000-0000-000000000000", "x/y", "\x00"]
) | st.text(max_size=40)


def chat_bodies() -> st.SearchStrategy[bytes]:
    chat = st.fixed_dictionaries(
        {},
        optional={
            "message": st.text(max_size=60) | hs.JSON_VALUES,
            "session_id": SESSION_IDS | hs.JSON_VALUES,
        },
    )
    return chat.map(hs.json_text) | hs.bodies(["message", "session_id"])


@fuzz(150)
@given(body=chat_bodies(), ctype=st.just("application/json") | hs.CONTENT_TYPES)
@example(body=hs.nested(100_000), ctype="application/json")
@example(body=b'{"message": ' + b"[" * 50_000 + b"}", ctype="application/json")
@example(body=b'{"message": NaN}', ctype="application/json")
@example(body=b'{"message": "hi", "session_id": 1e400}', ctype="application/json")
def test_chat(gateway: Target, body: bytes, ctype: str) -> None:
    response = gateway.send(
        "POST", "/v1/chat", category="gateway chat", content=body,
        headers={"Content-Type": ctype}, allowed=CHAT_ANSWERS,
    )  # fmt: skip
    assert response is not None
    if response.status_code >= 500:
        assert response.status_code == 502, response.text[:300]
        assert response.json()["reply"] is None


@fuzz(80)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"]),
    path=st.sampled_from(["/status", "/healthz", "/v1/chat", "/v1/shutdown", "/nope", "/",
                          "/status?x=" + "a" * 1000, "/%00", "//status"]),
    headers=hs.headers(),
    body=st.binary(max_size=64),
)  # fmt: skip
def test_any_method_on_any_path(
    gateway: Target, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    headers.pop("X-Gateway-Control", None)
    gateway.send(
        method, path, category="gateway routing", content=body or None, headers=headers,
        allowed=CHAT_ANSWERS if path == "/v1/chat" else ANSWERED,
    )  # fmt: skip


@fuzz(60)
@given(
    control=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=64),
    body=hs.bodies([]),
)
def test_shutdown_refuses_a_wrong_control_token(gateway: Target, control: str, body: bytes) -> None:
    response = gateway.send(
        "POST", "/v1/shutdown", category="gateway shutdown", content=body,
        headers={"X-Gateway-Control": control, "Content-Type": "application/json"},
        allowed={Outcome.CLIENT_JSON},
    )  # fmt: skip
    assert response is not None
    assert gateway.server.alive()


@pytest.mark.parametrize("path", ["/healthz", "/status"])
def test_reads_answer_json(gateway: Target, path: str) -> None:
    response = gateway.send("GET", path, category="gateway routing", allowed={Outcome.OK})
    assert response is not None
    assert isinstance(response.json(), dict)


def test_the_gateway_stayed_up_and_quiet(gateway: Target) -> None:
    assert_responsive(gateway)
    assert_stderr_clean(gateway.server)
