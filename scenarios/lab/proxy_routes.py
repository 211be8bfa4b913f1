"""Which names the world's proxy tunnels, and where: only to loopback IP literals, so the proxy
never resolves a name and never reaches a real host."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from scenarios.lab.proxy_request import Authority, BadProxyRequest, parse_authority


@dataclass(frozen=True)
class Upstream:
    """A local fake's listening socket: a loopback IP literal (never a name) and a port."""

    host: str
    port: int

    def __post_init__(self) -> None:
        try:
            address = ipaddress.ip_address(self.host)
        except ValueError:
            raise ValueError(
                f"upstream {self.host!r} must be a loopback IP literal such as 127.0.0.1 "
                "(a name would have to be resolved)"
            ) from None
        if not address.is_loopback:
            raise ValueError(f"upstream {self.host} is not a loopback address")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"upstream port {self.port} is not in 1..65535")

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


class Routes:
    """A fixed table from public authority (`auth.openai.com:443`) to a local fake."""

    def __init__(self, table: Mapping[Authority, Upstream]) -> None:
        self._table = dict(table)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, tuple[str, int]]) -> Routes:
        """`{"chatgpt.com:443": ("127.0.0.1", 8443)}`; a bad key or target is a ValueError."""
        table: dict[Authority, Upstream] = {}
        for name, (host, port) in mapping.items():
            try:
                authority = parse_authority(name)
            except BadProxyRequest as exc:
                raise ValueError(f"route {name!r}: {exc}") from None
            table[authority] = Upstream(host, port)
        return cls(table)

    def upstream_for(self, authority: Authority) -> Upstream | None:
        return self._table.get(authority)

    def as_dict(self) -> dict[str, str]:
        return {str(name): str(upstream) for name, upstream in sorted(self._table.items())}

    def names(self) -> list[str]:
        return sorted(str(name) for name in self._table)
