"""Who may ask a local server: the `Host` it was reached by, the browser `Origin`, the token.

A web page the user visits can send requests to 127.0.0.1 (a "simple" POST needs no CORS
preflight), and with DNS rebinding it can read the answers too. So:

- On a loopback bind, `Host` must name this server: 127.0.0.1, localhost, [::1] or the bound
  address, with the bound port (a rebinding page sends its own name). Refused with 421.
- Any `Origin` (browsers send one on cross-origin and on all POST requests) must be one the
  user allowed; `Origin: null` (sandboxed frames, file: pages) is never allowed. Refused with 403.
- Off loopback a bearer token is required (the policy cannot be built without one); a browser
  never sends it by itself, which is also why `Host` is not checked there. Refused with 401.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus

from agent.local_http.refusal import Refusal

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})
_HOST_HEADER = re.compile(r"(\[[0-9a-fA-F:.]+\]|[^:\[\]\s]+)(?::([0-9]{1,5}))?")
_ORIGIN = re.compile(r"(https?)://([^/\s?#@]+)")


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, `localhost`)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def host_name(host: str) -> str:
    """The host as it appears in a URL or a `Host` header (IPv6 in brackets), lower case."""
    bare = host.strip("[]").lower()
    return f"[{bare}]" if ":" in bare else bare


def allowed_origin(value: str) -> str:
    """An allowed origin, normalised to `scheme://host[:port]`; ValueError if it is not one."""
    candidate = value.strip().rstrip("/").lower()
    if not _ORIGIN.fullmatch(candidate):
        raise ValueError(
            f"{value!r} is not an origin: use scheme://host[:port], such as http://localhost:3000"
            " (`*` and `null` are never allowed)"
        )
    return candidate


@dataclass(frozen=True)
class AccessPolicy:
    """The checks every request passes before it is routed (see the module docstring)."""

    bind_host: str
    allowed_origins: frozenset[str] = field(default_factory=frozenset)
    bearer_token: str | None = None
    realm: str = "codex-agent"

    def __post_init__(self) -> None:
        if self.bearer_token is None and not is_loopback(self.bind_host):
            raise ValueError(f"a bind on {self.bind_host} (not loopback) needs a bearer token")

    @classmethod
    def build(
        cls,
        bind_host: str,
        *,
        origins: Iterable[str] = (),
        bearer_token: str | None = None,
        realm: str = "codex-agent",
    ) -> AccessPolicy:
        return cls(bind_host, frozenset(allowed_origin(o) for o in origins), bearer_token, realm)

    @property
    def loopback(self) -> bool:
        return is_loopback(self.bind_host)

    def check(
        self,
        method: str,
        port: int,
        *,
        host: str | None,
        origin: str | None,
        authorization: str | None,
    ) -> None:
        """Raise the `Refusal` for the first check this request fails."""
        if self.loopback:
            self.check_host(host, port)
        self.check_origin(origin)
        if method != "OPTIONS":  # a CORS preflight never carries credentials
            self.check_bearer(authorization)

    def check_host(self, header: str | None, port: int) -> None:
        if header is None:
            raise Refusal(HTTPStatus.BAD_REQUEST, "missing_host", "a Host header is needed")
        match = _HOST_HEADER.fullmatch(header.strip())
        names = LOOPBACK_NAMES | {host_name(self.bind_host)}
        if match is not None:
            name, given_port = match.group(1).lower(), match.group(2)
            port_ok = int(given_port) == port if given_port is not None else port == 80
            if name in names and port_ok:
                return
        raise Refusal(
            HTTPStatus.MISDIRECTED_REQUEST,
            "foreign_host",
            f"this server answers only to {', '.join(sorted(names))} on port {port}; "
            "a page that rebinds its own name to this address is refused",
        )

    def check_origin(self, origin: str | None) -> None:
        if origin is None:
            return
        if origin.strip().rstrip("/").lower() in self.allowed_origins:
            return
        raise Refusal(
            HTTPStatus.FORBIDDEN,
            "origin_not_allowed",
            "requests from web pages are refused unless their origin is allowed "
            "(gateway run --allow-origin)",
        )

    def check_bearer(self, authorization: str | None) -> None:
        if self.bearer_token is None:
            return
        scheme, _, given = (authorization or "").strip().partition(" ")
        expected = self.bearer_token.encode("ascii")
        presented = given.strip().encode("latin-1", "replace")
        if scheme.lower() == "bearer" and hmac.compare_digest(presented, expected):
            return
        raise Refusal(
            HTTPStatus.UNAUTHORIZED,
            "unauthorized",
            "a valid `Authorization: Bearer <token>` header is needed",
            headers={"WWW-Authenticate": f'Bearer realm="{self.realm}"'},
        )

    def cors_headers(self, origin: str | None) -> dict[str, str]:
        """The CORS grant for an allowed origin (none for any other)."""
        if origin is None or origin.strip().rstrip("/").lower() not in self.allowed_origins:
            return {}
        return {"Access-Control-Allow-Origin": origin.strip(), "Vary": "Origin"}
