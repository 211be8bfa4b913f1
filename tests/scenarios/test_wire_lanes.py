"""Every request a real client makes lands on its actor's lane, whatever user agent it used
(as the fakes recorded them for Codex CLI 0.169.0 and Hermes Agent 0.19.0), and each real
client's lane says which program and version it is, as the program said it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scenarios.lab.actors_on_wire import actor_of
from scenarios.lab.wire_clients import wire_client_of
from scenarios.lab.wire_lanes import RealRun, WireLanes

CLI, HERMES = "Codex CLI", "Hermes Agent"
# What the fakes' event log recorded, per program (scenarios real-*).
CLI_EXEC = "codex_exec/0.169.0 (Debian 12.0.0; x86_64) lab-cli-1/1 (codex_exec; 0.169.0)"
CLI_PLAIN = "codex_exec/0.169.0 (Debian 12.0.0; x86_64) lab-cli-1/1"
CLI_MCP = "codex-mcp-client/0.169.0"
HERMES_TOKEN = "hermes-cli/0.19.0"
HERMES_BACKEND = "codex_cli_rs/0.0.0 (Hermes Agent)"
HERMES_MODELS = "python-requests/2.33.0"


def request(at: float, user_agent: str | None, originator: str | None = None) -> dict[str, Any]:
    return {"at": at, "user_agent": user_agent, "originator": originator}


@pytest.mark.parametrize(
    ("user_agent", "program", "version", "terminal"),
    [
        (CLI_EXEC, CLI, "0.169.0", "cli-1"),
        (CLI_PLAIN, CLI, "0.169.0", "cli-1"),
        ("codex_cli_rs/0.169.0 (Debian 12.0.0; x86_64) lab-cli/1", CLI, "0.169.0", "cli"),
        (CLI_MCP, CLI, "0.169.0", None),
        (HERMES_TOKEN, HERMES, "0.19.0", None),
        (HERMES_BACKEND, HERMES, None, None),  # 0.0.0 is the CLI's name it borrows
        (HERMES_MODELS, HERMES, None, None),  # the requests library's version, not Hermes's
    ],
)
def test_each_user_agent_seen_names_its_program_and_version(
    user_agent: str, program: str, version: str | None, terminal: str | None
) -> None:
    client = wire_client_of({"user_agent": user_agent})
    assert client is not None
    assert (client.program, client.version, client.terminal) == (program, version, terminal)


@pytest.mark.parametrize(
    "user_agent",
    ["codex-agent/0.1.0", "codex_cli_rs/0.0.0 (sim)", "codex_vscode/1.0", "admin", None],
)
def test_the_agent_the_simulations_and_the_lab_are_no_real_client(user_agent: str | None) -> None:
    assert wire_client_of({"user_agent": user_agent}) is None


@given(
    version=st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,3}(-alpha\.[0-9])?", fullmatch=True),
    lane=st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
)
def test_any_cli_version_and_terminal_are_read_back(version: str, lane: str) -> None:
    agent = f"codex_exec/{version} (Linux 6.1; aarch64) lab-{lane}/1 (codex_exec; {version})"
    client = wire_client_of({"user_agent": agent})
    assert client is not None
    assert (client.version, client.terminal) == (version, lane)
    assert WireLanes(()).lane_of(request(0.0, agent)) == lane


def two_terminals_and_hermes() -> WireLanes:
    return WireLanes(
        [
            RealRun("cli-1", CLI, 0.0, 10.0),  # cli-1 alone, then with cli-2
            RealRun("cli-2", CLI, 5.0, 20.0),
            RealRun("hermes", HERMES, 30.0, 40.0),
        ]
    )


def test_a_request_naming_no_terminal_goes_to_the_one_terminal_running_the_program() -> None:
    lanes = two_terminals_and_hermes()
    assert lanes.lane_of(request(1.0, CLI_MCP, "codex_exec")) == "cli-1"
    assert lanes.lane_of(request(15.0, CLI_MCP, "codex_exec")) == "cli-2"
    assert lanes.lane_of(request(2.0, None)) == "cli-1"  # the device login's token exchange


def test_two_terminals_running_it_credit_the_program_not_a_guess() -> None:
    lanes = two_terminals_and_hermes()
    lane = lanes.lane_of(request(7.0, CLI_MCP, "codex_exec"))
    assert lane == "Codex CLI (terminal unknown)"
    assert lanes.labels([lane]) == {lane: f"{lane} · cli-1 or cli-2, 0.169.0"}


def test_hermes_every_way_it_speaks_is_hermes() -> None:
    lanes = two_terminals_and_hermes()
    for agent in (HERMES_TOKEN, HERMES_BACKEND, HERMES_MODELS):
        assert lanes.lane_of(request(35.0, agent)) == "hermes"
        assert lanes.lane_of(request(100.0, agent)) == "hermes"  # its only lane, even later
        assert actor_of(request(0.0, agent)) == "hermes"


def test_lanes_are_labelled_with_the_program_and_the_version_it_sent() -> None:
    lanes = two_terminals_and_hermes()
    for event in (
        request(1.0, CLI_EXEC),
        request(35.0, HERMES_BACKEND),
        request(35.5, HERMES_TOKEN),
    ):
        lanes.lane_of(event)
    assert lanes.labels(["lab", "agent", "cli-1", "cli-2", "hermes", "oauth"]) == {
        "cli-1": "cli-1 · Codex CLI 0.169.0",
        "cli-2": "cli-2 · Codex CLI",  # said nothing: no version is made up
        "hermes": "hermes · Hermes Agent 0.19.0",
    }


@pytest.mark.parametrize(
    ("user_agent", "lane"),
    [("admin", "lab"), ("codex-agent/0.1.0", "agent"), ("codex_cli_rs/0.0.0 (sim)", "codex-cli")],
)
def test_the_lab_and_simulated_actors_keep_their_lanes_while_real_clients_run(
    user_agent: str, lane: str
) -> None:
    assert two_terminals_and_hermes().lane_of(request(7.0, user_agent)) == lane
