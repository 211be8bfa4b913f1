"""Errors of the Windows service: those of every service (`agent.service.errors`)."""

from __future__ import annotations

from agent.service.errors import (
    NotInstalled,
    ServiceError,
    UnsafeValue,
    UnsupportedPlatform,
    refuse_control_characters,
    refuse_line_breaks,
)

__all__ = [
    "NotInstalled",
    "ServiceError",
    "UnsafeValue",
    "UnsupportedPlatform",
    "refuse_control_characters",
    "refuse_line_breaks",
]
