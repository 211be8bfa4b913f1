"""Unbounded memory (issue 12 item 5): unauthenticated requests with ~1 MiB header values must
not grow the fake Codex backend's memory without bound (its event log kept every User-Agent and
originator in full: 40 such requests added about 83 MiB)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from advkit.probe import REFUSED, Target, assert_responsive, assert_stderr_clean, raw_case
from advkit.raw_http import request_bytes
from advkit.tally import TALLY
from advkit.verdict import Outcome
from advkit.world import BackendProcess, World, start_backend

REQUESTS = 40
HEADER_BYTES = 1024 * 1024
GROWTH_BOUND_KIB = 20 * 1024  # generous: this is about unbounded growth, not thrift


@pytest.fixture(scope="module")
def fresh_backend(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """A backend of its own, so the baseline is not another module's traffic."""
    process: BackendProcess = start_backend(tmp_path_factory.mktemp("memory"), world.oauth)
    target = Target("codex memory", process.server, process.url, process.tls())
    try:
        yield target
    finally:
        target.close()
        process.server.stop()
        process.admin.close()


def test_huge_headers_do_not_grow_memory(fresh_backend: Target) -> None:
    target = fresh_backend
    assert_responsive(target)  # warm: TLS, the app, the event log exist before the baseline
    before = target.server.rss_kib()
    big = "u" * HEADER_BYTES
    for i in range(REQUESTS):
        headers = [("User-Agent", f"{i}{big}"), ("originator", f"{i}{big}"),
                   ("Content-Type", "application/json")]  # fmt: skip
        payload = request_bytes(
            "POST", "/backend-api/codex/responses", target.endpoint.host_header(), headers, b"{}"
        )
        raw_case(target, "codex memory", payload, allowed=REFUSED, what="a 1 MiB header")
    assert_responsive(target)
    growth = target.server.rss_kib() - before
    outcome = Outcome.UNBOUNDED if growth >= GROWTH_BOUND_KIB else Outcome.CLIENT_JSON
    TALLY.record("codex memory", outcome)
    assert growth < GROWTH_BOUND_KIB, (
        f"{REQUESTS} requests with {HEADER_BYTES // 1024} KiB headers grew the backend by "
        f"{growth / 1024:.1f} MiB"
    )
    assert_stderr_clean(target.server)
