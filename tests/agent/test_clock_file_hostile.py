"""A hostile `CODEX_AGENT_CLOCK_FILE` is a clear error naming it, for every command that reads it.

It is a testing seam: a silent fall back to the wall clock would hide a broken harness.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from agent_testkit import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.clock import (
    CLOCK_FILE_ENV,
    LATEST_TIME,
    ClockFileError,
    FileClock,
    SystemClock,
    clock_from_env,
    read_clock_file,
)

SAFETY = 60.0  # seconds; a bound against hangs, never a measured limit
REAL_NOW = 1_800_000_000.0

HOSTILE: dict[str, bytes] = {
    "nested brackets": b"[" * 50_000,
    "nested objects": b'{"a":' * 2_000,
    "now Infinity": b'{"mode": "frozen", "now": Infinity}',
    "now NaN": b'{"mode": "frozen", "now": NaN}',
    "now 1e400": b'{"mode": "frozen", "now": 1e400}',
    "now of 400 digits": b'{"mode": "frozen", "now": ' + b"9" * 400 + b"}",
    "now after 9999": b'{"mode": "frozen", "now": 1e300}',
    "now before 1970": b'{"mode": "frozen", "now": -5}',
    "now as text": b'{"mode": "frozen", "now": "1800000000"}',
    "now true": b'{"mode": "frozen", "now": true}',
    "offset -Infinity": b'{"mode": "offset", "offset": -Infinity}',
    "offset 1e308": b'{"mode": "offset", "offset": 1e308}',
    "offset missing": b'{"mode": "offset"}',
    "unknown mode": b'{"mode": "sideways", "offset": 0}',
    "a list": b"[]",
    "null": b"null",
    "not UTF-8": b'{"mode": "frozen", "now": 1, "x": "\xff"}',
    "empty": b"",
    "huge": b" " * 10_000 + b'{"mode": "offset", "offset": 0}',
}


def _write(path: Path, kind: str) -> None:
    if kind == "a directory":
        path.mkdir()
    elif kind == "a symlink loop":
        path.symlink_to(path.name)
    elif kind == "a FIFO":
        os.mkfifo(path)
    elif kind != "missing":
        path.write_bytes(HOSTILE[kind])


ALL_KINDS = [*HOSTILE, "a directory", "a symlink loop", "a FIFO", "missing"]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_hostile_clock_file_is_an_error_naming_it(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "clock.json"
    _write(path, kind)
    with pytest.raises(ClockFileError) as caught:
        clock_from_env({CLOCK_FILE_ENV: str(path)})
    assert str(path) in caught.value.message
    assert CLOCK_FILE_ENV in caught.value.message
    assert caught.value.code == "clock_file_invalid"


def test_a_clock_file_broken_later_is_an_error_at_the_next_read(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    path.write_text(json.dumps({"mode": "frozen", "now": REAL_NOW}))
    clock = clock_from_env({CLOCK_FILE_ENV: str(path)})
    assert clock.now() == REAL_NOW
    path.write_text('{"mode": "frozen", "now": Infinity}')
    with pytest.raises(ClockFileError):
        clock.now()


def test_good_clock_files_still_set_the_time(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    path.write_text(json.dumps({"mode": "offset", "offset": 7200}))
    assert read_clock_file(path, REAL_NOW) == REAL_NOW + 7200
    path.write_text(json.dumps({"mode": "frozen", "now": 1_700_000_000}))
    assert read_clock_file(path, REAL_NOW) == 1_700_000_000
    assert isinstance(clock_from_env({CLOCK_FILE_ENV: str(path)}), FileClock)
    assert isinstance(clock_from_env({}), SystemClock)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)
NUMBERS = st.floats() | st.integers(min_value=-(10**400), max_value=10**400)


@st.composite
def clock_like(draw: st.DrawFn) -> object:
    if draw(st.integers(0, 3)) == 0:
        return draw(JSON_VALUES)
    mode = draw(st.sampled_from(["frozen", "offset"]) | JSON_VALUES)
    key = draw(st.sampled_from(["now", "offset"]))
    return {"mode": mode, key: draw(NUMBERS | JSON_VALUES)}


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=clock_like())
def test_any_json_gives_a_time_a_date_can_show_or_a_clock_file_error(
    tmp_path: Path, doc: object
) -> None:
    path = tmp_path / "clock.json"
    path.write_text(json.dumps(doc))
    try:
        now = read_clock_file(path, REAL_NOW)
    except ClockFileError:
        return
    assert 0.0 <= now <= LATEST_TIME


# Every command that builds a clock from the environment: credentials, turns, the gateway.
COMMANDS = [
    ["status"],
    ["status", "--json"],
    ["refresh"],
    ["logout"],
    ["login", "--device"],
    ["import-codex"],
    ["ask", "hello"],
    ["gateway", "run", "--port", "0"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("kind", ["nested brackets", "now Infinity"])
def test_every_command_reports_a_hostile_clock_file(
    tmp_path: Path, command: list[str], kind: str
) -> None:
    path = tmp_path / "clock.json"
    _write(path, kind)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEX_", "OPENAI_"))}
    env.update(
        CODEX_AGENT_HOME=str(tmp_path / "home"),
        CODEX_HOME=str(tmp_path / "codex"),
        CODEX_AGENT_CLOCK_FILE=str(path),
    )

    result = run_cli(command, env, timeout=SAFETY)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    said = result.stdout if command == ["status", "--json"] else result.stderr
    assert str(path) in said
    assert "clock_file_invalid" in said
    assert not (tmp_path / "home" / "gateway.pid").exists()  # the gateway never started
