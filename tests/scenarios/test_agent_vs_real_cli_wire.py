"""The agent's own requests next to the real Codex CLI's, in one hostname-faithful world (issue 16
§5): each logs in with a device code, runs a turn, meets a 401 `token_expired` and recovers
through a refresh. What the fakes recorded must differ exactly where `WIRE_FACTS` says, with the
values it says: a new difference (a CLI upgrade, an agent change) fails here until it is decided.

The access tokens expire on the fakes' clock, which the CLI never reads (it uses the wall clock):
advancing the world's clock past the access lifetime makes the next turn meet 401 and take the
`unauthorized_recovery` path, in seconds of real time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scenarios.lab.world import World
from scenarios.real_clients.wire_differences import WIRE_FACTS, WireFact

pytestmark = pytest.mark.slow
SAFETY = 300.0  # a generous bound on every command; never asserted as a duration
PAST_ACCESS_LIFETIME = 3600 + 400  # the fake's access_ttl is 3600 s


def run(argv: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=SAFETY,
        check=False,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0, f"{argv[1:3]} exited {done.returncode}: {said[-3000:]}"
    return said


def product(user_agent: str | None) -> str | None:
    """`codex_exec/0.169.0 (Debian …)` -> `codex_exec`: who, without the machine's details."""
    return None if user_agent is None else user_agent.split("/", 1)[0]


def own_version(event: dict[str, Any]) -> str | None:
    """`version` as the client's own version (the one in its user agent), else what it sent."""
    version = event.get("version")
    agent = event.get("user_agent") or ""
    if version and agent.split(" ", 1)[0].endswith("/" + version):
        return "its own version"
    return version


def wire_facts(world: World, account_id: str, family_id: str) -> dict[str, Any]:
    """What one client (one login family) did on the wire, normalised to the table's names."""
    [family] = world.oauth.ledger(family_id=family_id)["families"]
    refreshes = [p for t in family["tokens"] if t["kind"] == "refresh" for p in t["presented"]]
    recovery = next(p for p in refreshes if p.get("refresh_reason") == "unauthorized_recovery")
    events = [e for e in world.backend.events() if e.get("family_id") == family_id]
    [handshake, *_] = [e for e in events if e["type"] == "ws_handshake" and e["status"] == 101]
    turns = [e for e in events if e["type"] in ("ws_turn", "sse_request")]
    assert turns
    assert all(t["outcome"] == "completed" for t in turns), turns
    return {
        "login client_id": family["client_id"],
        "refresh body encoding": recovery["body_format"],
        "refresh body fields": tuple(recovery["body_fields"]),
        "refresh_reason after a 401": recovery.get("refresh_reason"),
        "refresh originator": recovery["originator"],
        "refresh user agent": product(recovery["user_agent"]),
        "turn transport": handshake["transport"],
        "turn originator": handshake["originator"],
        "turn user agent": product(handshake["user_agent"]),
        "turn version header": own_version(handshake),
        "turn OpenAI-Beta": handshake.get("openai_beta"),
        "turn ChatGPT-Account-ID": "the account"
        if handshake["account_header"] == account_id
        else handshake.get("account_header"),
        "turn session id": "session_id" in handshake,
        "turn ids besides the session": tuple(
            sorted(k for k in ("thread_id", "client_request_id", "window_id") if k in handshake)
        ),
        "prewarm before a turn": any(e["type"] == "prewarm" for e in events),
        "response.create fields": tuple(turns[0]["body_fields"]),
        "ChatGPT calls around a turn": tuple(
            sorted({e["call"] for e in events if e["type"] == "aux_request"})
        ),
    }


@pytest.fixture(scope="module")
def observed(
    public_world: World, codex: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Both clients through the same script in the same world; their facts by client."""
    world = public_world
    root = tmp_path_factory.mktemp("clients")
    account = world.oauth.create_account(email="wire@example.test")["account_id"]
    base = {"PATH": os.environ["PATH"], "HOME": str(root / "home"), **world.endpoints.client_env()}
    (root / "home").mkdir()
    codex_home, agent_home, empty = root / "codex-home", root / "agent-home", root / "no-cli"
    codex_home.mkdir(mode=0o700)
    empty.mkdir(mode=0o700)

    def families() -> set[str]:
        return {f["family_id"] for f in world.oauth.ledger(account_id=account)["families"]}

    # The real CLI: no flag, no override; the world answers auth.openai.com and chatgpt.com.
    cli_env = {**base, "CODEX_HOME": str(codex_home)}
    run([str(codex), "login", "--device-auth"], cli_env, root)
    (cli_family,) = families()
    run([str(codex), "exec", "--skip-git-repo-check", "first turn"], cli_env, root)
    world.advance_clock(PAST_ACCESS_LIFETIME)
    said = run([str(codex), "exec", "--skip-git-repo-check", "after expiry"], cli_env, root)
    assert "you said: after expiry" in said

    # The agent with its defaults (the public names), a home of its own and no CLI login to adopt.
    agent_env = {
        **base,
        "CODEX_AGENT_HOME": str(agent_home),
        "CODEX_AGENT_CA_BUNDLE": str(world.endpoints.ca_bundle),
        "CODEX_HOME": str(empty),
    }
    agent = [sys.executable, "-m", "agent"]
    run([*agent, "login"], agent_env, root)
    (agent_family,) = families() - {cli_family}
    run([*agent, "ask", "first turn"], agent_env, root)
    world.advance_clock(PAST_ACCESS_LIFETIME)
    assert "you said: after expiry" in run([*agent, "ask", "after expiry"], agent_env, root)
    run([*agent, "refresh", "--force"], agent_env, root)

    forced = [
        p
        for t in world.oauth.ledger(family_id=agent_family)["families"][0]["tokens"]
        if t["kind"] == "refresh"
        for p in t["presented"]
    ][-1]
    return {
        "codex_cli": wire_facts(world, account, cli_family),
        "agent": wire_facts(world, account, agent_family),
        "agent forced refresh": forced,
    }


def test_the_facts_compared_are_the_tables(observed: dict[str, Any]) -> None:
    assert set(observed["codex_cli"]) == {fact.name for fact in WIRE_FACTS}
    assert set(observed["agent"]) == {fact.name for fact in WIRE_FACTS}


@pytest.mark.parametrize("fact", WIRE_FACTS, ids=lambda fact: fact.name)
def test_each_fact_is_what_the_table_decided(observed: dict[str, Any], fact: WireFact) -> None:
    assert (observed["codex_cli"][fact.name], observed["agent"][fact.name]) == (
        fact.codex_cli,
        fact.agent,
    ), f"{fact.name}: the wire changed; decide it in scenarios/real_clients/wire_differences.py"


def test_the_differences_are_exactly_the_decided_ones(observed: dict[str, Any]) -> None:
    differing = {
        name for name, value in observed["codex_cli"].items() if observed["agent"][name] != value
    }
    assert differing == {fact.name for fact in WIRE_FACTS if fact.differs}
    assert all(fact.decision != "same" for fact in WIRE_FACTS if fact.differs)


def test_a_refresh_the_user_forces_says_no_reason_in_the_same_json_body(
    observed: dict[str, Any],
) -> None:
    forced = observed["agent forced refresh"]
    assert forced["outcome"] == "rotated"
    assert forced["body_format"] == "json"
    assert forced["body_fields"] == ["client_id", "grant_type", "refresh_token"]
    assert "refresh_reason" not in forced
