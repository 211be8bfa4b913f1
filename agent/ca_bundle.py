"""The extra CA bundle (`CODEX_AGENT_CA_BUNDLE` / `ca_bundle`), read before any network call.

`load_config` only checks that the file exists (so `status` stays fast and read-only); every
client (`login`, `refresh`, `ask`, `chat`, `gateway run`) reads it here, and a file that is not
a PEM bundle of certificates is a `ConfigError` naming the file and what is wrong with it, never
an `ssl.SSLError` from the first request.
"""

from __future__ import annotations

import re
import ssl

from agent.config import AgentConfig
from agent.errors import ConfigError

# Public CA bundles are ~200 KiB; a file far past that is not one (a disk image, /dev/zero).
MAX_CA_BUNDLE_BYTES = 16 * 1024 * 1024
_CERTIFICATE = re.compile(rb"-----BEGIN [A-Z0-9 ]*CERTIFICATE-----")
_PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")


def add_ca_bundle(context: ssl.SSLContext, config: AgentConfig) -> None:
    """Trust the certificates of the configured bundle too (an extra CA, not a swap)."""
    if config.ca_bundle is None:
        return
    path = config.ca_bundle
    origin = config.ca_bundle_origin

    def refuse(problem: str) -> ConfigError:
        return ConfigError(origin.source, origin.key, f"CA bundle {path} {problem}")

    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CA_BUNDLE_BYTES + 1)
    except IsADirectoryError:
        raise refuse("is a directory; name a PEM file of CA certificates") from None
    except OSError as exc:
        raise refuse(f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_CA_BUNDLE_BYTES:
        raise refuse(f"is larger than {MAX_CA_BUNDLE_BYTES // 2**20} MiB: not a CA bundle")
    if not raw.strip():
        raise refuse("is empty; it must hold PEM CA certificates (-----BEGIN CERTIFICATE-----)")
    if not _CERTIFICATE.search(raw):
        if _PRIVATE_KEY.search(raw):
            raise refuse(
                "holds a private key but no certificate; name the CA's certificate (PEM), "
                "and keep private keys out of the agent's settings"
            )
        raise refuse("holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    try:
        # From the file, as OpenSSL reads it: comments, CRLs and TRUSTED CERTIFICATE blocks.
        context.load_verify_locations(cafile=str(path))
    except (ssl.SSLError, ValueError) as exc:  # before OSError: SSLError is one
        reason = getattr(exc, "reason", None) or "unreadable certificate data"
        raise refuse(f"holds a certificate that cannot be read ({reason})") from None
    except OSError as exc:
        raise refuse(f"cannot be read: {exc.strerror or exc}") from None
