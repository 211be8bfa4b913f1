"""Siblings as objects of this process: the same simulators and JSON commands, no process start.

For runs where a sibling's start-up is the bulk of the cost (the determinism bench replays one
story a thousand times); the agent under test still runs as its own `codex-agent` processes.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx

from scenarios.lab.sibling_process import SiblingChannel, SiblingError, SiblingReply, SiblingSpec
from scenarios.lab.world import InProcessWorld
from scenarios.siblings.__main__ import build, parse_args, serve


class InProcessSibling:
    """One simulated client driven by direct calls; replies keep the process's error mapping."""

    def __init__(self, kind: str, spec: SiblingSpec) -> None:
        self.kind = kind
        args = parse_args([kind, *spec.flags()])
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=str(spec.ca_cert)) if spec.ca_cert else True
        )
        self._client = httpx.Client(verify=verify, timeout=spec.timeout)
        self._sibling = build(args, self._client, env=spec.process_env({}))

    def command(self, cmd: str, **fields: Any) -> SiblingReply:
        replies: list[str] = []
        serve(self._sibling, iter([json.dumps({"id": 1, "cmd": cmd, **fields})]), replies.append)
        if len(replies) != 1:
            raise SiblingError(f"{self.kind} gave {len(replies)} answers to {cmd!r}")
        reply = json.loads(replies[0])
        return SiblingReply(
            ok=bool(reply.get("ok")), result=reply.get("result", {}), error=reply.get("error", {})
        )

    def close(self) -> None:
        self._client.close()


class SiblingsInProcessWorld(InProcessWorld):
    """The in-process world whose siblings run in this process too."""

    def start_sibling(self, kind: str, spec: SiblingSpec) -> SiblingChannel:
        return InProcessSibling(kind, spec)
