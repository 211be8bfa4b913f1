"""`codex-agent gateway ...` on Linux and macOS as a user runs it, and the service actions a
program's command gets from `register_service_actions` (the broker's, too)."""

from __future__ import annotations

import argparse
import json

from agent.commands.service_actions import register_service_actions
from agent.service.program import BROKER


def test_install_status_uninstall_from_the_command_line(machine):
    done = machine.codex_agent("gateway", "install", "--port", "8799", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["mode"] == ("systemd" if machine.platform == "linux" else "launchd")
    status = json.loads(machine.codex_agent("gateway", "status", "--json").stdout)
    assert (status["registered"], status["service"]) == (True, report["service"])
    gone = machine.codex_agent("gateway", "uninstall")
    assert gone.returncode == 0
    assert report["service"] in gone.stdout


def test_start_before_install_says_what_to_do(machine):
    done = machine.codex_agent("gateway", "start")
    assert done.returncode == 1
    assert "The gateway service is not installed for this home." in done.stderr
    assert "what to do: run `codex-agent gateway install`" in done.stderr


def test_a_refused_value_is_a_clear_error_and_writes_nothing(linux):
    done = linux.codex_agent(
        "gateway", "install", "--json", extra_env={"CODEX_AGENT_HOME": "/tmp/two\nlines"}
    )
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "gateway_unsafe_value"
    assert "home folder (CODEX_AGENT_HOME)" in error["message"]
    assert linux.calls() == []


def test_the_broker_gets_the_same_actions_without_host():
    parser = argparse.ArgumentParser()
    actions = parser.add_subparsers()
    broker = actions.add_parser("broker").add_subparsers()
    register_service_actions(broker, BROKER)
    assert set(broker.choices) == {"install", "uninstall", "start", "stop", "restart", "status"}
    args = parser.parse_args(["broker", "install", "--port", "8790", "--json"])
    assert (args.service_action, args.port, args.json) == ("install", 8790, True)
    assert "8788" in broker.choices["install"].format_help()
    assert "--host" not in broker.choices["install"].format_help()
    assert args.func.keywords["program"] is BROKER


def test_an_action_the_command_already_has_is_left_alone():
    """The broker has its own `status`: registering the service actions keeps it."""
    parser = argparse.ArgumentParser()
    broker = parser.add_subparsers().add_parser("broker").add_subparsers()
    own = broker.add_parser("status")
    added = register_service_actions(broker, BROKER)
    assert added == ["install", "uninstall", "start", "stop", "restart"]
    assert broker.choices["status"] is own
