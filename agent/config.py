"""Where the agent lives and what it talks to: the home folder, env overrides and config.toml.

Precedence: environment variable > `<home>/config.toml` > built-in default. The defaults are the
real service (auth.openai.com, chatgpt.com), so an empty configuration works against real Codex.

`config.toml` (every key optional):

    issuer = "https://auth.openai.com"                       # CODEX_AGENT_ISSUER
    codex_base_url = "https://chatgpt.com/backend-api/codex" # CODEX_AGENT_CODEX_BASE_URL
    ca_bundle = "/path/extra-ca.pem"                         # CODEX_AGENT_CA_BUNDLE
    codex_home = "~/.codex"                                  # CODEX_HOME
    broker_url = "http://127.0.0.1:8788"                     # CODEX_AGENT_BROKER_URL

    [auth]
    client_id = "app_EMoamEEZ73f0CkXaXp7hrann"
    originator = "codex_cli_rs"
    refresh_skew_seconds = 300      # refresh when the access token expires within this
    lock_timeout_seconds = 90
    http_timeout_seconds = 30
    callback_port = 1455            # CODEX_AGENT_CALLBACK_PORT; 0 = any free port
    login_timeout_seconds = 900

Every number has a range where it means something (`AUTH_SECONDS_RANGES`, ports 0-65535) and
`originator` is sent as an HTTP header, so it must be visible ASCII; anything else is refused
here rather than failing inside a request. The CA bundle is only checked to be a file here
(`status` stays fast and read-only); its certificates are read when a client is built
(`agent.ca_bundle`).

Tables reserved for the turn engine (`[model]`, `[[fallback_providers]]`) are kept as parsed in
`AgentConfig.sections` without being checked here; the module that owns them validates them and
raises `ConfigError(source, key, problem)` like this one. Any other unknown key is an error, so a
typo never silently falls back to a default.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from agent.config_values import header_value, key_name, number, path_text, text, url, whole_number
from agent.errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see agent.cli)
if TYPE_CHECKING:
    from typing import Any

CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
DEFAULT_ISSUER = "https://auth.openai.com"
DEFAULT_CODEX_BASE_URL = "https://chatgpt.com/backend-api/codex"
DEFAULT_CALLBACK_PORT = 1455
FALLBACK_CALLBACK_PORT = 1457

# Sections another module of the agent owns; parsed here only as TOML.
RESERVED_SECTIONS: frozenset[str] = frozenset({"model", "fallback_providers"})

_TOP_LEVEL_KEYS = {"issuer", "codex_base_url", "ca_bundle", "codex_home", "broker_url", "auth"}
_AUTH_KEYS = {
    "client_id",
    "originator",
    "refresh_skew_seconds",
    "lock_timeout_seconds",
    "http_timeout_seconds",
    "callback_port",
    "login_timeout_seconds",
}
# [auth] durations: (lowest, highest) in seconds. A skew beyond a day would refresh at every
# call; anything past these is a typo, and past ~1e9 it overflows the waits that use it.
AUTH_SECONDS_RANGES: dict[str, tuple[float, float]] = {
    "refresh_skew_seconds": (0.0, 86400.0),
    "lock_timeout_seconds": (0.1, 3600.0),
    "http_timeout_seconds": (0.1, 600.0),
    "login_timeout_seconds": (1.0, 86400.0),
}
# config.toml is a few lines; anything larger is not one (a device, a log written by mistake).
MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SettingOrigin:
    """Where a setting came from, for errors found after load (the CA bundle's contents)."""

    source: str = "the configuration"
    key: str = "ca_bundle"


@dataclass(frozen=True)
class AgentConfig:
    home: Path
    issuer: str = DEFAULT_ISSUER
    codex_base_url: str = DEFAULT_CODEX_BASE_URL
    ca_bundle: Path | None = None
    ca_bundle_origin: SettingOrigin = field(default_factory=SettingOrigin)
    codex_home: Path = field(default_factory=lambda: Path.home() / ".codex")
    client_id: str = CODEX_CLIENT_ID
    originator: str = "codex_cli_rs"
    refresh_skew_seconds: float = 300.0
    lock_timeout_seconds: float = 90.0
    http_timeout_seconds: float = 30.0
    callback_port: int = DEFAULT_CALLBACK_PORT
    login_timeout_seconds: float = 900.0
    # Refresh and revoke through this refresh broker (`codex-agent broker run`); None: through
    # the broker running for this home if there is one, else the issuer.
    broker_url: str | None = None
    sections: Mapping[str, Any] = field(default_factory=dict)

    @property
    def auth_path(self) -> Path:
        return self.home / "auth.json"

    @property
    def config_path(self) -> Path:
        return self.home / "config.toml"

    @property
    def codex_cli_auth_path(self) -> Path:
        return self.codex_home / "auth.json"


def _is_loopback(host: str) -> bool:
    from agent.local_http.access import is_loopback  # only when a broker is configured

    return is_loopback(host)


def load_config(env: Mapping[str, str] | None = None) -> AgentConfig:
    """Build the configuration from `env` (default `os.environ`) and `<home>/config.toml`.

    Reads only; never creates the home (so `status` stays read-only).
    """
    env = os.environ if env is None else env
    home = _expand(
        env.get("CODEX_AGENT_HOME") or "~/.codex-agent",
        env,
        SettingOrigin("environment variable CODEX_AGENT_HOME", "CODEX_AGENT_HOME"),
    )
    config_path = home / "config.toml"
    doc = _read_toml(config_path)
    source = str(config_path)

    unknown = set(doc) - _TOP_LEVEL_KEYS - RESERVED_SECTIONS
    if unknown:
        key = key_name(sorted(unknown)[0])
        raise ConfigError(source, key, f"unknown key (known: {', '.join(sorted(_TOP_LEVEL_KEYS))})")
    auth = doc.get("auth", {})
    if not isinstance(auth, dict):
        raise ConfigError(source, "auth", "must be a table ([auth])")
    unknown_auth = set(auth) - _AUTH_KEYS
    if unknown_auth:
        key = key_name(sorted(unknown_auth)[0])
        raise ConfigError(
            source, f"auth.{key}", f"unknown key (known: {', '.join(sorted(_AUTH_KEYS))})"
        )

    def setting(
        env_name: str | None, key: str, table: Mapping[str, Any], prefix: str = ""
    ) -> tuple[Any, str, str]:
        if env_name and env.get(env_name):
            return env[env_name], env_name, f"environment variable {env_name}"
        if key in table:
            return table[key], f"{prefix}{key}", source
        return None, key, ""

    value, name, src = setting("CODEX_AGENT_ISSUER", "issuer", doc)
    issuer = url(value, name, src) if value is not None else DEFAULT_ISSUER
    value, name, src = setting("CODEX_AGENT_CODEX_BASE_URL", "codex_base_url", doc)
    base = url(value, name, src) if value is not None else DEFAULT_CODEX_BASE_URL
    ca_value, ca_key, ca_src = setting("CODEX_AGENT_CA_BUNDLE", "ca_bundle", doc)
    ca_bundle = None
    ca_origin = SettingOrigin(ca_src, ca_key)
    if ca_value is not None:
        ca_bundle = _expand(path_text(ca_value, ca_key, ca_src), env, ca_origin)
        _check_ca_bundle_is_a_file(ca_bundle, ca_origin)
    value, name, src = setting("CODEX_AGENT_BROKER_URL", "broker_url", doc)
    broker_url = url(value, name, src) if value is not None else None
    if broker_url is not None and not _is_loopback(urlsplit(broker_url).hostname or ""):
        raise ConfigError(
            src,
            name,
            "must be a loopback URL (127.0.0.1, ::1 or localhost): refresh tokens never "
            "travel to a broker on another machine",
        )
    ch_value, ch_key, ch_src = setting("CODEX_HOME", "codex_home", doc)
    codex_home = _expand(
        path_text(ch_value, ch_key, ch_src) if ch_value is not None else "~/.codex",
        env,
        SettingOrigin(ch_src, ch_key),
    )

    def auth_setting(key: str, env_name: str | None = None) -> tuple[Any, str, str]:
        return setting(env_name, key, auth, "auth.")

    kwargs: dict[str, Any] = {}
    value, name, src = auth_setting("client_id")
    if value is not None:
        kwargs["client_id"] = text(value, name, src)
    value, name, src = auth_setting("originator")
    if value is not None:
        kwargs["originator"] = header_value(value, name, src)
    for key, (low, high) in AUTH_SECONDS_RANGES.items():
        value, name, src = auth_setting(key)
        if value is not None:
            kwargs[key] = number(value, name, src, low, high, " seconds")
    value, name, src = auth_setting("callback_port", "CODEX_AGENT_CALLBACK_PORT")
    if value is not None:
        kwargs["callback_port"] = whole_number(
            value, name, src, 0, 65535, "a port number from 0 (any free port) to 65535"
        )

    return AgentConfig(
        home=home,
        issuer=issuer,
        codex_base_url=base,
        ca_bundle=ca_bundle,
        ca_bundle_origin=ca_origin,
        codex_home=codex_home,
        broker_url=broker_url,
        sections={k: v for k, v in doc.items() if k in RESERVED_SECTIONS},
        **kwargs,
    )


def _expand(value: str, env: Mapping[str, str], origin: SettingOrigin) -> Path:
    if (value == "~" or value.startswith(("~/", "~" + os.sep))) and env.get("HOME"):
        value = env["HOME"] + value[1:]
    try:
        return Path(value).expanduser()
    except RuntimeError:  # `~someone` for a user this system does not know
        raise ConfigError(
            origin.source, origin.key, f"names the home of an unknown user: {value!r}"
        ) from None


def _check_ca_bundle_is_a_file(path: Path, origin: SettingOrigin) -> None:
    """The cheap part of the CA check (one stat); `agent.ca_bundle` reads it before any call."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(origin.source, origin.key, f"CA bundle {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(
            origin.source, origin.key, f"CA bundle {path} cannot be read: {exc.strerror or exc}"
        ) from None
    if stat.S_ISDIR(mode):
        raise ConfigError(
            origin.source,
            origin.key,
            f"CA bundle {path} is a directory; name a PEM file of CA certificates",
        )
    if not stat.S_ISREG(mode):
        raise ConfigError(
            origin.source,
            origin.key,
            f"CA bundle {path} is not a regular file; name a PEM file of CA certificates",
        )


def _read_toml(path: Path) -> dict[str, Any]:
    source = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(source, "(file)", f"cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(source, "(file)", "is a directory, not a TOML file")
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(source, "(file)", "is not a regular file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(source, "(file)", f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            source, "(file)", f"is larger than {MAX_CONFIG_BYTES // 1024} KiB: not a config file"
        )
    import tomllib  # only when there is a config file: most starts have none

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(source, "(file)", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "(file)", f"is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(source, "(file)", "nests arrays or tables too deeply") from None
    except ValueError:  # an integer thousands of digits long
        raise ConfigError(source, "(file)", "holds a number too long to read") from None
