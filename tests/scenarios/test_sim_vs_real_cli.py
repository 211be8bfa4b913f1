"""The simulated `codex-cli` sibling against the real Codex CLI (issue 16 §5): for every behaviour
the simulation claims, one script runs against each (same world, same policy, same starting
`auth.json`) and what the fakes recorded is compared fact by fact. A difference not decided in
scenarios/real_clients/known_differences.py fails, and so does a decided one that went away.

Real clients use the wall clock. Time passes for them in two ways: a login minted with a short
access lifetime (the proactive window is measured on the CLI's own clock), or the servers' clock
jumping so the next request meets 401 `token_expired`."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from scenarios.lab.lab import Lab
from scenarios.lab.world import open_world
from scenarios.real_clients import differential as diff
from scenarios.real_clients.known_differences import KNOWN_DIFFERENCES, KnownDifference
from scenarios.siblings import codex_store

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
PAST_ACCESS_LIFETIME = 3600 + 400  # the fake's access_ttl is 3600 s
OTHER_INSTANCE = "lab-other-instance/1"

Script = Callable[[Lab, diff.CliUnderTest], dict[str, Any]]


def short_lived_login(lab: Lab, seconds: float) -> tuple[Any, Any, str]:
    """A login whose access token lives `seconds` on every clock; later ones live an hour, so a
    CLI that refreshes does so once (an access lifetime under 5 minutes means every use)."""
    account = lab.account()
    machine = lab.machine("laptop")
    lab.world.oauth.update_settings(access_ttl=seconds)
    try:
        family = diff.login(lab, machine, account)
    finally:
        lab.world.oauth.update_settings(access_ttl=3600.0)
    return account, machine, family


def rotate_as_another_instance(lab: Lab, codex_home: Path) -> None:
    """Another CLI on the same `~/.codex` refreshes and writes the new pair back."""
    path = codex_store.auth_path(codex_home)
    document = json.loads(path.read_text(encoding="utf-8"))
    endpoints = lab.world.endpoints
    answer = httpx.post(
        f"{endpoints.issuer}/oauth/token",
        json={
            "client_id": diff.CLIENT_ID,
            "grant_type": "refresh_token",
            "refresh_token": document["tokens"]["refresh_token"],
        },
        headers={"User-Agent": OTHER_INSTANCE, "originator": "codex_exec"},
        verify=ssl.create_default_context(cafile=str(endpoints.ca_bundle)),
        timeout=60,
    )
    assert answer.status_code == 200, answer.text[:300]
    for name in ("id_token", "access_token", "refresh_token"):
        document["tokens"][name] = answer.json()[name]
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


def proactive_window(lab: Lab, cli: diff.CliUnderTest, lifetime: float) -> dict[str, Any]:
    _, machine, family = short_lived_login(lab, lifetime)
    ran = cli.exec("hello")
    return {
        "answered": ran.answered,
        **diff.refresh_facts(lab, family),
        **diff.turn_facts(lab, family),
        **diff.auth_json_facts(lab, machine),
    }


def refresh_within_the_window(lab: Lab, cli: diff.CliUnderTest) -> dict[str, Any]:
    return proactive_window(lab, cli, 240.0)  # 4 minutes: inside the 5-minute window


def no_refresh_outside_the_window(lab: Lab, cli: diff.CliUnderTest) -> dict[str, Any]:
    return proactive_window(lab, cli, 420.0)  # 7 minutes: outside it


def recovery_after_401(lab: Lab, cli: diff.CliUnderTest) -> dict[str, Any]:
    account = lab.account()
    machine = lab.machine("laptop")
    family = diff.login(lab, machine, account)
    first = cli.exec("before")
    lab.advance_clock(PAST_ACCESS_LIFETIME)
    second = cli.exec("after expiry")
    return {
        "answered": (first.answered, second.answered),
        **diff.refresh_facts(lab, family),
        **diff.turn_facts(lab, family),
        **diff.auth_json_facts(lab, machine),
    }


def adopt_on_401(lab: Lab, cli: diff.CliUnderTest) -> dict[str, Any]:
    """Held at its turn's handshake, the CLI's access token expires and another instance
    rotates; released, it meets 401 and must take the other instance's pair, not refresh."""
    account = lab.account()
    machine = lab.machine("laptop")
    family = diff.login(lab, machine, account)
    held = lab.world.backend.arm_pause(
        "handshake", match={"account_id": account.account_id, "transport": cli.transport}
    )
    running = lab.in_background(cli.exec, "while another instance rotates")
    lab.world.backend.wait_paused(held, timeout=lab.command_timeout)
    lab.advance_clock(PAST_ACCESS_LIFETIME)
    rotate_as_another_instance(lab, machine.codex_home)
    lab.world.backend.release(held)
    ran = running.result(timeout=lab.command_timeout)
    return {
        "answered": ran.answered,
        **diff.refresh_facts(lab, family, exclude_user_agent=OTHER_INSTANCE),
        **diff.turn_facts(lab, family),
    }


