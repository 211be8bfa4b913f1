"""One adversarial request, judged: what came back, and whether the server's stderr shows a crash.
Every case is counted in the tally, whatever it came to."""

from __future__ import annotations

import ssl
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import reject

from advkit.processes import ServerProcess
from advkit.raw_http import Endpoint, RawAnswer, exchange
from advkit.tally import TALLY
from advkit.verdict import Outcome, classify

REQUEST_TIMEOUT = 20.0  # a safety bound: a well-behaved server answers in milliseconds
ANSWERED = frozenset({Outcome.OK, Outcome.CLIENT_JSON})
# Pages a person's browser shows: a consent or device page, a redirect, an HTML error page.
BROWSER_PAGE = ANSWERED | {Outcome.REDIRECT, Outcome.CLIENT_PAGE}


@dataclass
class Target:
    """A running server under attack and the client that talks to it."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints fixtures of a failing example: never their tokens."""
        printer.text(f"<{type(self).__name__}>")

    category: str
    server: ServerProcess
    base_url: str
    verify: ssl.SSLContext | bool
    _client: httpx.Client | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> Endpoint:
        url = httpx.URL(self.base_url)
        tls = self.verify if isinstance(self.verify, ssl.SSLContext) else None
        return Endpoint(url.host, int(url.port or 0), tls)

    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.base_url, verify=self.verify, timeout=REQUEST_TIMEOUT
            )
        return self._client

    def reset(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def close(self) -> None:
        self.reset()

    def send(
        self,
        method: str,
        path: str,
        *,
        category: str | None = None,
        allowed: Collection[Outcome] = ANSWERED,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Any = None,
    ) -> httpx.Response | None:
        """Send one request, count it, and fail unless its outcome is `allowed`."""
        mark = self.server.stderr_mark()
        response: httpx.Response | None = None
        failure = ""
        wire_headers = {k: v.encode("latin-1") for k, v in (headers or {}).items()}
        try:
            response = self.client().request(
                method, path, content=content, headers=wire_headers, params=params
            )
            outcome = classify(
                response.status_code, response.content, response.headers.get("content-type", "")
            )
        except httpx.LocalProtocolError:
            reject()  # httpx refused to send it: not a case (raw sockets send such requests)
        except httpx.TimeoutException:
            outcome, failure = Outcome.HANG, f"no answer within {REQUEST_TIMEOUT:g} s"
            self.reset()
        except httpx.TransportError as exc:
            outcome, failure = Outcome.CLOSED, f"the connection dropped: {exc!r}"
            self.reset()
        crash = self.server.crashes_since(mark)
        if crash:
            outcome = Outcome.TRACEBACK
        TALLY.record(category or self.category, outcome)
        if outcome not in allowed:
            shown = (
                f"{response.status_code} {response.headers.get('content-type')} "
                f"{response.content[:400]!r}"
                if response is not None
                else failure
            )
            raise AssertionError(
                f"{method} {path} on {self.server.name}: {outcome} ({shown}); "
                f"server alive: {self.server.alive()}; stderr: {crash[-3000:]}"
            )
        return response


def raw_outcome(answer: RawAnswer) -> Outcome:
    if answer.status is not None:
        return classify(answer.status, answer.body, answer.headers.get("content-type", ""))
    return Outcome.HANG if answer.timed_out else Outcome.CLOSED


# A refusal on the wire: a 4xx JSON answer, or the connection closed without one.
REFUSED = frozenset({Outcome.CLIENT_JSON, Outcome.CLOSED})


def judge_raw(
    target: Target,
    category: str,
    answer: RawAnswer,
    mark: int,
    allowed: Collection[Outcome] = REFUSED,
    what: str = "",
) -> Outcome:
    """Count a raw-socket case and fail unless its outcome is `allowed`."""
    outcome = raw_outcome(answer)
    crash = target.server.crashes_since(mark)
    if crash:
        outcome = Outcome.TRACEBACK
    TALLY.record(category, outcome)
    assert outcome in allowed, (
        f"{what} on {target.server.name}: {outcome} ({answer.describe()}); "
        f"alive: {target.server.alive()}; stderr: {crash[-3000:]}"
    )
    return outcome


def raw_case(
    target: Target,
    category: str,
    payload: bytes,
    *,
    allowed: Collection[Outcome] = REFUSED,
    timeout: float = REQUEST_TIMEOUT,
    what: str = "",
) -> RawAnswer:
    mark = target.server.stderr_mark()
    answer = exchange(target.endpoint, payload, timeout)
    judge_raw(target, category, answer, mark, allowed, what or repr(payload[:60]))
    return answer


def assert_responsive(target: Target, path: str = "/healthz") -> None:
    """The server still answers an ordinary request (a fresh connection)."""
    with httpx.Client(base_url=target.base_url, verify=target.verify, timeout=30.0) as client:
        answer = client.get(path)
    assert answer.status_code == 200, f"{target.server.name} {path}: {answer.status_code}"


def assert_stderr_clean(server: ServerProcess, since: int = 0) -> None:
    crash = server.crashes_since(since)
    assert not crash, f"{server.name} wrote a crash on stderr:\n{crash[-4000:]}"
