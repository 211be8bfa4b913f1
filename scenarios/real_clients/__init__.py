"""The real clients (Codex CLI, Hermes Agent, OpenClaw), pinned in `pins.toml`, in a cache.

Only the standard library and filelock: nox runs the installer before the harness's extras.
"""

from scenarios.real_clients.install import (
    InstallOutcome,
    RealClientInstallError,
    default_cache_dir,
    ensure_all,
    ensure_client,
    ensure_installed,
)
from scenarios.real_clients.installed import InstalledClient
from scenarios.real_clients.pins import Pin, load_pins
from scenarios.real_clients.sandbox_env import offline_env

__all__ = [
    "InstallOutcome",
    "InstalledClient",
    "Pin",
    "RealClientInstallError",
    "default_cache_dir",
    "ensure_all",
    "ensure_client",
    "ensure_installed",
    "load_pins",
    "offline_env",
]
