"""A scenario's lab: its accounts, machines and actors on a shared world, its notes, and what
it leaves behind (timeline, artifacts, the leak audit).

Scenarios read like the story they tell:

    account = lab.account()
    laptop = lab.machine("laptop")
    laptop.codex_login(account)
    cli = laptop.codex_cli()
    agent = laptop.agent()
    agent.import_codex()
    cli.refreshes()
    answer = agent.ask("hello")
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from scenarios.lab.actors import Agent, Sibling
from scenarios.lab.actors_on_wire import ACTOR_USER_AGENTS
from scenarios.lab.broker import BROKER_USER_AGENT, Broker
from scenarios.lab.ledger_view import LedgerView
from scenarios.lab.real_actors import RealCodexCli
from scenarios.lab.real_hermes import RealHermes
from scenarios.lab.real_openclaw import RealOpenClaw
from scenarios.lab.sibling_process import SiblingChannel, SiblingSpec
from scenarios.lab.timeline_builder import build_timeline
from scenarios.lab.wire_lanes import RealRun, WireLanes
from scenarios.lab.world import World
from scenarios.leak_audit import Leak, audit_tree
from scenarios.report.timeline import Step, Timeline, Tone
from scenarios.siblings import codex_store
from scenarios.siblings.codex_store import CodexTokens

T = TypeVar("T")
# The share of its waits an agent started by the lab sleeps (CODEX_AGENT_CLOCK_FILE's
# `sleep_scale`).
AGENT_SLEEP_SCALE = 0.02


class PausePoint:
    def __init__(self, lab: Lab, pause_id: str, actor: str, step: str) -> None:
        self.lab = lab
        self.pause_id = pause_id
        self.actor = actor
        self.step = step

    def wait(self, timeout: float = 30.0) -> None:
        """Until the actor's request is held there."""
        self.lab.world.oauth.wait_paused(self.pause_id, timeout=timeout)
        self.lab.note(
            f"{self.actor}'s refresh is held {self.step.replace('_', ' ')}", source="oauth"
        )

    def release(self) -> None:
        self.lab.note(f"release {self.actor}'s refresh", source="lab", target="oauth")
        self.lab.world.oauth.release(self.pause_id)


@dataclass(frozen=True)
class Account:
    account_id: str
    email: str
    plan: str


class Machine:
    """One computer: a `~/.codex` shared by the Codex CLI and VS Code, and the agent's home."""

    def __init__(self, lab: Lab, name: str) -> None:
        self.lab = lab
        self.name = name
        self.root = lab.workdir / "machines" / name
        self.codex_home = self.root / "codex"
        self.agent_home = self.root / "codex-agent"
        self.naive_home = self.root / "naive-agent"
        self.root.mkdir(parents=True, exist_ok=True)
        self.refresh_broker: Broker | None = None  # every client's token endpoint, once started

    def broker(self) -> Broker:
        """`codex-agent broker run` on this machine's agent home; the clients started after it
        (and the agent) refresh through it."""
        if self.refresh_broker is None:
            self.refresh_broker = self.lab.add_broker(Broker(self.lab, self).start())
        return self.refresh_broker

    def codex_login(self, account: Account) -> str:
        """As if `codex login` ran here: a new family whose tokens land in `~/.codex`."""
        family = self.lab.world.oauth.mint_family(account.account_id)
        tokens = CodexTokens(
            id_token=family["id_token"],
            access_token=family["access_token"],
            refresh_token=family["refresh_token"],
            account_id=account.account_id,
            last_refresh=codex_store.rfc3339(self.lab.world.now()),
        )
        codex_store.save_in_place(self.codex_home, tokens)
        self.lab.families.append(family["family_id"])
        self.lab.note(f"codex login on {self.name}", source="lab", target="oauth")
        return str(family["family_id"])

    def codex_cli(self, lane: str = "codex-cli") -> Sibling:
        return self.lab.add_actor(Sibling(self.lab, self, "codex-cli", lane))

    def vscode(self, lane: str = "vscode") -> Sibling:
        return self.lab.add_actor(Sibling(self.lab, self, "vscode", lane))

    def naive_agent(self, lane: str = "naive-agent") -> Sibling:
        return self.lab.add_actor(Sibling(self.lab, self, "naive-agent", lane))

    def real_codex_cli(self, lane: str = "real-cli") -> RealCodexCli:
        """The pinned, unmodified Codex CLI in a terminal of its own, on this `~/.codex`."""
        return RealCodexCli(self.lab, self, lane)

    def hermes(self, lane: str = "hermes") -> RealHermes:
        """The pinned, unmodified Hermes Agent in a terminal of its own, next to this
        `~/.codex` (it shares the CLI's login by importing it)."""
        return RealHermes(self.lab, self, lane)

    def openclaw(self, lane: str = "openclaw") -> RealOpenClaw:
        """The pinned, unmodified OpenClaw in a terminal of its own (its own state folder)."""
        return RealOpenClaw(self.lab, self, lane)

    def agent(self, *, fallback: bool = True, lane: str = "agent", **model: Any) -> Agent:
        """The agent on this machine; `model` adds keys to its `[model]` table."""
        agent = Agent(self.lab, self, lane)
        agent.configure(fallback=fallback, **{"retry_delay_seconds": 0.05, **model})
        return agent


