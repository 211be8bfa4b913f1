"""Scripted answers: make chosen calls answer otherwise than the state would.

    {"options": {"manager": "unreachable"},
     "rules": [{"verb": "bootstrap", "times": 1, "answer": "exit", "exit_code": 5,
                "stderr": "Bootstrap failed: 5: Input/output error\\n"},
               {"verb": "restart", "answer": "hang", "seconds": 60},
               {"verb": "*", "match": "show", "answer": "silent"}]}

A rule applies to calls of its `verb` (the first word after the options; `*` for any) whose
arguments contain every string of `match`, at most `times` times, after skipping `skip`
matching calls. Answers: `exit` (`exit_code`, `stdout`, `stderr`), `hang` (sleep `seconds`),
`silent` (no output, `exit_code` default 0), `pass` (answer normally). Options: systemctl
`"manager": "unreachable"` (no user manager: every call fails as in a container);
launchctl `"gui_domain": "missing"` (logged in over ssh only: error 125 on bootstrap).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ANSWERS = ("exit", "hang", "silent", "pass")


class ScriptError(ValueError):
    pass


@dataclass
class Rule:
    index: int
    verb: str
    answer: str
    match: list[str] = field(default_factory=list)
    times: int | None = None
    skip: int = 0
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Script:
    options: dict[str, Any] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)

    def choose(self, verb: str, argv: list[str], seen: dict[str, int]) -> Rule | None:
        joined = " ".join(argv)
        for rule in self.rules:
            if rule.verb not in ("*", verb) or not all(m in joined for m in rule.match):
                continue
            count = seen.get(str(rule.index), 0)
            seen[str(rule.index)] = count + 1
            if count < rule.skip or (rule.times is not None and count - rule.skip >= rule.times):
                continue
            return rule
        return None


def load(path: Path | None) -> Script:
    if path is None or not path.exists():
        return Script()
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ScriptError(f"cannot read the shim script {path}: {exc}") from exc
    rules = []
    for index, raw in enumerate(data.get("rules", [])):
        if raw.get("answer") not in ANSWERS:
            raise ScriptError(f"rule {index}: answer must be one of {', '.join(ANSWERS)}")
        match = raw.get("match", [])
        rules.append(
            Rule(
                index=index,
                verb=str(raw.get("verb", "*")),
                answer=raw["answer"],
                match=[match] if isinstance(match, str) else list(match),
                times=raw.get("times"),
                skip=int(raw.get("skip", 0)),
                params={
                    k: v
                    for k, v in raw.items()
                    if k not in ("verb", "answer", "match", "times", "skip")
                },
            )
        )
    return Script(options=dict(data.get("options", {})), rules=rules)
