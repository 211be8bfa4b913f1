"""The clock seam: time reaches the agent through one small object.

Production uses `SystemClock`. Tests and scenarios pass a `ManualClock`, whose `sleep` advances
time instantly, so waits (device-code polling, backoff) cost nothing and stay deterministic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from agent.auth.local_json import BadContent, UnusablePath, decode_json, read_small_file
from agent.errors import AgentError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see agent.cli)
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # `Clock` is a protocol for the type checker only: no isinstance on it

CLOCK_FILE_ENV = "CODEX_AGENT_CLOCK_FILE"
MAX_CLOCK_FILE_BYTES = 4096
# Times a datetime can show: 1970-01-01 to 9999-12-31 (beyond, formatting a time would fail).
LATEST_TIME = 253_402_300_799.0


class ClockFileError(AgentError):
    """The file `CODEX_AGENT_CLOCK_FILE` names cannot be used: a harness mistake, said plainly."""

    code = "clock_file_invalid"

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(
            f"{path} ({CLOCK_FILE_ENV}): {problem}.",
            diagnosis=f"{CLOCK_FILE_ENV} is a testing seam that sets the agent's clock; the "
            'file it names must hold {"mode": "offset", "offset": S} or '
            '{"mode": "frozen", "now": T}',
            remedy=f"fix or rewrite {path}, or unset {CLOCK_FILE_ENV} to use the real clock",
        )


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (compared with token `exp` claims)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (deadlines)."""

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FileClock(SystemClock):
    """Wall-clock time read from a small JSON file that a test harness rewrites.

    A testing seam, unset in production: `CODEX_AGENT_CLOCK_FILE` names a file holding
    `{"mode": "offset", "offset": S}` (real time plus S seconds) or `{"mode": "frozen",
    "now": T}`. The scenario lab uses it so that the agent's processes see the fake servers'
    virtual time. A file that is missing, unreadable or holds anything else (nested brackets,
    `Infinity`, a time before 1970 or after 9999) is a `ClockFileError` naming it, at the first
    read and at every later one: a silent fall back to real time would hide a broken test.
    `monotonic` stays real, so deadlines are unaffected. The file may also hold `"sleep_scale":
    F` (0 < F <= 1, default 1): the agent's own waits (a device-code poll interval, a retry's
    backoff) then last F of their time, so that a harness whose counterpart answers at once
    need not wait for them; the waits still happen, in the same order. The harness must
    replace the file atomically (write a temp file, then rename).
    """

    def __init__(self, path: Path, *, sleeper: Callable[[float], None] = time.sleep) -> None:
        self.path = path
        self._sleeper = sleeper

    def now(self) -> float:
        return read_clock_file(self.path, time.time())

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._sleeper(seconds * read_sleep_scale(self.path))


def read_sleep_scale(path: Path) -> float:
    """The share of each wait the clock file at `path` asks the agent to sleep (default 1)."""
    state = _read_state(path)
    if "sleep_scale" not in state:
        return 1.0
    scale = _seconds(path, state, "sleep_scale")
    if not 0.0 < scale <= 1.0:
        raise ClockFileError(path, "`sleep_scale` is not a share of the wait (0 < F <= 1)")
    return scale


def read_clock_file(path: Path, real_now: float) -> float:
    """The time the clock file at `path` says it is, given the real time `real_now`."""
    state = _read_state(path)
    mode = state.get("mode")
    if mode == "frozen":
        now = _seconds(path, state, "now")
    elif mode == "offset":
        now = real_now + _seconds(path, state, "offset")
    else:
        raise ClockFileError(path, '`mode` is neither "offset" nor "frozen"')
    if not 0.0 <= now <= LATEST_TIME:
        raise ClockFileError(path, "the time it sets is before 1970 or after the year 9999")
    return now


def _read_state(path: Path) -> dict[str, object]:
    try:
        raw = read_small_file(path, MAX_CLOCK_FILE_BYTES)
        if raw is None:
            raise ClockFileError(path, "the file does not exist")
        state = decode_json(raw)
    except UnusablePath as exc:
        raise ClockFileError(path, exc.problem) from None
    except BadContent as exc:
        raise ClockFileError(path, str(exc)) from None
    if not isinstance(state, dict):
        raise ClockFileError(path, "it is not a JSON object")
    return state


def _seconds(path: Path, state: dict[str, object], key: str) -> float:
    value = state.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ClockFileError(path, f"`{key}` is not a number of seconds")
    try:
        seconds = float(value)
    except OverflowError:  # an integer beyond any float
        raise ClockFileError(path, f"`{key}` is out of range") from None
    if not math.isfinite(seconds):
        raise ClockFileError(path, f"`{key}` is not a finite number")
    return seconds


def clock_from_env(env: Mapping[str, str]) -> Clock:
    """The production clock, or the harness's virtual one when `CODEX_AGENT_CLOCK_FILE` is set.

    The file is read once here, so that every command reports a broken one before it starts.
    """
    path = env.get(CLOCK_FILE_ENV)
    if not path:
        return SystemClock()
    clock = FileClock(Path(path))
    clock.now()
    read_sleep_scale(clock.path)
    return clock


class ManualClock:
    """A clock that moves only when told to (or when someone sleeps on it)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        import threading  # here: production starts (`SystemClock`) need no thread machinery

        self._now = start
        self._mono = 0.0
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(max(seconds, 0.0))

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
            self._mono += seconds

    def set(self, epoch: float) -> None:
        with self._lock:
            self._now = epoch
