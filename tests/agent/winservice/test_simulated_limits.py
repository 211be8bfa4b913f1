"""`CODEX_AGENT_SIMULATE_COMMAND_SECONDS`: a simulated Windows machine's limit for one schtasks
call, which `codex-agent gateway install` then uses (the scenario lab waits out a hanging shim
in that time rather than the real 15 s). Only a number of seconds below the real limit counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.host import RunLimits, SimulatedWindowsHost, host_from_environment
from agent.service.choose import service_for
from agent.winservice.service import GatewayService


def simulated(tmp_path: Path, seconds: str | None) -> SimulatedWindowsHost:
    env = {"CODEX_AGENT_SIMULATE_WINDOWS": str(tmp_path), "PATH": ""}
    if seconds is not None:
        env["CODEX_AGENT_SIMULATE_COMMAND_SECONDS"] = seconds
    host = host_from_environment(env)
    assert isinstance(host, SimulatedWindowsHost)
    return host


def test_the_install_uses_the_simulated_limit(tmp_path: Path) -> None:
    service = service_for(simulated(tmp_path, "2.5"))
    assert isinstance(service, GatewayService)
    assert service.limits.total == 2.5


@pytest.mark.parametrize("seconds", [None, "", "soon", "0", "-3", "nan", "inf", "15", "600"])
def test_anything_else_keeps_the_real_limit(tmp_path: Path, seconds: str | None) -> None:
    service = service_for(simulated(tmp_path, seconds))
    assert isinstance(service, GatewayService)
    assert service.limits == RunLimits()


def test_limits_given_by_the_caller_win(tmp_path: Path) -> None:
    given = RunLimits(total=1.0, silence=1.0)
    service = service_for(simulated(tmp_path, "2.5"), limits=given)
    assert isinstance(service, GatewayService)
    assert service.limits == given
