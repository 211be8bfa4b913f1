"""The answer of `GET /backend-api/codex/models`: a small catalogue in the real service's shape.

The Codex CLI (0.169.0) deserialises each entry as its `ModelInfo` and picks the listed model
with the lowest `priority` as its default; Hermes reads `slug`, `visibility` and `priority`.
The fields are the ones the real service sends; the values are the fake's own.
"""

from __future__ import annotations

import copy
from typing import Any

# Models this fake knows: the one the project's clients ask for first, and an older one.
DEFAULT_MODEL = "gpt-5.5"

_REASONING_LEVELS = [
    {"effort": "low", "description": "Fast responses with lighter reasoning"},
    {"effort": "medium", "description": "Balances speed and reasoning depth"},
    {"effort": "high", "description": "Greater reasoning depth for complex problems"},
]

_INSTRUCTIONS = (
    "You are Codex, a coding agent. You and the user share one workspace; "
    "answer concisely and say what you changed."
)


def _model(slug: str, display_name: str, description: str, priority: int) -> dict[str, Any]:
    return {
        "slug": slug,
        "display_name": display_name,
        "description": description,
        "default_reasoning_level": "medium",
        "supported_reasoning_levels": copy.deepcopy(_REASONING_LEVELS),
        "shell_type": "shell_command",
        "visibility": "list",
        "supported_in_api": True,
        "priority": priority,
        "minimal_client_version": "0.100.0",
        "upgrade": None,
        "availability_nux": None,
        "base_instructions": _INSTRUCTIONS,
        "model_messages": None,
        "supports_reasoning_summaries": True,
        "supports_reasoning_summary_parameter": True,
        "default_reasoning_summary": "none",
        "support_verbosity": True,
        "default_verbosity": "low",
        "apply_patch_tool_type": "freeform",
        "web_search_tool_type": "text_and_image",
        "truncation_policy": {"mode": "tokens", "limit": 10000},
        "supports_parallel_tool_calls": True,
        "context_window": 272000,
        "max_context_window": 272000,
        "auto_compact_token_limit": None,
        "effective_context_window_percent": 95,
        "experimental_supported_tools": [],
        "input_modalities": ["text", "image"],
        "supports_image_detail_original": True,
        "prefer_websockets": True,
        "tool_mode": None,
        "multi_agent_version": None,
        "multi_agent_reasoning_effort": None,
        "use_responses_lite": False,
        "supports_reasoning_effort_updates": False,
        "include_skills_usage_instructions": False,
        "include_apps_usage_instructions": False,
        "include_plugin_usage_instructions": False,
        "guardian": None,
        "node_repl_auto_review_required": False,
        "node_repl_disabled": False,
        "requires_sandboxed_review": False,
        "auto_review_model_override": None,
        "model_specialty": None,
        "comp_hash": "fake",
        "available_in_plans": [
            "free",
            "go",
            "plus",
            "pro",
            "team",
            "business",
            "enterprise",
            "edu",
        ],
        "supports_search_tool": False,
        "supports_experimental_context": False,
        "default_service_tier": None,
        "service_tiers": [],
        "additional_speed_tiers": [],
    }


_CATALOG: list[dict[str, Any]] = [
    _model(DEFAULT_MODEL, "GPT-5.5", "The fake backend's default coding model.", 1),
    _model("gpt-5-codex", "GPT-5-Codex", "An older coding model, still served.", 2),
]


def models_response() -> dict[str, Any]:
    """`{"models": [...]}`, a fresh copy for each answer."""
    return {"models": copy.deepcopy(_CATALOG)}
