"""`python -m scenarios.siblings KIND …`: a sibling that obeys JSON-line commands on stdin.

Commands: `{"id": N, "cmd": "start" | "refresh" | "turn" | "import" | "logout" | "status" | "exit",
"prompt": "…"}`; every command gets one line back: `{"id": N, "ok": true, "result": {…}}` or
`{"id": N, "ok": false, "error": {"code": "…", "message": "…"}}`.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from scenarios.siblings import wire
from scenarios.siblings.clock_file import FileClock
from scenarios.siblings.codex_store import CodexStoreError
from scenarios.siblings.simulators import CodexCli, Endpoints, NaiveAgent, SiblingFailure, describe

IDENTITIES = {
    "codex-cli": ("codex_cli_rs", f"codex_cli_rs/{wire.SIMULATED_VERSION} (sim)"),
    "vscode": ("codex_vscode", f"codex_vscode/{wire.SIMULATED_VERSION} (sim)"),
    "naive-agent": ("codex_cli_rs", "naive-agent/0.0.0"),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scenarios.siblings")
    parser.add_argument("kind", choices=sorted(IDENTITIES))
    parser.add_argument("--codex-home", type=Path, required=True)
    parser.add_argument("--home", type=Path, help="the naive agent's own folder")
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--ca-cert", type=Path)
    parser.add_argument("--clock-file", type=Path)
    parser.add_argument("--model", default="gpt-5.5")
    parser.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="take commands from one TCP connection instead of stdin (for containers; port 0 "
        "picks a free one, announced in the ready line)",
    )
    return parser.parse_args(argv)


def build(
    args: argparse.Namespace, client: httpx.Client, env: Mapping[str, str] | None = None
) -> CodexCli | NaiveAgent:
    """`env` (this process's by default) may send refreshes and revokes elsewhere, through the
    variables the Codex CLI honours (`CODEX_REFRESH_TOKEN_URL_OVERRIDE`, …)."""
    originator, user_agent = IDENTITIES[args.kind]
    own_version = user_agent.split("/", 1)[1].split(" ", 1)[0]  # the one its user agent names
    identity = wire.Identity(originator=originator, user_agent=user_agent, version=own_version)
    issuer = args.issuer.rstrip("/")
    urls = wire.TokenUrls.of(issuer, os.environ if env is None else env)
    endpoints = Endpoints(issuer=issuer, base_url=args.base_url.rstrip("/"), urls=urls)
    endpoints.model = args.model
    clock = FileClock(args.clock_file)
    if args.kind == "naive-agent":
        home = args.home or args.codex_home.parent / "naive-agent"
        return NaiveAgent(home, args.codex_home, endpoints, client, identity, clock)
    return CodexCli(args.codex_home, endpoints, client, identity, clock)


def execute(sibling: CodexCli | NaiveAgent, command: dict[str, Any]) -> dict[str, Any]:
    cmd = command.get("cmd")
    if cmd == "start":
        return sibling.start()
    if cmd == "refresh":
        return sibling.refresh()
    if cmd == "turn":
        return sibling.turn(str(command.get("prompt", "")))
    if cmd == "import" and isinstance(sibling, NaiveAgent):
        return sibling.import_codex()
    if cmd == "logout" and isinstance(sibling, CodexCli):
        return sibling.logout()
    if cmd == "status":
        return describe(sibling.tokens) if isinstance(sibling, CodexCli) else sibling.start()
    raise SiblingFailure("bad_command", f"unknown command {cmd!r}")


def serve(
    sibling: CodexCli | NaiveAgent, lines: Iterator[str], send: Callable[[str], None]
) -> None:
    for line in lines:
        if not line.strip():
            continue
        command = json.loads(line)
        reply: dict[str, Any] = {"id": command.get("id")}
        if command.get("cmd") == "exit":
            send(json.dumps({**reply, "ok": True, "result": {}}))
            return
        try:
            reply.update(ok=True, result=execute(sibling, command))
        except SiblingFailure as failure:
            reply.update(ok=False, error={"code": failure.code, "message": failure.message})
        except CodexStoreError as err:
            reply.update(ok=False, error={"code": "store", "message": str(err)})
        except httpx.HTTPError as err:
            reply.update(ok=False, error={"code": "network", "message": type(err).__name__})
        send(json.dumps(reply))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    verify: Any = str(args.ca_cert) if args.ca_cert else True
    with httpx.Client(verify=verify, timeout=30.0) as client:
        sibling = build(args, client)
        if not args.listen:
            print(json.dumps({"ready": True, "kind": args.kind}), flush=True)
            serve(sibling, iter(sys.stdin), lambda text: print(text, flush=True))
            return 0
        host, _, port = args.listen.rpartition(":")
        with socket.create_server((host or "127.0.0.1", int(port))) as server:
            ready = {"ready": True, "kind": args.kind, "port": server.getsockname()[1]}
            print(json.dumps(ready), flush=True)
            connection, _ = server.accept()
            with connection, connection.makefile("rw", encoding="utf-8") as stream:

                def send(text: str) -> None:
                    stream.write(text + "\n")
                    stream.flush()

                serve(sibling, iter(stream.readline, ""), send)
    return 0


if __name__ == "__main__":
    sys.exit(main())
