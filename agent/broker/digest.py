"""How the broker recognises a refresh token it has seen: the full SHA-256 of the token.

Not the 12-hex fingerprint (`agent.fingerprint`) that logs and `status` show: a fingerprint is
48 bits, printed where others can read it, and a token that merely matched one could be
computed offline. Matching a whole digest needs the token itself. A digest of a high-entropy
token reveals nothing usable, so it may rest on disk next to the fingerprint.
"""

from __future__ import annotations

import hashlib
import hmac


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))
