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

from scenarios.lab.hostname_world import describe_refusals
from scenarios.lab.lab import Lab
from scenarios.lab.world import open_world
from scenarios.real_clients import command as real_clients_command
from scenarios.registry import all_scenarios, get
from scenarios.report.terminal import render_text
from scenarios.runner.merge_shards import MergeError, merge_reports

PUBLIC_ISSUER = "https://auth.openai.com"


def private_home(path: Path) -> Path:
    """An empty 0700 folder for a client's logins (fake tokens must never land in real ones)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def exports(world_dir: Path, *, backend: str, seed: int | None) -> int:
    # The world answers auth.openai.com, so its OAuth fake plays that issuer: the device login
    # of an unmodified client sends that issuer's callback as its redirect_uri.
    with open_world(
        backend, world_dir, seed=seed, auto_approve=True, public_issuer=PUBLIC_ISSUER
    ) as world:
        account = world.oauth.create_account(email="you@example.test", plan="plus")
        e = world.endpoints
        homes = world_dir.resolve()
        lines = {
            # An unmodified Codex CLI or Hermes Agent: auth.openai.com and chatgpt.com through
            # the world's proxy, trusting the world's one CA; 127.0.0.1 stays direct.
            **e.client_env(),
            # Homes of their own: fake tokens must never land in the user's real logins.
            "CODEX_HOME": str(private_home(homes / "codex-home")),
            "HERMES_HOME": str(private_home(homes / "hermes-home")),
            "CODEX_AGENT_HOME": str(homes / "codex-agent-home"),
            "CODEX_AGENT_ISSUER": e.issuer,
            "CODEX_AGENT_CODEX_BASE_URL": e.base_url,
            "CODEX_AGENT_CA_BUNDLE": str(e.ca_bundle or ""),
            "HARNESS_FALLBACK_API_KEY": e.fallback_api_key,
            "HARNESS_API_BASE_URL": e.api_base_url,
        }
        # Before the first line: a Ctrl-C right after the banner must still end cleanly.
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        print("# the fakes are up; paste these into another shell (or eval this output):")
        for key, value in lines.items():
            print(f"export {key}={shlex.quote(value)}")
        print(f"# account {account['account_id']} ({account['email']}); device codes are")
        print("# approved at once, so `codex login --device-auth` and `codex-agent login`")
        print("# complete with no browser; then `codex exec --skip-git-repo-check 'hello'`.")
        print(f"# server logs: {world_dir}; Ctrl-C stops everything.", flush=True)
        while not stop.wait(0.5):
            pass
        refused = describe_refusals(world.proxy_attempts())
        print(f"# the world's proxy refused {len(refused)} connection(s)")
        for line in refused:
            print(f"#   {line}")
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


def merge_command(out: Path, shard_dirs: list[Path]) -> int:
    try:
        merged = merge_reports(out, shard_dirs)
    except MergeError as exc:
        print(f"codex-harness merge-reports: {exc}", file=sys.stderr)
        return 2
    passed = sum(r.outcome == "passed" for r in merged.reports)
    print(
        f"merged {len(shard_dirs)} shards: {len(merged.reports)} scenarios ({passed} passed), "
        f"{merged.junit_cases} JUnit test cases; report {merged.page}"
    )
    if merged.unreported:
        print(f"selected but reported by no shard: {', '.join(merged.unreported)}")
        return 1
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
    merge = sub.add_parser(
        "merge-reports", help="merge the reports of `--shard K/N` runs into one (CI matrices)"
    )
    merge.add_argument("out", type=Path, help="folder for the merged report")
    merge.add_argument("shards", type=Path, nargs="+", help="each shard's --reports-dir")
    real_clients_command.configure(
        sub.add_parser(
            "real-clients", help="the pinned real clients (Codex CLI, Hermes Agent, OpenClaw)"
        )
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
    if args.command == "merge-reports":
        return merge_command(args.out, args.shards)
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
