"""`[model]` and `[[fallback_providers]]`: accepted shapes, and errors naming file, key, problem."""

from __future__ import annotations

import tomllib

import pytest

from agent.errors import ConfigError
from agent.turns.settings import DEFAULT_MODEL, parse_turn_settings

SOURCE = "/home/u/.codex-agent/config.toml"


def parse(text):
    return parse_turn_settings(tomllib.loads(text), SOURCE)


def test_the_documented_shape():
    settings = parse(
        """
        [model]
        provider = "openai-codex"
        name = "gpt-5.5"

        [[fallback_providers]]
        provider = "openai-compatible"
        model = "some-model"
        base_url = "https://api.example.com/v1/"
        key_env = "SOME_API_KEY"
        """
    )
    assert settings.primary.provider == "openai-codex"
    assert settings.primary.model == "gpt-5.5"
    assert settings.primary.transport == "auto"
    (fallback,) = settings.fallbacks
    assert fallback.base_url == "https://api.example.com/v1"
    assert fallback.key_env == "SOME_API_KEY"


def test_an_empty_config_means_codex_with_the_default_model_and_no_fallback():
    settings = parse("")
    assert settings.primary.provider == "openai-codex"
    assert settings.primary.model == DEFAULT_MODEL
    assert settings.fallbacks == ()


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ('[model]\nprovider = "openai"\n', "model.provider", "must be one of"),
        ('[model]\nname = ""\n', "model.name", "non-empty"),
        ('[model]\ntransport = "carrier-pigeon"\n', "model.transport", "must be one of"),
        ("[model]\nmax_retries = 99\n", "model.max_retries", "from 0 to 10"),
        ('[model]\nmodle = "x"\n', "model.modle", "unknown key"),
        ('[model]\nkey_env = "X"\n', "model.key_env", "not used by openai-codex"),
        ('model = "gpt"\n', "model", "must be a table"),
        ("[fallback_providers]\nprovider = 'openai-compatible'\n", "fallback_providers", "array"),
        (
            '[[fallback_providers]]\nprovider = "openai-compatible"\nmodel = "m"\nkey_env = "K"\n',
            "fallback_providers[1].base_url",
            "is required",
        ),
        (
            '[[fallback_providers]]\nprovider = "openai-compatible"\nmodel = "m"\n'
            'base_url = "https://x/v1"\n',
            "fallback_providers[1].key_env",
            "is required",
        ),
        (
            '[[fallback_providers]]\nprovider = "openai-compatible"\nmodel = "m"\n'
            'base_url = "ftp://x/v1"\nkey_env = "K"\n',
            "fallback_providers[1].base_url",
            "http(s) URL",
        ),
        ('[[fallback_providers]]\nmodel = "m"\n', "fallback_providers[1].provider", "required"),
        (
            '[[fallback_providers]]\nprovider = "openai-compatible"\n',
            "fallback_providers[1].model",
            "required",
        ),
    ],
)
def test_errors_name_the_file_the_key_and_the_problem(text, key, words):
    with pytest.raises(ConfigError) as caught:
        parse(text)
    error = caught.value
    assert error.source == SOURCE
    assert error.key == key
    assert words in error.problem
    assert SOURCE in error.message
    assert key in error.message


def test_a_key_pasted_into_key_env_is_refused_without_being_repeated():
    secret = "sk-live-abcdefghijklmnopqrstuvwxyz"
    text = (
        '[[fallback_providers]]\nprovider = "openai-compatible"\nmodel = "m"\n'
        f'base_url = "https://x/v1"\nkey_env = "{secret}"\n'
    )
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert "name of an environment variable" in caught.value.message
    assert secret not in caught.value.message
