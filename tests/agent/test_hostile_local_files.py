"""Hostile local files other than the store: config.toml, cooldowns.json, session logs.

Each one either gives a clear `why:`/`fix:` error naming the file (exit 1, never a traceback and
never "a bug"), or is moved aside or skipped without losing what it held.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from agent_testkit import cli_env, run_cli

from agent.clock import ManualClock
from agent.errors import TokenInvalidated
from agent.turns.cascade import Attempt, TurnOutcome
from agent.turns.cooldowns import Cooldowns
from agent.turns.session_log import MAX_RECORD_BYTES, SessionLog

NESTED_JSON = "[" * 100_000 + "]" * 100_000
KEY_ENV = "HOSTILE_TEST_KEY"  # never set: the turn fails before any network call
OFFLINE_MODEL = (
    '[model]\nprovider = "openai-compatible"\nname = "m"\n'
    f'base_url = "http://127.0.0.1:9/v1"\nkey_env = "{KEY_ENV}"\nmax_retries = 0\n'
)


def env_for(tmp_path: Path) -> dict[str, str]:
    env = cli_env(tmp_path / "agent", tmp_path / "codex", "https://127.0.0.1:9", None)
    env.pop(KEY_ENV, None)
    return env


def assert_clear_failure(result: object, *, named: str) -> None:
    stderr: str = result.stderr  # type: ignore[attr-defined]
    code: int = result.returncode  # type: ignore[attr-defined]
    assert code in (1, 2), stderr
    assert "Traceback" not in stderr
    assert "bug" not in stderr
    assert "why:" in stderr
    assert "fix:" in stderr
    assert named in stderr


# --- config.toml ---------------------------------------------------------------------------


def _write(text: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(text)


CONFIG_FORMS: dict[str, tuple[Callable[[Path], None], str]] = {
    "garbage bytes": (_write(b"\x00\x01\x02 {{{ ]]] = = =\n"), "is not valid TOML"),
    "not UTF-8": (_write(b"issuer = '\xff\xfe'\n"), "is not UTF-8 text"),
    "nested arrays": (_write(b"x = " + b"[" * 100_000 + b"]" * 100_000), "nests"),
    "nested inline tables": (
        _write(b"[model]\nname = " + b"{a=" * 50_000 + b"1" + b"}" * 50_000),
        "nests",
    ),
    "nested table headers": (_write(b"[auth.a.b.c.d.e]\nx = 1\n"), "unknown key"),
    "huge": (_write(b"# " + b"x" * (2 * 1024 * 1024) + b"\n"), "larger than"),
    "an integer 5000 digits long": (_write(b"[model]\nmax_retries = " + b"9" * 5000), "too long"),
    "a directory": (lambda path: path.mkdir(), "is a directory"),
    "a symlink loop": (lambda path: path.symlink_to(path), "cannot be read"),
    "a FIFO": (lambda path: os.mkfifo(path), "is not a regular file"),
}
COMMANDS = [["ask", "hi"], ["status"], ["login", "--device"], ["chat"]]


@pytest.mark.parametrize("form", sorted(CONFIG_FORMS))
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: argv[0])
def test_a_hostile_config_toml_is_a_clear_error_from_every_command(
    tmp_path: Path, form: str, argv: list[str]
) -> None:
    make, problem = CONFIG_FORMS[form]
    env = env_for(tmp_path)
    home = Path(env["CODEX_AGENT_HOME"])
    home.mkdir(mode=0o700)
    make(home / "config.toml")
    result = run_cli(argv, env)
    assert_clear_failure(result, named=f"{home / 'config.toml'}")
    assert problem in result.stderr


def test_status_json_reports_a_hostile_config_as_json(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    home = Path(env["CODEX_AGENT_HOME"])
    home.mkdir(mode=0o700)
    (home / "config.toml").write_bytes(b"x = " + b"[" * 100_000)
    result = run_cli(["status", "--json"], env)
    assert result.returncode == 1
    assert json.loads(result.stdout)["last_error"]["code"] == "config_invalid"
    assert "Traceback" not in result.stderr


# --- cooldowns.json ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [NESTED_JSON.encode(), b"garbage {", b"[1, 2]", b'"text"', b'{"a": "\xff"}', b""],
    ids=["nested brackets", "garbage", "a list", "a string", "not UTF-8", "empty"],
)
def test_a_corrupt_cooldowns_file_means_no_cooldown_and_is_moved_aside(
    tmp_path: Path, raw: bytes
) -> None:
    path = tmp_path / "cooldowns.json"
    path.write_bytes(raw)
    cooldowns = Cooldowns(path)
    assert cooldowns.active("openai-codex (gpt-5.5)", now=0.0) is None
    aside = list(tmp_path.glob("cooldowns.json.corrupt-*"))
    assert [p.read_bytes() for p in aside] == [raw]  # nothing lost
    cooldowns.start("openai-codex (gpt-5.5)", until=100.0)
    assert json.loads(path.read_text()) == {"openai-codex (gpt-5.5)": 100.0}


def test_a_huge_cooldowns_file_is_moved_aside_unread(tmp_path: Path) -> None:
    path = tmp_path / "cooldowns.json"
    path.write_text('{"a": 1, "pad": "' + "x" * (1024 * 1024) + '"}')
    assert Cooldowns(path).active("a", now=0.0) is None
    assert len(list(tmp_path.glob("cooldowns.json.corrupt-*"))) == 1


def test_non_finite_cooldowns_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "cooldowns.json"
    path.write_text('{"a": Infinity, "b": NaN, "c": 1e400, "d": 50}')
    cooldowns = Cooldowns(path)
    assert [cooldowns.active(label, now=0.0) for label in "abcd"] == [None, None, None, 50.0]


def test_a_cooldowns_directory_is_left_alone_and_littered_with_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cooldowns.json"
    path.mkdir()
    cooldowns = Cooldowns(path)
    assert cooldowns.active("a", now=0.0) is None
    cooldowns.start("a", until=100.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cooldowns.json"]


def test_ask_with_nested_cooldowns_answers_with_a_clear_notice(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    home = Path(env["CODEX_AGENT_HOME"])
    home.mkdir(mode=0o700)
    (home / "config.toml").write_text(OFFLINE_MODEL)
    (home / "cooldowns.json").write_text(NESTED_JSON)
    result = run_cli(["ask", "hi"], env)
    assert result.returncode == 1, result.stderr
    assert f"{KEY_ENV} is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert "bug" not in result.stderr


# --- session logs --------------------------------------------------------------------------


def turn_line(number: int, prompt: str, reply: str) -> bytes:
    record = {"type": "turn", "turn": number, "prompt": prompt, "reply": reply}
    return json.dumps(record).encode() + b"\n"


def record_a_turn(log: SessionLog) -> None:
    attempt = Attempt("openai-compatible", "m", "openai-compatible (m)", "failed")
    attempt.error = TokenInvalidated()
    outcome = TurnOutcome([attempt], None, "error")
    log.record_turn(turn_id="t", prompt="p", outcome=outcome, notice=None, started_at="x")


def hostile_log(path: Path) -> bytes:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    raw = (
        turn_line(1, "one", "first")
        + NESTED_JSON.encode()
        + b"\n"
        + b'{"type": "turn", "prompt": "\xff\xfe"}\n'
        + b'{"type": "turn", "prompt": "'
        + b"x" * (MAX_RECORD_BYTES + 10)
        + b'"}\n'
        + turn_line(2, "two", "second")
        + b'{"type": "turn", "prompt": "cut short by a cra'
    )
    path.write_bytes(raw)
    return raw


def test_a_hostile_session_log_keeps_the_readable_records(tmp_path: Path) -> None:
    home = tmp_path / "home"
    raw = hostile_log(home / "sessions" / "s1.jsonl")
    log = SessionLog(home, "s1", clock=ManualClock())
    assert [(r["prompt"], r["reply"]) for r in log.records()] == [
        ("one", "first"),
        ("two", "second"),
    ]
    assert log.turn_count == 2
    log.start("test")  # the file exists: no header
    record_a_turn(log)
    written = (home / "sessions" / "s1.jsonl").read_bytes()
    assert written.startswith(raw + b"\n")  # nothing lost; the cut-short line ends there
    assert json.loads(written[len(raw) + 1 :])["turn"] == 3
    assert [r["turn"] for r in log.records()] == [1, 2, 3]


def test_a_session_log_that_is_a_fifo_never_hangs(tmp_path: Path) -> None:
    path = tmp_path / "home" / "sessions" / "s1.jsonl"
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    log = SessionLog(tmp_path / "home", "s1", clock=ManualClock())
    assert list(log.records()) == []
    record_a_turn(log)
    assert log.write_error is not None
    assert "not a regular file" in log.write_error


@pytest.mark.parametrize("argv", [["ask", "--session", "s1", "hi"], ["chat", "--session", "s1"]])
def test_resuming_a_hostile_session_log_is_no_traceback(tmp_path: Path, argv: list[str]) -> None:
    env = env_for(tmp_path)
    home = Path(env["CODEX_AGENT_HOME"])
    home.mkdir(mode=0o700)
    (home / "config.toml").write_text(OFFLINE_MODEL)
    log = home / "sessions" / "s1.jsonl"
    raw = hostile_log(log)
    result = run_cli(argv, env)
    assert "Traceback" not in result.stderr
    assert "bug" not in result.stderr
    if argv[0] == "ask":
        assert result.returncode == 1
        assert f"{KEY_ENV} is not set" in result.stderr
        after = log.read_bytes()
        assert after.startswith(raw + b"\n")  # the cut-short line stays a line of its own
        assert json.loads(after[len(raw) + 1 :])["turn"] == 3
    else:
        assert result.returncode == 0
        assert log.read_bytes() == raw
