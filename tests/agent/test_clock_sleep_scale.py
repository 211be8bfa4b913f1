"""`sleep_scale` in `CODEX_AGENT_CLOCK_FILE`: the agent's own waits, shortened by the harness.

The scenario lab answers at once, so the agent's device-code poll interval and its retry
backoff would only make the suite wait; with the scale the waits still happen, in order, for a
share of their time. A bad scale is a clear error naming the file, like any bad clock file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.clock import CLOCK_FILE_ENV, ClockFileError, FileClock, clock_from_env

SAFETY = 60.0  # seconds; a bound against hangs, never a measured limit


def clock_file(tmp_path: Path, **state: object) -> Path:
    path = tmp_path / "clock.json"
    path.write_text(json.dumps({"mode": "offset", "offset": 0, **state}))
    return path


def test_a_wait_lasts_its_share(tmp_path: Path) -> None:
    slept: list[float] = []
    clock = FileClock(clock_file(tmp_path, sleep_scale=0.25), sleeper=slept.append)
    clock.sleep(2.0)
    clock.sleep(0)  # nothing to wait for: no sleep at all
    assert slept == [0.5]


def test_without_a_scale_a_wait_is_whole(tmp_path: Path) -> None:
    slept: list[float] = []
    FileClock(clock_file(tmp_path), sleeper=slept.append).sleep(1.5)
    assert slept == [1.5]


def test_the_scale_is_read_at_each_wait(tmp_path: Path) -> None:
    """The harness may change it while the agent runs, like the time itself."""
    path = clock_file(tmp_path, sleep_scale=0.5)
    slept: list[float] = []
    clock = FileClock(path, sleeper=slept.append)
    clock.sleep(1.0)
    path.write_text(json.dumps({"mode": "offset", "offset": 0, "sleep_scale": 0.1}))
    clock.sleep(1.0)
    assert slept == [0.5, pytest.approx(0.1)]


@given(
    st.one_of(
        st.floats(max_value=0.0, allow_nan=False, allow_infinity=False),
        st.floats(min_value=1.0, exclude_min=True, allow_nan=False, allow_infinity=False),
        st.text(max_size=5),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=2),
    )
)
def test_a_scale_that_is_no_share_is_refused(bad: object) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = clock_file(Path(tmp), sleep_scale=bad)
        with pytest.raises(ClockFileError) as caught:
            clock_from_env({CLOCK_FILE_ENV: str(path)})
        assert str(path) in caught.value.message
        assert "sleep_scale" in caught.value.message


def test_a_command_reports_a_bad_scale_before_it_starts(tmp_path: Path) -> None:
    path = clock_file(tmp_path, sleep_scale=2)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "CODEX_AGENT_HOME": str(tmp_path / "agent"),
        CLOCK_FILE_ENV: str(path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "agent", "status", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=SAFETY,
        check=False,
    )
    assert done.returncode == 1
    assert json.loads(done.stdout)["last_error"]["code"] == "clock_file_invalid"
    assert "sleep_scale" in done.stdout