class Lab:
    def __init__(
        self, world: World, workdir: Path, name: str, *, command_timeout: float = 120.0
    ) -> None:
        self.world = world
        self.workdir = workdir
        self.name = name
        self.command_timeout = command_timeout
        self.artifacts = workdir / "artifacts"
        self.artifacts.mkdir(parents=True, exist_ok=True)
        world.share(workdir)
        self.clock_file = workdir / "clock.json"
        self.accounts: list[Account] = []
        self.families: list[str] = []
        self.notices: list[str] = []
        self._notes: list[Step] = []
        self._real_runs: list[RealRun] = []
        self._siblings: list[Sibling] = []
        self._brokers: list[Broker] = []
        self.tally: dict[str, Any] | None = None  # figures a report sets side by side
        self._background = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lab-actor")
        self._oauth_seq = self._last_seq(world.oauth.events())
        self._backend_seq = self._last_seq(world.backend.events())
        self.sync_clock_file()

    @staticmethod
    def _last_seq(events: list[dict[str, Any]]) -> int:
        return max((int(e["seq"]) for e in events), default=0)

    # -- the story -----------------------------------------------------------------------
    def account(self, *, plan: str = "plus", session_limit: int | None = None) -> Account:
        index = len(self.accounts) + 1
        created = self.world.oauth.create_account(
            email=f"{self.name}-{index}@example.test", plan=plan, session_limit=session_limit
        )
        account = Account(created["account_id"], created["email"], created["plan"])
        self.accounts.append(account)
        return account

    def machine(self, name: str = "laptop") -> Machine:
        return Machine(self, name)

    def add_actor(self, sibling: Sibling) -> Sibling:
        self._siblings.append(sibling)
        return sibling

    def add_broker(self, broker: Broker) -> Broker:
        self._brokers.append(broker)
        return broker

    def world_start_sibling(self, kind: str, machine: Machine, lane: str) -> SiblingChannel:
        endpoints = self.world.endpoints
        naive_home = machine.naive_home if lane == "naive-agent" else machine.root / lane
        broker = machine.refresh_broker
        spec = SiblingSpec(
            codex_home=machine.codex_home,
            home=naive_home if kind == "naive-agent" else None,
            issuer=endpoints.issuer,
            base_url=endpoints.base_url,
            ca_cert=endpoints.ca_bundle,
            clock_file=self.clock_file,
            log_path=self.artifacts / f"{lane}.log",
            timeout=self.command_timeout,
            env=broker.client_env() if broker is not None else {},
        )
        return self.world.start_sibling(kind, spec)

    def advance_clock(self, seconds: float) -> None:
        self.world.advance_clock(seconds)
        self.sync_clock_file()
        self.note(f"clock +{_duration(seconds)}", source="lab")

    def sync_clock_file(self) -> None:
        """Tell the processes the lab starts what time it is on the servers' clock."""
        now = self.world.now()
        state: dict[str, Any] = (
            {"mode": "frozen", "now": now}
            if self.world.frozen
            else {"mode": "offset", "offset": now - time.time()}
        )
        # The agent's own waits (a device-code poll interval, a retry's backoff) in a fiftieth
        # of their time: the fakes answer at once, and waiting out a second would only slow
        # the suite. The waits still happen, in the same order.
        state["sleep_scale"] = AGENT_SLEEP_SCALE
        # Atomically: the agent reads the file at any moment, and a half-written one is an error.
        temp = self.clock_file.with_name(f".{self.clock_file.name}.tmp")
        temp.write_text(json.dumps(state))
        temp.replace(self.clock_file)

    def set_policy(self, policy: str, params: dict[str, Any] | None = None) -> None:
        for account in self.accounts:
            self.world.oauth.set_policy(policy, params, account_id=account.account_id)
        self.note(f"policy {policy} {json.dumps(params or {})}", source="lab", target="oauth")

    def pause(self, step: str, *, actor: str, user_agent: str | None = None) -> PausePoint:
        """Hold `actor`'s next refresh at `step` of the token endpoint until released; a real
        client names itself by `user_agent` (a substring, e.g. its terminal)."""
        agent = user_agent if user_agent is not None else ACTOR_USER_AGENTS[actor]
        match = {"grant_type": "refresh_token", "user_agent": agent}
        pause_id = self.world.oauth.arm_pause(step, match=match)
        self.note(
            f"pause {actor}'s next refresh {step.replace('_', ' ')}", source="lab", target="oauth"
        )
        return PausePoint(self, pause_id, actor, step)

    def in_background(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """Run one actor's command on its own thread (it may block at a pause point)."""
        return self._background.submit(func, *args, **kwargs)

    def note(
        self,
        label: str,
        *,
        source: str,
        target: str | None = None,
        tone: Tone = Tone.NORMAL,
        detail: str = "",
    ) -> None:
        self._notes.append(Step(self.world.now(), source, target or source, label, tone, detail))

    def ran(self, lane: str, program: str, started: float, version: str | None = None) -> None:
        """A real client's command ended: the timeline credits what it sent meanwhile to `lane`."""
        self._real_runs.append(RealRun(lane, program, started, self.world.now(), version))

    def keep_artifact(self, name: str, text: str) -> None:
        (self.artifacts / name).write_text(text, encoding="utf-8")

    def keep_output(self, name: str, stdout: str, stderr: str) -> None:
        """What a command printed, as `<name>.stdout` and `<name>.stderr`."""
        self.keep_artifact(f"{name}.stdout", stdout)
        self.keep_artifact(f"{name}.stderr", stderr)

    # -- what the servers saw ------------------------------------------------------------
    def ledger(self) -> LedgerView:
        families: list[dict[str, Any]] = []
        for account in self.accounts:
            families.extend(self.world.oauth.ledger(account_id=account.account_id)["families"])
        events = self._oauth_events({f["family_id"] for f in families})
        return LedgerView(families, [self._on_broker_lane(e) for e in events])

    def _on_broker_lane(self, event: dict[str, Any]) -> dict[str, Any]:
        """With a broker on a machine the agent refreshes only through it: a token call in the
        agent's name (but a sign-in) is the broker's, and goes on its lane."""
        if not self._brokers or event.get("type") in ("login", "issued"):
            return event
        if not str(event.get("user_agent") or "").startswith(BROKER_USER_AGENT):
            return event
        return {**event, "lane": self._brokers[0].lane}

    def _oauth_events(self, family_ids: set[str]) -> list[dict[str, Any]]:
        """This scenario's events: its families', and its accounts' own (creation, limits)."""
        mine = {a.account_id for a in self.accounts}
        return [
            e
            for e in self.world.oauth.events(self._oauth_seq)
            if e.get("family_id") in family_ids or e.get("detail", {}).get("account_id") in mine
        ]

    def backend_events(self) -> list[dict[str, Any]]:
        mine = {a.account_id for a in self.accounts}
        # API-key requests name no account; a world runs one scenario at a time, so every such
        # request since this lab started is this scenario's fallback.
        return [
            e
            for e in self.world.backend.events(self._backend_seq)
            if e.get("account_id") in mine
            or e.get("account_header") in mine
            or str(e.get("type", "")).startswith("apikey")
        ]

    # -- the end ---------------------------------------------------------------------------
    def timeline(self) -> Timeline:
        ledger = self.ledger()
        lanes = WireLanes(self._real_runs)
        return build_timeline(
            self.name, self._notes, ledger.events, self.backend_events(), ledger, lanes
        )

    def close(self) -> None:
        self._background.shutdown(wait=True, cancel_futures=True)
        for sibling in self._siblings:
            sibling.close()
        for broker in self._brokers:
            broker.close()

    def audit(self, extra: dict[str, str] | None = None) -> list[Leak]:
        """Search every artifact of this scenario for every token value the fakes issued."""
        return audit_tree(self.workdir, self.world.issued_token_values(), extra)


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:g} d"
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
