"""A bounded kill -9 sweep of `codex-agent refresh --force` under the strict reuse policy.

Each round starts a real `codex-agent refresh --force` process against a real fake OAuth server
(TLS, strict: a replayed refresh token revokes the login) and kills it with SIGKILL at a
spread-out moment: at a random time within a normal run, or around the answer (held at the
server's `after_commit` pause, then killed before the release, a few ms after it, or as soon as
the store's temp file appears, i.e. during the write). The next
`refresh --force` then runs to completion and what it found is counted: lost responses (the
server rotated, the store was not written), pairs recovered from a temp file, refreshes
diagnosed as interrupted (after which the sweep signs in again, as the user would), unreadable
stores, leftover temp files, and logins revoked by a replay.

Plain pytest (no fixtures of the suite's conftest); prints its counts and a one-line summary.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from agent.auth.manager import CredentialManager
from agent.auth.store import AuthStore
from agent.auth.tokens import TokenSet
from agent.clock import SystemClock
from agent.config import AgentConfig
from agent.errors import StoreError
from fake_oauth_server.testing import OAuthServerOptions, RunningOAuthServer, running_oauth_server

KILLS = int(os.environ.get("KILL_SWEEP_KILLS", "100"))
SEED = int(os.environ.get("KILL_SWEEP_SEED", "1212"))
RUN_TIMEOUT = 60.0


def _env(home: Path, codex_home: Path, server: RunningOAuthServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODEX_", "COV_"))}
    env.update(
        {
            "HOME": str(home.parent),
            "CODEX_AGENT_HOME": str(home),
            "CODEX_HOME": str(codex_home),
            "CODEX_AGENT_ISSUER": server.issuer,
            "PYTHONUNBUFFERED": "1",
        }
    )
    if server.ca_cert is not None:
        env["CODEX_AGENT_CA_BUNDLE"] = str(server.ca_cert)
    return env


class Sweep:
    def __init__(self, server: RunningOAuthServer, tmp: Path) -> None:
        self.server = server
        self.home = tmp / "agent-home"
        self.config = AgentConfig(
            home=self.home,
            issuer=server.issuer,
            codex_home=tmp / "codex-home",
            ca_bundle=server.ca_cert,
        )
        self.env = _env(self.home, self.config.codex_home, server)
        self.store = AuthStore(self.home, clock=SystemClock(), lock_timeout=30)
        self.account = server.admin.create_account(email="sweep@example.test")["account_id"]
        self.family = ""
        self.counts: Counter[str] = Counter()

    # --- the user's side ----------------------------------------------------------------------

    def sign_in(self) -> None:
        """A fresh login, as `codex-agent login` would leave it (the old store is gone)."""
        fam = self.server.admin.mint_family(self.account)
        self.family = fam["family_id"]
        for path in (self.home / "auth.json", self.home / "refresh-journal.json"):
            path.unlink(missing_ok=True)
        tokens = TokenSet(fam["id_token"], fam["access_token"], fam["refresh_token"], self.account)
        with CredentialManager(self.config, http=httpx.Client()) as manager:
            manager.save_new_login(tokens, method="device_code")

    def start_refresh(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "agent", "refresh", "--force"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    # --- what the server and the disk say -------------------------------------------------------

    def generation(self) -> int:
        return int(self.server.admin.ledger(family_id=self.family)["families"][0]["generation"])

    def replay_burns(self) -> int:
        events = self.server.admin.ledger(family_id=self.family)["events"]
        return sum(1 for e in events if e.get("type") in ("reuse_detected", "family_revoked"))

    def store_fingerprint(self) -> str | None:
        try:
            login = self.store.read()
        except StoreError:
            self.counts["unreadable stores"] += 1
            return None
        return login.tokens.refresh_fingerprint if login else None

    def temp_files(self) -> list[Path]:
        return [p for p in self.home.iterdir() if ".tmp-" in p.name]

    def temp_with_newer_pair(self, current: str | None) -> bool:
        for path in self.temp_files():
            pair = self.store.read_temp(path)
            if pair is not None and current is not None and current in pair.retired_refresh:
                return True
        return False

    # --- one round ---------------------------------------------------------------------------

    def _wait_for_a_temp_file(self, proc: subprocess.Popen[str]) -> None:
        """Spin until the store's temp file appears (the write is under way) or the run ends."""
        deadline = time.monotonic() + 5
        while proc.poll() is None and time.monotonic() < deadline:
            with os.scandir(self.home) as entries:
                if any(e.name.startswith(".auth.json.tmp-") for e in entries):
                    return

    def calibrate(self, runs: int = 3) -> float:
        times = []
        for _ in range(runs):
            started = time.monotonic()
            proc = self.start_refresh()
            _, err = proc.communicate(timeout=RUN_TIMEOUT)
            assert proc.returncode == 0, err
            times.append(time.monotonic() - started)
            self.counts["runs"] += 1
        return statistics.median(times)

    def kill_round(self, rng: random.Random, run_time: float) -> None:
        before_fp = self.store_fingerprint()
        before_gen = self.generation()
        pause = None
        if rng.random() < 0.4:
            pause = self.server.admin.arm_pause(
                "after_commit", match={"family_id": self.family, "grant_type": "refresh_token"}
            )
        proc = self.start_refresh()
        self.counts["runs"] += 1
        if pause is None:
            time.sleep(rng.uniform(0.0, 1.2 * run_time))
            proc.send_signal(signal.SIGKILL)
        else:
            try:
                self.server.admin.wait_paused(pause, timeout=RUN_TIMEOUT)
                moment = rng.choice(["held", "after the release", "during the write"])
                if moment != "held":
                    self.server.admin.release(pause)
                if moment == "after the release":
                    time.sleep(rng.uniform(0.0, 0.04))
                elif moment == "during the write":
                    self._wait_for_a_temp_file(proc)
                proc.send_signal(signal.SIGKILL)
            finally:
                self.server.admin.release(pause)
        proc.communicate(timeout=RUN_TIMEOUT)
        if proc.returncode == -signal.SIGKILL:
            self.counts["kills"] += 1
        else:
            self.counts["finished before the kill"] += 1

        after_fp = self.store_fingerprint()
        rotated = self.generation() > before_gen
        lost = rotated and after_fp == before_fp
        self.counts["lost responses"] += lost
        self.counts["temp files left by a kill"] += len(self.temp_files())
        recoverable = self.temp_with_newer_pair(after_fp)

        burns_before = self.replay_burns()
        nxt = subprocess.run(
            [sys.executable, "-m", "agent", "refresh", "--force"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        self.counts["runs"] += 1
        assert "Traceback" not in nxt.stderr, nxt.stderr[-2000:]
        self.counts["leftover temp files"] += len(self.temp_files())
        self.counts["journals left open"] += (self.home / "refresh-journal.json").exists()
        self.store_fingerprint()
        burned = self.replay_burns() > burns_before
        self.counts["revoked by a replay"] += burned
        if nxt.returncode == 0:
            self.counts["recovered from a temp file"] += recoverable
            return
        if "code: refresh_interrupted" in nxt.stderr:
            self.counts["diagnosed interrupted"] += 1
            self.counts["diagnosed interrupted (a lost response)"] += lost
        else:
            self.counts["other failures"] += 1
            print(f"unexpected failure after a kill: {nxt.stderr.strip()[-400:]}")
        self.sign_in()
        self.counts["sign-ins again"] += 1


def test_kill_nine_sweep_of_refresh_never_replays_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(SEED)
    options = OAuthServerOptions(tls=True, policy="strict")
    with running_oauth_server(options) as server:
        sweep = Sweep(server, tmp_path)
        sweep.sign_in()
        run_time = sweep.calibrate()
        started = time.monotonic()
        rounds = 0
        while sweep.counts["kills"] < KILLS and rounds < 3 * KILLS:
            sweep.kill_round(rng, run_time)
            rounds += 1
        elapsed = time.monotonic() - started

    counts = sweep.counts
    order = [
        "runs",
        "kills",
        "finished before the kill",
        "lost responses",
        "recovered from a temp file",
        "diagnosed interrupted",
        "diagnosed interrupted (a lost response)",
        "sign-ins again",
        "unreadable stores",
        "temp files left by a kill",
        "leftover temp files",
        "journals left open",
        "revoked by a replay",
        "other failures",
    ]
    summary = {key.replace(" ", "_"): counts[key] for key in order}
    summary["seconds"] = round(elapsed, 1)
    with capsys.disabled():  # the counts are the point of the sweep: shown even when it passes
        print()
        for key in order:
            print(f"  {key:42} {counts[key]}")
        print("kill sweep: " + json.dumps(summary))

    assert counts["kills"] > 0
    assert counts["unreadable stores"] == 0
    assert counts["leftover temp files"] == 0
    assert counts["journals left open"] == 0
    assert counts["revoked by a replay"] == 0
    assert counts["other failures"] == 0
    # Every lost response was either recovered or diagnosed; none was replayed.
    assert (
        counts["diagnosed interrupted (a lost response)"] + counts["recovered from a temp file"]
        >= counts["lost responses"]
    )
