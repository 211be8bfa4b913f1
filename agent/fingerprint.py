"""Token fingerprints: how a token is named anywhere a human may read it (docs/contracts.md)."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see agent.cli)

if TYPE_CHECKING:
    from hashlib import sha256
else:
    # CPython's own SHA-256 first: `hashlib` loads OpenSSL's library, which would cost
    # `codex-agent status` a twentieth of its start. The digest is the same.
    try:
        if sys.version_info >= (3, 12):
            from _sha2 import sha256
        else:
            from _sha256 import sha256
    except ImportError:  # another interpreter
        from hashlib import sha256


def token_fingerprint(value: str) -> str:
    return "t_" + sha256(value.encode("utf-8")).hexdigest()[:12]
