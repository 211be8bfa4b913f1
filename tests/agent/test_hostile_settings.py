"""Hostile settings: every value either loads within its range or is a `ConfigError` naming it.

A value that passes here must never fail later (a `nan` lock timeout, a CR/LF header, a CA
bundle that holds no certificate); a value that does not pass names the file or variable, the
key and what is allowed.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import ssl
from pathlib import Path
from typing import Any

import h11
import pytest
import trustme
from agent_testkit import START, cli_env, make_tokens, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.config import AUTH_SECONDS_RANGES, AgentConfig, load_config
from agent.config_values import MAX_HEADER_VALUE
from agent.errors import ConfigError
from agent.http import ssl_context
from agent.turns.settings import MODEL_NUMBER_RANGES, load_turn_settings


def home_with(tmp_path: Path, text: str) -> tuple[dict[str, str], Path]:
    home = tmp_path / "h"
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    return {"CODEX_AGENT_HOME": str(home), "HOME": str(tmp_path)}, path


def config_error(env: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_turn_settings(load_config(env))
    return caught.value


# --- 9a: numbers ---------------------------------------------------------------------------

OUT_OF_RANGE = ["nan", "inf", "-inf", "+inf", "-1", "1e308", "99999999999999999999", "'nan'"]


@pytest.mark.parametrize("key", sorted(AUTH_SECONDS_RANGES))
@pytest.mark.parametrize("literal", OUT_OF_RANGE)
def test_auth_seconds_out_of_range_name_file_key_and_range(
    tmp_path: Path, key: str, literal: str
) -> None:
    env, path = home_with(tmp_path, f"[auth]\n{key} = {literal}\n")
    error = config_error(env)
    low, high = AUTH_SECONDS_RANGES[key]
    assert (error.source, error.key) == (str(path), f"auth.{key}")
    assert f"from {low:g} to {high:g} seconds" in error.problem
    assert str(path) in error.message


@pytest.mark.parametrize(
    "key", ["lock_timeout_seconds", "http_timeout_seconds", "login_timeout_seconds"]
)
def test_a_zero_timeout_is_refused(tmp_path: Path, key: str) -> None:
    env, _ = home_with(tmp_path, f"[auth]\n{key} = 0\n")
    assert config_error(env).key == f"auth.{key}"


@pytest.mark.parametrize("literal", ["-1", "65536", "99999999999999999999", "1455.5", "nan"])
def test_callback_port_out_of_range_in_the_file(tmp_path: Path, literal: str) -> None:
    env, _ = home_with(tmp_path, f"[auth]\ncallback_port = {literal}\n")
    error = config_error(env)
    assert error.key == "auth.callback_port"
    assert "from 0 (any free port) to 65535" in error.problem


@pytest.mark.parametrize("value", ["-1", "65536", "1e3", "²", "١٤٥٥", "0x10", "9" * 30])
def test_callback_port_out_of_range_in_the_environment(tmp_path: Path, value: str) -> None:
    env = {"CODEX_AGENT_HOME": str(tmp_path), "CODEX_AGENT_CALLBACK_PORT": value}
    error = config_error(env)
    assert error.source == "environment variable CODEX_AGENT_CALLBACK_PORT"
    assert "65535" in error.problem


@pytest.mark.parametrize("literal", ["2.5", "nan", "1e308", "-1", "true"])
def test_max_retries_is_a_whole_number_in_range(tmp_path: Path, literal: str) -> None:
    env, _ = home_with(tmp_path, f"[model]\nmax_retries = {literal}\n")
    error = config_error(env)
    assert error.key == "model.max_retries"
    assert "whole number from 0 to 10" in error.problem


def test_an_integer_thousands_of_digits_long_is_a_config_error(tmp_path: Path) -> None:
    env, path = home_with(tmp_path, "[model]\ncooldown_seconds = " + "9" * 5000 + "\n")
    error = config_error(env)
    assert (error.source, error.key) == (str(path), "(file)")
    assert "too long" in error.problem


def test_values_inside_the_ranges_load(tmp_path: Path) -> None:
    env, _ = home_with(
        tmp_path,
        "[auth]\nrefresh_skew_seconds = 0\nlock_timeout_seconds = 0.5\n"
        "http_timeout_seconds = 600\nlogin_timeout_seconds = 86400\ncallback_port = 0\n"
        "[model]\nmax_retries = 10\nretry_delay_seconds = 0\nidle_timeout_seconds = 3600\n",
    )
    config = load_config(env)
    turns = load_turn_settings(config)
    assert (config.refresh_skew_seconds, config.lock_timeout_seconds) == (0.0, 0.5)
    assert (config.http_timeout_seconds, config.login_timeout_seconds) == (600.0, 86400.0)
    assert config.callback_port == 0
    assert (turns.max_retries, turns.idle_timeout_seconds) == (10, 3600.0)


# Any TOML value: scalars of every type (huge ints, non-finite floats, dates, odd strings) and
# arrays and inline tables of them.
_TOML_SCALARS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=10**19, max_value=10**40).map(str),  # past TOML's 64 bits, as text
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    st.dates(),
    st.datetimes(timezones=st.just(datetime.UTC)),
)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return value  # a bare integer literal past 64 bits
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    return str(value)


TOML_VALUES = st.recursive(
    _TOML_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
NUMERIC_SETTINGS = [("auth", key, rng) for key, rng in AUTH_SECONDS_RANGES.items()] + [
    ("auth", "callback_port", (0, 65535)),
    *[("model", key, rng) for key, rng in MODEL_NUMBER_RANGES.items()],
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setting=st.sampled_from(NUMERIC_SETTINGS), value=TOML_VALUES)
def test_any_toml_value_in_any_numeric_setting_loads_in_range_or_is_a_config_error(
    tmp_path_factory: pytest.TempPathFactory,
    setting: tuple[str, str, tuple[float, float]],
    value: Any,
) -> None:
    table, key, (low, high) = setting
    env, _ = home_with(tmp_path_factory.mktemp("c"), f"[{table}]\n{key} = {_toml(value)}\n")
    try:
        config = load_config(env)
        loaded = (
            getattr(config, key) if table == "auth" else getattr(load_turn_settings(config), key)
        )
    except ConfigError:
        return
    assert math.isfinite(loaded)
    assert low <= loaded <= high


@settings(max_examples=200, deadline=None)
@given(value=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00")))
def test_any_callback_port_variable_loads_in_range_or_is_a_config_error(value: str) -> None:
    env = {"CODEX_AGENT_HOME": "/nonexistent", "CODEX_AGENT_CALLBACK_PORT": value}
    try:
        config = load_config(env)
    except ConfigError as error:
        source = error.source
    else:
        assert 0 <= config.callback_port <= 65535
        return
    assert source == "environment variable CODEX_AGENT_CALLBACK_PORT"


# --- 9c: header values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "codex_cli_rs\r\nX-Injected: 1",
        "codex\nrs",
        "codé",
        "codex\trs",
        "codex\x00rs",
        "codex\x7frs",
        "x" * (MAX_HEADER_VALUE + 1),
    ],
)
def test_an_originator_that_is_no_header_value_is_refused_at_load(
    tmp_path: Path, value: str
) -> None:
    env, path = home_with(tmp_path, f"[auth]\noriginator = {json.dumps(value)}\n")
    error = config_error(env)
    assert (error.source, error.key) == (str(path), "auth.originator")
    assert "HTTP header" in error.problem
    assert "\n" not in error.message
    assert "\r" not in error.message


@settings(max_examples=300, deadline=None)
@given(value=st.text(st.characters(exclude_categories=("Cs",)), max_size=30))
def test_any_originator_that_loads_is_a_valid_header_value(
    tmp_path_factory: pytest.TempPathFactory, value: str
) -> None:
    env, _ = home_with(tmp_path_factory.mktemp("o"), f"[auth]\noriginator = {json.dumps(value)}\n")
    try:
        config = load_config(env)
    except ConfigError:
        return
    # h11 (under httpx) checks header values as the wire will; it raises on anything illegal.
    h11.Request(
        method="GET", target="/", headers=[("Host", "x"), ("originator", config.originator)]
    )
    config.originator.encode("ascii")


# --- bounded errors ------------------------------------------------------------------------


def test_a_huge_or_deep_value_gives_a_short_error(tmp_path: Path) -> None:
    deep = "[" * 200 + "]" * 200
    env, _ = home_with(tmp_path, f'[model]\nname = {deep}\ninstructions = "{"x" * 100_000}"\n')
    error = config_error(env)
    assert error.key == "model.name"
    assert len(error.message) < 500


def test_a_key_with_a_line_break_is_quoted_in_the_error(tmp_path: Path) -> None:
    env, _ = home_with(tmp_path, '"is\\nsuer" = "x"\n')
    error = config_error(env)
    assert "\n" not in error.message
    assert "is\\nsuer" in error.key


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('issuer = "https://auth.example.com:99999"', "issuer"),
        ('issuer = "https://auth\\n.example.com"', "issuer"),
        ('codex_base_url = "https://chatgpt.com/back end"', "codex_base_url"),
        ('codex_home = "/tmp/a\\u0000b"', "codex_home"),
        ('codex_home = "~no-such-user-here/x"', "codex_home"),
    ],
)
def test_urls_and_paths_that_would_fail_later_are_refused(
    tmp_path: Path, line: str, key: str
) -> None:
    env, _ = home_with(tmp_path, line + "\n")
    assert config_error(env).key == key


# --- 9b: the CA bundle ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def pem() -> tuple[bytes, bytes]:
    """A CA certificate and its private key, as PEM."""
    ca = trustme.CA(organization_name="hostile-settings")
    return ca.cert_pem.bytes(), ca.private_key_pem.bytes()


def ca_file(tmp_path: Path, pem: tuple[bytes, bytes], form: str) -> Path:
    cert, key = pem
    path = tmp_path / "ca.pem"
    if form == "garbage":
        path.write_bytes(b"\x00\xffnot a certificate\n" * 10)
    elif form == "empty":
        path.write_bytes(b"")
    elif form == "private key only":
        path.write_bytes(key)
    elif form == "truncated certificate":
        path.write_bytes(cert[: len(cert) // 2] + b"\n-----END CERTIFICATE-----\n")
    elif form == "certificate then a broken one":
        path.write_bytes(cert + b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    elif form == "too large":
        with path.open("wb") as handle:
            handle.write(cert)
            handle.truncate(17 * 1024 * 1024)
    else:
        raise AssertionError(form)
    return path


CA_FORMS = {
    "garbage": "holds no PEM certificate",
    "empty": "is empty",
    "private key only": "holds a private key but no certificate",
    "truncated certificate": "cannot be read",
    "certificate then a broken one": "cannot be read",
    "too large": "larger than 16 MiB",
}


@pytest.mark.parametrize("form", sorted(CA_FORMS))
def test_a_ca_bundle_that_is_no_bundle_is_a_config_error_naming_it(
    tmp_path: Path, pem: tuple[bytes, bytes], form: str
) -> None:
    path = ca_file(tmp_path, pem, form)
    config = load_config({"CODEX_AGENT_HOME": str(tmp_path), "CODEX_AGENT_CA_BUNDLE": str(path)})
    with pytest.raises(ConfigError) as caught:
        ssl_context(config)
    error = caught.value
    assert (error.source, error.key) == (
        "environment variable CODEX_AGENT_CA_BUNDLE",
        "CODEX_AGENT_CA_BUNDLE",
    )
    assert str(path) in error.problem
    assert CA_FORMS[form] in error.problem


def test_a_valid_bundle_with_comments_is_trusted(tmp_path: Path, pem: tuple[bytes, bytes]) -> None:
    path = tmp_path / "ca.pem"
    path.write_bytes("# Főtanúsítvány (a comment)\n".encode() + pem[0])
    config = load_config({"CODEX_AGENT_HOME": str(tmp_path), "CODEX_AGENT_CA_BUNDLE": str(path)})
    assert isinstance(ssl_context(config), ssl.SSLContext)


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: None, "does not exist"),
        (lambda p: p.symlink_to(p), "cannot be read"),
        (lambda p: os.mkfifo(p), "not a regular file"),
    ],
    ids=["directory", "missing", "symlink loop", "fifo"],
)
def test_a_ca_bundle_that_is_no_file_is_refused_at_load(
    tmp_path: Path, make: Any, problem: str
) -> None:
    path = tmp_path / "ca.pem"
    make(path)
    env, config_path = home_with(tmp_path, f"ca_bundle = {json.dumps(str(path))}\n")
    error = config_error(env)
    assert (error.source, error.key) == (str(config_path), "ca_bundle")
    assert problem in error.problem


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_ca_bundle_names_the_permission(
    tmp_path: Path, pem: tuple[bytes, bytes]
) -> None:
    path = tmp_path / "ca.pem"
    path.write_bytes(pem[0])
    path.chmod(0)
    config = load_config({"CODEX_AGENT_HOME": str(tmp_path), "CODEX_AGENT_CA_BUNDLE": str(path)})
    with pytest.raises(ConfigError, match="Permission denied"):
        ssl_context(config)


def test_a_config_built_in_code_names_the_bundle_too(tmp_path: Path) -> None:
    path = tmp_path / "ca.pem"
    path.write_text("nonsense")
    with pytest.raises(ConfigError) as caught:
        ssl_context(AgentConfig(home=tmp_path, ca_bundle=path))
    assert caught.value.key == "ca_bundle"


NETWORK_COMMANDS = [
    ["login", "--device"],
    ["refresh"],
    ["ask", "hello"],
    ["gateway", "run", "--port", "0"],
]


@pytest.mark.parametrize("argv", NETWORK_COMMANDS, ids=lambda a: a[0])
def test_every_network_command_reports_a_bad_ca_bundle_clearly(
    tmp_path: Path, argv: list[str]
) -> None:
    home = tmp_path / "agent"
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate\n")
    env = cli_env(home, tmp_path / "codex", "https://127.0.0.1:9", bundle)
    result = run_cli(argv, env)
    assert result.returncode == 1, result.stderr
    assert f"CA bundle {bundle} holds no PEM certificate" in result.stderr
    assert "fix: fix `CODEX_AGENT_CA_BUNDLE`" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (home / "gateway.pid").exists()


def test_status_names_a_bad_ca_bundle(tmp_path: Path) -> None:
    home = tmp_path / "agent"
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate\n")
    env = cli_env(home, tmp_path / "codex", "https://127.0.0.1:9", bundle)
    result = run_cli(["status"], env)
    assert result.returncode == 1
    assert "not logged in" in result.stdout
    assert f"CA bundle {bundle} holds no PEM certificate" in result.stdout
    assert "Traceback" not in result.stderr
    as_json = run_cli(["status", "--json"], env)
    shown = json.loads(as_json.stdout)["ca_bundle"]
    assert shown["path"] == str(bundle)
    assert shown["error"]["code"] == "config_invalid"
    assert not home.exists()  # still read-only


def test_status_of_a_working_login_is_not_ready_with_a_bad_ca_bundle(
    tmp_path: Path, pem: tuple[bytes, bytes]
) -> None:
    from agent.auth.manager import CredentialManager
    from agent.auth.status import collect_status
    from agent.clock import ManualClock

    clock = ManualClock(START)
    good = load_config({"CODEX_AGENT_HOME": str(tmp_path / "h")})
    with CredentialManager.from_config(good, clock=clock) as manager:
        manager.save_new_login(make_tokens(), method="device_code")
    assert collect_status(good, clock).ready
    bundle = ca_file(tmp_path, pem, "private key only")
    config = load_config(
        {"CODEX_AGENT_HOME": str(tmp_path / "h"), "CODEX_AGENT_CA_BUNDLE": str(bundle)}
    )
    report = collect_status(config, clock)
    assert not report.ready
    assert report.summary.startswith("cannot work: environment variable CODEX_AGENT_CA_BUNDLE")
    assert "holds a private key but no certificate" in report.data["ca_bundle"]["error"]["message"]


@pytest.mark.parametrize("key", ["clé", "sk-abc\r\nX-Injected: 1", "sk-abc\tdef"])
def test_an_api_key_that_is_no_header_value_is_a_clear_notice(tmp_path: Path, key: str) -> None:
    home = tmp_path / "agent"
    home.mkdir()
    (home / "config.toml").write_text(
        '[model]\nprovider = "openai-compatible"\nname = "m"\n'
        'base_url = "http://127.0.0.1:9/v1"\nkey_env = "HOSTILE_KEY"\nmax_retries = 0\n'
    )
    env = {**cli_env(home, tmp_path / "codex", "https://127.0.0.1:9", None), "HOSTILE_KEY": key}
    result = run_cli(["ask", "hi"], env)
    assert result.returncode == 1
    assert "HOSTILE_KEY does not hold a usable API key" in result.stderr
    assert "bug" not in result.stderr
    assert "X-Injected" not in result.stderr
