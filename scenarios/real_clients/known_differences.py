"""Where the simulated `codex-cli` sibling (scenarios/siblings/) still differs from the real Codex
CLI (the pinned version), and why each difference is kept (issue 16 §5). The one table: the slow
differential test (tests/scenarios/test_sim_vs_real_cli.py) fails on any difference not listed
here with the same values, and on a listed one that went away."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownDifference:
    """One fact of one script (`*`: every script) on which the two CLIs differ, and why."""

    script: str
    fact: str
    simulated: object
    real: object
    why: str


SIM, REAL = ("codex_cli_rs",), ("codex_exec",)
WHO = (
    "the simulated sibling plays the interactive `codex` (originator codex_cli_rs, the CLI's "
    "default), the real one is driven through `codex exec`, which says codex_exec; the lab "
    "tells lanes apart by it (scenarios/lab/actors_on_wire.py) and the VS Code sibling differs "
    "from the CLI only by it. Its version and the version header are the real CLI's"
)

KNOWN_DIFFERENCES: tuple[KnownDifference, ...] = (
    KnownDifference("*", "turn originator", SIM, REAL, WHO),
    KnownDifference("*", "turn user agent", SIM, REAL, WHO),
    KnownDifference("*", "refresh originator", SIM, REAL, WHO),
    KnownDifference("*", "refresh user agent", SIM, REAL, WHO),
    KnownDifference(
        "*",
        "turn transport",
        ("sse",),
        ("ws",),
        "the sibling takes its turns over SSE, which the real CLI falls back to: it exists for "
        "its token handling, which is the same on both transports; the WebSocket path of a real "
        "client is compared in scenarios/real_clients/wire_differences.py",
    ),
    KnownDifference(
        "recovery after 401",
        "refreshes (reason, outcome)",
        (("proactive_expiry", "rotated"),),
        (("unauthorized_recovery", "rotated"),),
        "the sibling reads the lab's virtual clock (so a scenario can make hours pass), the real "
        "CLI only the wall clock: after the servers' clock jumps, the sibling sees its token "
        "expired and refreshes before the turn, the real CLI meets the 401 first. Both rotate "
        "once and answer; the sibling's 401 path is the one `adopt on 401` compares",
    ),
)
