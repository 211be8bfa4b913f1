"""The world a scenario runs in: one fake OAuth server and one fake Codex backend.

A world serves many scenarios; each scenario isolates itself in accounts of its own. Three
backends: `inprocess` (both fakes on threads of this process: the fast inner loop), `process`
(each fake a real process on loopback over TLS: the default) and `docker` (each in a container).
The lab talks to every backend through this one interface.

Every world is hostname-faithful (`hostname_world`): one lab CA whose leaf both fakes serve, and
a proxy answering `auth.openai.com` and `chatgpt.com` with them, for unmodified clients.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_codex_ws.admin_client import AdminClient as BackendAdmin
from fake_oauth_server.admin_client import AdminClient as OAuthAdmin
from scenarios.lab.broker_process import AgentServer, HostAgentServer
from scenarios.lab.hostname_world import (
    PROXY_RECORDS,
    WorldTls,
    describe_refusals,
    proxy_argv,
    proxy_attempts,
    public_routes,
    real_client_env,
)
from scenarios.lab.launch import Completed, HostProcess, Running, run_on_host, write_secret
from scenarios.lab.proxy_records import ProxyAttempt, ProxyRecords
from scenarios.lab.proxy_routes import Routes
from scenarios.lab.proxy_thread import ProxyThread
from scenarios.lab.ready_line import start_server, stop_servers
from scenarios.lab.sibling_process import SiblingChannel, SiblingProcess, SiblingSpec
from scenarios.lab.world_proxy import WorldProxy

# The device-code poll interval the fake announces: the real server's 5 s would make every
# scenario login wait; the agent honours whatever the server says.
DEVICE_POLL_SECONDS = 1


@dataclass(frozen=True)
class Endpoints:
    issuer: str
    base_url: str  # …/backend-api/codex
    api_base_url: str  # …/v1
    ca_bundle: Path | None  # the world's one lab CA, which issued both fakes' leaf
    fallback_api_key: str  # a key the API-key backend accepts (for fallback providers)
    proxy_url: str | None = None  # the world's proxy for auth.openai.com and chatgpt.com

    def client_env(self) -> dict[str, str]:
        """What an unmodified client (Codex CLI, Hermes) needs to reach the world by its public
        names: the proxy and the lab CA. Empty for a world without them."""
        if self.proxy_url is None or self.ca_bundle is None:
            return {}
        return real_client_env(self.proxy_url, self.ca_bundle)


class World(ABC):
    """Running fakes plus the means to start actors next to them."""

    name: str
    endpoints: Endpoints
    oauth: OAuthAdmin
    backend: BackendAdmin

    def __init__(self, workdir: Path, *, frozen: bool = False) -> None:
        self.workdir = workdir
        self.frozen = frozen  # the servers' clock stands still unless advanced
        workdir.mkdir(parents=True, exist_ok=True)

    def share(self, folder: Path) -> None:
        """`folder` holds files the actors need (homes, the clock file); a world whose actors
        run elsewhere makes it visible to them at the same path. Host processes see it."""
        return

    @abstractmethod
    def issued_token_values(self) -> set[str]:
        """Every token value the fake OAuth server issued (for the leak audit only)."""

    def logs(self) -> dict[str, str]:
        """Server logs, by name, for the report and the leak audit; what the world's proxy
        refused is one of them."""
        logs = {
            path.name: path.read_text(encoding="utf-8", errors="replace")
            for path in sorted(self.workdir.glob("*.log"))
        }
        if refused := describe_refusals(self.proxy_attempts()):
            logs["world-proxy refusals"] = "\n".join(refused) + "\n"
        return logs

    def proxy_attempts(self) -> list[ProxyAttempt]:
        """Every connection a client made through the world's proxy, tunnelled or refused."""
        return proxy_attempts(self.workdir)

    def proxy_refusals(self) -> list[ProxyAttempt]:
        """What the world refused to reach: names outside it, plain HTTP, bad requests."""
        return [a for a in self.proxy_attempts() if a.outcome != "tunnelled"]

    # -- actors: host processes unless a world puts them elsewhere -------------------------
    def run_agent(
        self, args: list[str], *, env: Mapping[str, str], stdin: str, timeout: float
    ) -> Completed:
        """One `codex-agent` command to its end."""
        return run_on_host(args, env, stdin, timeout)

    def spawn_agent(self, args: list[str], *, env: Mapping[str, str]) -> Running:
        """A `codex-agent` command the lab talks to while it runs (a device login)."""
        return HostProcess(args, env)

    def start_sibling(self, kind: str, spec: SiblingSpec) -> SiblingChannel:
        return SiblingProcess(kind, spec)

    def start_agent_server(
        self, args: list[str], *, env: Mapping[str, str], log_path: Path
    ) -> tuple[AgentServer, dict[str, Any]]:
        """A `codex-agent` server (`broker run`) up to the JSON line it prints when ready."""
        return HostAgentServer.start(args, env, log_path)

    def advance_clock(self, seconds: float) -> float:
        now = self.oauth.advance_clock(seconds)
        self.backend.set_clock(now)
        return now

    def now(self) -> float:
        return self.oauth.clock()

    def close_admin_clients(self) -> None:
        """Close the lab's kept-open connections to the fakes before they stop: a fake waits
        for open connections up to its graceful-shutdown limit (3 s) before it exits."""
        for client in (getattr(self, "oauth", None), getattr(self, "backend", None)):
            if client is not None:
                client.close()

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_ca_bundle(path: Path, *pems: Path | None) -> Path | None:
    parts = [p.read_text(encoding="ascii") for p in pems if p is not None]
    if not parts:
        return None
    path.write_text("".join(part if part.endswith("\n") else part + "\n" for part in parts))
    return path


