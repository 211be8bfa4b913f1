"""TLS material for the fake: a trustme CA (persisted in the state dir when there is one) and a
server certificate for the loopback names, or a certificate given from outside (a lab world's
one CA, whose leaf also names auth.openai.com and chatgpt.com). Clients are pointed at the CA's
PEM file."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    cert_chain: Path
    private_key: Path


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def make_tls_files(folder: Path, host: str) -> TlsFiles:
    """Reuse `ca.pem`/`ca-key.pem` found in `folder`, else make a new CA there."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    ca_path, ca_key_path = folder / "ca.pem", folder / "ca-key.pem"
    if ca_path.exists() and ca_key_path.exists():
        ca = trustme.CA.from_pem(ca_path.read_bytes(), ca_key_path.read_bytes())
    else:
        ca = trustme.CA(organization_name="fake-oauth-server")
        _write_private(ca_key_path, ca.private_key_pem.bytes())
        ca_path.write_bytes(ca.cert_pem.bytes())
    names = ["127.0.0.1", "localhost", "::1"]
    if host not in names:
        names.append(host)
    leaf = ca.issue_cert(*names)
    chain = folder / "server.pem"
    key = folder / "server-key.pem"
    chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    _write_private(key, leaf.private_key_pem.bytes())
    return TlsFiles(ca_path, chain, key)


# The flags naming a given TLS identity, in the order of `given_tls_files`'s arguments.
GIVEN_TLS_FLAGS = ("--tls-cert-chain", "--tls-key", "--tls-ca")


def given_tls_files(
    cert_chain: Path | None, private_key: Path | None, ca_cert: Path | None
) -> TlsFiles | None:
    """The certificate chain, key and CA a server was told to use (all three, or none: a chain
    without its CA would leave clients nothing to trust). Each is loaded here, so a wrong file is
    a ValueError naming its flag at start-up instead of a TLS error on the first connection."""
    given = (cert_chain, private_key, ca_cert)
    if all(path is None for path in given):
        return None
    if cert_chain is None or private_key is None or ca_cert is None:
        missing = [flag for flag, path in zip(GIVEN_TLS_FLAGS, given, strict=True) if not path]
        raise ValueError(f"{', '.join(GIVEN_TLS_FLAGS)} go together; missing: {', '.join(missing)}")
    for flag, path in zip(GIVEN_TLS_FLAGS, (cert_chain, private_key, ca_cert), strict=True):
        if not path.is_file():
            raise ValueError(f"{flag} {path}: no such file")
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert_chain, private_key)
    except (ssl.SSLError, OSError) as exc:
        raise ValueError(
            f"--tls-cert-chain {cert_chain} with --tls-key {private_key}: "
            f"not a certificate chain and its private key ({exc})"
        ) from None
    try:
        ssl.create_default_context(cafile=str(ca_cert))
    except (ssl.SSLError, OSError) as exc:
        raise ValueError(f"--tls-ca {ca_cert}: not a PEM CA certificate ({exc})") from None
    return TlsFiles(ca_cert, cert_chain, private_key)
