"""The simulated clients read a token's `exp` as the Codex CLI does, without a crypto stack:
the same answer as PyJWT's unverified decode for every token, None for what is no JWT."""

from __future__ import annotations

import jwt
from hypothesis import given
from hypothesis import strategies as st

from scenarios.siblings.simulators import jwt_exp

KEY = "sibling-test-key-not-checked-by-clients-000000"


@given(st.one_of(st.integers(0, 2**40), st.floats(0, 1e12, allow_nan=False)), st.text())
def test_exp_as_pyjwt_reads_it(exp: float, email: str) -> None:
    token = jwt.encode({"exp": exp, "email": email}, KEY, algorithm="HS256")
    assert jwt_exp(token) == float(exp)


@given(st.one_of(st.none(), st.text(max_size=5), st.lists(st.integers(), max_size=2)))
def test_an_exp_that_is_no_number_is_none(exp: object) -> None:
    assert jwt_exp(jwt.encode({"exp": exp}, KEY, algorithm="HS256")) is None


@given(st.text(max_size=60))
def test_anything_that_is_no_jwt_is_none(text: str) -> None:
    assert jwt_exp(text) is None or text.count(".") == 2