class InProcessWorld(World):
    """Both fakes on background threads of this process (fast; no process boundaries)."""

    name = "inprocess"

    def __init__(self, workdir: Path, **options: Any) -> None:
        opts = WorldOptions(**options)
        super().__init__(workdir, frozen=opts.frozen)
        from fake_codex_ws.testing import running_codex_backend
        from fake_oauth_server.testing import OAuthServerOptions, running_oauth_server

        self._stack = contextlib.ExitStack()
        key = "sk-fallback-" + secrets.token_hex(8)
        tls = WorldTls.create(workdir)
        try:
            self._oauth_server = self._stack.enter_context(
                running_oauth_server(
                    OAuthServerOptions(
                        seed=opts.seed,
                        clock_start=opts.clock_start,
                        clock_frozen=opts.frozen,
                        port=opts.oauth_port,
                        auto_approve=opts.auto_approve,
                        cert_chain=tls.leaf.cert_chain,
                        private_key=tls.leaf.private_key,
                        ca_cert=tls.ca_cert,
                    )
                )
            )
            self._backend = self._stack.enter_context(
                running_codex_backend(
                    oauth=self._oauth_server,
                    api_keys=[key],
                    cert_chain=tls.leaf.cert_chain,
                    private_key=tls.leaf.private_key,
                    ca_cert=tls.ca_cert,
                )
            )
            routes = public_routes(self._oauth_server.issuer, self._backend.url)
            self._proxy = self._stack.enter_context(
                ProxyThread(
                    WorldProxy(
                        Routes.from_mapping(routes), records=ProxyRecords(workdir / PROXY_RECORDS)
                    )
                )
            )
        except BaseException:
            self._stack.close()
            raise
        self.endpoints = Endpoints(
            issuer=self._oauth_server.issuer,
            base_url=self._backend.base_url,
            api_base_url=self._backend.api_base_url,
            ca_bundle=tls.ca_cert,
            fallback_api_key=key,
            proxy_url=self._proxy.url,
        )
        self.oauth = self._oauth_server.admin
        self.backend = self._backend.admin
        self.oauth.update_settings(**opts.oauth_settings())

    def advance_clock(self, seconds: float) -> float:
        # In one process the backend reads the OAuth server's clock directly.
        return self.oauth.advance_clock(seconds)

    def issued_token_values(self) -> set[str]:
        return set(self._oauth_server.authority.ledger.tokens)

    def close(self) -> None:
        self._stack.close()


