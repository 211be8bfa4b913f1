"""`codex-harness`: start the fakes for your own clients, list the scenarios, run one."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from scenarios.lab.lab import Lab
from scenarios.lab.world import open_world
from scenarios.real_clients import command as real_clients_command
from scenarios.registry import all_scenarios, get
from scenarios.report.terminal import render_text


def exports(world_dir: Path, *, backend: str, seed: int | None) -> int:
    with open_world(backend, world_dir, seed=seed, auto_approve=True) as world:
        account = world.oauth.create_account(email="you@example.test", plan="plus")
        e = world.endpoints
        homes = world_dir.resolve()
        lines = {
            # Homes of their own: fake tokens must never land in the user's real logins.
            "CODEX_AGENT_HOME": str(homes / "codex-agent-home"),
            "CODEX_HOME": str(homes / "codex-home"),
            "CODEX_AGENT_ISSUER": e.issuer,
            "CODEX_AGENT_CODEX_BASE_URL": e.base_url,
            "CODEX_AGENT_CA_BUNDLE": str(e.ca_bundle or ""),
            # A real Codex CLI refreshing against the fake (its token and revoke calls only):
            "CODEX_REFRESH_TOKEN_URL_OVERRIDE": f"{e.issuer}/oauth/token",
            "CODEX_REVOKE_TOKEN_URL_OVERRIDE": f"{e.issuer}/oauth/revoke",
            "HARNESS_FALLBACK_API_KEY": e.fallback_api_key,
            "HARNESS_API_BASE_URL": e.api_base_url,
        }
        print("# the fakes are up; paste these into another shell:")
        for key, value in lines.items():
            print(f"export {key}={shlex.quote(value)}")
        print(
            f"# a real Codex CLI also needs to trust {e.ca_bundle} (e.g. SSL_CERT_FILE, in its "
            "shell only)"
        )
        print(f"# account {account['account_id']} ({account['email']}); device codes are")
        print("# approved at once, so `codex-agent login` completes with no browser.")
        print(f"# server logs: {world_dir}; Ctrl-C stops everything.", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


def run_one(name: str, workdir: Path, *, backend: str, seed: int | None) -> int:
    found = get(name)
    print(f"{found.name}: {found.story}\n")
    started = time.perf_counter()
    with open_world(backend, workdir / "world", seed=seed) as world:
        lab = Lab(world, workdir / found.name, found.name)
        failure = ""
        try:
            found.func(lab)
        except Exception:
            failure = traceback.format_exc(limit=-4)
        finally:
            lab.close()
        print(render_text(lab.timeline()))
        for notice in lab.notices:
            print(f"\nnotice shown to the user:\n{notice}")
        leaks = lab.audit(world.logs())
    took = time.perf_counter() - started
    for leak in leaks:
        print(f"LEAK: {leak}")
    if failure or leaks:
        print(f"\nFAILED in {took:.1f} s (artifacts: {workdir})\n{failure}")
        return 1
    print(f"\npassed in {took:.1f} s (artifacts: {workdir})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="codex-harness", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser(
        "up", help="start the fakes and print the exports that point clients at them"
    )
    run = sub.add_parser("run", help="run one scenario and print its timeline")
    run.add_argument("name")
    sub.add_parser("list", help="list the scenarios")
    real_clients_command.configure(
        sub.add_parser("real-clients", help="the pinned real clients (Codex CLI, Hermes Agent)")
    )
    for command in (up, run):
        command.add_argument(
            "--backend", default="process", choices=["inprocess", "process", "docker"]
        )
        command.add_argument("--seed", type=int)
        command.add_argument("--dir", type=Path, help="where logs and artifacts go")
    args = parser.parse_args(argv)
    if args.command == "real-clients":
        return real_clients_command.run(args)
    if args.command == "list":
        for found in all_scenarios():
            print(f"{found.name:<28} {found.story}")
        return 0
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="codex-harness-"))
    if args.command == "up":
        return exports(workdir, backend=args.backend, seed=args.seed)
    return run_one(args.name, workdir, backend=args.backend, seed=args.seed)


if __name__ == "__main__":
    sys.exit(main())
