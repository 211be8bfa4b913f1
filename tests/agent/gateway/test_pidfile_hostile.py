"""A hostile `<home>/gateway.pid`: never a traceback, never a signal on its word.

`gateway run` sets it aside and starts; `gateway status` and `gateway stop` (the service actions)
say what they found; `read_record` answers a record, None, or `UnusableRecord`, nothing else.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.gateway import pidfile
from agent.gateway.pidfile import GatewayRecord, UnusableRecord
from agent.host import SimulatedWindowsHost
from agent.winservice.service import GatewayService

SAFETY = 60.0  # seconds; a bound against hangs, never a measured limit
GOOD = {
    "pid": 4242,
    "host": "127.0.0.1",
    "port": 8787,
    "started_at": "2026-01-01T00:00:00Z",
    "version": "1.0",
    "control": "abc-DEF_123",
}


def _with(**changes: Any) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


HOSTILE_CONTENTS: dict[str, bytes] = {
    "nested brackets": b"[" * 50_000,
    "nested objects": b'{"a":' * 20_000,
    "pid 1e400": _with().replace(b"4242", b"1e400"),
    "pid of 23 digits": _with().replace(b"4242", b"12345678901234567890123"),
    "pid of 5000 digits": _with().replace(b"4242", b"9" * 5000),
    "pid zero": _with(pid=0),
    "pid negative": _with(pid=-1),
    "pid 2^31": _with(pid=2**31),
    "pid true": _with(pid=True),
    "pid as text": _with(pid="4242"),
    "pid NaN": _with().replace(b"4242", b"NaN"),
    "port 70000": _with(port=70000),
    "port -1": _with(port=-1),
    "port 1e400": _with().replace(b"8787", b"1e400"),
    "host with a line break": _with(host="127.0.0.1\nX-Evil: 1"),
    "host a path": _with(host="example.org/evil"),
    "control with a line break": _with(control="a\r\nb"),
    "control not ASCII": _with(control="é"),
    "control empty": _with(control=""),
    "version a number": _with(version=1),
    "missing fields": b'{"pid": 4242}',
    "a list": b"[4242]",
    "a bare pid": b"4242",
    "not UTF-8": b'{"pid": 4242, "host": "\xff"}',
    "empty": b"",
    "null": b"null",
    "garbage": b"\x00\x01not json",
    "huge": b" " * (pidfile.MAX_RECORD_BYTES + 1) + _with(),
}


def _write(home: Path, kind: str) -> Path:
    """Put a hostile thing at `<home>/gateway.pid`."""
    path = pidfile.pid_path(home)
    home.mkdir(parents=True, exist_ok=True)
    if kind == "a directory":
        path.mkdir()
        (path / "inside").write_text("x")
    elif kind == "a symlink loop":
        path.symlink_to(path.name)
    elif kind == "a FIFO":
        os.mkfifo(path)
    else:
        path.write_bytes(HOSTILE_CONTENTS[kind])
    return path


ALL_KINDS = [*HOSTILE_CONTENTS, "a directory", "a symlink loop", "a FIFO"]


# --- read_record ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_hostile_record_is_an_unusable_record_naming_the_file(tmp_path: Path, kind: str) -> None:
    _write(tmp_path, kind)
    with pytest.raises(UnusableRecord) as caught:
        pidfile.read_record(tmp_path)
    assert str(pidfile.pid_path(tmp_path)) in caught.value.message
    assert caught.value.problem
    assert caught.value.code == "gateway_record_unusable"


def test_a_record_the_gateway_wrote_reads_back(tmp_path: Path) -> None:
    record = GatewayRecord(**GOOD)  # type: ignore[arg-type]
    pidfile.write_record(tmp_path, record)
    assert pidfile.read_record(tmp_path) == record
    assert pidfile.read_record(tmp_path / "nowhere") is None


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and the infinities too
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
FIELD_VALUES = JSON_VALUES | st.integers(min_value=-(2**80), max_value=2**80) | st.just(4242)


@st.composite
def record_like(draw: st.DrawFn) -> Any:
    """Mostly objects with the record's keys (so the field checks are reached), sometimes any
    JSON at all."""
    if draw(st.integers(0, 4)) == 0:
        return draw(JSON_VALUES)
    names = draw(st.sets(st.sampled_from(sorted(GOOD)), min_size=3))
    return {name: draw(st.one_of(st.just(GOOD[name]), FIELD_VALUES)) for name in sorted(names)}


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=record_like())
def test_read_record_answers_a_record_none_or_its_own_error_for_any_json(
    tmp_path: Path, doc: Any
) -> None:
    pidfile.pid_path(tmp_path).write_text(json.dumps(doc), "utf-8")  # NaN/Infinity as Python writes
    try:
        record = pidfile.read_record(tmp_path)
    except UnusableRecord:
        return
    assert isinstance(record, GatewayRecord)
    assert 1 <= record.pid <= pidfile.MAX_PID
    assert 0 <= record.port <= 65535


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=300) | st.integers(1, 3000).map(lambda n: b"[" * n))
def test_read_record_answers_none_or_its_own_error_for_any_bytes(
    tmp_path: Path, raw: bytes
) -> None:
    pidfile.pid_path(tmp_path).write_bytes(raw)
    try:
        pidfile.read_record(tmp_path)
    except UnusableRecord:
        pass


# --- setting aside ---------------------------------------------------------------------------


def test_a_usable_record_is_never_set_aside(tmp_path: Path) -> None:
    record = GatewayRecord(**{**GOOD, "pid": os.getpid()})  # type: ignore[arg-type]
    pidfile.write_record(tmp_path, record)
    assert pidfile.set_aside(tmp_path) is None
    assert pidfile.read_record(tmp_path) == record


@pytest.mark.parametrize("kind", ["nested brackets", "a directory", "a symlink loop"])
def test_an_unusable_record_is_set_aside_whole(tmp_path: Path, kind: str) -> None:
    path = _write(tmp_path, kind)
    aside = pidfile.set_aside(tmp_path)
    assert aside is not None
    assert aside.name.startswith("gateway.pid.unusable-")
    assert not os.path.lexists(path)
    if kind == "nested brackets":
        assert aside.read_bytes() == HOSTILE_CONTENTS[kind]  # kept for a look, not rewritten


def test_the_gateway_leaves_an_unusable_record_it_did_not_write(tmp_path: Path) -> None:
    path = _write(tmp_path, "pid 1e400")
    pidfile.remove_record(tmp_path, 4242)
    assert path.read_bytes() == HOSTILE_CONTENTS["pid 1e400"]


# --- `codex-agent gateway run` as a process --------------------------------------------------


@pytest.fixture
def agent_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEX_", "OPENAI_"))}
    env["CODEX_AGENT_HOME"] = str(tmp_path / "home")
    env["CODEX_HOME"] = str(tmp_path / "codex")
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def gateways() -> Iterator[Callable[[dict[str, str]], subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def start(env: dict[str, str]) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "agent", "gateway", "run", "--port", "0"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=SAFETY)


def _stderr_until_listening(proc: subprocess.Popen[str]) -> str:
    """What the gateway says until it listens (or exits, which the caller then sees)."""
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "listening on" in line:
            break
    return "".join(lines)


@pytest.mark.parametrize(
    "kind", ["nested brackets", "pid 1e400", "pid of 23 digits", "a directory"]
)
def test_gateway_run_sets_a_hostile_record_aside_and_starts(
    agent_env: dict[str, str],
    gateways: Callable[[dict[str, str]], subprocess.Popen[str]],
    kind: str,
) -> None:
    home = Path(agent_env["CODEX_AGENT_HOME"])
    path = _write(home, kind)

    proc = gateways(agent_env)
    said = _stderr_until_listening(proc)

    assert "Traceback" not in said
    assert "listening on" in said, said
    assert f"{path} was not a usable gateway record" in said
    asides = list(home.glob("gateway.pid.unusable-*"))
    assert len(asides) == 1
    assert str(asides[0]) in said
    record = pidfile.read_record(home)
    assert record is not None
    assert record.pid == proc.pid
    proc.send_signal(signal.SIGTERM)
    _, rest = proc.communicate(timeout=SAFETY)
    assert proc.returncode == 0, rest
    assert "Traceback" not in rest
    assert not path.exists()


# --- `gateway status` and `gateway stop` (the service actions) -------------------------------


def _service(tmp_path: Path) -> tuple[GatewayService, SimulatedWindowsHost]:
    """A simulated Windows machine without schtasks: only the pid file matters here."""
    host = SimulatedWindowsHost(root=tmp_path / "fs", path_dirs=[])
    return GatewayService(host), host


@pytest.mark.parametrize(
    "kind", ["nested brackets", "pid of 23 digits", "pid 1e400", "a directory"]
)
def test_status_and_stop_say_what_they_found_and_signal_nothing(tmp_path: Path, kind: str) -> None:
    service, host = _service(tmp_path)
    local = host.local_path(service.layout.pid_file)
    _write(local.parent, kind)
    host.alive.add(4242)  # a live process that a pid taken from the file must never reach

    status = service.status()
    text = "\n".join(status.lines)
    assert "Gateway process: unknown." in text
    assert f"{service.layout.pid_file} is not a usable gateway record" in text
    assert status.data["gateway_running"] is None
    assert status.data["pid_file_problem"]

    stop = service.stop()
    assert any("not a usable gateway record" in line for line in stop.lines)
    assert host.alive == {4242}
    assert not any(line.startswith("Stopped the gateway") for line in stop.lines)
    assert os.path.lexists(local)  # left for `gateway run` to set aside, not deleted blind
