"""`[model]` and `[[fallback_providers]]` of `<home>/config.toml`, checked before any turn.

    [model]
    provider = "openai-codex"          # or "openai-compatible"
    name = "gpt-5.5"
    transport = "auto"                 # openai-codex: auto (WebSocket, then SSE), websocket, sse
    reasoning_effort = "medium"        # optional
    instructions = "..."               # optional system instructions
    max_retries = 2                    # retries of 429 / 5xx / cut streams per provider and turn
    retry_delay_seconds = 1.0          # first backoff delay (doubles, capped at 30 s)
    cooldown_seconds = 60              # skip a rate-limited primary this long (0: never skip)
    idle_timeout_seconds = 300         # give up on a stream silent this long

    [[fallback_providers]]
    provider = "openai-compatible"
    model = "some-model"
    base_url = "https://…/v1"
    key_env = "SOME_API_KEY"

An error names the file, the key, what is wrong and the allowed range
(`agent.errors.ConfigError`); every number is finite and within `MODEL_NUMBER_RANGES`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from agent.config import AgentConfig
from agent.config_values import key_name, number, shown, text, url, whole_number
from agent.errors import ConfigError
from agent.providers.codex import TRANSPORTS, Transport

PROVIDER_KINDS = ("openai-codex", "openai-compatible")
DEFAULT_MODEL = "gpt-5.5"
DEFAULT_INSTRUCTIONS = (
    "You are codex-agent, a helpful coding assistant. Answer concisely and accurately."
)
REASONING_EFFORTS = ("minimal", "low", "medium", "high", "xhigh")

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_MODEL_KEYS = {
    "provider",
    "name",
    "base_url",
    "key_env",
    "transport",
    "reasoning_effort",
    "instructions",
    "max_retries",
    "retry_delay_seconds",
    "cooldown_seconds",
    "idle_timeout_seconds",
}
# (lowest, highest) of each number of [model]; max_retries is a whole number.
MODEL_NUMBER_RANGES: dict[str, tuple[float, float]] = {
    "max_retries": (0, 10),
    "retry_delay_seconds": (0.0, 60.0),
    "cooldown_seconds": (0.0, 86400.0),
    "idle_timeout_seconds": (1.0, 3600.0),
}
_FALLBACK_KEYS = {"provider", "model", "base_url", "key_env", "transport", "reasoning_effort"}


@dataclass(frozen=True)
class ProviderSettings:
    provider: str
    model: str
    base_url: str | None = None
    key_env: str | None = None
    transport: Transport = "auto"
    reasoning_effort: str | None = None


@dataclass(frozen=True)
class TurnSettings:
    primary: ProviderSettings
    fallbacks: tuple[ProviderSettings, ...] = ()
    instructions: str = DEFAULT_INSTRUCTIONS
    max_retries: int = 2
    retry_delay_seconds: float = 1.0
    cooldown_seconds: float = 60.0
    idle_timeout_seconds: float = 300.0


def load_turn_settings(config: AgentConfig) -> TurnSettings:
    return parse_turn_settings(config.sections, str(config.config_path))


def parse_turn_settings(sections: Mapping[str, Any], source: str) -> TurnSettings:
    model = sections.get("model", {})
    if not isinstance(model, dict):
        raise ConfigError(source, "model", "must be a table ([model])")
    _no_unknown(model, _MODEL_KEYS, "model", source)
    kind = _choice(model.get("provider", "openai-codex"), PROVIDER_KINDS, "model.provider", source)
    name = text(model.get("name", DEFAULT_MODEL), "model.name", source)
    primary = _provider(model, kind, name, "model", source)

    raw_fallbacks = sections.get("fallback_providers", [])
    if not isinstance(raw_fallbacks, list):
        raise ConfigError(
            source, "fallback_providers", "must be an array of tables ([[fallback_providers]])"
        )
    fallbacks: list[ProviderSettings] = []
    for index, entry in enumerate(raw_fallbacks, start=1):
        where = f"fallback_providers[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(source, where, "must be a table ([[fallback_providers]])")
        _no_unknown(entry, _FALLBACK_KEYS, where, source)
        if "provider" not in entry:
            kinds = _one_of(PROVIDER_KINDS)
            raise ConfigError(source, f"{where}.provider", f"is required ({kinds})")
        if "model" not in entry:
            raise ConfigError(source, f"{where}.model", "is required (the model's name)")
        kind = _choice(entry["provider"], PROVIDER_KINDS, f"{where}.provider", source)
        name = text(entry["model"], f"{where}.model", source)
        fallbacks.append(_provider(entry, kind, name, where, source))

    def seconds(key: str, default: float) -> float:
        low, high = MODEL_NUMBER_RANGES[key]
        return number(model.get(key, default), f"model.{key}", source, low, high, " seconds")

    low, high = MODEL_NUMBER_RANGES["max_retries"]
    return TurnSettings(
        primary=primary,
        fallbacks=tuple(fallbacks),
        instructions=text(
            model.get("instructions", DEFAULT_INSTRUCTIONS), "model.instructions", source
        ),
        max_retries=whole_number(
            model.get("max_retries", 2), "model.max_retries", source, int(low), int(high)
        ),
        retry_delay_seconds=seconds("retry_delay_seconds", 1.0),
        cooldown_seconds=seconds("cooldown_seconds", 60.0),
        idle_timeout_seconds=seconds("idle_timeout_seconds", 300.0),
    )


def _provider(
    table: Mapping[str, Any], kind: str, model: str, where: str, source: str
) -> ProviderSettings:
    base_url = table.get("base_url")
    key_env = table.get("key_env")
    if kind == "openai-compatible":
        if base_url is None:
            raise ConfigError(source, f"{where}.base_url", f"is required for {kind}")
        if key_env is None:
            raise ConfigError(
                source,
                f"{where}.key_env",
                f"is required for {kind} (the name of the environment variable holding the key)",
            )
    else:
        if key_env is not None:
            raise ConfigError(
                source, f"{where}.key_env", "is not used by openai-codex (it signs in with ChatGPT)"
            )
        if base_url is not None:
            raise ConfigError(
                source,
                f"{where}.base_url",
                "is not used by openai-codex; set the top-level `codex_base_url` instead",
            )
    if "transport" in table and kind != "openai-codex":
        raise ConfigError(source, f"{where}.transport", f"is not used by {kind}")
    transport = cast(
        Transport,
        _choice(table.get("transport", "auto"), TRANSPORTS, f"{where}.transport", source),
    )
    effort = table.get("reasoning_effort")
    return ProviderSettings(
        provider=kind,
        model=model,
        base_url=url(base_url, f"{where}.base_url", source) if base_url is not None else None,
        key_env=_env_name(key_env, f"{where}.key_env", source) if key_env is not None else None,
        transport=transport,
        reasoning_effort=(
            _choice(effort, REASONING_EFFORTS, f"{where}.reasoning_effort", source)
            if effort is not None
            else None
        ),
    )


def _no_unknown(table: Mapping[str, Any], known: set[str], where: str, source: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            source,
            f"{where}.{key_name(unknown[0])}",
            f"unknown key (known: {', '.join(sorted(known))})",
        )


def _one_of(choices: tuple[str, ...]) -> str:
    return "one of " + ", ".join(f'"{c}"' for c in choices)


def _choice(value: Any, choices: tuple[str, ...], key: str, source: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(source, key, f"must be {_one_of(choices)}, got {shown(value)}")
    return value


def _env_name(value: Any, key: str, source: str) -> str:
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        got = "a string" if isinstance(value, str) else shown(value)
        raise ConfigError(
            source,
            key,
            f"must be the name of an environment variable (like OPENAI_API_KEY), got {got}; "
            "never put the key itself in config.toml",
        )
    return value
