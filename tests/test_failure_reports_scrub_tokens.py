"""A failing test that compares token pairs reports fingerprints, never the tokens."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyXzEiLCJleHAiOjE4MDAwMDM2MDB9.AoTVRHd2aTkeq6tbb_3uCo21"
REFRESH = "rt_rmjEdhP2h1O4pcZwIx5Jl-1NqdfqlAAyYFHlhEYz0Ds"


def test_a_failing_comparison_of_pairs_shows_fingerprints(pytester: pytest.Pytester) -> None:
    conftest = Path(__file__).with_name("conftest.py").read_text(encoding="utf-8")
    pytester.makeconftest(conftest.replace("pytest_plugins = [", "_unused = ["))
    pytester.makepyfile(
        textwrap.dedent(
            f"""
            def test_pairs():
                assert {{"access_token": "{JWT}", "refresh_token": "{REFRESH}"}} == {{}}
            """
        )
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert JWT not in output
    assert REFRESH not in output
    assert "<token t_" in output
