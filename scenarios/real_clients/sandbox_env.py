"""The environment a real client runs in here: fresh homes and no way out to the internet.

A real client must never see the user's own logins or reach a real host: every home it knows
of is a new folder, and every proxy variable points at port 9 (discard), which refuses at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DEAD_PROXY = "http://127.0.0.1:9"
_PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")
# What a program needs from the caller to start at all; nothing that could hold a credential.
_INHERITED = ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR")


def inherited_env(source: Mapping[str, str] | None = None) -> dict[str, str]:
    """PATH and locale of the caller (`os.environ` by default), and nothing else."""
    source = os.environ if source is None else source
    return {key: source[key] for key in _INHERITED if key in source}


def offline_env(root: Path, *, inherit: Mapping[str, str] | None = None) -> dict[str, str]:
    """Homes created under `root` (empty), proxies dead, only PATH and locale inherited."""
    env = inherited_env(inherit)
    homes = {
        "HOME": root / "home",
        "CODEX_HOME": root / "codex-home",
        "HERMES_HOME": root / "hermes-home",
        "OPENCLAW_STATE_DIR": root / "openclaw-state",
        "XDG_CONFIG_HOME": root / "home" / ".config",
        "XDG_CACHE_HOME": root / "home" / ".cache",
        "XDG_DATA_HOME": root / "home" / ".local" / "share",
    }
    for key, folder in homes.items():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        env[key] = str(folder)
    for key in _PROXY_VARIABLES:
        env[key] = DEAD_PROXY
        env[key.lower()] = DEAD_PROXY
    env["NO_PROXY"] = env["no_proxy"] = ""
    return env
