"""Helpers of the broker's tests (the fixtures are in broker/conftest.py)."""

from __future__ import annotations

import json
import re
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from agent.broker.audit import AuditLog
from agent.broker.book import FamilyBook
from agent.broker.server import BrokerServer
from agent.fingerprint import token_fingerprint

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
DIGEST = re.compile(r"\b[0-9a-f]{64}\b")


@dataclass
class RunningBroker:
    server: BrokerServer
    book: FamilyBook
    url: str
    home: Path

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        with httpx.Client(base_url=self.url, timeout=30.0, trust_env=False) as http:
            return http.post(path, **kwargs)

    def refresh(self, refresh_token: str, **extra: Any) -> httpx.Response:
        body = {"client_id": CLIENT_ID, "grant_type": "refresh_token",
                "refresh_token": refresh_token, **extra}  # fmt: skip
        return self.post("/oauth/token", json=body)

    def revoke(self, token: str, **extra: Any) -> httpx.Response:
        body = {"token": token, "token_type_hint": "refresh_token", "client_id": CLIENT_ID,
                **extra}  # fmt: skip
        return self.post("/oauth/revoke", json=body)

    def audit(self) -> list[dict[str, Any]]:
        return AuditLog(self.home / "broker").tail(1000)


# --- the issuer's side ---------------------------------------------------------------------------


def pair_of(body: dict[str, Any]) -> dict[str, Any]:
    """A token answer as two answers can be compared: tokens by fingerprint (a failing assert
    never prints one), `expires_in` left out (it counts down between two answers)."""
    return {
        key: token_fingerprint(value) if key.endswith("_token") else value
        for key, value in body.items()
        if key != "expires_in"
    }


def mint(upstream: Any, account: dict[str, Any]) -> dict[str, Any]:
    """A fresh login (generation 0) of `account`, as a client would hold it after sign-in."""
    return upstream.admin.mint_family(account["account_id"])  # type: ignore[no-any-return]


def ledger(upstream: Any, account: dict[str, Any]) -> dict[str, Any]:
    return upstream.admin.ledger(account_id=account["account_id"])  # type: ignore[no-any-return]


def event_types(upstream: Any, account: dict[str, Any]) -> list[str]:
    return [e["type"] for e in ledger(upstream, account)["events"]]


def family_view(upstream: Any, account: dict[str, Any], family_id: str) -> dict[str, Any]:
    (family,) = [f for f in ledger(upstream, account)["families"] if f["family_id"] == family_id]
    return family  # type: ignore[no-any-return]


def presentations(upstream: Any, account: dict[str, Any]) -> int:
    """How many refresh requests the issuer saw for the account's tokens (any outcome)."""
    return sum(
        len(token["presented"])
        for family in ledger(upstream, account)["families"]
        for token in family["tokens"]
        if token["kind"] == "refresh"
    )


def rotations(upstream: Any, account: dict[str, Any]) -> list[int]:
    """The generation of every token the issuer rotated for the account, in order."""
    return [e["generation"] for e in ledger(upstream, account)["events"] if e["type"] == "rotated"]


def direct_refresh(upstream: Any, refresh_token: str) -> httpx.Response:
    """A sibling that goes around the broker, straight to the issuer."""
    body = {"client_id": CLIENT_ID, "grant_type": "refresh_token", "refresh_token": refresh_token}
    with upstream.client() as http:
        return http.post("/oauth/token", json=body)  # type: ignore[no-any-return]


class TokenRequests:
    """Counts every request the issuer's token endpoint receives (a zero-second latency fault
    that never runs out), including ones for tokens it does not know."""

    def __init__(self, upstream: Any) -> None:
        self.upstream = upstream
        self.fault_id = upstream.admin.arm_fault("latency", count=0, seconds=0)

    def count(self) -> int:
        faults = self.upstream.admin._call("GET", "/admin/faults")["faults"]
        (fault,) = [f for f in faults if f["fault_id"] == self.fault_id]
        return int(fault["fired"])


# --- a real `codex-agent broker run` process ------------------------------------------------------


@dataclass
class BrokerProcess:
    """`codex-agent broker run` as a subprocess; `ready` is its JSON ready line."""

    process: subprocess.Popen[str]
    ready: dict[str, Any]
    stderr_path: Path

    @property
    def url(self) -> str:
        return str(self.ready["url"])

    def refresh(self, refresh_token: str, timeout: float = 60.0) -> httpx.Response:
        body = {"client_id": CLIENT_ID, "grant_type": "refresh_token",
                "refresh_token": refresh_token}  # fmt: skip
        with httpx.Client(base_url=self.url, timeout=timeout, trust_env=False) as http:
            return http.post("/oauth/token", json=body)

    def kill9(self) -> None:
        self.process.kill()  # SIGKILL: no handler, no cleanup
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        for stream in (self.process.stdout,):
            if stream is not None:
                stream.close()

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def start_broker_process(
    env: dict[str, str], *args: str, stderr_path: Path, timeout: float = 60.0
) -> BrokerProcess:
    """Start `codex-agent broker run --port 0 ARGS` and wait (bounded) for its ready line."""
    with open(stderr_path, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "agent", "broker", "run", "--port", "0", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert process.stdout is not None
    line = read_line(process.stdout, timeout)
    if not line:
        process.kill()
        process.wait(30)
        raise AssertionError(f"the broker did not start: {stderr_path.read_text()}")
    ready = json.loads(line)
    assert ready["ready"] is True
    return BrokerProcess(process, ready, stderr_path)


def read_line(stream: Any, timeout: float) -> str:
    """One line of a pipe, or "" when it closes or nothing came within `timeout` (a bound)."""
    deadline = time.monotonic() + timeout
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    try:
        while time.monotonic() < deadline:
            if selector.select(deadline - time.monotonic()):
                return str(stream.readline())
        return ""
    finally:
        selector.close()
