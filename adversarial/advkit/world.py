"""A fake world of real processes: the OAuth server, the Codex backend and a logged-in agent home
with its gateway, all on loopback, the fakes over TLS."""

from __future__ import annotations

import secrets
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advkit.processes import ServerProcess, clean_env, cli, start_gateway, start_json_server
from agent.auth.manager import CredentialManager
from agent.auth.tokens import TokenSet
from agent.config import load_config
from fake_codex_ws.admin_client import AdminClient as BackendAdmin
from fake_oauth_server.admin_client import AdminClient as OAuthAdmin

API_KEY = "sk-adversarial-fallback-0123456789abcdef"
# The fakes' read deadlines here: short, so that a slow request is answered 408 in seconds (the
# defaults, 10 s and 30 s, would hold the slow cases that long). A well-behaved client sends a
# whole request in milliseconds.
FAKE_READ_TIMEOUT = 2.0
_FAKE_TIMEOUTS = ("--header-timeout", f"{FAKE_READ_TIMEOUT:g}",
                  "--body-timeout", f"{FAKE_READ_TIMEOUT:g}")  # fmt: skip


@dataclass
class OAuthProcess:
    server: ServerProcess
    issuer: str
    ca_cert: Path
    admin_token: str = field(repr=False)
    admin: OAuthAdmin = field(init=False)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints fixtures of a failing example: never their tokens."""
        printer.text(f"<{type(self).__name__}>")

    def __post_init__(self) -> None:
        self.admin = OAuthAdmin(self.issuer, self.admin_token, self.ca_cert)

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_cert))

    def login(self) -> TokenSet:
        """A fresh account and a logged-in token family, as after `codex-agent login`."""
        account = self.admin.create_account(email=f"{secrets.token_hex(4)}@example.com")
        minted = self.admin.mint_family(account["account_id"])
        return TokenSet(
            id_token=minted["id_token"],
            access_token=minted["access_token"],
            refresh_token=minted["refresh_token"],
            account_id=account["account_id"],
        )


@dataclass
class BackendProcess:
    server: ServerProcess
    url: str
    base_url: str
    api_base_url: str
    ws_url: str
    ca_cert: Path
    admin_token: str = field(repr=False)
    admin: BackendAdmin = field(init=False)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints fixtures of a failing example: never their tokens."""
        printer.text(f"<{type(self).__name__}>")

    def __post_init__(self) -> None:
        self.admin = BackendAdmin(self.url, self.admin_token, ca_cert=self.ca_cert)

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_cert))

    def turn_events(self, since: int = 0) -> list[dict[str, Any]]:
        """Events of any contact from an agent: a handshake, a WebSocket turn, an SSE or API-key
        request."""
        kinds = {"ws_turn", "sse_request", "apikey_request", "ws_handshake"}
        return [e for e in self.admin.events(since) if e.get("type") in kinds]

    def last_seq(self) -> int:
        events = self.admin.events(0)
        return max((int(e["seq"]) for e in events), default=0)


def start_oauth(workdir: Path, *extra: str) -> OAuthProcess:
    argv = [*cli("fake-oauth-server"), "--state-dir", str(workdir / "oauth-state"),
            *_FAKE_TIMEOUTS, *extra]  # fmt: skip
    server = start_json_server("fake-oauth-server", argv, workdir, clean_env())
    info = server.info
    return OAuthProcess(server, info["issuer"], Path(info["ca_cert"]), info["admin_token"])


def start_backend(workdir: Path, oauth: OAuthProcess, *extra: str) -> BackendProcess:
    argv = [
        *cli("fake-codex-ws"),
        "--state-dir", str(workdir / "backend-state"),
        "--oauth-issuer", oauth.issuer,
        "--ca-cert", str(oauth.ca_cert),
        "--api-key", API_KEY,
        *_FAKE_TIMEOUTS,
        *extra,
    ]  # fmt: skip
    # The OAuth admin token goes by environment, never on a command line `ps` shows.
    env = clean_env({"FAKE_CODEX_WS_OAUTH_ADMIN_TOKEN": oauth.admin_token})
    server = start_json_server("fake-codex-ws", argv, workdir, env)
    info = server.info
    return BackendProcess(
        server,
        url=info["url"],
        base_url=info["base_url"],
        api_base_url=info["api_base_url"],
        ws_url=info["ws_url"],
        ca_cert=Path(info["ca_cert"]),
        admin_token=info["admin_token"],
    )


@dataclass
class AgentHome:
    """An agent home pointed at the fakes; `env()` is what every `codex-agent` run gets."""

    root: Path
    oauth: OAuthProcess
    backend: BackendProcess
    ca_bundle: Path

    @property
    def home(self) -> Path:
        return self.root / ".codex-agent"

    def env(self, **extra: str) -> dict[str, str]:
        return clean_env(
            {
                "HOME": str(self.root),
                "CODEX_AGENT_HOME": str(self.home),
                "CODEX_HOME": str(self.root / "codex-home"),
                "CODEX_AGENT_ISSUER": self.oauth.issuer,
                "CODEX_AGENT_CODEX_BASE_URL": self.backend.base_url,
                "CODEX_AGENT_CA_BUNDLE": str(self.ca_bundle),
                **extra,
            }
        )

    def write_config(self, text: str | None = None) -> None:
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        (self.home / "config.toml").write_text(text if text is not None else GOOD_CONFIG)

    def log_in(self) -> TokenSet:
        tokens = self.oauth.login()
        with CredentialManager.from_config(load_config(self.env())) as manager:
            manager.save_new_login(tokens, method="device")
        return tokens


GOOD_CONFIG = (
    "[auth]\n"
    "login_timeout_seconds = 1\n"
    "http_timeout_seconds = 10\n"
    "lock_timeout_seconds = 10\n"
    "\n[model]\n"
    'provider = "openai-codex"\n'
    'name = "gpt-5.5"\n'
    'transport = "auto"\n'
    "max_retries = 0\n"
    "retry_delay_seconds = 0\n"
)


def agent_home(root: Path, oauth: OAuthProcess, backend: BackendProcess) -> AgentHome:
    root.mkdir(parents=True, exist_ok=True)
    bundle = root / "ca-bundle.pem"
    bundle.write_text(oauth.ca_cert.read_text() + "\n" + backend.ca_cert.read_text())
    return AgentHome(root, oauth, backend, bundle)


@dataclass
class World:
    oauth: OAuthProcess
    backend: BackendProcess
    agent: AgentHome
    gateway: ServerProcess

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway.info['port']}"

    def servers(self) -> list[ServerProcess]:
        return [self.oauth.server, self.backend.server, self.gateway]

    def stop(self) -> None:
        for server in (self.gateway, self.backend.server, self.oauth.server):
            server.stop()
        self.oauth.admin.close()
        self.backend.admin.close()


def start_world(workdir: Path) -> World:
    oauth = start_oauth(workdir / "oauth")
    backend = start_backend(workdir / "backend", oauth)
    home = agent_home(workdir / "user", oauth, backend)
    home.write_config()
    home.log_in()
    gateway = start_gateway(home.home, workdir / "gateway", home.env())
    return World(oauth, backend, home, gateway)
