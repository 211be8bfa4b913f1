"""Secrets given to either fake's CLI by file or environment: argv is visible to every local user in
`ps`, so the command lines the harness builds carry paths, never values."""

from __future__ import annotations

import os
from pathlib import Path


class SecretError(Exception):
    """A secret file that cannot be used (the message names the file, never its content)."""


def read_secret_file(path: Path, flag: str) -> list[str]:
    """The non-blank lines of a secret file (surrounding blanks stripped, `#` lines skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise SecretError(f"{flag} {path}: cannot read: {reason}") from None
    lines = [line.strip() for line in text.splitlines()]
    values = [line for line in lines if line and not line.startswith("#")]
    if not values:
        raise SecretError(f"{flag} {path}: the file holds no value")
    return values


def one_secret(argv_value: str | None, file: Path | None, env_name: str, flag: str) -> str | None:
    """A secret from `<flag>-file`, else the flag itself (visible in ps), else `env_name`."""
    if file is not None:
        if argv_value is not None:
            raise SecretError(f"give {flag} or {flag}-file, not both")
        values = read_secret_file(file, flag + "-file")
        if len(values) != 1:
            raise SecretError(f"{flag}-file {file}: expected one line, found {len(values)}")
        return values[0]
    return argv_value or os.environ.get(env_name) or None
