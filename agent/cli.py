"""`codex-agent`: the command line. Each command family registers itself from `agent.commands`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol

# One module per command family; each exposes `register(subparsers)` and sets `func` on its
# parsers. Add a family by adding its module here.
COMMAND_MODULES: tuple[str, ...] = (
    "agent.commands.credentials",
    "agent.commands.turns",
    "agent.commands.gateway",
    "agent.commands.broker",
)


class CommandFunc(Protocol):
    def __call__(self, args: argparse.Namespace) -> int: ...


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codex-agent",
        description="A Codex agent that shares a ChatGPT login safely with the Codex CLI.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: CommandFunc | None = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
