"""The agent's HTTP client: system CA store plus an optional extra CA, and who we say we are."""

from __future__ import annotations

import ssl
from importlib import metadata

import httpx

from agent.ca_bundle import add_ca_bundle
from agent.config import AgentConfig


def agent_version() -> str:
    try:
        return metadata.version("codex-auth-harness")
    except metadata.PackageNotFoundError:
        return "0.0.0"


USER_AGENT = f"codex-agent/{agent_version()}"


def ssl_context(config: AgentConfig) -> ssl.SSLContext:
    """The system trust store, plus `CODEX_AGENT_CA_BUNDLE` when set (an extra CA, not a swap).

    Raises `ConfigError` naming the bundle when it is not one.
    """
    context = ssl.create_default_context()
    add_ca_bundle(context, config)
    return context


def build_http_client(config: AgentConfig) -> httpx.Client:
    timeout = httpx.Timeout(
        config.http_timeout_seconds, connect=min(10.0, config.http_timeout_seconds)
    )
    return httpx.Client(
        verify=ssl_context(config),
        timeout=timeout,
        headers={"User-Agent": USER_AGENT, "originator": config.originator},
        follow_redirects=False,
        trust_env=True,
    )
