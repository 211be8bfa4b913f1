"""Run-time knobs of the authority (changeable through the admin API)."""

from __future__ import annotations

import urllib.parse
from dataclasses import asdict, dataclass, fields
from typing import Any

from fake_oauth_server.ranges import MAX_SECONDS, integer, number

# Lifetimes and waits, in seconds: within these, now + any of them stays a finite epoch.
SECONDS: dict[str, tuple[float, float]] = {
    "access_ttl": (0.0, MAX_SECONDS),
    "id_ttl": (0.0, MAX_SECONDS),
    "refresh_ttl": (0.0, MAX_SECONDS),
    "auth_code_ttl": (0.0, MAX_SECONDS),
    "device_code_ttl": (0.0, MAX_SECONDS),
    "pause_timeout": (0.0, 86_400.0),
}
INTEGERS: dict[str, tuple[int, int]] = {
    "reuse_status": (400, 499),  # a 4xx status
    "device_interval": (0, 3600),  # seconds between device polls (sent as a string)
}


@dataclass
class Settings:
    access_ttl: float = 3600.0
    id_ttl: float = 3600.0
    refresh_ttl: float | None = None  # None: refresh tokens never expire on their own
    reuse_status: int = 400  # HTTP status of refresh_token_* errors (older reports: 401)
    revoke_access_on_rotation: bool = False
    auth_code_ttl: float = 600.0
    device_code_ttl: float = 900.0
    device_interval: int = 5
    user_code_field: str = "user_code"  # some builds answer "usercode"
    pause_timeout: float = 120.0  # a forgotten pause lets its request go after this long
    # Known bugs of real servers, off unless asked for:
    non_atomic_rotation: bool = False  # Hydra #3604: concurrent presenters all rotate
    second_resolution_timestamps: bool = False  # Keycloak #50999: same-second replay accepted
    # The issuer this server plays (e.g. https://auth.openai.com) while it listens on loopback:
    # the issuer it advertises, its JWT `iss` and its device-code redirect_uri. None: its own URL.
    public_issuer: str | None = None

    def update(self, changes: dict[str, Any]) -> None:
        """Apply every change or none: each value is checked against its range first."""
        known = {f.name for f in fields(self)}
        staged: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"unknown setting {key!r}; known: {', '.join(sorted(known))}")
            staged[key] = _checked(key, value, getattr(self, key))
        for key, value in staged.items():
            setattr(self, key, value)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def public_issuer(value: Any) -> str | None:
    """An https origin (scheme, host, optional port; no path, query or user), or None."""
    if value is None:
        return None
    problem = "public_issuer must be an https origin such as https://auth.openai.com"
    if not isinstance(value, str):
        raise ValueError(problem)
    try:
        parts = urllib.parse.urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError(problem) from None
    if (
        parts.scheme != "https"
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
        or parts.password is not None
        or any(c.isspace() or ord(c) < 0x21 or ord(c) > 0x7E for c in value)
    ):
        raise ValueError(problem)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"https://{host}" + (f":{port}" if port is not None else "")


def _checked(key: str, value: Any, current: Any) -> Any:
    if key == "public_issuer":
        return public_issuer(value)
    if key == "user_code_field":
        if value not in ("user_code", "usercode"):
            raise ValueError("user_code_field must be user_code or usercode")
        return value
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ValueError(f"setting {key!r} must be true or false")
        return value
    if key in INTEGERS:
        return integer(value, key, *INTEGERS[key])
    if key == "refresh_ttl" and value is None:
        return None
    return number(value, key, *SECONDS[key])
