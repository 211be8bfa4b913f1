"""The hostname-faithful world's proxy and lab CA: a client that only knows `auth.openai.com` and
`chatgpt.com` reaches local stubs under those names, trusting one lab CA; everything else is
refused and recorded; the proxy never dials anything but loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import ssl
import stat
import struct
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import trustme
import uvicorn
from cryptography import x509
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from websockets.sync.client import connect as ws_connect

from scenarios.lab.lab_ca import WORLD_HOSTNAMES, LabCa, LeafFiles
from scenarios.lab.proxy_records import ProxyAttempt, ProxyRecords, read_records_file
from scenarios.lab.proxy_request import (
    Authority,
    BadProxyRequest,
    ClientGone,
    HeadParser,
    parse_authority,
)
from scenarios.lab.proxy_routes import Routes, Upstream
from scenarios.lab.proxy_thread import ProxyThread
from scenarios.lab.world_proxy import ProxyLimits, Streams, WorldProxy, client_proxy_env

SAFETY = 30.0  # a generous bound on every wait; never asserted as a duration


# --- a stub fake: JSON, SSE and a WebSocket echo over TLS, under the lab CA's leaf ----------


async def _hello(request: Request) -> JSONResponse:
    return JSONResponse({"host": request.headers.get("host"), "path": request.url.path})


async def _events(request: Request) -> StreamingResponse:
    async def stream() -> AsyncIterator[bytes]:
        for n in range(3):
            yield f"data: event {n}\n\n".encode()

    return StreamingResponse(stream(), media_type="text/event-stream")


async def _echo(websocket: WebSocket) -> None:
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text(f"echo: {text}")
    await websocket.close()


class StubFake:
    """uvicorn on an already listening socket: clients queue in the backlog, no ready wait."""

    def __init__(self, leaf: LeafFiles) -> None:
        app = Starlette(
            routes=[
                Route("/hello", _hello),
                Route("/events", _events),
                WebSocketRoute("/ws", _echo),
            ]
        )
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            ssl_certfile=str(leaf.cert_chain),
            ssl_keyfile=str(leaf.private_key),
        )
        self.server = uvicorn.Server(config)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port: int = self.sock.getsockname()[1]
        self.thread = threading.Thread(
            target=lambda: asyncio.run(self.server.serve(sockets=[self.sock])), daemon=True
        )

    def __enter__(self) -> StubFake:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(SAFETY)
        self.sock.close()


@pytest.fixture
def lab_ca(tmp_path: Path) -> LabCa:
    return LabCa.open(tmp_path / "world-ca")


@pytest.fixture
def trust(lab_ca: LabCa) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(lab_ca.ca_cert))


@pytest.fixture
def stub(lab_ca: LabCa) -> Iterator[StubFake]:
    with StubFake(lab_ca.issue()) as stub:
        yield stub


@pytest.fixture
def proxy(stub: StubFake) -> Iterator[ProxyThread]:
    routes = Routes.from_mapping(
        {
            "auth.openai.com:443": ("127.0.0.1", stub.port),
            "chatgpt.com:443": ("127.0.0.1", stub.port),
        }
    )
    with ProxyThread(WorldProxy(routes)) as running:
        yield running


def exchange(port: int, data: bytes) -> bytes:
    """Send raw bytes to the proxy and read its whole answer (it closes after a refusal)."""
    with socket.create_connection(("127.0.0.1", port), timeout=SAFETY) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def status_and_body(answer: bytes) -> tuple[int, dict[str, str]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


# --- through the proxy: TLS under the public names, keep-alive, SSE, WebSocket ---------------


def test_https_reaches_the_fake_as_auth_openai_com_and_verifies_with_the_lab_ca(
    proxy: ProxyThread, stub: StubFake, trust: ssl.SSLContext
) -> None:
    with httpx.Client(proxy=proxy.url, verify=trust, timeout=SAFETY) as client:
        first = client.get("https://auth.openai.com/hello")
        second = client.get("https://auth.openai.com/hello")
    assert first.status_code == second.status_code == 200
    assert first.json() == {"host": "auth.openai.com", "path": "/hello"}
    # Two requests, one tunnel: keep-alive holds inside it.
    [tunnel] = proxy.records.attempts()
    assert (tunnel.outcome, tunnel.status, tunnel.method) == ("tunnelled", 200, "CONNECT")
    assert (tunnel.host, tunnel.port, tunnel.upstream) == (
        "auth.openai.com",
        443,
        f"127.0.0.1:{stub.port}",
    )
    assert tunnel.peer.startswith("127.0.0.1:")


def test_a_client_that_does_not_trust_the_lab_ca_is_stopped_by_tls(proxy: ProxyThread) -> None:
    stranger = trustme.CA()
    other = ssl.create_default_context()
    stranger.configure_trust(other)
    with (
        httpx.Client(proxy=proxy.url, verify=other, timeout=SAFETY) as client,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        client.get("https://chatgpt.com/hello")


def test_sse_events_arrive_through_the_tunnel(proxy: ProxyThread, trust: ssl.SSLContext) -> None:
    with (
        httpx.Client(proxy=proxy.url, verify=trust, timeout=SAFETY) as client,
        client.stream("GET", "https://chatgpt.com/events") as response,
    ):
        events = [line for line in response.iter_lines() if line]
    assert response.headers["content-type"].startswith("text/event-stream")
    assert events == ["data: event 0", "data: event 1", "data: event 2"]


def test_a_websocket_goes_through_the_proxy_as_chatgpt_com(
    proxy: ProxyThread, trust: ssl.SSLContext
) -> None:
    with ws_connect(
        "wss://chatgpt.com/ws", proxy=proxy.url, ssl=trust, open_timeout=SAFETY
    ) as websocket:
        websocket.send("hello")
        assert websocket.recv(timeout=SAFETY) == "echo: hello"
    [tunnel] = proxy.records.tunnelled()
    assert (tunnel.host, tunnel.port) == ("chatgpt.com", 443)


# --- refusals, all recorded ------------------------------------------------------------------


def test_a_name_outside_the_world_is_refused_with_403_and_recorded(
    proxy: ProxyThread, trust: ssl.SSLContext
) -> None:
    with (
        httpx.Client(proxy=proxy.url, verify=trust, timeout=SAFETY) as client,
        pytest.raises(httpx.ProxyError, match="403"),
    ):
        client.get("https://ab.chatgpt.com/")
    status, body = status_and_body(
        exchange(proxy.proxy.port, b"CONNECT pypi.org:443 HTTP/1.1\r\nHost: pypi.org:443\r\n\r\n")
    )
    assert status == 403
    assert body["message"] == (
        "pypi.org:443 is outside the world (it tunnels auth.openai.com:443, chatgpt.com:443)"
    )
    refused = [(a.outcome, a.status, a.method, a.host, a.port) for a in proxy.records.refused()]
    assert refused == [
        ("refused", 403, "CONNECT", "ab.chatgpt.com", 443),
        ("refused", 403, "CONNECT", "pypi.org", 443),
    ]
    assert proxy.records.tunnelled() == []


def test_a_plain_http_proxy_request_is_refused_and_its_path_never_recorded(
    stub: StubFake, tmp_path: Path
) -> None:
    records_file = tmp_path / "proxy-records.jsonl"
    routes = Routes.from_mapping({"chatgpt.com:443": ("127.0.0.1", stub.port)})
    with ProxyThread(WorldProxy(routes, records=ProxyRecords(records_file))) as running:
        with httpx.Client(proxy=running.url, timeout=SAFETY) as client:
            answer = client.get("http://example.com/callback?code=secret-code-123")
        assert answer.status_code == 403
        assert answer.json()["message"] == (
            "the world's proxy only tunnels CONNECT to chatgpt.com:443"
        )
    assert stat.S_IMODE(records_file.stat().st_mode) == 0o600
    assert "secret-code-123" not in records_file.read_text()
    [attempt] = read_records_file(records_file)
    assert (attempt.outcome, attempt.method, attempt.host, attempt.port) == (
        "refused",
        "GET",
        "example.com",
        80,
    )


@pytest.mark.parametrize(
    ("request_bytes", "status", "outcome"),
    [
        (b"\x16\x03\x01\x02\x00garbage\r\n\r\n", 400, "bad_request"),
        (b"CONNECT no-port HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
        (b"CONNECT chatgpt.com:99999 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
        (b"CONNECT chatgpt.com:443 HTTP/1.1\r\nX: " + b"a" * 5000 + b"\r\n\r\n", 431, "too_large"),
    ],
    ids=["not-http", "no-port", "port-out-of-range", "oversized-head"],
)
def test_malformed_or_oversized_heads_get_a_4xx_and_are_recorded(
    request_bytes: bytes, status: int, outcome: str
) -> None:
    routes = Routes.from_mapping({"chatgpt.com:443": ("127.0.0.1", 9)})
    limits = ProxyLimits(max_head_bytes=1024)
    with ProxyThread(WorldProxy(routes, limits=limits)) as running:
        got, body = status_and_body(exchange(running.proxy.port, request_bytes))
        assert got == status
        assert body["message"]
        [attempt] = running.records.attempts()
    assert (attempt.outcome, attempt.status) == (outcome, status)


def test_a_slow_head_is_answered_408_and_recorded() -> None:
    routes = Routes.from_mapping({"chatgpt.com:443": ("127.0.0.1", 9)})
    limits = ProxyLimits(head_timeout=0.2)
    with ProxyThread(WorldProxy(routes, limits=limits)) as running:
        # The head never ends: the proxy gives up, answers and closes (recv returns then).
        got, _ = status_and_body(
            exchange(running.proxy.port, b"CONNECT chatgpt.com:443 HTTP/1.1\r\n")
        )
        assert got == 408
        assert [a.outcome for a in running.records.attempts()] == ["timeout"]


def test_past_the_connection_cap_a_client_gets_503(stub: StubFake, trust: ssl.SSLContext) -> None:
    routes = Routes.from_mapping({"chatgpt.com:443": ("127.0.0.1", stub.port)})
    with (
        ProxyThread(WorldProxy(routes, limits=ProxyLimits(max_connections=1))) as running,
        httpx.Client(proxy=running.url, verify=trust, timeout=SAFETY) as client,
    ):
        assert client.get("https://chatgpt.com/hello").status_code == 200  # holds its tunnel
        got, _ = status_and_body(
            exchange(running.proxy.port, b"CONNECT chatgpt.com:443 HTTP/1.1\r\nHost: x\r\n\r\n")
        )
        assert got == 503
        assert [a.outcome for a in running.records.attempts()] == ["tunnelled", "busy"]


def test_a_fake_that_is_not_listening_gives_502(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    routes = Routes.from_mapping({"chatgpt.com:443": ("127.0.0.1", closed_port)})
    with ProxyThread(WorldProxy(routes, clock=lambda: 1234.5)) as running:
        got, body = status_and_body(
            exchange(running.proxy.port, b"CONNECT chatgpt.com:443 HTTP/1.1\r\nHost: x\r\n\r\n")
        )
        assert got == 502
        assert (
            body["message"]
            == f"the world's chatgpt.com:443 (127.0.0.1:{closed_port}) did not answer"
        )
        [attempt] = running.records.attempts()
    assert (attempt.outcome, attempt.at) == ("upstream_failed", 1234.5)


def test_clients_that_vanish_leave_no_noise_and_the_proxy_serves_on(
    stub: StubFake, trust: ssl.SSLContext, caplog: pytest.LogCaptureFixture
) -> None:
    routes = Routes.from_mapping({"chatgpt.com:443": ("127.0.0.1", stub.port)})
    with ProxyThread(WorldProxy(routes)) as running:
        port = running.proxy.port
        socket.create_connection(("127.0.0.1", port), timeout=SAFETY).close()
        with socket.create_connection(("127.0.0.1", port), timeout=SAFETY) as half:
            half.sendall(b"CONNECT chatgpt.com:443 HTTP/1.1\r\nHo")
        with socket.create_connection(("127.0.0.1", port), timeout=SAFETY) as reset:
            reset.sendall(b"CONNECT chatgpt.com:443 HTTP/1.1\r\nHost: x\r\n\r\n")
            assert reset.recv(100).startswith(b"HTTP/1.1 200 ")
            reset.sendall(b"\x16\x03\x01 not a whole ClientHello")
            reset.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with httpx.Client(proxy=running.url, verify=trust, timeout=SAFETY) as client:
            assert client.get("https://chatgpt.com/hello").status_code == 200
    assert [a.outcome for a in running.records.attempts()] == ["tunnelled", "tunnelled"]
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


# --- the proxy never dials anything but loopback ---------------------------------------------


@pytest.mark.parametrize(
    "host", ["10.0.0.1", "0.0.0.0", "8.8.8.8", "example.com", "localhost", "::"]
)
def test_a_route_to_anything_but_a_loopback_literal_is_refused(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Routes.from_mapping({"chatgpt.com:443": (host, 443)})


def test_routes_match_names_case_and_trailing_dot_insensitively() -> None:
    routes = Routes.from_mapping(
        {"Auth.OpenAI.com:443": ("127.0.0.2", 8443), "[::1]:8": ("::1", 9)}
    )
    assert routes.upstream_for(parse_authority("auth.openai.com.:443")) == Upstream(
        "127.0.0.2", 8443
    )
    assert routes.upstream_for(parse_authority("[0:0::1]:8")) == Upstream("::1", 9)
    assert routes.upstream_for(parse_authority("auth.openai.com:80")) is None
    with pytest.raises(ValueError, match=r"route 'chatgpt\.com'"):
        Routes.from_mapping({"chatgpt.com": ("127.0.0.1", 1)})


def test_only_the_mapped_loopback_upstream_is_ever_dialled() -> None:
    dialled: list[Upstream] = []

    async def recording_dial(upstream: Upstream) -> Streams:
        dialled.append(upstream)
        raise ConnectionRefusedError("recorded, not connected")

    routes = Routes.from_mapping({"chatgpt.com:443": ("127.0.0.1", 4443)})
    with ProxyThread(WorldProxy(routes, dial=recording_dial)) as running:
        for target in (b"chatgpt.com:443", b"evil.example:443", b"127.0.0.1:4443", b"[::1]:443"):
            exchange(running.proxy.port, b"CONNECT " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        exchange(running.proxy.port, b"GET http://chatgpt.com:443/ HTTP/1.1\r\nHost: x\r\n\r\n")
    assert dialled == [Upstream("127.0.0.1", 4443)]


def test_client_env_sends_public_names_through_the_proxy_and_loopback_direct() -> None:
    env = client_proxy_env("http://127.0.0.1:3128")
    assert env["HTTPS_PROXY"] == env["https_proxy"] == env["HTTP_PROXY"] == "http://127.0.0.1:3128"
    assert env["NO_PROXY"] == env["no_proxy"] == "127.0.0.1,localhost,::1"


# --- the CONNECT head parser (hypothesis) ----------------------------------------------------

_labels = st.from_regex(r"[a-z0-9_]([a-z0-9_-]{0,20}[a-z0-9_])?", fullmatch=True)
_names = st.lists(_labels, min_size=1, max_size=5).map(".".join)
_hosts = st.one_of(_names, st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str))
_ports = st.integers(1, 65535)


@given(_hosts, _ports)
def test_an_authority_survives_writing_and_parsing(host: str, port: int) -> None:
    authority = Authority(host, port)
    assert parse_authority(str(authority)) == authority
    assert parse_authority(str(authority).upper()) == authority  # names are case-insensitive


@given(st.text(max_size=300))
def test_any_target_text_parses_or_is_a_clear_bad_request(text: str) -> None:
    outcome = _parse_or_status(text)
    if isinstance(outcome, Authority):
        assert 1 <= outcome.port <= 65535
        assert parse_authority(str(outcome)) == outcome
    else:
        assert outcome == 400


def _parse_or_status(text: str) -> Authority | int:
    try:
        return parse_authority(text)
    except BadProxyRequest as exc:
        return exc.status


@given(_hosts, _ports, st.binary(max_size=64), st.data())
def test_a_connect_head_parses_the_same_however_it_is_split(
    host: str, port: int, tail: bytes, data: st.DataObject
) -> None:
    target = str(Authority(host, port)).encode()
    wire = b"CONNECT " + target + b" HTTP/1.1\r\nHost: " + target + b"\r\n\r\n" + tail
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=6)))
    parser = HeadParser(max_head_bytes=4096)
    request = None
    for start, end in zip([0, *cuts], [*cuts, len(wire)], strict=True):
        if end > start:  # an empty read is the client closing
            request = request or parser.feed(wire[start:end])
    assert request is not None
    assert request.method == "CONNECT"
    assert request.authority() == Authority(host, port)
    assert tail.startswith(request.leftover)


@given(st.lists(st.binary(min_size=1, max_size=200), max_size=8))
def test_any_bytes_give_a_request_a_4xx_or_a_goodbye(chunks: list[bytes]) -> None:
    assert _feed_all(HeadParser(max_head_bytes=512), [*chunks, b""]) in (
        "request",
        400,
        431,
        "gone",
    )


def _feed_all(parser: HeadParser, chunks: list[bytes]) -> str | int:
    try:
        for chunk in chunks:
            if parser.feed(chunk) is not None:
                return "request"
    except BadProxyRequest as exc:
        return exc.status
    except ClientGone:
        return "gone"
    return "incomplete"


# --- the CLI ---------------------------------------------------------------------------------


def test_the_cli_prints_one_ready_line_and_records_to_its_file(tmp_path: Path) -> None:
    records_file = tmp_path / "attempts.jsonl"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scenarios.lab.world_proxy_cli",
            "--route",
            "chatgpt.com:443=127.0.0.1:4443",
            "--records-file",
            str(records_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert ready["routes"] == {"chatgpt.com:443": "127.0.0.1:4443"}
        assert ready["proxy_url"] == f"http://127.0.0.1:{ready['port']}"
        status, _ = status_and_body(
            exchange(ready["port"], b"CONNECT ab.chatgpt.com:443 HTTP/1.1\r\nHost: x\r\n\r\n")
        )
        assert status == 403
    finally:
        proc.terminate()
        assert proc.wait(SAFETY) == 0
    [attempt] = read_records_file(records_file)
    assert isinstance(attempt, ProxyAttempt)
    assert (attempt.host, attempt.outcome) == ("ab.chatgpt.com", "refused")


def test_the_cli_names_a_bad_route_in_one_line() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scenarios.lab.world_proxy_cli",
            "--route",
            "chatgpt.com:443=example.com:443",
        ],
        capture_output=True,
        text=True,
        timeout=SAFETY,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "world-proxy: upstream 'example.com' must be a loopback IP literal such as 127.0.0.1 "
        "(a name would have to be resolved)"
    )


# --- the lab CA ------------------------------------------------------------------------------


def test_the_lab_ca_writes_private_files_and_a_leaf_for_every_world_name(tmp_path: Path) -> None:
    folder = tmp_path / "ca"
    ca = LabCa.open(folder)
    leaf = ca.issue()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in (ca.ca_cert, folder / "ca-key.pem", leaf.cert_chain, leaf.private_key):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    cert = x509.load_pem_x509_certificate(leaf.cert_chain.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = {str(n) for n in sans.get_values_for_type(x509.DNSName)}
    names |= {str(n) for n in sans.get_values_for_type(x509.IPAddress)}
    assert names == set(WORLD_HOSTNAMES)
    assert (
        ca.trust_env()["SSL_CERT_FILE"] == ca.trust_env()["CODEX_CA_CERTIFICATE"] == str(ca.ca_cert)
    )
    assert ca.trust_env()["NODE_EXTRA_CA_CERTS"] == str(ca.ca_cert)


def test_reopening_the_lab_ca_keeps_the_one_clients_already_trust(tmp_path: Path) -> None:
    first = LabCa.open(tmp_path / "ca")
    trusted = first.ca_cert.read_bytes()
    later_leaf = LabCa.open(tmp_path / "ca").issue("oauth", ("auth.openai.com",))
    assert first.ca_cert.read_bytes() == trusted
    context = ssl.create_default_context(cafile=str(first.ca_cert))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(str(later_leaf.cert_chain), str(later_leaf.private_key))
    client_side, server_side = socket.socketpair()
    with client_side, server_side:
        wrapped_server = server.wrap_socket(
            server_side, server_side=True, do_handshake_on_connect=False
        )
        handshake = threading.Thread(target=wrapped_server.do_handshake, daemon=True)
        handshake.start()
        with context.wrap_socket(client_side, server_hostname="auth.openai.com") as tls:
            assert tls.version() is not None
        handshake.join(SAFETY)
