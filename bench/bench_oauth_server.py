"""Refresh throughput and latency of the fake OAuth server, side by side with oauth2-mock-server.

Both servers run as their own processes on 127.0.0.1; one lean keep-alive HTTP/1.1 client per
worker (asyncio streams, TLS optional) presents refresh tokens in a loop. Our server does real
rotation and reuse detection on every request (each worker walks its own token family); the
npm package signs fresh tokens and never checks the refresh token it is given.

Environment: BENCH_NPM_DIR (where `npm install` put oauth2-mock-server), BENCH_SECONDS
(measured seconds per run, default 4), BENCH_CLIENTS (comma-separated concurrency levels,
default "1,16,64").
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from server_process import read_ready_line, stop

CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
WARMUP_SECONDS = 1.0

MOCK_SCRIPT = """
import { OAuth2Server } from 'oauth2-mock-server';
const key = process.env.MOCK_KEY, cert = process.env.MOCK_CERT;
const server = key ? new OAuth2Server(key, cert) : new OAuth2Server();
await server.issuer.keys.generate('RS256');
await server.start(0, '127.0.0.1');
process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n');
const stop = async () => { await server.stop(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
"""


# --- a lean HTTP/1.1 client -------------------------------------------------------------------
class Connection:
    """One keep-alive connection; enough HTTP/1.1 for JSON answers with Content-Length."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None) -> None:
        self.host, self.port, self.tls = host, port, tls
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, ssl=self.tls, server_hostname=self.host if self.tls else None
        )

    async def post(self, path: str, body: bytes, ctype: str) -> tuple[int, bytes]:
        assert self.reader is not None
        assert self.writer is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
            "User-Agent: bench/1\r\noriginator: codex_cli_rs\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        length = 0
        for line in raw.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, ssl.SSLError):
                pass


# --- servers ----------------------------------------------------------------------------------
@dataclass
class Target:
    name: str
    host: str
    port: int
    tls: ssl.SSLContext | None
    path: str
    # worker index -> a function making the next request body from the last answer
    make_worker: Callable[[int], Awaitable[Callable[[bytes | None], tuple[bytes, str]]]]
    close: Callable[[], None] = lambda: None


