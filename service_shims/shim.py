"""What both shims do around each call: lock the state, pick a scripted answer or act, record
one JSON line (under the lock, so the recording's order is the calls' order), reply."""

from __future__ import annotations

import datetime
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service_shims import recording, state
from service_shims.script import Rule, Script, ScriptError
from service_shims.script import load as load_script


@dataclass
class Answer:
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    kind: str = "normal"
    hang_seconds: float = 0.0


@dataclass
class Config:
    recording: Path
    state: Path
    script: Path | None = None
    launch: bool = False  # start what a unit or plist says as a real process
    uid: int = 501  # launchctl's gui/<uid>


Act = Callable[[list[str], dict[str, Any], Script, Config], Answer]


def verb_of(argv: list[str]) -> str:
    return next((a for a in argv if not a.startswith("-")), "")


def run(tool: str, argv: list[str], config: Config, act: Act) -> int:
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
    with state.locked(config.state) as data:
        data["calls"] += 1
        try:
            script = load_script(config.script)
        except ScriptError as exc:
            answer = Answer(2, stderr=f"service_shims: {exc}\n", kind="script_error")
        else:
            rule = script.choose(verb_of(argv), argv, data["fired"])
            if rule is not None and rule.answer != "pass":
                answer = _scripted(rule)
            else:
                answer = act(argv, data, script, config)
        recording.append(
            config.recording,
            {
                "seq": data["calls"],
                "time": started,
                "tool": tool,
                "argv": argv,
                "cwd": os.getcwd(),
                "env": recording.recorded_env(os.environ),
                "exit_code": answer.exit_code,
                "stdout": answer.stdout,
                "stderr": answer.stderr,
                "answer": answer.kind,
            },
        )
    sys.stdout.write(answer.stdout)
    sys.stderr.write(answer.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    if answer.kind == "hang":
        time.sleep(answer.hang_seconds)
        return 0
    return answer.exit_code if answer.exit_code is not None else 0


def _scripted(rule: Rule) -> Answer:
    params = rule.params
    if rule.answer == "hang":
        return Answer(
            None,
            stdout=str(params.get("stdout", "")),
            kind="hang",
            hang_seconds=float(params.get("seconds", 3600)),
        )
    if rule.answer == "silent":
        return Answer(int(params.get("exit_code", 0)), kind="silent")
    return Answer(
        int(params.get("exit_code", 0)),
        stdout=str(params.get("stdout", "")),
        stderr=str(params.get("stderr", "")),
        kind="scripted",
    )
