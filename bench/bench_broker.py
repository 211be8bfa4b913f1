"""The refresh broker's cost and worth (issue 11): the latency it adds to one refresh, and the
upstream calls of 100 concurrent presenters with and without it.

One fake issuer process (TLS, strict by default; grace set per family where a row says so) and
one `codex-agent broker run --port 0` process, as a user runs it. Latency: N sequential
refreshes each, interleaved so that the machine's noise falls on all three alike: a direct
refresh at the issuer, a brokered refresh of the current token (one upstream rotation), and an
adoption (the token just rotated away, presented again: answered from the broker's store with
no upstream call). The same figures from a broker served in this process are a cross-check.
Concurrency: 100 threads released by one barrier, each with its own connection, present tokens
of one family; the issuer's ledger counts what reached it. Every token is checked in memory and
none is printed. No figure is asserted: wall times on a shared machine are figures, not facts.

    python bench/bench_broker.py [--refreshes N] [--presenters P]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from server_process import read_ready_line, stop

from agent.broker.audit import AuditLog
from agent.broker.book import FamilyBook
from agent.broker.server import BrokerServer
from agent.broker.window import AdoptionWindow
from agent.clock import SystemClock
from agent.config import load_config
from agent.http import build_http_client
from agent.local_http.access import AccessPolicy
from fake_oauth_server.admin_client import AdminClient
from fake_oauth_server.constants import CODEX_CLIENT_ID

SAFETY = 60.0  # a bound on one request or one start, not an expectation
WARMUP = 10  # refreshes of each kind not counted: connections opened, caches warm
MIX_BEHIND = 7  # the stale mix: copies 1..7 generations behind, and the current one


# --- processes ----------------------------------------------------------------------------------
@contextlib.contextmanager
def process(argv: list[str], env: dict[str, str], log: Path, what: str) -> Iterator[dict[str, Any]]:
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr
        )
        try:
            yield read_ready_line(proc, what, log=log, timeout=SAFETY)
        finally:
            stop(proc)


def agent_env(root: Path, home: Path, issuer: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEX_")}
    env.update(
        {
            "HOME": str(root / "user-home"),
            "CODEX_HOME": str(root / "codex-home"),
            "CODEX_AGENT_HOME": str(home),
            "CODEX_AGENT_ISSUER": issuer["issuer"],
            "CODEX_AGENT_CA_BUNDLE": issuer["ca_cert"],
        }
    )
    return env


def agent_command() -> list[str]:
    script = Path(sys.executable).parent / "codex-agent"
    return [str(script)] if script.exists() else [sys.executable, "-m", "agent"]


@contextlib.contextmanager
def broker_in_process(env: dict[str, str]) -> Iterator[str]:
    """The same server `broker run` serves, in a thread of this process (no pid record)."""
    config = load_config(env)
    with build_http_client(config) as http:
        book = FamilyBook(config, http=http, clock=SystemClock(), window=AdoptionWindow())
        server = BrokerServer(
            ("127.0.0.1", 0),
            book=book,
            audit=AuditLog(config.home / "broker"),
            client_id=config.client_id,
            control_token=secrets.token_hex(16),
            policy=AccessPolicy.build("127.0.0.1"),
            status=lambda: {"families": book.snapshot()},
        )
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.port}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(SAFETY)


# --- the issuer's ledger ------------------------------------------------------------------------
@dataclass
class Tally:
    """What reached the issuer for one family: each presentation's outcome, and its state."""

    outcomes: Counter[str] = field(default_factory=Counter)
    state: str = "active"

    @property
    def calls(self) -> int:
        return sum(self.outcomes.values())

    def __sub__(self, before: Tally) -> Tally:
        return Tally(self.outcomes - before.outcomes, self.state)


def tally(admin: AdminClient, family_id: str) -> Tally:
    (family,) = admin.ledger(family_id=family_id)["families"]
    outcomes: Counter[str] = Counter()
    for token in family["tokens"]:
        if token["kind"] == "refresh":
            outcomes.update(p["outcome"] for p in token["presented"])
    return Tally(outcomes, family["state"])


