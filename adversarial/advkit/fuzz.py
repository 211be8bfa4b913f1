"""Hypothesis settings of the suite: explicit sizes, no deadline (a shared machine), the same
examples on every run (CI reproduces a failure), and no shrinking (a hang would be retried)."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings


def fuzz(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
