"""Command-line flags both fakes take: the lab's TLS files and the transport's read deadlines."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from fake_oauth_server.http.transport_limits import TransportLimits
from fake_oauth_server.ranges import MAX_SECONDS

_DEFAULTS = TransportLimits()


def timeout_seconds(text: str) -> float:
    """argparse type of a read timeout: nan, inf or 0 would end no slow request, or every one."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds above 0 and at most {MAX_SECONDS:g}, not {text}"
        )
    return value


def add_given_tls_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--tls-cert-chain",
        type=Path,
        metavar="PEM",
        help="serve this certificate chain (with --tls-key and --tls-ca) instead of a leaf of "
        "a CA of its own: a lab world's one CA",
    )
    p.add_argument("--tls-key", type=Path, metavar="PEM", help="the chain's private key")
    p.add_argument(
        "--tls-ca", type=Path, metavar="PEM", help="the CA that issued the chain (ready line)"
    )


def add_read_timeout_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--header-timeout",
        type=timeout_seconds,
        default=_DEFAULTS.header_timeout,
        metavar="SECONDS",
        help="a request head not complete this long after it began (or the connection opened) "
        f"gets 408 (default {_DEFAULTS.header_timeout:g})",
    )
    p.add_argument(
        "--body-timeout",
        type=timeout_seconds,
        default=_DEFAULTS.body_timeout,
        metavar="SECONDS",
        help="a body not complete this long after its head gets 408, however it trickles in "
        f"(default {_DEFAULTS.body_timeout:g})",
    )


def transport_limits(args: argparse.Namespace) -> TransportLimits:
    return TransportLimits(header_timeout=args.header_timeout, body_timeout=args.body_timeout)
