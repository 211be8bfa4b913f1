"""A private CA (trustme) and a loopback server certificate, written where clients read them, or
the ones given from outside (a lab world's one CA)."""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trustme

from fake_oauth_server import tls as oauth_tls


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path  # what clients are pointed at
    cert_chain: Path
    private_key: Path  # 0600


def make_tls_files(directory: Path, hostnames: tuple[str, ...] = ()) -> TlsFiles:
    """Create a fresh CA and a certificate for 127.0.0.1, ::1 and localhost in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    ca = trustme.CA(organization_name="fake-codex-ws test CA")
    names = ("127.0.0.1", "::1", "localhost", *hostnames)
    cert = ca.issue_cert(*names)
    ca_path = directory / "ca.pem"
    chain_path = directory / "server-chain.pem"
    key_path = directory / "server-key.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    with open(chain_path, "wb") as f:
        for blob in cert.cert_chain_pems:
            f.write(blob.bytes())
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(cert.private_key_pem.bytes())
    return TlsFiles(ca_path, chain_path, key_path)


def given_tls_files(
    cert_chain: Path | None, private_key: Path | None, ca_cert: Path | None
) -> TlsFiles | None:
    """The chain, key and CA a backend was told to serve (all three or none), each checked."""
    given = oauth_tls.given_tls_files(cert_chain, private_key, ca_cert)
    return TlsFiles(given.ca_cert, given.cert_chain, given.private_key) if given else None


def without_session_tickets(
    _config: object, default: Callable[[], ssl.SSLContext]
) -> ssl.SSLContext:
    """uvicorn's server context (an `ssl_context_factory`), sending no TLS 1.3 session tickets.

    Tickets arrive just after the handshake, while a threaded client (websockets' sync client,
    the OpenAI SDK's sync WebSocket) reads them on one thread and writes its upgrade request on
    another: CPython's ssl does not make that safe, and now and then the request never reached
    the wire (the backend then closed the silent connection at its header deadline). No client
    of this fake resumes a session, so nothing is lost.
    """
    context = default()
    context.num_tickets = 0
    return context
