"""The fake Codex backend's WebSocket under hypothesis: any handshake headers, then any message
(JSON of every shape, bad UTF-8, binary frames) on a live socket. A refused handshake is a 4xx
JSON answer; a bad message gets an `error` event (and at most a policy close); never close 1011,
a dropped connection, a hang or a traceback on the server's stderr."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from advkit import strategies as hs
from advkit.fuzz import fuzz
from advkit.probe import REQUEST_TIMEOUT, Target, assert_responsive, assert_stderr_clean
from advkit.tally import TALLY
from advkit.verdict import Outcome, classify
from advkit.world import BackendProcess, OAuthProcess
from hypothesis import given
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from agent.auth.tokens import TokenSet
from fake_codex_ws.options import DEFAULT_BETA
from fake_codex_ws.probe import TERMINAL_TYPES, codex_headers, response_create

CATEGORY = "codex websocket"
# Close codes that say the client sent something wrong; 1011 (internal error) never qualifies.
POLICY_CLOSES = {1000, 1003, 1007, 1008, 1009}


@pytest.fixture(scope="module")
def backend(fuzz_pair: tuple[OAuthProcess, BackendProcess]) -> Iterator[Target]:
    _, process = fuzz_pair
    t = Target("codex", process.server, process.url, process.tls())
    yield t
    t.close()


@pytest.fixture(scope="module")
def login(fuzz_pair: tuple[OAuthProcess, BackendProcess]) -> TokenSet:
    return fuzz_pair[0].login()


def _open(process: BackendProcess, headers: dict[str, str]) -> ClientConnection:
    return connect(
        process.ws_url,
        ssl=process.tls(),
        additional_headers=headers,
        open_timeout=REQUEST_TIMEOUT,
        close_timeout=5,
        max_size=None,
    )


def _judge(backend: Target, mark: int, outcome: Outcome, shown: str) -> None:
    crash = backend.server.crashes_since(mark)
    if crash:
        outcome = Outcome.TRACEBACK
    TALLY.record(CATEGORY, outcome)
    assert outcome in {Outcome.OK, Outcome.CLIENT_JSON}, f"{outcome}: {shown}\n{crash[-3000:]}"


@fuzz(60)
@given(extra=hs.headers(), drop=st.sets(st.sampled_from(["auth", "account", "beta"])))
def test_handshake_headers(
    fuzz_pair: tuple[OAuthProcess, BackendProcess],
    backend: Target,
    login: TokenSet,
    extra: dict[str, str],
    drop: set[str],
) -> None:
    headers = codex_headers(
        None if "auth" in drop else login.access_token,
        None if "account" in drop else login.account_id,
        beta=None if "beta" in drop else DEFAULT_BETA,
    )
    headers.update(extra)
    mark = backend.server.stderr_mark()
    try:
        with _open(fuzz_pair[1], headers) as ws:
            ws.close()
        outcome, shown = Outcome.OK, "upgraded"
    except InvalidStatus as exc:
        response = exc.response
        outcome = classify(
            response.status_code, response.body or b"", response.headers.get("content-type", "")
        )
        shown = f"{response.status_code} {response.body!r:.300}"
    except (TimeoutError, OSError, InvalidHandshake) as exc:
        if isinstance(exc, UnicodeError):
            return  # the client library refused to send a non-ASCII header
        outcome, shown = Outcome.CLOSED, repr(exc)
    _judge(backend, mark, outcome, shown)


def messages() -> st.SearchStrategy[str | bytes]:
    turn = st.builds(
        lambda text, more: {**response_create(text), **more},
        st.text(max_size=40),
        hs.object_with(["model", "input", "previous_response_id", "instructions", "stream",
                        "tools", "reasoning", "store", "text"]),
    )  # fmt: skip
    as_text = st.one_of(
        turn.map(json.dumps),
        hs.JSON_VALUES.map(json.dumps),
        hs.object_with(["type"]).map(json.dumps),
        hs.NASTY_LITERALS.map(lambda b: b.decode("utf-8", "surrogateescape")),
        st.text(max_size=200),
        st.integers(min_value=1, max_value=60_000).map(lambda n: "[" * n + "]" * n),
    )
    return st.one_of(as_text, st.binary(max_size=200))


@fuzz(120)
@given(message=messages())
def test_any_message_on_a_live_socket(
    fuzz_pair: tuple[OAuthProcess, BackendProcess],
    backend: Target,
    login: TokenSet,
    message: str | bytes,
) -> None:
    mark = backend.server.stderr_mark()
    outcome, shown = Outcome.HANG, "no terminal event"
    with _open(fuzz_pair[1], codex_headers(login.access_token, login.account_id)) as ws:
        try:
            if isinstance(message, str):
                try:
                    message.encode("utf-8")
                except UnicodeEncodeError:
                    # Not UTF-8: send the bytes as a text frame, which the server must refuse.
                    with ws.protocol_mutex:
                        ws.protocol.send_text(message.encode("utf-8", "surrogateescape"))
                        ws.send_data()
                else:
                    ws.send(message)
            else:
                ws.send(message)
            while True:
                event = json.loads(ws.recv(timeout=REQUEST_TIMEOUT))
                if event.get("type") in TERMINAL_TYPES:
                    status = event.get("status", 400) if event["type"] == "error" else 200
                    outcome = Outcome.CLIENT_JSON if 400 <= int(status) < 500 else Outcome.OK
                    if event["type"] == "error" and int(status) >= 500:
                        outcome = Outcome.SERVER_ERROR
                    shown = json.dumps(event)[:300]
                    break
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            shown = f"closed with {code}"
            outcome = Outcome.CLIENT_JSON if code in POLICY_CLOSES else Outcome.CLOSED
            if code == 1011:
                outcome = Outcome.SERVER_ERROR
        except TimeoutError:
            outcome, shown = Outcome.HANG, f"no terminal event in {REQUEST_TIMEOUT:g} s"
    _judge(backend, mark, outcome, shown)


def test_the_server_stayed_up_and_quiet(backend: Target) -> None:
    assert_responsive(backend)
    assert_stderr_clean(backend.server)
