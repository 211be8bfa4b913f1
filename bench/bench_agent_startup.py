"""Start-up of `codex-agent` commands against the bare interpreter, on this machine, in this run.

Each command is run RUNS times as a fresh process (the `codex-agent` script of this interpreter),
the commands in turn, round after round, so that a busy spell of a shared machine weighs on all
of them alike; the median wall time is printed with its ratio to `python -c pass`. `status` is
timed with no login and with a login in the store, since that one reads the store and decodes
the JWT payloads. The goal of issue 14 is a ratio of at most 5.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jwt

from agent.auth.store import AuthStore, Origin, StoredLogin
from agent.auth.tokens import TokenSet
from agent.clock import ManualClock

RUNS = int(os.environ.get("BENCH_STARTUP_RUNS", "30"))
GOAL_RATIO = 5.0
START = 1_800_000_000.0


def login_tokens() -> TokenSet:
    """A pair shaped like the issuer's (the agent reads its claims, never its signature)."""
    auth = {"chatgpt_account_id": "acc_bench_0001", "chatgpt_plan_type": "plus"}
    claims = {
        "email": "bench@example.test",
        "exp": START + 3600,
        "https://api.openai.com/auth": auth,
    }
    key = "bench-signing-key-not-checked-by-clients"
    return TokenSet(
        id_token=jwt.encode(claims, key, algorithm="HS256"),
        access_token=jwt.encode(claims, key, algorithm="HS256"),
        refresh_token="rt_bench_0001",
        account_id="acc_bench_0001",
    )


def medians_ms(cases: list[tuple[list[str], dict[str, str]]]) -> list[float]:
    """The median wall time of each case, the cases run in turn (round after round), so that
    a busy spell of the machine falls on all of them alike rather than on one."""
    for argv, env in cases:
        # One run first, not counted: it writes the bytecode caches a user's second start finds.
        subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    samples: list[list[float]] = [[] for _ in cases]
    for _ in range(RUNS):
        for (argv, env), times in zip(cases, samples, strict=True):
            start = time.perf_counter()
            subprocess.run(
                argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False
            )
            times.append((time.perf_counter() - start) * 1000)
    return [statistics.median(times) for times in samples]


def environment(tmp: Path, name: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CODEX_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        {
            "HOME": str(tmp / name),
            "CODEX_AGENT_HOME": str(tmp / name / "agent"),
            "CODEX_HOME": str(tmp / name / "codex"),
        }
    )
    return env


def main() -> None:
    print(f"bench_agent_startup (median of {RUNS} runs each)")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        fresh = environment(tmp, "fresh")
        logged_in = environment(tmp, "logged-in")
        store = AuthStore(
            Path(logged_in["CODEX_AGENT_HOME"]), clock=ManualClock(START), lock_timeout=5
        )
        store.save(StoredLogin(login_tokens(), Origin("device_code")))
        # The installed `codex-agent` script, as a user starts it (`-m agent` adds runpy).
        script = Path(sys.executable).parent / "codex-agent"
        agent = [str(script)] if script.exists() else [sys.executable, "-m", "agent"]
        cases = [
            ("python -c pass", [sys.executable, "-c", "pass"], fresh),
            ("codex-agent --help", [*agent, "--help"], fresh),
            ("codex-agent status (no login)", [*agent, "status"], fresh),
            ("codex-agent status (logged in)", [*agent, "status"], logged_in),
            ("codex-agent ask --help", [*agent, "ask", "--help"], fresh),
        ]
        times = medians_ms([(argv, env) for _, argv, env in cases])
        bare = times[0]
        worst = 0.0
        for (label, _, _), ms in zip(cases, times, strict=True):
            worst = max(worst, ms / bare)
            print(f"  {label:<34} {ms:7.1f} ms {ms / bare:5.1f}x")
        verdict = "within" if worst <= GOAL_RATIO else "OVER"
        print(f"  worst ratio {worst:.1f}x: {verdict} the goal of {GOAL_RATIO:.0f}x")


if __name__ == "__main__":
    main()
