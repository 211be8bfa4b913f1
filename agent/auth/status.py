"""`codex-agent status`: an honest, strictly read-only account of whether the agent can work.

Reads the agent's store and the Codex CLI's store; never locks, refreshes, imports, moves a
corrupt file aside or creates a folder. `ready` is false (and the command exits non-zero) when
the primary provider (openai-codex) cannot work: no login, an unreadable store, or a refresh
token the server refused for good with no fresher pair to adopt.

A refresh that a dead process left open in the journal (`agent.auth.refresh_journal`) is shown as
the `refresh_interrupted` error the next locked command will record, unless a temp file it left
holds the newer pair (which that command adopts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agent.auth.claims import mask_account_id
from agent.auth.codex_cli_store import read_codex_cli_store
from agent.auth.refresh_journal import RefreshJournal
from agent.auth.refresh_route import refresh_route
from agent.auth.store import (
    AuthStore,
    ErrorRecord,
    StoredLogin,
    parse_rfc3339,
    rfc3339,
)
from agent.clock import Clock
from agent.config import AgentConfig
from agent.errors import AgentError, NotLoggedIn, RefreshInterrupted

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see agent.cli)
if TYPE_CHECKING:
    from typing import Any

STALE_WITHOUT_EXP = 8 * 24 * 3600.0
# The backend's word that the whole login (the token family) was revoked: no refresh of that
# login can help, only a pair from a new login.
FAMILY_REVOKED_CODES = frozenset({"token_invalidated"})


@dataclass
class StatusReport:
    ready: bool
    summary: str
    data: dict[str, Any] = field(default_factory=dict)


def collect_status(config: AgentConfig, clock: Clock) -> StatusReport:
    report = _collect_login(config, clock)
    report.data["refresh_route"] = _refresh_route(config)
    ca_error = _ca_bundle_error(config)
    if ca_error is not None:
        # No network call can succeed with a CA bundle that is none: the agent cannot work.
        report.data["ca_bundle"] = {"path": str(config.ca_bundle), "error": ca_error.to_dict()}
        if report.ready:
            return _finish(False, f"cannot work: {ca_error.message}", report.data)
    return report


def _refresh_route(config: AgentConfig) -> dict[str, Any]:
    """Where refreshes go; for a broker, whether it accepts a connection (loopback, 0.5 s)."""
    route = refresh_route(config)
    data: dict[str, Any] = {"via": "broker" if route.broker_url else "issuer",
                            "token_url": route.token_url}  # fmt: skip
    if route.broker_url is not None:
        data["broker_url"] = route.broker_url
        data["discovered"] = route.discovered
        data["reachable"] = _accepts_connections(route.broker_url)
    return data


def _accepts_connections(url: str) -> bool:
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=0.5):
            return True
    except OSError:
        return False


def _ca_bundle_error(config: AgentConfig) -> AgentError | None:
    """The error every network command would give for the configured CA bundle, if any.

    Reads the file into a bare context (not the system store), so `status` stays fast.
    """
    if config.ca_bundle is None:
        return None
    import ssl

    from agent.ca_bundle import add_ca_bundle

    try:
        add_ca_bundle(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), config)
    except AgentError as error:
        return error
    return None


def _collect_login(config: AgentConfig, clock: Clock) -> StatusReport:
    store = AuthStore(config.home, clock=clock, lock_timeout=0)
    now = clock.now()
    data: dict[str, Any] = {
        "home": str(config.home),
        "store": str(store.path),
        "issuer": config.issuer,
        "codex_base_url": config.codex_base_url,
        "provider": "openai-codex",
    }
    try:
        login = store.read()
    except AgentError as error:
        data["logged_in"] = False
        data["store_state"] = error.code
        data["last_error"] = error.to_dict()
        data["codex_cli"] = _codex_cli(config, clock, None)
        return _finish(False, f"cannot work: {error.message}", data)
    if login is None:
        data["logged_in"] = False
        data["store_state"] = "missing"
        data["last_error"] = NotLoggedIn().to_dict()
        data["codex_cli"] = _codex_cli(config, clock, None)
        cli = data["codex_cli"]
        hint = (
            " (a Codex CLI login exists: `codex-agent import-codex`)"
            if cli.get("logged_in")
            else ""
        )
        return _finish(False, f"cannot work: not logged in{hint}", data)

    tokens = login.tokens
    claims = tokens.id_claims
    access = tokens.access_claims
    mode = store.file_mode()
    data["logged_in"] = True
    data["store_state"] = "ok"
    data["store_mode"] = f"{mode:04o}" if mode is not None else None
    if mode is not None and mode & 0o077:
        data["store_warning"] = (
            f"{store.path} is readable by other users (mode {mode:04o}); "
            f"run `chmod 600 {store.path}`"
        )
    data["account"] = {
        "email": claims.email or access.email,
        "plan": claims.plan or access.plan,
        "account_id": mask_account_id(tokens.account_id),
    }
    data["login"] = {
        "method": login.origin.method,
        "at": login.origin.at,
        "codex_home": login.origin.codex_home,
    }
    expires = tokens.access_expires_at
    data["access_token"] = {
        "fingerprint": tokens.access_fingerprint,
        "expires_at": rfc3339(expires) if expires is not None else None,
        "expires_in_seconds": round(expires - now) if expires is not None else None,
        "needs_refresh": _needs_refresh(login, now, config.refresh_skew_seconds),
    }
    data["refresh_token"] = {"fingerprint": tokens.refresh_fingerprint}
    data["last_refresh"] = login.last_refresh
    record = login.last_error
    interrupted = _open_interrupted_refresh(store, login, now)
    if interrupted == "saved":
        data["last_error"] = record.to_dict() if record else None
        data["codex_cli"] = _codex_cli(config, clock, login)
        return _finish(
            True, "ready: the next command adopts the pair a stopped refresh saved", data
        )
    if isinstance(interrupted, ErrorRecord):
        record = interrupted
    data["last_error"] = record.to_dict() if record else None
    data["codex_cli"] = _codex_cli(config, clock, login)

    dead = (
        record is not None
        and (record.terminal or record.code in FAMILY_REVOKED_CODES)
        and record.refresh_fingerprint == tokens.refresh_fingerprint
    )
    if dead and data["codex_cli"].get("fresher_pair_available"):
        return _finish(True, "ready: the next request adopts the Codex CLI's newer pair", data)
    interrupted_only = dead and record is not None and record.code == RefreshInterrupted.code
    if interrupted_only and not data["access_token"]["needs_refresh"]:
        until = data["access_token"]["expires_at"] or "it expires"
        return _finish(
            True,
            f"ready until {until}; then `codex-agent login` is needed (a refresh was "
            "interrupted and its answer lost)",
            data,
        )
    if dead:
        assert record is not None
        return _finish(False, f"cannot work: {record.message}", data)
    if record is not None and record.code == "account_mismatch":
        return _finish(False, f"cannot work: {record.message}", data)
    summary = "ready"
    if record is not None:
        summary = f"ready (last attempt failed: {record.code}; it is retried automatically)"
    elif data["access_token"]["needs_refresh"]:
        summary = "ready (the access token is refreshed on next use)"
    return _finish(True, summary, data)


def _open_interrupted_refresh(
    store: AuthStore, login: StoredLogin, now: float
) -> ErrorRecord | str | None:
    """What the journal says a dead process left: "saved" (a temp file has the newer pair), the
    error the next command will record, or None."""
    entry = RefreshJournal(store.home).open_entry()
    current = login.tokens.refresh_fingerprint
    if entry is None or entry.presented not in (None, current):
        return None
    for temp in store.stale_temp_files():
        pair = store.read_temp(temp)
        if (
            pair is not None
            and pair.tokens.account_id == login.tokens.account_id
            and current in pair.retired_refresh
        ):
            return "saved"
    if not entry.may_have_reached_the_server:
        return None
    error = RefreshInterrupted()
    return ErrorRecord.from_error(error, at=now, context="refresh", refresh_fingerprint=current)


def _needs_refresh(login: StoredLogin, now: float, skew: float) -> bool:
    expires = login.tokens.access_expires_at
    if expires is not None:
        return expires - now <= skew
    last = parse_rfc3339(login.last_refresh)
    return last is None or now - last >= STALE_WITHOUT_EXP


def _codex_cli(config: AgentConfig, clock: Clock, login: StoredLogin | None) -> dict[str, Any]:
    path = config.codex_cli_auth_path
    if login is not None and login.origin.codex_home:
        path = Path(login.origin.codex_home) / "auth.json"
    state = read_codex_cli_store(path, clock)
    info: dict[str, Any] = {"path": str(path), "logged_in": state.login is not None}
    if state.login is None:
        info["problem"] = state.problem
        return info
    cli = state.login.tokens
    claims = cli.id_claims
    info["account_id"] = mask_account_id(cli.account_id)
    info["email"] = claims.email
    info["last_refresh"] = state.login.last_refresh
    if login is None:
        return info
    same = cli.account_id == login.tokens.account_id
    info["same_account"] = same
    if not same:
        return info
    retired = set(login.retired_refresh)
    fp = cli.refresh_fingerprint
    if fp == login.tokens.refresh_fingerprint:
        info["shares_login"] = "same refresh token as the agent"
    elif fp in retired:
        info["shares_login"] = "stale copy"
        if refresh_route(config).broker_url is not None:
            info["note"] = (
                "the Codex CLI holds a refresh token the agent already rotated; the refresh "
                "broker hands it the current pair when it refreshes through the broker "
                "(`codex-agent broker env`)"
            )
        else:
            info["warning"] = (
                "the Codex CLI holds a refresh token the agent already rotated; its next "
                "refresh will be refused as reuse (run `codex login` there, give the agent its "
                "own login, or run the refresh broker: `codex-agent broker run`)"
            )
    elif login.origin.imported_from_codex_cli and fp != login.codex_cli_seen_refresh:
        info["shares_login"] = "the Codex CLI rotated since the agent last looked"
        info["fresher_pair_available"] = True
    else:
        info["shares_login"] = "separate login of the same account"
    return info


def _finish(ready: bool, summary: str, data: dict[str, Any]) -> StatusReport:
    data["ready"] = ready
    data["summary"] = summary
    return StatusReport(ready, summary, data)


def render_text(report: StatusReport) -> str:
    d = report.data
    lines = [f"codex-agent: {report.summary}", f"  home: {d['home']}"]
    if d.get("logged_in"):
        acct = d["account"]
        lines.append(
            f"  account: {acct.get('email') or '(no email)'}, "
            f"plan {acct.get('plan') or 'unknown'}, "
            f"id {acct.get('account_id')}"
        )
        login = d["login"]
        via = login["method"] + (f" from {login['codex_home']}" if login.get("codex_home") else "")
        lines.append(f"  login: {via} at {login.get('at') or 'unknown time'}")
        at = d["access_token"]
        if at["expires_at"]:
            rel = at["expires_in_seconds"]
            when = f"in {_human(rel)}" if rel > 0 else f"{_human(-rel)} ago (expired)"
            lines.append(f"  access token: expires {at['expires_at']} ({when})")
        else:
            lines.append("  access token: expiry unknown")
        lines.append(f"  last refresh: {d.get('last_refresh') or 'never'}")
        if d.get("store_warning"):
            lines.append(f"  warning: {d['store_warning']}")
    else:
        lines.append(f"  store: {d['store']} ({d.get('store_state')})")
    route = d.get("refresh_route") or {}
    if route.get("via") == "broker":
        how = "found running for this home" if route.get("discovered") else "configured"
        lines.append(f"  refreshes: through the refresh broker at {route['broker_url']} ({how})")
        if not route.get("reachable"):
            lines.append(
                "    warning: the broker is not answering; refreshes fail until it runs "
                "(`codex-agent broker run`, or `codex-agent broker start` for the service)"
            )
    ca = d.get("ca_bundle")
    if ca:
        lines.append(f"  CA bundle: {ca['error']['message']}")
        if ca["error"].get("remedy"):
            lines.append(f"    fix: {ca['error']['remedy']}")
    err = d.get("last_error")
    if err:
        lines.append(
            f"  last error: {err['code']}: {err['message']}"
            + (f" ({err['at']})" if err.get("at") else "")
        )
        if err.get("diagnosis"):
            lines.append(f"    why: {err['diagnosis']}")
        if err.get("remedy"):
            lines.append(f"    fix: {err['remedy']}")
    cli = d.get("codex_cli") or {}
    if cli.get("logged_in"):
        who = cli.get("email") or cli.get("account_id")
        extra = ""
        if "same_account" in cli:
            extra = "same account" if cli["same_account"] else "a different account"
            if cli.get("shares_login"):
                extra += f"; {cli['shares_login']}"
        lines.append(
            f"  Codex CLI login: yes ({who}{'; ' + extra if extra else ''}) at {cli['path']}"
        )
        if cli.get("warning"):
            lines.append(f"    warning: {cli['warning']}")
        if cli.get("note"):
            lines.append(f"    note: {cli['note']}")
    else:
        lines.append(f"  Codex CLI login: no ({cli.get('problem')}) at {cli.get('path')}")
    return "\n".join(lines)


def _human(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
