"""The simulated `codex-cli` sibling and the real Codex CLI behind one small interface, and what
either left in the fakes' ledger and event log, normalised so the two can be compared (issue 16
§5). A script written against `CliUnderTest` runs unchanged against both: swapping one for the
other is one argument.

Each `exec` is one `codex exec`: the real CLI starts a process that reads `auth.json` once; the
simulated one is told to re-read it (`start`) and take a turn, which is the same thing."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from scenarios.lab.lab import Account, Lab, Machine
from scenarios.siblings import codex_store

# Fields the CLI does not know, put into `auth.json` to see whether a refresh keeps them.
UNKNOWN_TOP_LEVEL = "lab_unknown_field"
UNKNOWN_IN_TOKENS = "lab_unknown_token_field"
UNKNOWN_VALUE = {"kept": "if you can read this"}
CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
# What a login against the hostname-faithful world records (a field the pinned CLI knows).
PROVENANCE = {"issuer": "https://auth.openai.com", "client_id": CLIENT_ID}


@dataclass(frozen=True)
class Ran:
    """What one `exec` showed: did it answer, and the words it ended with."""

    answered: bool
    said: str


class CliUnderTest(Protocol):
    lane: str
    transport: str  # how its turns travel: "ws" or "sse" (a backend pause matches on it)

    def exec(self, prompt: str) -> Ran: ...


class SimulatedCli:
    """The `codex-cli` sibling of `scenarios/siblings/`, one `exec` at a time."""

    transport = "sse"

    def __init__(self, lab: Lab, machine: Machine, lane: str) -> None:
        self.lane = lane
        self.sibling = machine.codex_cli(lane)

    def exec(self, prompt: str) -> Ran:
        started = self.sibling.start()
        if not started.ok:
            return Ran(False, str(started.error.get("message", "")))
        reply = self.sibling.turn(prompt)
        if reply.ok:
            return Ran(True, str(reply.result.get("answer", "")))
        return Ran(False, str(reply.error.get("message", "")))


class RealCli:
    """The pinned, unmodified Codex CLI (`codex exec`) in a terminal of its own."""

    transport = "ws"

    def __init__(self, lab: Lab, machine: Machine, lane: str) -> None:
        self.lane = lane
        self.cli = machine.real_codex_cli(lane)

    def exec(self, prompt: str) -> Ran:
        shown = self.cli.exec(prompt)
        return Ran(shown.ok, shown.stdout if shown.ok else shown.stderr + shown.stdout)


MakeCli = Callable[[Lab, Machine, str], CliUnderTest]
CLIS: dict[str, MakeCli] = {"simulated": SimulatedCli, "real": RealCli}


def login(lab: Lab, machine: Machine, account: Account) -> str:
    """`codex login` as both CLIs find it: a new family in `auth.json` with the provenance
    the pinned CLI records, plus fields neither knows. The family id."""
    family_id = machine.codex_login(account)
    path = codex_store.auth_path(machine.codex_home)
    document = json.loads(path.read_text(encoding="utf-8"))
    document[UNKNOWN_TOP_LEVEL] = UNKNOWN_VALUE
    document["tokens"][UNKNOWN_IN_TOKENS] = UNKNOWN_VALUE
    document["tokens"]["oauth_provenance"] = PROVENANCE
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    lab.keep_artifact("auth-json-inode-at-login.txt", str(os.stat(path).st_ino))
    return family_id


def refresh_presentations(lab: Lab, family_id: str) -> list[dict[str, Any]]:
    """Every refresh token presentation of the family, in the order the server saw them."""
    [family] = lab.world.oauth.ledger(family_id=family_id)["families"]
    presented = [
        {**p, "token_index": t.get("index", n)}
        for n, t in enumerate(family["tokens"])
        if t["kind"] == "refresh"
        for p in t["presented"]
    ]
    return sorted(presented, key=lambda p: float(p.get("at", 0.0)))


def product(user_agent: str | None) -> str | None:
    """`codex_exec/<version> (Debian …) lab-x/1` -> `codex_exec`."""
    return None if not user_agent else user_agent.split("/", 1)[0]


def own_version(version: str | None, user_agent: str | None) -> str | None:
    """`version` as "its own version" when it is the one in the user agent, else the value."""
    first = (user_agent or "").split(" ", 1)[0]
    if version and first.endswith("/" + version):
        return "its own version"
    return version


def refresh_facts(
    lab: Lab, family_id: str, exclude_user_agent: str | None = None
) -> dict[str, Any]:
    """What the CLI's refreshes looked like: why, how encoded, who it said it was."""
    presented = refresh_presentations(lab, family_id)
    by_cli = [p for p in presented if p.get("user_agent") not in ("admin", exclude_user_agent)]
    return {
        "refreshes (reason, outcome)": tuple(
            (p.get("refresh_reason"), p.get("outcome")) for p in by_cli
        ),
        "refresh body encoding": tuple(sorted({str(p.get("body_format")) for p in by_cli})),
        "refresh body fields": tuple(sorted({tuple(p.get("body_fields") or ()) for p in by_cli})),
        "refresh client_id": tuple(sorted({str(p.get("client_id")) for p in by_cli})),
        "refresh originator": tuple(sorted({str(p.get("originator")) for p in by_cli})),
        "refresh user agent": tuple(sorted({str(product(p.get("user_agent"))) for p in by_cli})),
    }


def turn_facts(lab: Lab, family_id: str) -> dict[str, Any]:
    """What the CLI's turns looked like to the backend: who, which version, how they ended."""
    events = [e for e in lab.world.backend.events() if e.get("family_id") == family_id]
    opening = [e for e in events if e["type"] in ("ws_handshake", "sse_request")]
    return {
        "turn transport": tuple(sorted({str(e.get("transport")) for e in opening})),
        "turn originator": tuple(sorted({str(e.get("originator")) for e in opening})),
        "turn user agent": tuple(sorted({str(product(e.get("user_agent"))) for e in opening})),
        "turn version header": tuple(
            sorted({str(own_version(e.get("version"), e.get("user_agent"))) for e in opening})
        ),
        "turn refusals": tuple(
            sorted({str(e.get("reason")) for e in opening if e.get("outcome") == "refused"})
        ),
    }


def auth_json_facts(lab: Lab, machine: Machine) -> dict[str, Any]:
    """`auth.json` after the script: which fields survived, how it was written, its mode."""
    path = codex_store.auth_path(machine.codex_home)
    document = json.loads(path.read_text(encoding="utf-8"))
    tokens = document.get("tokens") or {}
    at_login = (lab.artifacts / "auth-json-inode-at-login.txt").read_text(encoding="utf-8")
    return {
        "unknown top-level field kept": document.get(UNKNOWN_TOP_LEVEL) == UNKNOWN_VALUE,
        "unknown tokens field kept": tokens.get(UNKNOWN_IN_TOKENS) == UNKNOWN_VALUE,
        "oauth_provenance kept": tokens.get("oauth_provenance") == PROVENANCE,
        "auth.json replaced by a new file": str(os.stat(path).st_ino) != at_login,
        "auth.json mode": oct(os.stat(path).st_mode & 0o777),
        "auth.json fields": tuple(sorted(document)),
        "auth.json tokens fields": tuple(sorted(tokens)),
    }


SIGNED_OUT_WORDS = {
    "revoked": "refresh token was revoked",
    "reused": "refresh token was already used",
    "expired": "refresh token has expired",
}


def signed_out_message(said: str) -> str | None:
    """Which of the CLI's "please sign in again" messages the user read, if any."""
    for name, words in SIGNED_OUT_WORDS.items():
        if words in said:
            return name
    return None
