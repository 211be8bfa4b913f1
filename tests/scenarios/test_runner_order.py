"""On workers (`-n N`) the scenarios go out longest first, by the recorded durations, then the
ones marked slow: the workers then finish together instead of one starting a ten-second
scenario when the others are done (the suite's wall time is its longest worker's)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scenarios.runner.plugin import longest_first


def item(name: str) -> pytest.Item:
    return cast(pytest.Item, SimpleNamespace(callspec=SimpleNamespace(params={"name": name})))


def names(items: list[Any]) -> list[str]:
    return [i.callspec.params["name"] for i in items]


def test_recorded_longest_first_then_slow_then_collection_order() -> None:
    collected = [item(n) for n in ("a", "b", "slow-one", "long", "c", "longer")]
    ordered = longest_first(collected, {"long": 9.0, "longer": 12.5, "a": 0.4}, {"slow-one"})
    assert names(ordered) == ["longer", "long", "a", "slow-one", "b", "c"]


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.floats(0, 100), max_size=8))
def test_every_scenario_stays_once(durations: dict[str, float]) -> None:
    collected = [item(n) for n in "abcdefgh"]
    ordered = longest_first(collected, durations, set())
    assert sorted(names(ordered)) == list("abcdefgh")
    seconds = [durations.get(n, 0.0) for n in names(ordered)]
    assert seconds == sorted(seconds, reverse=True)