def new_family(admin: AdminClient, policy: str = "strict") -> tuple[str, str]:
    account = admin.create_account()["account_id"]
    family = admin.mint_family(account)
    if policy != "strict":
        admin.set_policy(policy, family_id=family["family_id"])
    return family["family_id"], family["refresh_token"]


# --- presenting ---------------------------------------------------------------------------------
def body(refresh_token: str) -> dict[str, str]:
    return {"client_id": CODEX_CLIENT_ID, "grant_type": "refresh_token",
            "refresh_token": refresh_token}  # fmt: skip


def client(base_url: str, verify: ssl.SSLContext | bool = True) -> httpx.Client:
    headers = {"User-Agent": "bench_broker/1", "originator": "codex_cli_rs"}
    return httpx.Client(
        base_url=base_url, verify=verify, timeout=SAFETY, trust_env=False, headers=headers
    )


def refresh(http: httpx.Client, token: str, what: str) -> tuple[float, str]:
    """One refresh grant: (seconds, the answer's refresh token). Anything but 200 ends the run."""
    started = time.perf_counter()
    answer = http.post("/oauth/token", json=body(token))
    took = time.perf_counter() - started
    if answer.status_code != 200:
        raise SystemExit(f"{what}: HTTP {answer.status_code} {answer.text[:300]}")
    new: str = answer.json()["refresh_token"]
    return took, new


