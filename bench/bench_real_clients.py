"""The real Codex CLI's cost in the lab: its install (cold into an empty cache folder, then
cached) and one `codex exec` turn against a hostname-faithful world, next to one `codex-agent ask`
turn against the same world.

Both clients log in once (device code, approved at once by the world); each turn is then a new
process, as a user runs it. When npm cannot install the CLI, one line says so and its figures
are skipped; the agent's turn is still measured.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scenarios.lab.world import World, open_world
from scenarios.real_clients.install import (
    CACHE_DIR_VARIABLE,
    RealClientInstallError,
    default_cache_dir,
    ensure_installed,
)
from scenarios.real_clients.pins import load_pins

TURNS = int(os.environ.get("BENCH_REAL_CLIENT_TURNS", "10"))
SAFETY = 300.0  # a bound on one command, not an expectation


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=SAFETY,
        check=False,
    )
    took = time.perf_counter() - started
    if done.returncode != 0 or "you said:" not in done.stdout + done.stderr:
        tail = (done.stdout + done.stderr)[-2000:]
        raise SystemExit(f"{Path(argv[0]).name} {argv[1]} exited {done.returncode}:\n{tail}")
    return took


def login(argv: list[str], env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run(
        argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=SAFETY, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"login failed: {(done.stdout + done.stderr)[-2000:]}")


def turns(argv: list[str], env: dict[str, str], cwd: Path) -> list[float]:
    return [timed([*argv, f"turn {n}"], env, cwd) for n in range(TURNS)]


def describe(name: str, seconds: list[float]) -> str:
    median = statistics.median(seconds)
    p90 = statistics.quantiles(seconds, n=10)[-1] if len(seconds) > 1 else seconds[0]
    return f"{name}: median {median * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms over {len(seconds)}"


def install_codex(cache: Path) -> Path | None:
    """The CLI installed cold into `cache` and found again cached; None when npm cannot."""
    pin = load_pins()["codex"]
    folder = default_cache_dir({CACHE_DIR_VARIABLE: str(cache)})
    try:
        cold = ensure_installed(pin, folder)
        cached = ensure_installed(pin, folder)
    except RealClientInstallError as exc:
        print(f"Codex CLI install skipped, npm could not install it: {exc}")
        return None
    print(
        f"Codex CLI {pin.version} install: cold {cold.seconds:.1f} s (empty cache folder; npm's "
        f"own cache as it is), cached {cached.seconds * 1000:.2f} ms"
    )
    return cold.client.executable


def measure_turns(world: World, codex: Path | None, root: Path) -> None:
    world.oauth.create_account(email="bench@example.test")
    home = root / "home"
    home.mkdir()
    base = {"PATH": os.environ["PATH"], "HOME": str(home), **world.endpoints.client_env()}
    cli_median: float | None = None
    if codex is not None:
        codex_home = root / "codex-home"
        codex_home.mkdir(mode=0o700)
        env = {**base, "CODEX_HOME": str(codex_home)}
        login([str(codex), "login", "--device-auth"], env, root)
        cli = turns([str(codex), "exec", "--skip-git-repo-check"], env, root)
        print(describe("one `codex exec` turn (real CLI 0.169.0)", cli), flush=True)
        cli_median = statistics.median(cli)
    no_cli = root / "no-cli"
    no_cli.mkdir(mode=0o700)
    env = {
        **base,
        "CODEX_AGENT_HOME": str(root / "agent-home"),
        "CODEX_AGENT_CA_BUNDLE": str(world.endpoints.ca_bundle),
        "CODEX_HOME": str(no_cli),
    }
    agent = [sys.executable, "-m", "agent"]
    login([*agent, "login"], env, root)
    asked = turns([*agent, "ask"], env, root)
    print(describe("one `codex-agent ask` turn", asked))
    if cli_median is not None:
        ratio = cli_median / statistics.median(asked)
        print(f"real CLI turn / agent turn (medians): {ratio:.2f}x")


def main() -> None:
    print(f"real clients against a process world, {os.cpu_count()} CPUs, {TURNS} turns each")
    with tempfile.TemporaryDirectory(prefix="bench-real-clients-") as tmp:
        root = Path(tmp)
        codex = install_codex(root / "cache")
        with open_world(
            "process",
            root / "world",
            auto_approve=True,
            public_issuer="https://auth.openai.com",
        ) as world:
            measure_turns(world, codex, root)


if __name__ == "__main__":
    main()