def revoked_token_proactively(lab: Lab, cli: diff.CliUnderTest) -> dict[str, Any]:
    """The login was revoked (signed out elsewhere); the CLI's access token is in the window."""
    family = short_lived_login(lab, 240.0)[2]
    lab.world.oauth.revoke_family(family)
    ran = cli.exec("am I signed out?")
    return {
        "answered": ran.answered,
        "signed out message": diff.signed_out_message(ran.said),
        **diff.refresh_facts(lab, family),
    }


SCRIPTS: dict[str, Script] = {
    "refresh within the window": refresh_within_the_window,
    "no refresh outside the window": no_refresh_outside_the_window,
    "recovery after 401": recovery_after_401,
    "adopt on 401": adopt_on_401,
    "revoked token proactively": revoked_token_proactively,
}


@pytest.fixture(scope="module")
def run_script(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Any]:
    """Run a script against one kind of CLI in a fresh world; memoised per (script, kind)."""
    done: dict[tuple[str, str], dict[str, Any]] = {}

    def run(name: str, kind: str) -> dict[str, Any]:
        if (name, kind) not in done:
            folder = tmp_path_factory.mktemp(f"{kind}-{name.replace(' ', '-')}")
            with open_world("process", folder / "world", seed=16) as world:
                lab = Lab(world, folder / "lab", name.replace(" ", "-"))
                try:
                    cli = diff.CLIS[kind](lab, lab.machine("laptop"), f"{kind}-cli")
                    done[(name, kind)] = SCRIPTS[name](lab, cli)
                finally:
                    lab.close()
        return done[(name, kind)]

    return run


def decided(script: str) -> dict[str, KnownDifference]:
    return {d.fact: d for d in KNOWN_DIFFERENCES if d.script in (script, "*")}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_the_simulation_does_what_the_real_cli_does(
    script: str, run_script: Callable[..., dict[str, Any]]
) -> None:
    simulated, real = run_script(script, "simulated"), run_script(script, "real")
    assert set(simulated) == set(real)
    kept = decided(script)
    differing = {name for name in real if simulated[name] != real[name]}
    unexplained = {
        name: {"simulated": simulated[name], "real": real[name]}
        for name in differing
        if name not in kept
        or (kept[name].simulated, kept[name].real) != (simulated[name], real[name])
    }
    assert not unexplained, (
        f"{script}: fix scenarios/siblings/ or decide it in known_differences.py: {unexplained}"
    )
    gone = {name for name, d in kept.items() if d.script == script and name not in differing}
    assert not gone, f"{script}: these differences went away; drop them from the table: {gone}"


def test_every_decided_difference_names_a_script_and_a_reason() -> None:
    for difference in KNOWN_DIFFERENCES:
        assert difference.script in {*SCRIPTS, "*"}, difference
        assert len(difference.why) > 20, difference


def test_the_simulation_claims_the_version_of_the_pinned_cli_it_was_compared_with() -> None:
    from scenarios.real_clients.pins import load_pins
    from scenarios.siblings.wire import SIMULATED_VERSION

    assert load_pins()["codex"].version == SIMULATED_VERSION
