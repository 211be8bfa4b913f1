"""The event log keeps what an unauthenticated caller sends within bounds: each text is cut
with a marker and the log as a whole stays under its byte budget."""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st

from fake_codex_ws.clock import VirtualClock
from fake_codex_ws.event_log import FIELD_CHARS, EventLog, truncated

MIB = 1024 * 1024


def text_chars(event: dict) -> int:
    return sum(len(v) for v in event.values() if isinstance(v, str))


def test_huge_header_values_are_cut_with_a_marker_and_the_log_stays_bounded():
    log = EventLog(VirtualClock(), max_bytes=4 * MIB)
    for n in range(40):
        log.record("ws_connect", "refused", user_agent="u" * MIB, originator=str(n) * MIB)
    events = log.since(0)
    assert all(len(e["user_agent"]) <= FIELD_CHARS for e in events)
    assert events[-1]["user_agent"].endswith(f"…[{MIB} chars, truncated]")
    assert sum(text_chars(e) for e in events) <= 40 * 2 * FIELD_CHARS + 40 * 200
    assert log.last_seq == 40


def test_past_its_byte_budget_the_log_drops_its_oldest_events():
    log = EventLog(VirtualClock(), max_bytes=64 * 1024)
    for _ in range(1000):
        log.record("sse_request", "refused", user_agent="x" * 10_000)
    events = log.since(0)
    assert 0 < len(events) < 1000
    assert events[-1]["seq"] == 1000  # the newest are kept, numbering goes on
    assert sum(text_chars(e) for e in events) <= 64 * 1024
    assert log.stored_bytes <= 64 * 1024


def test_nested_values_are_cut_too():
    log = EventLog(VirtualClock(), field_chars=100)
    event = log.record("t", "o", detail={"why": "w" * 1000}, faults=["f" * 1000])
    assert len(event["detail"]["why"]) <= 100
    assert len(event["faults"][0]) <= 100


@given(st.text(max_size=3000), st.integers(min_value=40, max_value=2000))
def test_truncation_never_exceeds_its_limit_and_keeps_short_text(text, limit):
    cut = truncated(text, limit)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text
    else:
        assert cut.startswith(text[: limit - 40])
        assert cut.endswith("chars, truncated]")


def test_requests_with_huge_headers_leave_bounded_events(backend, tls_context):
    big = "A" * 3000  # under any header limit, far above what the log keeps
    with httpx.Client(verify=tls_context, timeout=30) as http:
        for _ in range(40):
            answer = http.post(
                backend.base_url + "/responses",
                headers={"user-agent": big, "originator": big},
                json={"model": "m", "input": []},
            )
            assert answer.status_code == 401
    events = backend.admin.events()
    refused = [e for e in events if e.get("user_agent", "").startswith("AAAA")]
    assert len(refused) == 40
    for event in refused:
        assert len(event["user_agent"]) <= FIELD_CHARS
        assert len(event["originator"]) <= FIELD_CHARS
        assert event["user_agent"].endswith("[3000 chars, truncated]")
