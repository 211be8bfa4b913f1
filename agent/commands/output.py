"""How commands speak: results on stdout, progress and errors on stderr, never a token."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see agent.cli)

if TYPE_CHECKING:
    from agent.errors import AgentError


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def report_error(error: AgentError) -> int:
    """Print what happened, why and what to do; return the exit code (1)."""
    print(f"error: {error.message}", file=sys.stderr)
    if error.diagnosis:
        print(f"  why: {error.diagnosis}", file=sys.stderr)
    if error.remedy:
        print(f"  fix: {error.remedy}", file=sys.stderr)
    print(f"  code: {error.code}", file=sys.stderr, flush=True)
    return 1
