"""Fixtures shared by every test folder, and a scrubber of tokens in failure reports."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Generator
from typing import Any

import pytest

pytest_plugins = ["fake_oauth_server.pytest_plugin", "fake_codex_ws.pytest_plugin"]

# What the fakes mint: JWTs (id and access tokens) and opaque refresh tokens. A failing assert
# that compares token pairs would print them; the report shows their fingerprints instead.
_TOKENS = re.compile(
    r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*|\brt_[A-Za-z0-9_-]{16,}"
)


def scrub_tokens(text: str) -> str:
    def fingerprint(match: re.Match[str]) -> str:
        return "<token t_" + hashlib.sha256(match.group(0).encode()).hexdigest()[:12] + ">"

    return _TOKENS.sub(fingerprint, text)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.longrepr is not None:
        text = str(report.longrepr)
        scrubbed = scrub_tokens(text)
        if scrubbed != text:
            report.longrepr = scrubbed
