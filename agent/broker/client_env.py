"""`codex-agent broker env`: the lines that send every client's refreshes to the broker.

The Codex CLI (and the VS Code extension, which runs the same binary) honours
`CODEX_REFRESH_TOKEN_URL_OVERRIDE` and `CODEX_REVOKE_TOKEN_URL_OVERRIDE`; the agent honours
`CODEX_AGENT_BROKER_URL` (and finds a broker running for its own home without it).
"""

from __future__ import annotations

import shlex

SHELLS = ("sh", "fish", "powershell", "cmd")


def client_variables(url: str) -> dict[str, str]:
    base = url.rstrip("/")
    return {
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": f"{base}/oauth/token",
        "CODEX_REVOKE_TOKEN_URL_OVERRIDE": f"{base}/oauth/revoke",
        "CODEX_AGENT_BROKER_URL": base,
    }


def export_lines(url: str, shell: str = "sh") -> list[str]:
    variables = client_variables(url)
    if shell == "sh":
        lines = [f"export {k}={shlex.quote(v)}" for k, v in variables.items()]
        comment = "#"
    elif shell == "fish":
        lines = [f"set -gx {k} {shlex.quote(v)}" for k, v in variables.items()]
        comment = "#"
    elif shell == "powershell":
        lines = [f"$env:{k} = '{v.replace(chr(39), chr(39) * 2)}'" for k, v in variables.items()]
        comment = "#"
    elif shell == "cmd":
        lines = [f'set "{k}={v}"' for k, v in variables.items()]
        comment = "rem"
    else:
        raise ValueError(f"unknown shell {shell!r} (one of {', '.join(SHELLS)})")
    return [
        f"{comment} Refreshes of the Codex CLI, the VS Code extension and codex-agent go through",
        f"{comment} the refresh broker at {url}. Set these where those programs start (your",
        f"{comment} shell profile; for VS Code, the environment that launches `code`).",
        *lines,
    ]
