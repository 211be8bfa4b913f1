"""Configuration: defaults that work against the real service, env over file, precise errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import CODEX_CLIENT_ID, load_config
from agent.errors import ConfigError


def write(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text)
    return path


def test_defaults_are_the_real_service(tmp_path: Path) -> None:
    config = load_config({"HOME": str(tmp_path)})
    assert config.home == tmp_path / ".codex-agent"
    assert config.issuer == "https://auth.openai.com"
    assert config.codex_base_url == "https://chatgpt.com/backend-api/codex"
    assert config.codex_home == tmp_path / ".codex"
    assert config.client_id == CODEX_CLIENT_ID == "app_EMoamEEZ73f0CkXaXp7hrann"
    assert config.ca_bundle is None
    assert config.callback_port == 1455
    assert config.login_timeout_seconds == 900
    assert not (tmp_path / ".codex-agent").exists()  # loading creates nothing


def test_environment_beats_the_file(tmp_path: Path) -> None:
    home = tmp_path / "h"
    ca = tmp_path / "ca.pem"
    ca.write_text("not checked here")
    write(home, 'issuer = "https://file.example"\ncodex_base_url = "https://file.example/codex"\n')
    config = load_config(
        {
            "CODEX_AGENT_HOME": str(home),
            "CODEX_AGENT_ISSUER": "https://127.0.0.1:8443/",
            "CODEX_AGENT_CA_BUNDLE": str(ca),
            "CODEX_HOME": str(tmp_path / "cli"),
            "CODEX_AGENT_CALLBACK_PORT": "0",
        }
    )
    assert config.issuer == "https://127.0.0.1:8443"
    assert config.codex_base_url == "https://file.example/codex"
    assert config.ca_bundle == ca
    assert config.codex_home == tmp_path / "cli"
    assert config.callback_port == 0


def test_file_settings_and_reserved_sections(tmp_path: Path) -> None:
    home = tmp_path / "h"
    write(
        home,
        """
issuer = "https://auth.example"
codex_home = "~/elsewhere"

[auth]
originator = "codex_vscode"
refresh_skew_seconds = 60
lock_timeout_seconds = 5

[model]
name = "gpt-5-codex"

[[fallback_providers]]
name = "api"
""",
    )
    config = load_config({"CODEX_AGENT_HOME": str(home), "HOME": str(tmp_path)})
    assert config.issuer == "https://auth.example"
    assert config.codex_home == tmp_path / "elsewhere"
    assert config.originator == "codex_vscode"
    assert config.refresh_skew_seconds == 60
    assert config.sections["model"] == {"name": "gpt-5-codex"}
    assert config.sections["fallback_providers"] == [{"name": "api"}]


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("isuer = 'https://x'", "isuer", "unknown key"),
        ("[auth]\nrefresh_skew = 1", "auth.refresh_skew", "unknown key"),
        ("issuer = 'ftp://x'", "issuer", "must be an http(s) URL"),
        ("issuer = 42", "issuer", "must be a non-empty string"),
        ("[auth]\nlock_timeout_seconds = -1", "auth.lock_timeout_seconds", "from 0.1 to 3600"),
        ("[auth]\ncallback_port = 70000", "auth.callback_port", "port number"),
        ("[auth]\nrefresh_skew_seconds = true", "auth.refresh_skew_seconds", "must be a number"),
        ("auth = 3", "auth", "must be a table"),
        ("issuer = ", "(file)", "is not valid TOML"),
        ("ca_bundle = '/nonexistent/ca.pem'", "ca_bundle", "does not exist"),
    ],
)
def test_errors_name_the_file_the_key_and_the_problem(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    home = tmp_path / "h"
    path = write(home, text)
    with pytest.raises(ConfigError) as caught:
        load_config({"CODEX_AGENT_HOME": str(home)})
    error = caught.value
    assert error.source == str(path)
    assert error.key == key
    assert problem in error.problem
    assert str(path) in error.message
    assert key in error.remedy


def test_an_env_error_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config({"CODEX_AGENT_HOME": str(tmp_path), "CODEX_AGENT_ISSUER": "auth.openai.com"})
    assert caught.value.source == "environment variable CODEX_AGENT_ISSUER"
