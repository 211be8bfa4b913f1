"""`python -m scenarios.lab.world_proxy_cli --route auth.openai.com:443=127.0.0.1:PORT ...`:
serve the world's proxy until SIGTERM or SIGINT. Prints one JSON line on stdout once it listens
(proxy_url, port, routes, records_file), like the fakes; attempts go to the records file."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from scenarios.lab.proxy_records import ProxyRecords
from scenarios.lab.proxy_routes import Routes
from scenarios.lab.world_proxy import ProxyLimits, WorldProxy


def _route(text: str) -> tuple[str, tuple[str, int]]:
    name, sep, target = text.partition("=")
    host, colon, port = target.rpartition(":")
    if not sep or not colon or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME:PORT=127.0.0.1:PORT")
    return name, (host.strip("[]"), int(port))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="world-proxy",
        description="The lab world's HTTPS proxy: tunnels only the mapped names to local fakes.",
    )
    p.add_argument(
        "--route",
        type=_route,
        action="append",
        default=[],
        metavar="NAME:PORT=127.0.0.1:PORT",
        help="a name the world answers and the fake behind it (repeatable)",
    )
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free port)")
    p.add_argument("--records-file", type=Path, help="append each attempt here as a JSON line")
    p.add_argument("--max-head-bytes", type=int, default=ProxyLimits.max_head_bytes)
    p.add_argument("--head-timeout", type=float, default=ProxyLimits.head_timeout)
    p.add_argument("--max-connections", type=int, default=ProxyLimits.max_connections)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        routes = Routes.from_mapping(dict(args.route))
        limits = ProxyLimits(
            max_head_bytes=args.max_head_bytes,
            head_timeout=args.head_timeout,
            max_connections=args.max_connections,
        )
        records = ProxyRecords(args.records_file)
    except (ValueError, OSError) as exc:
        print(f"world-proxy: {exc}", file=sys.stderr)
        return 2
    proxy = WorldProxy(routes, records=records, limits=limits, port=args.port)
    try:
        asyncio.run(_serve(proxy, args.records_file))
    except OSError as exc:
        print(f"world-proxy: cannot listen: {exc}", file=sys.stderr)
        return 1
    return 0


async def _serve(proxy: WorldProxy, records_file: Path | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await proxy.start()
    ready = {**proxy.ready_info(), "records_file": str(records_file) if records_file else None}
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await proxy.close()


if __name__ == "__main__":
    sys.exit(main())
