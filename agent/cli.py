"""`codex-agent`: the command line. Each command family registers itself from `agent.commands`.

Over a hundred `codex-agent` processes start in a scenario run, and a person waits for each, so
a command imports only its own family: `codex-agent status ...` registers (and imports) only
`agent.commands.credentials`. `--help`, no command or an unknown word register every family, so
that the help and argparse's "invalid choice" list them all, in the same order as before.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys

# typing.TYPE_CHECKING without importing typing: this costs every start, and modules of the
# command-line path use it as the type checker does (mypy takes this name for that flag).
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Protocol

    class CommandFunc(Protocol):
        def __call__(self, args: argparse.Namespace) -> int: ...


# Every top-level command word and the module that registers it (its `register(subparsers)` sets
# `func` on its parsers). Add a command by adding its word here (tests check that this table and
# what the modules register agree).
COMMANDS: dict[str, str] = {
    "login": "agent.commands.credentials",
    "import-codex": "agent.commands.credentials",
    "refresh": "agent.commands.credentials",
    "status": "agent.commands.credentials",
    "logout": "agent.commands.credentials",
    "ask": "agent.commands.turns",
    "chat": "agent.commands.turns",
    "gateway": "agent.commands.gateway",
    "broker": "agent.commands.broker",
}
# The families in the order of the help.
COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(COMMANDS.values()))
# `parser.set_defaults(short_lived=True)`: the command ends soon after its imports, so it runs
# with the cyclic garbage collector paused (see `main`).
SHORT_LIVED = "short_lived"


def terminal_columns() -> int:
    """The terminal's width as `shutil.get_terminal_size` finds it (COLUMNS, stdout, 80)."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class HelpFormatter(argparse.HelpFormatter):
    """argparse's own, but it finds the width without importing shutil (and with it bz2 and
    lzma), which argparse does for every parser it builds, help or not."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        width = terminal_columns() - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)


class ArgumentParser(argparse.ArgumentParser):
    """The parser of every command: sub-command parsers are of the same class (argparse's
    default), so all of them use `HelpFormatter` unless a command asks for another."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def command_word(argv: Sequence[str]) -> str | None:
    """The command `argv` names, if it is one of ours (the top level has no option but -h)."""
    if argv and argv[0] in COMMANDS:
        return argv[0]
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: only its command's family when it names one, else all of them."""
    import importlib

    parser = ArgumentParser(
        prog="codex-agent",
        description="A Codex agent that shares a ChatGPT login safely with the Codex CLI.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    word = command_word(argv) if argv is not None else None
    modules = (COMMANDS[word],) if word is not None else COMMAND_MODULES
    for name in modules:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Start-up creates objects that live as long as the process (modules, classes, parsers);
    # the cyclic collector would only walk them again and again (a tenth of `status`). It is
    # paused until the command runs, and through the run of a command that sets `short_lived`
    # (it ends soon after its imports; a server or a chat never sets it).
    collecting = gc.isenabled()
    gc.disable()
    try:
        args_in = sys.argv[1:] if argv is None else list(argv)
        parser = build_parser(args_in)
        args = parser.parse_args(args_in)
        func: CommandFunc | None = getattr(args, "func", None)
        if func is None:
            parser.print_help(sys.stderr)
            return 2
        if collecting and not getattr(args, SHORT_LIVED, False):
            gc.enable()
        return func(args)
    finally:
        if collecting:
            gc.enable()
        if argv is None:
            # The program ends here (`main()` without arguments is the command line): the
            # collection at exit would walk every object once more only to free memory the
            # system takes back anyway (a tenth of `status` again).
            gc.freeze()


if __name__ == "__main__":
    sys.exit(main())
