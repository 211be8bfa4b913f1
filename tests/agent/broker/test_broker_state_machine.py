"""Property: whatever copies of a login several clients hold, in whatever order they present
them and however time passes, the broker never lets the issuer see a reuse, rotates each
generation exactly once, answers a copy inside the window with the current pair and refuses
one outside it without an upstream call.

The book is driven directly (the HTTP side is tested elsewhere); the issuer is the fake, whose
ledger is read in process. Both clocks move together (the broker's ManualClock, the fake's
frozen clock), so access tokens expire as they would."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from agent.broker.book import FamilyBook
from agent.broker.window import AdoptionWindow
from agent.clock import ManualClock
from agent.config import AgentConfig
from agent.http import build_http_client

ACCESS_TTL = 3600.0
CLIENTS = 4


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_the_broker_never_burns_a_login(
    upstream: Any, account: dict[str, Any], broker_config: AgentConfig, tmp_path: Path
) -> None:
    ledger = upstream.authority.ledger
    http = build_http_client(broker_config)
    skew = broker_config.refresh_skew_seconds

    class Presenters(RuleBasedStateMachine):
        @initialize(
            generations=st.integers(0, 4),
            hours=st.sampled_from([1.5, 4.0, 24.0]),
            holdings=st.lists(st.integers(0, 1), min_size=CLIENTS, max_size=CLIENTS),
        )
        def start(self, generations: int, hours: float, holdings: list[int]) -> None:
            self.window = AdoptionWindow(generations, hours)
            self.clock = ManualClock(ledger.clock.now())
            home = Path(tempfile.mkdtemp(dir=tmp_path))
            self.book = FamilyBook(
                replace(broker_config, home=home), http=http, clock=self.clock, window=self.window
            )
            minted = upstream.authority.mint_family(account["account_id"])
            self.family_id = minted["family_id"]
            first = self.book.present(minted["refresh_token"])
            assert (first.status, first.action) == (200, "new_family")
            self.tokens = [minted["refresh_token"], first.body["refresh_token"]]
            self.retired_at = [self.clock.now()]
            self.access_expires = self.clock.now() + ACCESS_TTL
            self.holding = list(holdings)

        @property
        def current(self) -> int:
            return len(self.tokens) - 1

        def presented_upstream(self) -> int:
            family = ledger.families[self.family_id]
            return sum(len(t.presented) for t in family.tokens if t.kind == "refresh")

        def _rotated(self, new_token: str) -> None:
            self.retired_at.append(self.clock.now())
            self.tokens.append(new_token)
            self.access_expires = self.clock.now() + ACCESS_TTL

        @rule(client=st.integers(0, CLIENTS - 1))
        def present(self, client: int) -> None:
            generation = self.holding[client]
            behind = self.current - generation
            age = self.clock.now() - self.retired_at[generation] if behind else 0.0
            expiring = self.access_expires - self.clock.now() <= skew
            before = self.presented_upstream()
            outcome = self.book.present(self.tokens[generation])
            made = self.presented_upstream() - before
            if behind == 0:
                assert (outcome.status, outcome.action, made) == (200, "rotated", 1)
                self._rotated(outcome.body["refresh_token"])
            elif behind <= self.window.generations and age <= self.window.hours * 3600:
                assert outcome.status == 200, outcome.body
                if expiring:  # the current pair is refreshed first, once
                    assert (outcome.action, made) == ("rotated", 1)
                    self._rotated(outcome.body["refresh_token"])
                else:
                    assert (outcome.action, made) == ("adopted", 0)
                assert outcome.body["refresh_token"] == self.tokens[-1]
            else:
                assert (outcome.status, made) == (401, 0)
                assert outcome.body["error"]["code"] == "refresh_token_reused"
            # Its copy now: the pair it was given, or (refused) the one a fresh sign-in gives.
            self.holding[client] = self.current

        @rule(client=st.integers(0, CLIENTS - 1), source=st.integers(0, CLIENTS - 1))
        def copy(self, client: int, source: int) -> None:
            """A person copies one client's auth.json over another's."""
            self.holding[client] = self.holding[source]

        @rule(part=st.sampled_from([0.02, 0.3, 0.6, 1.05, 2.5]))
        def wait(self, part: float) -> None:
            """A part of the window's hours: every side of the T-hours bound gets visited."""
            seconds = round(part * self.window.hours * 3600)
            self.clock.advance(seconds)
            ledger.clock.advance(seconds)

        @invariant()
        def the_issuer_saw_no_reuse_and_one_rotation_per_generation(self) -> None:
            if not hasattr(self, "family_id"):
                return
            events = ledger.view(family_id=self.family_id)["events"]
            burning = {"reuse_detected", "family_revoked", "grace_reuse"}
            assert [e["type"] for e in events if e["type"] in burning] == []
            assert [e["generation"] for e in events if e["type"] == "rotated"] == list(
                range(self.current)
            )

        def teardown(self) -> None:
            if hasattr(self, "book"):
                for family in self.book.families():
                    family.manager.close()

    try:
        run_state_machine_as_test(
            Presenters,
            settings=settings(
                max_examples=50,
                stateful_step_count=30,
                derandomize=True,  # the same examples on every run: never flaky
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                phases=[Phase.explicit, Phase.generate],  # no shrinking: each step costs I/O
            ),
        )
    finally:
        http.close()
