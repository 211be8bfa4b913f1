"""Turn what the servers recorded, and the lab's own notes, into one timeline."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scenarios.lab.ledger_view import LedgerView
from scenarios.lab.wire_lanes import WireLanes
from scenarios.report.timeline import Step, Timeline, Tone

OAUTH = "oauth"
CODEX = "codex backend"
APIKEY = "api-key backend"
# Bookkeeping the lab already shows as its own steps, or that adds nothing to the story.
SILENT_OAUTH = {
    "issued", "introspected", "account_created", "policy_set", "clock", "device_approved",
    "paused", "settings",
}  # fmt: skip


def _gen(value: Any) -> str:
    return f"gen {value}" if value is not None else "gen ?"


def oauth_step(event: dict[str, Any], lanes: WireLanes) -> Step | None:
    kind = event["type"]
    if kind in SILENT_OAUTH:
        return None
    at, actor, gen = float(event["at"]), lanes.lane_of(event), _gen(event.get("generation"))
    detail = event.get("detail") or {}
    if kind == "login":
        return None if actor == "lab" else Step(at, actor, OAUTH, "login", Tone.GOOD)
    if kind == "rotated":
        return Step(at, actor, OAUTH, f"refresh {gen}: rotated", Tone.GOOD)
    if kind == "reuse_detected":
        return Step(at, actor, OAUTH, f"refresh {gen}: REUSE detected", Tone.BAD)
    if kind == "family_revoked":
        return Step(at, OAUTH, OAUTH, f"family revoked ({detail.get('reason', '?')})", Tone.BAD)
    if kind == "session_limit":
        return Step(at, OAUTH, OAUTH, "session limit: oldest login revoked", Tone.BAD)
    if kind == "revoked":
        return Step(at, actor, OAUTH, "revoke", Tone.NORMAL)
    if kind == "api_key_issued":
        return Step(at, actor, OAUTH, "token exchange: API key", Tone.GOOD)
    if kind in ("superseded", "replayed", "grace_reuse"):
        return Step(at, actor, OAUTH, f"refresh {gen}: {kind} ({detail.get('policy', '')})")
    if kind == "fault":
        return Step(at, OAUTH, OAUTH, f"fault: {detail.get('kind', '?')}", Tone.BAD)
    return Step(at, actor, OAUTH, f"refresh {gen}: {kind}", Tone.NORMAL)


def _tone(outcome: str, status: Any) -> Tone:
    """A completed turn or a side call (models, plugins, analytics) answered below 400 is good;
    a prewarm is bookkeeping; anything else went wrong."""
    if outcome == "completed" or (outcome == "answered" and int(status or 200) < 400):
        return Tone.GOOD
    return Tone.NORMAL if outcome == "prewarmed" else Tone.BAD


def backend_step(event: dict[str, Any], ledger: LedgerView, lanes: WireLanes) -> Step | None:
    kind, outcome = event["type"], str(event.get("outcome", ""))
    if kind in ("ws_closed", "ws_pause") and outcome in ("client_closed", "released"):
        return None
    if kind == "ws_handshake" and outcome == "accepted":
        return None
    at, actor = float(event["at"]), lanes.lane_of(event)
    target = APIKEY if kind.startswith("apikey") else CODEX
    generation = event.get("generation")
    if generation is None:
        generation = ledger.generation_of(event.get("fingerprint"))
    what = {"ws_handshake": "ws upgrade", "ws_turn": "ws turn", "sse_request": "sse turn"}.get(
        kind, kind.replace("_", " ")
    )
    label = f"{what}" if target == APIKEY else f"{what} {_gen(generation)}"
    reason = event.get("reason")
    status = event.get("status")
    label += f": {outcome}" + (f" {status}" if status and status != 200 else "")
    label += f" {reason}" if reason else ""
    tone = _tone(outcome, status)
    return Step(at, actor, target, label, tone)


def build_timeline(
    title: str,
    notes: Iterable[Step],
    oauth_events: Iterable[dict[str, Any]],
    backend_events: Iterable[dict[str, Any]],
    ledger: LedgerView,
    lanes: WireLanes | None = None,
) -> Timeline:
    lanes = lanes or WireLanes(())
    steps = list(notes)
    steps += [s for s in (oauth_step(e, lanes) for e in oauth_events) if s]
    steps += [s for s in (backend_step(e, ledger, lanes) for e in backend_events) if s]
    steps.sort(key=lambda s: s.at)
    # The lab and the clients on the left in order of appearance, the servers on the right.
    servers = (OAUTH, CODEX, APIKEY)
    used = {lane for step in steps for lane in (step.source, step.target)}
    timeline = Timeline(title)
    timeline.lane("lab")
    for step in steps:
        for lane in (step.source, step.target):
            if lane not in servers:
                timeline.lane(lane)
    for server in servers:
        if server in used:
            timeline.lane(server)
    for step in steps:
        timeline.add(step)
    timeline.labels = lanes.labels(timeline.lanes)
    return timeline
