"""`codex-harness real-clients install`: install the pinned clients, print versions and timings."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from scenarios.real_clients.install import (
    CACHE_DIR_VARIABLE,
    InstallOutcome,
    RealClientInstallError,
    default_cache_dir,
    ensure_all,
)
from scenarios.real_clients.pins import DEFAULT_PINS_FILE, PinsError, load_pins
from scenarios.real_clients.runner import CommandRunner, run_subprocess


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="real_clients_action", required=True)
    install = actions.add_parser(
        "install",
        help=f"install the pinned real clients into the cache (${CACHE_DIR_VARIABLE} or "
        "build/real-clients/); a cached install is reused",
    )
    install.add_argument("names", nargs="*", help="only these clients (default: every enabled)")
    install.add_argument("--disk-usage", action="store_true", help="also print each one's size")


def run(
    args: argparse.Namespace,
    *,
    cache_dir: Path | None = None,
    pins_file: Path = DEFAULT_PINS_FILE,
    runner: CommandRunner = run_subprocess,
) -> int:
    cache = default_cache_dir() if cache_dir is None else cache_dir
    started = time.perf_counter()
    try:
        pins = load_pins(pins_file)
        outcomes = ensure_all(cache, pins=pins, names=args.names or None, runner=runner)
    except (RealClientInstallError, PinsError) as exc:
        print(f"real-clients: {exc}", file=sys.stderr, flush=True)
        return 1
    for outcome in outcomes:
        print(_describe(outcome, disk_usage=args.disk_usage), flush=True)
    if not args.names:
        for pin in pins.values():
            if not pin.enabled:
                print(f"{pin.label}: pinned, not enabled (not installed)")
    took = _duration(time.perf_counter() - started)
    print(f"real clients ready in {took} (cache: {cache})")
    return 0


def _describe(outcome: InstallOutcome, *, disk_usage: bool) -> str:
    client = outcome.client
    how = "cached" if outcome.cached else "installed (cold)"
    size = f", {client.disk_bytes() / 1e6:.0f} MB" if disk_usage else ""
    return (
        f"{client.label}: {how} in {_duration(outcome.seconds)}{size}; "
        f"`--version`: {client.reported_version}; {client.executable}"
    )


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.1f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scenarios.real_clients", description=__doc__)
    configure(parser)
    return run(parser.parse_args(argv))
