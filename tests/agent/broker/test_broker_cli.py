"""`codex-agent broker env|status|run` as a person types them: the exact lines for each
shell, a status that shows families and never a token or a digest, and one broker per home."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from agent_testkit import cli_env, run_cli
from broker_testkit import DIGEST, mint, start_broker_process

URL = "http://127.0.0.1:9999"
COMMENT = [
    "Refreshes of the Codex CLI, the VS Code extension and codex-agent go through",
    f"the refresh broker at {URL}. Set these where those programs start (your",
    "shell profile; for VS Code, the environment that launches `code`).",
]
VARIABLES = [
    ("CODEX_REFRESH_TOKEN_URL_OVERRIDE", f"{URL}/oauth/token"),
    ("CODEX_REVOKE_TOKEN_URL_OVERRIDE", f"{URL}/oauth/revoke"),
    ("CODEX_AGENT_BROKER_URL", URL),
]
EXPECTED = {
    "sh": [f"# {c}" for c in COMMENT] + [f"export {k}={v}" for k, v in VARIABLES],
    "fish": [f"# {c}" for c in COMMENT] + [f"set -gx {k} {v}" for k, v in VARIABLES],
    "powershell": [f"# {c}" for c in COMMENT] + [f"$env:{k} = '{v}'" for k, v in VARIABLES],
    "cmd": [f"rem {c}" for c in COMMENT] + [f'set "{k}={v}"' for k, v in VARIABLES],
}


@pytest.fixture
def env(upstream: Any, tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "agent-home", tmp_path / "codex-home", upstream.issuer,
                   upstream.ca_cert)  # fmt: skip


@pytest.mark.parametrize("shell", sorted(EXPECTED))
def test_env_prints_the_exact_lines_for_each_shell(env: dict[str, str], shell: str) -> None:
    done = run_cli(["broker", "env", "--shell", shell, "--port", "9999"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == EXPECTED[shell]
    assert done.stderr == ""


def secrets_absent(upstream: Any, text: str) -> None:
    assert DIGEST.search(text) is None, "a digest in the output"
    leaked = [v for v in upstream.admin.issued_token_values() if v in text]
    assert leaked == [], "a token in the output"


def test_status_with_and_without_a_running_broker(
    upstream: Any, account: dict[str, Any], env: dict[str, str], tmp_path: Path
) -> None:
    family = mint(upstream, account)
    broker = start_broker_process(env, stderr_path=tmp_path / "broker.err")
    try:
        current = broker.refresh(family["refresh_token"]).json()["refresh_token"]
        assert broker.refresh(family["refresh_token"]).status_code == 200  # adopted
        text = run_cli(["broker", "status"], env)
        as_json = run_cli(["broker", "status", "--json"], env)
        found = run_cli(["broker", "env", "--shell", "sh"], env)
    finally:
        broker.stop()
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == f"broker: running, pid {broker.ready['pid']}, {broker.url}"
    assert "families: 1" in lines
    assert any("generation 1" in line and "account " + account["account_id"] in line
               for line in lines)  # fmt: skip
    data = json.loads(as_json.stdout)
    assert data["running"] is True
    (served,) = data["families"]
    assert (served["generation"], served["answers"]) == (1, {"new_family": 1, "adopted": 1})
    assert [r["action"] for r in data["recent"]] == ["new_family", "adopted"]
    assert f"export CODEX_AGENT_BROKER_URL={broker.url}" in found.stdout.splitlines()
    for output in (text.stdout, as_json.stdout, found.stdout):
        secrets_absent(upstream, output)
    assert current not in as_json.stdout

    stopped_text = run_cli(["broker", "status"], env)
    stopped_json = run_cli(["broker", "status", "--json"], env)
    assert stopped_text.stdout.splitlines()[0] == "broker: not running (no broker record)"
    assert "families: 1" in stopped_text.stdout.splitlines()
    data = json.loads(stopped_json.stdout)
    assert data["running"] is False
    assert [f["generation"] for f in data["families"]] == [1]
    for output in (stopped_text.stdout, stopped_json.stdout):
        secrets_absent(upstream, output)


def test_one_broker_per_home_and_replace_stops_the_first(
    env: dict[str, str], tmp_path: Path
) -> None:
    first = start_broker_process(env, stderr_path=tmp_path / "first.err")
    second = None
    try:
        refused = subprocess.run(
            [sys.executable, "-m", "agent", "broker", "run", "--port", "0"],
            env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert refused.returncode == 1
        assert refused.stdout == ""
        assert (
            f"error: A broker is already running for this home (pid {first.ready['pid']}, "
            f"{first.url})." in refused.stderr
        )
        assert "--replace" in refused.stderr
        assert first.process.poll() is None  # untouched
        second = start_broker_process(env, "--replace", stderr_path=tmp_path / "second.err")
        assert first.process.wait(60) == 0  # stopped cleanly by the newcomer
        assert second.ready["pid"] != first.ready["pid"]
        record = json.loads((Path(env["CODEX_AGENT_HOME"]) / "broker.pid").read_text())
        assert record["pid"] == second.ready["pid"]
    finally:
        first.stop()
        if second is not None:
            second.stop()
