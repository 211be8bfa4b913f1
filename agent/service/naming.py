"""One name per program and home on Linux and macOS: `codex-agent-<role>-<hash of the home>`.

The same scheme as the Windows task names, so two homes get two units (or two launchd
agents). macOS folders are compared without case (its usual file systems ignore case);
Linux folders with it.
"""

from __future__ import annotations

import hashlib
import posixpath

from agent.service.program import ServiceProgram


def normalized_home(home: str) -> str:
    path = posixpath.normpath(home)
    return "/" if path == "//" else path


def service_name(program: ServiceProgram, home: str, *, fold_case: bool) -> str:
    key = normalized_home(home)
    if fold_case:
        key = key.casefold()
    digest = hashlib.sha256(key.encode("utf-8", errors="surrogatepass")).hexdigest()
    return program.name_prefix + digest[:10]
