"""The hostname-faithful part of every world, the same on every backend: one lab CA whose leaf
every fake serves, and the world's proxy tunnelling `auth.openai.com:443` and `chatgpt.com:443`
to those fakes. Unmodified clients (the Codex CLI, Hermes Agent) then find the fakes under the
real names with no flag of their own; the agent and the simulated siblings keep talking to
127.0.0.1 directly, trusting the same CA."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scenarios.lab.lab_ca import TRUST_VARIABLES, LabCa, LeafFiles
from scenarios.lab.proxy_records import ProxyAttempt, read_records_file
from scenarios.lab.world_proxy import client_proxy_env

PROXY_RECORDS = "world-proxy.jsonl"  # in the world's folder: every attempt through the proxy
OAUTH_NAME = "auth.openai.com:443"
BACKEND_NAME = "chatgpt.com:443"


@dataclass(frozen=True)
class WorldTls:
    """The world's CA and the one leaf both fakes serve."""

    ca_cert: Path
    leaf: LeafFiles

    @classmethod
    def create(cls, workdir: Path) -> WorldTls:
        ca = LabCa.open(workdir / "lab-ca")
        return cls(ca.ca_cert, ca.issue("fakes"))

    def argv(self) -> list[str]:
        """A fake's flags to serve this leaf and announce this CA."""
        return [
            "--tls-cert-chain",
            str(self.leaf.cert_chain),
            "--tls-key",
            str(self.leaf.private_key),
            "--tls-ca",
            str(self.ca_cert),
        ]


def loopback_upstream(url: str) -> tuple[str, int]:
    """`https://127.0.0.1:8443/...` as the proxy's upstream (an IP literal and a port)."""
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"{url!r} names no host and port for the world's proxy")
    return parts.hostname, parts.port


def public_routes(oauth_url: str, backend_url: str) -> dict[str, tuple[str, int]]:
    """The names the world answers, and the fake behind each."""
    return {OAUTH_NAME: loopback_upstream(oauth_url), BACKEND_NAME: loopback_upstream(backend_url)}


def proxy_argv(python: str, routes: dict[str, tuple[str, int]], records_file: Path) -> list[str]:
    argv = [python, "-m", "scenarios.lab.world_proxy_cli", "--records-file", str(records_file)]
    for name, (host, port) in routes.items():
        argv += ["--route", f"{name}={host}:{port}"]
    return argv


def real_client_env(proxy_url: str, ca_cert: Path) -> dict[str, str]:
    """What an unmodified client needs to live in the world: the proxy for every public name
    (127.0.0.1 direct) and the lab CA under every variable a client reads it from."""
    return {**client_proxy_env(proxy_url), **dict.fromkeys(TRUST_VARIABLES, str(ca_cert))}


def proxy_attempts(workdir: Path) -> list[ProxyAttempt]:
    return read_records_file(workdir / PROXY_RECORDS)


def describe_refusals(attempts: list[ProxyAttempt]) -> list[str]:
    """One line per attempt that did not become a tunnel: where to, and what it got."""
    return [
        f"{a.method or '?'} {a.host or '?'}:{a.port if a.port is not None else '?'} "
        f"-> {a.status} {a.outcome} (from {a.peer})"
        for a in attempts
        if a.outcome != "tunnelled"
    ]
