"""One CA for a whole world: every fake serves a leaf it issued, for the public names the real
clients use (`auth.openai.com`, `chatgpt.com`) and the loopback ones, so a client trusts the
world through one PEM file (`SSL_CERT_FILE`, `CODEX_CA_CERTIFICATE`, `NODE_EXTRA_CA_CERTS`)
instead of a bundle concatenated from each fake's own CA."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import trustme

WORLD_HOSTNAMES: tuple[str, ...] = (
    "auth.openai.com",
    "chatgpt.com",
    "127.0.0.1",
    "localhost",
    "::1",
)
# The variables by which the real clients (and the agent) are told to trust a CA file.
TRUST_VARIABLES: tuple[str, ...] = (
    "SSL_CERT_FILE",  # OpenSSL, Python ssl/httpx, Hermes, the Codex CLI
    "CODEX_CA_CERTIFICATE",  # the Codex CLI
    "NODE_EXTRA_CA_CERTS",  # Node clients (OpenClaw)
    "HERMES_CA_BUNDLE",  # Hermes Agent
    "REQUESTS_CA_BUNDLE",  # anything on requests
)


@dataclass(frozen=True)
class LeafFiles:
    """What a server is started with: its certificate chain and its key (both PEM, 0600)."""

    cert_chain: Path
    private_key: Path


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


class LabCa:
    """A trustme CA kept in a 0700 folder: `ca.pem` for clients, `ca-key.pem` to issue more."""

    def __init__(self, folder: Path, ca: trustme.CA) -> None:
        self.folder = folder
        self._ca = ca

    @property
    def ca_cert(self) -> Path:
        """The one file clients trust."""
        return self.folder / "ca.pem"

    @classmethod
    def open(cls, folder: Path) -> LabCa:
        """The CA already in `folder`, else a new one written there."""
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
        cert, key = folder / "ca.pem", folder / "ca-key.pem"
        if cert.is_file() and key.is_file():
            return cls(folder, trustme.CA.from_pem(cert.read_bytes(), key.read_bytes()))
        ca = trustme.CA(organization_name="codex-auth-harness lab world")
        _write_private(key, ca.private_key_pem.bytes())
        _write_private(cert, ca.cert_pem.bytes())
        return cls(folder, ca)

    def issue(
        self, name: str = "server", hostnames: tuple[str, ...] = WORLD_HOSTNAMES
    ) -> LeafFiles:
        """A leaf for `hostnames` written as `<name>-chain.pem` and `<name>-key.pem`."""
        if not hostnames:
            raise ValueError("a leaf certificate needs at least one hostname")
        if not name.replace("-", "").isalnum():
            raise ValueError(f"leaf name {name!r}: letters, digits and '-' only")
        leaf = self._ca.issue_cert(*hostnames)
        chain = self.folder / f"{name}-chain.pem"
        key = self.folder / f"{name}-key.pem"
        _write_private(chain, b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        _write_private(key, leaf.private_key_pem.bytes())
        return LeafFiles(chain, key)

    def trust_env(self) -> dict[str, str]:
        """Every variable a client reads for its CA file, pointed at this CA."""
        return dict.fromkeys(TRUST_VARIABLES, str(self.ca_cert))
