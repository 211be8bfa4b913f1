"""How a backend is set up: one object shared by the CLI and the in-process runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fake_oauth_server.http.transport_limits import TransportLimits

DEFAULT_BETA = "responses_websockets=2026-02-06"


@dataclass(frozen=True)
class CodexBackendOptions:
    """Every knob of the fake backend; the defaults are what real Codex does."""

    host: str = "127.0.0.1"
    port: int = 0
    tls: bool = True
    state_dir: Path | None = None
    api_keys: tuple[str, ...] = ()
    admin_token: str | None = None
    seed: int | None = None
    # OpenAI-Beta values accepted on the WebSocket upgrade.
    accepted_beta: tuple[str, ...] = (DEFAULT_BETA,)
    # Real Codex closes a socket's session after 60 minutes (virtual-clock seconds here).
    connection_limit_seconds: float = 3600.0
    # Frames above this size close the socket with 1009.
    max_message_bytes: int = 1024 * 1024
    per_message_deflate: bool = True
    # Number of response.output_text.delta events a reply is cut into (at least 2 when possible).
    deltas_per_reply: int = 3
    extra_hostnames: tuple[str, ...] = field(default=())
    # A given TLS identity (all three or none; see `tls.given_tls_files`): a lab world's one CA.
    cert_chain: Path | None = None
    private_key: Path | None = None
    ca_cert: Path | None = None
    # Read deadlines and head caps of the HTTP transport (tests shorten the deadlines).
    transport: TransportLimits = field(default_factory=TransportLimits)

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be in [0, 65535]")
        if self.max_message_bytes < 1024:
            raise ValueError("max_message_bytes must be at least 1024")
        if self.connection_limit_seconds <= 0:
            raise ValueError("connection_limit_seconds must be positive")
        if self.deltas_per_reply < 1:
            raise ValueError("deltas_per_reply must be at least 1")
        for key in self.api_keys:
            if not key or any(c.isspace() for c in key):
                raise ValueError("an API key must be a non-empty string without blanks")
