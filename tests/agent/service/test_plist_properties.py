"""The launchd plist carries every value unchanged (plistlib round trip), and refuses what
XML cannot carry, by role."""

from __future__ import annotations

import plistlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.service.errors import UnsafeValue
from agent.service.launchd import plist
from agent.service.program import BROKER, GATEWAY, Launch

TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(" %$\"'\\<>&]]>;éü日本😀"),
        st.characters(blacklist_categories=("Cc", "Cs")),
    ),
    max_size=40,
)
HOMES = st.lists(TEXT.filter(lambda s: s and "/" not in s), min_size=1, max_size=4).map(
    lambda parts: "/" + "/".join(parts)
)


@settings(max_examples=300, deadline=None)
@given(
    home=HOMES,
    python=HOMES,
    issuer=TEXT,
    port=st.one_of(st.none(), st.integers(0, 65535)),
    broker=st.booleans(),
)
def test_every_value_survives_the_round_trip(home, python, issuer, port, broker):
    program = BROKER if broker else GATEWAY
    launch = Launch(
        program.argv(python, bind_host=None, port=port),
        home,
        program.environment(home, {"CODEX_AGENT_ISSUER": issuer}),
    )
    definition = plist.agent_definition(program, launch, label="codex-agent-x-0123456789")
    read = plistlib.loads(plist.encode(definition))
    assert read == definition
    assert read["ProgramArguments"] == list(launch.argv)
    assert read["EnvironmentVariables"] == dict(launch.env)
    assert read["WorkingDirectory"] == home
    assert read["StandardErrorPath"] == f"{home}/{program.role}.err.log"


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\n", "\udcff"])
def test_what_xml_cannot_carry_is_refused_by_role(bad):
    launch = Launch(
        GATEWAY.argv("/usr/bin/python3", bind_host=None, port=None),
        "/h",
        (
            ("CODEX_AGENT_HOME", "/h"),
            ("CODEX_HOME", f"a{bad}b"),
        ),
    )
    with pytest.raises(UnsafeValue) as caught:
        plist.agent_definition(GATEWAY, launch, label="x")
    assert "value of CODEX_HOME" in caught.value.message
    assert "the launchd agent" in caught.value.message