def start_fake(tls: bool, state_dir: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    args = [sys.executable, "-m", "fake_oauth_server", "--seed", "1", "--log-level", "error"]
    args += ["--state-dir", str(state_dir)] if tls else ["--no-tls"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE)
    return proc, read_ready_line(proc, "the fake OAuth server")


def fake_target(ready: dict[str, Any], tls: bool) -> Target:
    import httpx

    parts = urlsplit(ready["issuer"])
    context = ssl.create_default_context(cafile=ready["ca_cert"]) if tls else None
    admin = httpx.Client(
        base_url=ready["issuer"],
        headers={"authorization": f"Bearer {ready['admin_token']}"},
        verify=context if context else True,
    )
    account = admin.post("/admin/accounts", json={}).json()["account_id"]

    async def make_worker(index: int) -> Callable[[bytes | None], tuple[bytes, str]]:
        family = admin.post("/admin/families", json={"account_id": account}).json()
        token = {"value": family["refresh_token"]}

        def next_body(last: bytes | None) -> tuple[bytes, str]:
            if last is not None:
                token["value"] = json.loads(last)["refresh_token"]
            body = {
                "client_id": CODEX_CLIENT_ID,
                "grant_type": "refresh_token",
                "refresh_token": token["value"],
            }
            return json.dumps(body).encode(), "application/json"

        return next_body

    assert parts.hostname is not None
    assert parts.port is not None
    return Target(
        f"fake_oauth_server ({'TLS' if tls else 'plain'})",
        parts.hostname,
        parts.port,
        context,
        "/oauth/token",
        make_worker,
        admin.close,
    )


def start_mock(
    npm_dir: Path, tls_files: tuple[Path, Path] | None
) -> tuple[subprocess.Popen[bytes], int]:
    env = dict(os.environ)
    if tls_files is not None:
        env["MOCK_KEY"], env["MOCK_CERT"] = str(tls_files[0]), str(tls_files[1])
    proc = subprocess.Popen(
        ["node", "--input-type=module", "-e", MOCK_SCRIPT],
        cwd=npm_dir,
        env=env,
        stdout=subprocess.PIPE,
    )
    return proc, int(read_ready_line(proc, "the mock OAuth server")["port"])


def mock_target(port: int, context: ssl.SSLContext | None) -> Target:
    async def make_worker(index: int) -> Callable[[bytes | None], tuple[bytes, str]]:
        token = {"value": f"initial-{index}"}

        def next_body(last: bytes | None) -> tuple[bytes, str]:
            if last is not None:
                token["value"] = json.loads(last)["refresh_token"]
            form = {
                "grant_type": "refresh_token",
                "refresh_token": token["value"],
                "client_id": CODEX_CLIENT_ID,
            }
            return urlencode(form).encode(), "application/x-www-form-urlencoded"

        return next_body

    label = "TLS" if context else "plain"
    return Target(
        f"oauth2-mock-server ({label})", "127.0.0.1", port, context, "/token", make_worker
    )


# --- the load ---------------------------------------------------------------------------------
@dataclass
class Figures:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int


async def run_load(target: Target, clients: int, seconds: float) -> Figures:
    latencies: list[float] = []
    errors = 0
    measuring = False
    stop_at = 0.0

    async def worker(index: int) -> None:
        nonlocal errors
        next_body = await target.make_worker(index)
        conn = Connection(target.host, target.port, target.tls)
        await conn.open()
        last: bytes | None = None
        try:
            while True:
                body, ctype = next_body(last)
                t0 = time.perf_counter()
                status, answer = await conn.post(target.path, body, ctype)
                t1 = time.perf_counter()
                if t1 >= stop_at and measuring:
                    return
                if status != 200:
                    errors += 1
                    return
                last = answer
                if measuring:
                    latencies.append(t1 - t0)
        finally:
            await conn.close()

    loop_start = time.perf_counter()
    stop_at = loop_start + WARMUP_SECONDS + seconds + 3600
    tasks = [asyncio.create_task(worker(i)) for i in range(clients)]
    await asyncio.sleep(WARMUP_SECONDS)
    measuring = True
    began = time.perf_counter()
    stop_at = began + seconds
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - began
    latencies.sort()
    if not latencies:
        return Figures(0.0, float("nan"), float("nan"), errors)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Figures(len(latencies) / elapsed, statistics.median(latencies) * 1e3, p99 * 1e3, errors)


def measure(target: Target, levels: list[int], seconds: float) -> dict[int, Figures]:
    results: dict[int, Figures] = {}
    for clients in levels:
        figures = asyncio.run(run_load(target, clients, seconds))
        results[clients] = figures
        print(
            f"{target.name:34s} clients={clients:<3d} {figures.rate:9.0f} rotations/s  "
            f"p50 {figures.p50_ms:7.2f} ms  p99 {figures.p99_ms:7.2f} ms  errors {figures.errors}",
            flush=True,
        )
    return results


def measure_core(seconds: float) -> float:
    """Rotations/s of the domain core alone (no HTTP): what the HTTP layer costs on top."""
    from fake_oauth_server.authority import Authority, AuthorityConfig
    from fake_oauth_server.models import Presenter

    authority = Authority(AuthorityConfig(issuer="https://bench.invalid", seed=1))
    account = authority.create_account().account_id
    token = authority.mint_family(account)["refresh_token"]
    presenter = Presenter(CODEX_CLIENT_ID, "codex_cli_rs", "bench/1")
    count = 0
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        token = authority.refresh(token, presenter)["refresh_token"]
        count += 1
    rate = count / (time.perf_counter() - began)
    print(
        f"{'domain core, in process (no HTTP)':34s} clients=1   {rate:9.0f} rotations/s  "
        f"{1e6 / rate:7.0f} us/rotation",
        flush=True,
    )
    return rate


def main() -> None:
    seconds = float(os.environ.get("BENCH_SECONDS", "4"))
    levels = [int(x) for x in os.environ.get("BENCH_CLIENTS", "1,16,64").split(",") if x]
    npm_dir = Path(os.environ.get("BENCH_NPM_DIR", "build/bench-npm"))
    have_mock = (npm_dir / "node_modules" / "oauth2-mock-server").is_dir() and bool(
        shutil.which("node")
    )
    print(
        f"# bench_oauth_server: refresh_token grants, {seconds:g} s per run after "
        f"{WARMUP_SECONDS:g} s warm-up, on {os.cpu_count()} CPUs, 127.0.0.1"
    )
    measure_core(min(seconds, 2.0))
    ours: dict[str, dict[int, Figures]] = {}
    theirs: dict[str, dict[int, Figures]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-oauth-") as tmp:
        state_dir = Path(tmp) / "state"
        for tls in (False, True):
            label = "TLS" if tls else "plain"
            proc, ready = start_fake(tls, state_dir)
            target = fake_target(ready, tls)
            try:
                ours[label] = measure(target, levels, seconds)
            finally:
                target.close()
                stop(proc)
            if not have_mock:
                continue
            files = (state_dir / "server-key.pem", state_dir / "server.pem") if tls else None
            context = ssl.create_default_context(cafile=str(state_dir / "ca.pem")) if tls else None
            mock, port = start_mock(npm_dir, files)
            try:
                theirs[label] = measure(mock_target(port, context), levels, seconds)
            finally:
                stop(mock)
    if not have_mock:
        print(f"oauth2-mock-server: skipped (not installed in {npm_dir} or no node)")
        return
    print("# ratio: fake_oauth_server rotations/s / oauth2-mock-server rotations/s")
    for label in ours:
        for clients in levels:
            mine, other = ours[label][clients].rate, theirs[label][clients].rate
            ratio = mine / other if other else float("inf")
            print(f"ratio {label:5s} clients={clients:<3d} {ratio:6.2f}x")


if __name__ == "__main__":
    main()
