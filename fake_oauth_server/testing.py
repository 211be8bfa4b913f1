"""In-process use: `with running_oauth_server(OAuthServerOptions(...)) as srv:`."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from fake_oauth_server.admin_client import AdminClient, tls_context
from fake_oauth_server.authority import Authority
from fake_oauth_server.options import OAuthServerOptions
from fake_oauth_server.server import OAuthServer

__all__ = [
    "OAuthServerOptions",
    "RunningOAuthServer",
    "answer_to_partial_request",
    "running_oauth_server",
]


class RunningOAuthServer:
    def __init__(self, server: OAuthServer) -> None:
        self.server = server
        self.issuer: str = server.issuer
        self.ca_cert: Path | None = server.ca_cert
        self.admin_token: str = server.admin_token
        self.authority: Authority = server.authority
        self.admin = AdminClient(self.issuer, self.admin_token, self.ca_cert)

    def url(self, path: str) -> str:
        return self.issuer + path

    def verify(self) -> ssl.SSLContext | bool:
        """`verify=` for an httpx client of this server."""
        return tls_context(self.ca_cert)

    def client(self, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("timeout", 30.0)
        return httpx.Client(base_url=self.issuer, verify=self.verify(), **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        kwargs.setdefault("timeout", 30.0)
        return httpx.AsyncClient(base_url=self.issuer, verify=self.verify(), **kwargs)


@contextlib.contextmanager
def running_oauth_server(options: OAuthServerOptions | None = None) -> Iterator[RunningOAuthServer]:
    server = OAuthServer(options or OAuthServerOptions())
    server.start_in_thread()
    running = RunningOAuthServer(server)
    try:
        yield running
    finally:
        running.admin.close()
        server.stop()


def answer_to_partial_request(address: tuple[str, int], sent: bytes) -> tuple[int, Any]:
    """The status and JSON body a fake answers a request that stops after `sent` (the socket
    stays open until the server closes it): how a read deadline is seen from outside."""
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(sent)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)
