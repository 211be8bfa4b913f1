"""Whatever the home, the interpreter path and the carried values hold, systemd reads back
exactly what the agent meant: proven against an independent model of systemd's parsing
(`service_shims.unit_model`) and checked with the real `systemd-analyze verify`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.service.errors import UnsafeValue
from agent.service.program import BROKER, GATEWAY, Launch
from agent.service.systemd import unit
from service_shims import unit_model

HOSTILE = " %$\"'\\;`{}[]()*?!#=~&|<>@:+-.éü日本語😀\u00a0\u200b%%$$\\\\"
# Text systemd can carry: no control characters, no surrogates (not UTF-8).
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(HOSTILE),
        st.characters(blacklist_categories=("Cc", "Cs")),
    ),
    max_size=40,
)
SEGMENT = TEXT.filter(lambda s: s not in ("", ".", "..") and "/" not in s)


def _home(parts: list[str]) -> str:
    return "/" + "/".join(parts)


HOMES = (
    st.lists(SEGMENT, min_size=1, max_size=4)
    .map(_home)
    .filter(lambda h: h == h.strip(" \t") and (len(h) - len(h.rstrip("\\"))) % 2 == 0)
)
# systemd refuses quotes and backslashes in an executable path: they are refused (see below).
PYTHONS = st.lists(
    SEGMENT.filter(lambda s: not any(c in s for c in "\"'\\")), min_size=1, max_size=3
).map(_home)


def _render(home: str, python: str, env: dict[str, str], port: int | None, program=GATEWAY):
    launch = Launch(
        program.argv(python, bind_host=None, port=port),
        home,
        program.environment(home, env),
    )
    return launch, unit.render(program, launch, name="codex-agent-gateway-0123456789.service")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    home=HOMES,
    python=PYTHONS,
    issuer=TEXT,
    ca=TEXT,
    port=st.one_of(st.none(), st.integers(0, 65535)),
    broker=st.booleans(),
)
def test_the_model_reads_back_every_value(home, python, issuer, ca, port, broker):
    env = {"CODEX_AGENT_ISSUER": issuer, "CODEX_AGENT_CA_BUNDLE": ca}
    launch, rendered = _render(home, python, env, port, BROKER if broker else GATEWAY)
    definition = unit_model.service_definition(rendered.text)
    assert definition.command.path == python
    assert definition.command.argv == list(launch.argv)
    assert definition.working_directory == home
    assert definition.environment == dict(launch.env)
    assert definition.restart == "on-failure"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("/home/a\nb", "line feed"),
        ("/home/a\rb", "carriage return"),
        ("/home/a\x1bb", "U+001B"),
        ("/home/ab ", "blank"),
        ("/home/ab\\", "backslash"),
        ("/home/a\udcffb", "UTF-8"),
    ],
)
def test_a_home_systemd_cannot_carry_is_refused_by_role(value, problem):
    with pytest.raises(UnsafeValue) as caught:
        _render(value, "/usr/bin/python3", {}, None)
    assert problem in caught.value.message
    assert "home folder (CODEX_AGENT_HOME)" in caught.value.message
    assert "the systemd unit" in caught.value.message


@pytest.mark.parametrize("python", ['/opt/a"b/python', "/opt/a'b/python", "/opt/a\\b/python"])
def test_an_interpreter_path_systemd_refuses_is_refused_first(python):
    with pytest.raises(UnsafeValue) as caught:
        _render("/home/alice/.codex-agent", python, {}, None)
    assert "Python interpreter path" in caught.value.message
    assert "systemd refuses in an executable path" in caught.value.message


# --- the real systemd ---------------------------------------------------------------------------

ANALYZE = shutil.which("systemd-analyze")
needs_systemd = pytest.mark.skipif(
    ANALYZE is None,
    reason="systemd-analyze is not installed (Debian package `systemd`; CI installs it)",
)


def _verify(folder: Path, text: str) -> str:
    path = folder / "codex-agent-gateway-0123456789.service"
    path.write_text(text, "utf-8")
    assert ANALYZE is not None
    done = subprocess.run(
        [ANALYZE, "verify", "--man=no", "--generators=no", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0", "LANG": "C.UTF-8"},
    )
    return done.stderr


@needs_systemd
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(home=HOMES, issuer=TEXT)
def test_systemd_analyze_verify_accepts_every_unit(tmp_path_factory, home, issuer):
    folder = tmp_path_factory.mktemp("verify")
    _, rendered = _render(home, sys.executable, {"CODEX_AGENT_ISSUER": issuer}, 8787)
    assert _verify(folder, rendered.text) == ""


@needs_systemd
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(python=PYTHONS)
def test_systemd_reads_the_interpreter_path_we_wrote(tmp_path_factory, python):
    """For a path that does not exist, verify names the path it read: it must be ours."""
    folder = tmp_path_factory.mktemp("verify")
    missing = "/nonexistent-codex-agent" + python
    _, rendered = _render("/home/alice/.codex-agent", missing, {}, None)
    lines = [line for line in _verify(folder, rendered.text).splitlines() if line.strip()]
    assert lines == [
        f"codex-agent-gateway-0123456789.service: Command {missing} is not executable: "
        "No such file or directory"
    ]


@needs_systemd
def test_systemd_analyze_verify_accepts_the_hostile_worked_example(tmp_path):
    home = '/home/Zoë O\'Brien/100% "real" $HOME\\dir/日本'
    _, rendered = _render(home, sys.executable, {"CODEX_HOME": "$x %h \\n"}, 8787)
    assert _verify(tmp_path, rendered.text) == ""
    definition = unit_model.service_definition(rendered.text)
    assert definition.environment["CODEX_AGENT_HOME"] == home
