"""`codex-agent broker status`: the families, generations and last upstream call of each.

Asks the running broker (`GET /status`) when there is one; otherwise reads its state from disk
without a lock and without writing anything. Fingerprints only: no token, no digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from agent.broker.audit import AuditLog
from agent.broker.lineage import LineageUnreadable, load_lineage
from agent.gateway import pidfile
from agent.local_http import takeover


@dataclass
class BrokerStatus:
    running: bool
    data: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        data = self.data
        out = []
        if self.running:
            out.append(f"broker: running, pid {data.get('pid')}, {data.get('url')}")
            out.append(
                f"  answers: {_counts(data.get('answers') or {})}; "
                f"upstream calls: {data.get('upstream_calls', 0)}"
            )
        else:
            out.append(f"broker: not running ({data.get('why', 'no broker record')})")
        window = data.get("window")
        if window:
            out.append(
                f"  adoption window: the last {window['generations']} generations, at most "
                f"{window['hours']:g} hours"
            )
        families = data.get("families") or []
        out.append(f"families: {len(families)}")
        for family in families:
            out.append(
                f"  {family['family']}  account {family.get('account_id') or '?'}  generation "
                f"{family['generation']}  current {family['current']} since "
                f"{family['current_since']}"
            )
            last = family.get("last_upstream")
            if last:
                status = last.get("status")
                code = f" {last['code']}" if last.get("code") else ""
                out.append(f"    last upstream call: {last.get('at')} {last.get('result')} "
                           f"({status}){code}")  # fmt: skip
            refused = family.get("refused_for_good")
            if refused:
                out.append(f"    refused for good: {refused['code']} at {refused['at']}; "
                           "its clients must sign in again")  # fmt: skip
            if family.get("pending"):
                out.append("    first refresh in flight or interrupted")
            error = family.get("last_error")
            if error:
                out.append(f"    last error: {error['code']} at {error['at']}")
                if error.get("remedy"):
                    out.append(f"      what to do: {error['remedy']}")
        for warning in data.get("warnings") or []:
            out.append(f"warning: {warning}")
        recent = data.get("recent") or []
        if recent:
            out.append("recent answers (audit log):")
            for event in recent:
                out.append(
                    f"  {event.get('at')} {event.get('event')} {event.get('action')} "
                    f"{event.get('status')} family {event.get('family')} presented "
                    f"{event.get('presented')} by {event.get('client')}"
                )
        return out


def collect_broker_status(home: Path, *, recent: int = 5) -> BrokerStatus:
    folder = home / "broker"
    try:
        record = pidfile.read_record(home, takeover.BROKER.pid_file)
    except pidfile.UnusableRecord as unusable:
        record, why = None, f"{unusable.path} is unusable: {unusable.problem}"
    else:
        why = "no broker record"
    if record is not None and pidfile.process_alive(record.pid):
        try:
            with httpx.Client(timeout=5.0, trust_env=False) as client:
                answer = client.get(takeover.local_url(record) + "/status")
            data = answer.json()
            if answer.status_code == 200 and isinstance(data, dict):
                data["recent"] = AuditLog(folder).tail(recent)
                return BrokerStatus(True, data)
            why = f"pid {record.pid} answered HTTP {answer.status_code}"
        except (httpx.HTTPError, ValueError) as exc:
            why = f"pid {record.pid} did not answer ({type(exc).__name__})"
    elif record is not None:
        why = f"pid {record.pid} of its record is gone"
    families, warnings = _families_on_disk(folder / "families")
    return BrokerStatus(
        False,
        {
            "why": why,
            "families": families,
            "warnings": warnings,
            "recent": AuditLog(folder).tail(recent),
        },
    )


def _families_on_disk(root: Path) -> tuple[list[dict[str, Any]], list[str]]:
    families: list[dict[str, Any]] = []
    warnings: list[str] = []
    try:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and "." not in p.name)
    except OSError:
        return families, warnings
    for folder in folders:
        try:
            lineage = load_lineage(folder)
        except LineageUnreadable as exc:
            warnings.append(f"{folder}: unreadable lineage ({exc})")
            continue
        if lineage is None:
            continue
        families.append(lineage.summary())
    return families, warnings


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none yet"