@dataclass(frozen=True)
class WorldOptions:
    seed: int | None = None
    clock_start: float | None = None  # epoch the servers' clock starts at
    frozen: bool = False  # the clock moves only when advanced
    oauth_port: int = 0  # a fixed port serves the same issuer URL (it is inside every token)
    auto_approve: bool = False  # device codes approved at once (`codex-harness up`)
    # The issuer the OAuth fake plays (advertised, JWT `iss`, device redirect_uri): a world
    # answering auth.openai.com plays it for clients that hard-code it (`codex-harness up`).
    public_issuer: str | None = None

    def oauth_settings(self) -> dict[str, Any]:
        """The OAuth fake's admin settings a world sets once it runs."""
        settings: dict[str, Any] = {"device_interval": DEVICE_POLL_SECONDS}
        if self.public_issuer is not None:
            settings["public_issuer"] = self.public_issuer
        return settings

    def oauth_argv(self, python: str, state_dir: Path) -> list[str]:
        argv = [python, "-m", "fake_oauth_server", "--state-dir", str(state_dir)]
        argv += ["--port", str(self.oauth_port)]
        if self.seed is not None:
            argv += ["--seed", str(self.seed)]
        if self.clock_start is not None:
            argv += ["--clock-start", repr(self.clock_start)]
        if self.frozen:
            argv.append("--freeze-clock")
        if self.auto_approve:
            argv.append("--auto-approve")
        return argv


def backend_argv(python: str, state_dir: Path, oauth: dict[str, Any], key: str) -> list[str]:
    """The backend's command line; its secrets go to files in `state_dir` (argv is public)."""
    token_file = write_secret(state_dir / "oauth_admin_token", oauth["admin_token"])
    key_file = write_secret(state_dir / "api_keys", key)
    argv = [python, "-m", "fake_codex_ws", "--state-dir", str(state_dir)]
    argv += ["--oauth-issuer", oauth["issuer"], "--oauth-admin-token-file", str(token_file)]
    argv += ["--api-key-file", str(key_file)]
    if oauth.get("ca_cert"):
        argv += ["--ca-cert", str(oauth["ca_cert"])]
    return argv


class LaunchedWorld(World):
    """Both fakes started from their command lines, wherever `launch` puts them."""

    python = sys.executable

    def __init__(self, workdir: Path, **options: Any) -> None:
        self.options = WorldOptions(**options)
        super().__init__(workdir, frozen=self.options.frozen)
        key = "sk-fallback-" + secrets.token_hex(8)
        tls = WorldTls.create(workdir)
        try:
            oauth = self.launch(
                "fake-oauth-server",
                self.options.oauth_argv(self.python, workdir / "oauth") + tls.argv(),
            )
            backend = self.launch(
                "fake-codex-ws",
                backend_argv(self.python, workdir / "backend", oauth, key) + tls.argv(),
            )
            routes = public_routes(oauth["issuer"], backend["url"])
            proxy = self.launch(
                "world-proxy", proxy_argv(self.python, routes, workdir / PROXY_RECORDS)
            )
        except BaseException:
            self.close()
            raise
        self.endpoints = Endpoints(
            issuer=oauth["issuer"],
            base_url=backend["base_url"],
            api_base_url=backend["api_base_url"],
            ca_bundle=tls.ca_cert,
            fallback_api_key=key,
            proxy_url=proxy["proxy_url"],
        )
        self.oauth = OAuthAdmin(oauth["issuer"], oauth["admin_token"], tls.ca_cert)
        self.backend = BackendAdmin(backend["url"], backend["admin_token"], ca_cert=tls.ca_cert)
        self.oauth.update_settings(**self.options.oauth_settings())

    @abstractmethod
    def launch(self, role: str, argv: list[str]) -> dict[str, Any]:
        """Start a fake (or the world's proxy); the JSON line it prints when ready. Its log goes
        to <role>.log."""

    def issued_token_values(self) -> set[str]:
        return set(self.oauth.issued_token_values())


class ProcessWorld(LaunchedWorld):
    """Each fake a real process on 127.0.0.1 over TLS, as a developer would start them."""

    name = "process"

    def __init__(self, workdir: Path, **options: Any) -> None:
        self._procs: list[subprocess.Popen[str]] = []
        super().__init__(workdir, **options)

    def launch(self, role: str, argv: list[str]) -> dict[str, Any]:
        proc, ready = start_server(argv, self.workdir / f"{role}.log")
        self._procs.append(proc)
        return ready

    def close(self) -> None:
        self.close_admin_clients()
        stop_servers(reversed(self._procs))
        self._procs.clear()


def open_world(kind: str, workdir: Path, **options: Any) -> World:
    """A running world of backend `kind`; `options` are the fields of `WorldOptions`."""
    if kind == "inprocess":
        return InProcessWorld(workdir, **options)
    if kind == "process":
        return ProcessWorld(workdir, **options)
    if kind == "docker":
        from scenarios.docker_backend.world import DockerWorld

        world: World = DockerWorld(workdir, **options)
        return world
    raise ValueError(f"unknown lab backend {kind!r}: choose inprocess, process or docker")