def percentiles(seconds: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


@dataclass
class Latencies:
    direct: list[float] = field(default_factory=list)
    rotated: list[float] = field(default_factory=list)
    adopted: list[float] = field(default_factory=list)
    first_contact: float = 0.0


def measure_latency(
    admin: AdminClient, issuer: httpx.Client, broker: httpx.Client, count: int, where: str
) -> tuple[Latencies, Tally]:
    """Direct refresh, brokered rotation, brokered adoption, one of each per round."""
    _, direct_token = new_family(admin)
    brokered_family, first = new_family(admin)
    out = Latencies()
    out.first_contact, current = refresh(broker, first, f"{where}: first contact")
    before = tally(admin, brokered_family)
    for index in range(WARMUP + count):
        took_direct, direct_token = refresh(issuer, direct_token, "direct refresh")
        took_rotated, rotated = refresh(broker, current, f"{where}: brokered refresh")
        took_adopted, adopted = refresh(broker, current, f"{where}: adoption")
        if adopted != rotated:
            raise SystemExit(f"{where}: an adoption did not answer the current pair")
        current = rotated
        if index >= WARMUP:
            out.direct.append(took_direct)
            out.rotated.append(took_rotated)
            out.adopted.append(took_adopted)
    return out, tally(admin, brokered_family) - before


def print_latency(rows: list[tuple[str, Latencies]]) -> None:
    print("\nlatency of one refresh (ms), sequential, one keep-alive connection per side")
    head = f"  {'broker':<12} {'n':>4} {'direct p50/p99':>16} {'brokered p50/p99':>18} "
    print(head + f"{'added p50/p99':>15} {'ratio p50':>10} {'adoption p50/p99':>18}")
    for name, lat in rows:
        d50, d99 = percentiles(lat.direct)
        b50, b99 = percentiles(lat.rotated)
        a50, a99 = percentiles(lat.adopted)
        print(
            f"  {name:<12} {len(lat.direct):>4} {d50:7.2f} / {d99:6.2f} {b50:8.2f} / {b99:7.2f} "
            f"{b50 - d50:6.2f} / {b99 - d99:6.2f} {b50 / d50:9.2f}x {a50:8.2f} / {a99:7.2f}"
        )
    for name, lat in rows:
        first = lat.first_contact * 1000
        print(f"  {name}: first contact (an unknown token, forwarded once) {first:.1f} ms")


# --- concurrent presenters ----------------------------------------------------------------------
@dataclass
class Crowd:
    answers: Counter[str]  # HTTP status, or the client's error when no answer came
    pairs: int  # distinct refresh tokens answered with a 200
    wall: float  # barrier release to the last answer
    slowest: float


def crowd(url: str, verify: ssl.SSLContext | bool, tokens: list[str]) -> Crowd:
    """Each presenter its own connection (as separate clients are), released at once."""
    barrier = threading.Barrier(len(tokens) + 1)
    results: list[tuple[str, str | None, float]] = [("none", None, 0.0)] * len(tokens)

    def present(index: int, token: str) -> None:
        with client(url, verify) as http:
            barrier.wait(SAFETY)
            started = time.perf_counter()
            try:
                answer = http.post("/oauth/token", json=body(token))
            except httpx.HTTPError as error:
                results[index] = (type(error).__name__, None, time.perf_counter() - started)
                return
            took = time.perf_counter() - started
            new = answer.json().get("refresh_token") if answer.status_code == 200 else None
            results[index] = (str(answer.status_code), new, took)

    threads = [threading.Thread(target=present, args=(i, t)) for i, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    barrier.wait(SAFETY)
    released = time.perf_counter()
    for thread in threads:
        thread.join(SAFETY)
    wall = time.perf_counter() - released
    return Crowd(
        Counter(outcome for outcome, _, _ in results),
        len({new for _, new, _ in results if new is not None}),
        wall,
        max(took for _, _, took in results),
    )


def chain(http: httpx.Client, first: str, length: int, what: str) -> list[str]:
    """`first` and the `length` tokens that follow it, oldest first; the last one is current."""
    tokens = [first]
    for _ in range(length):
        tokens.append(refresh(http, tokens[-1], what)[1])
    return tokens


def mix(tokens: list[str], count: int) -> list[str]:
    """`count` presenters over the last MIX_BEHIND + 1 tokens (current and 1..7 behind)."""
    recent = tokens[-(MIX_BEHIND + 1) :]
    return [recent[i % len(recent)] for i in range(count)]


@dataclass
class CrowdRow:
    label: str
    via: str
    policy: str
    result: Crowd
    upstream: Tally
    broker_calls: int | None = None


def crowd_rows(
    admin: AdminClient,
    issuer_url: str,
    verify: ssl.SSLContext,
    broker_url: str,
    presenters: int,
    broker_calls: Callable[[], int],
) -> list[CrowdRow]:
    rows: list[CrowdRow] = []
    with client(broker_url) as broker, client(issuer_url, verify) as issuer:
        for label in ("same current token", "stale mix"):
            family, minted = new_family(admin)
            length = 1 if label == "same current token" else MIX_BEHIND + 1
            tokens = chain(broker, minted, length, "broker chain")[1:]
            held = [tokens[-1]] * presenters if length == 1 else mix(tokens, presenters)
            before, calls = tally(admin, family), broker_calls()
            result = crowd(broker_url, True, held)
            upstream = tally(admin, family) - before
            rows.append(
                CrowdRow(label, "broker", "strict", result, upstream, broker_calls() - calls)
            )
        for label in ("same current token", "stale mix"):
            for policy in ("grace", "strict"):
                family, minted = new_family(admin, policy)
                length = 1 if label == "same current token" else MIX_BEHIND
                tokens = chain(issuer, minted, length, "direct chain")
                held = [tokens[-1]] * presenters if length == 1 else mix(tokens, presenters)
                before = tally(admin, family)
                result = crowd(issuer_url, verify, held)
                rows.append(
                    CrowdRow(label, "direct", policy, result, tally(admin, family) - before)
                )
    return rows


def print_crowds(rows: list[CrowdRow], presenters: int) -> None:
    print(f"\n{presenters} concurrent presenters of one family (one barrier, a connection each)")
    print(
        f"  {'tokens held':<19} {'via':<7} {'policy':<7} {'200s':>5} {'pairs':>6} "
        f"{'upstream':>9} {'rotations':>10} {'reuses':>7} {'family':<8} {'wall':>8} {'slowest':>8}"
    )
    for row in rows:
        out = row.upstream.outcomes
        rotations = out["rotated"] + out["grace"] + out["superseded"]
        reuses = out["grace"] + out["reuse"] + out["replayed"] + out["superseded"]
        print(
            f"  {row.label:<19} {row.via:<7} {row.policy:<7} {row.result.answers['200']:>5} "
            f"{row.result.pairs:>6} {row.upstream.calls:>9} {rotations:>10} {reuses:>7} "
            f"{row.upstream.state:<8} {row.result.wall * 1000:6.0f} ms "
            f"{row.result.slowest * 1000:5.0f} ms"
        )
        others = ", ".join(f"{n} {a}" for a, n in sorted(row.result.answers.items()) if a != "200")
        if others:
            print(f"    other answers: {others}")
        if row.broker_calls is not None and row.broker_calls != row.upstream.calls:
            print(f"    the broker counted {row.broker_calls} upstream calls")
    print(
        "  upstream: refresh requests the issuer saw; rotations: pairs it minted; reuses: stale "
        "tokens it was shown (a grace fork counts in both); pairs: distinct refresh tokens answered"
    )


# --- main ---------------------------------------------------------------------------------------
def healthz_calls(url: str) -> int:
    with client(url) as http:
        return int(http.get("/healthz").json()["upstream_calls"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refreshes", type=int, default=200,
                        help="sequential rounds through `broker run` (default 200; a quarter of "
                        "that in process)")  # fmt: skip
    parser.add_argument("--presenters", type=int, default=100, help="concurrent (default 100)")
    args = parser.parse_args(argv)
    if args.refreshes < 8 or args.presenters < 1:
        parser.error("--refreshes must be at least 8 and --presenters at least 1")
    started = time.perf_counter()
    print(f"bench_broker: {os.cpu_count()} CPUs, fake issuer over TLS, broker on loopback")
    with tempfile.TemporaryDirectory(prefix="bench-broker-") as tmp:
        root = Path(tmp)
        (root / "user-home").mkdir()
        issuer_argv = [sys.executable, "-m", "fake_oauth_server", "--seed", "11",
                       "--log-level", "error", "--state-dir", str(root / "issuer")]  # fmt: skip
        with process(issuer_argv, dict(os.environ), root / "issuer.log", "fake issuer") as ready:
            verify = ssl.create_default_context(cafile=ready["ca_cert"])
            admin = AdminClient(ready["issuer"], ready["admin_token"], ready["ca_cert"])
            broker_argv = [*agent_command(), "broker", "run", "--port", "0"]
            env = agent_env(root, root / "broker-home", ready)
            with (
                admin,
                process(broker_argv, env, root / "broker.log", "codex-agent broker run") as broker,
                client(ready["issuer"], verify) as issuer,
            ):
                with client(broker["url"]) as http:
                    served = measure_latency(admin, issuer, http, args.refreshes, "broker run")
                crowds = crowd_rows(
                    admin, ready["issuer"], verify, broker["url"], args.presenters,
                    lambda: healthz_calls(broker["url"]),
                )  # fmt: skip
                in_env = agent_env(root, root / "inprocess-home", ready)
                with broker_in_process(in_env) as url, client(url) as http:
                    threaded = measure_latency(
                        admin, issuer, http, args.refreshes // 4, "in-process"
                    )
    print_latency([("broker run", served[0]), ("in-process", threaded[0])])
    for name, (lat, upstream) in (("broker run", served), ("in-process", threaded)):
        rounds = len(lat.rotated) + WARMUP
        verdict = (
            "as expected" if upstream.calls == upstream.outcomes["rotated"] == rounds else "NOT"
        )
        print(
            f"  {name}: the issuer saw {upstream.calls} refreshes for {rounds} brokered rotations "
            f"and {rounds} adoptions ({verdict}: one per rotation, none per adoption)"
        )
    print_crowds(crowds, args.presenters)
    print(f"\nwall {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
