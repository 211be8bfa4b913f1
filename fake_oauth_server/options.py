"""How a server is started: one options object for the CLI, tests and the scenario lab."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fake_oauth_server.constants import CODEX_CLIENT_ID
from fake_oauth_server.http.transport_limits import TransportLimits
from fake_oauth_server.policies import PolicySpec
from fake_oauth_server.settings import Settings


@dataclass
class OAuthServerOptions:
    tls: bool = True
    policy: str = "strict"
    policy_params: dict[str, Any] | None = None
    seed: int | None = None
    host: str = "127.0.0.1"
    port: int = 0
    state_dir: Path | None = None
    admin_token: str | None = None
    auto_approve: bool = False  # device codes approved at once, consent answered at once
    clients: tuple[str, ...] = (CODEX_CLIENT_ID,)
    # None: real time. A number: the virtual clock starts there (and stays put if frozen).
    clock_start: float | None = None
    clock_frozen: bool = False
    access_ttl: float = 3600.0
    refresh_ttl: float | None = None
    reuse_status: int = 400
    revoke_access_on_rotation: bool = False
    non_atomic_rotation: bool = False
    second_resolution_timestamps: bool = False
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    # A given TLS identity (all three or none; see `tls.given_tls_files`): a lab world's one CA.
    cert_chain: Path | None = None
    private_key: Path | None = None
    ca_cert: Path | None = None
    # Read deadlines and head caps of the HTTP transport (tests shorten the deadlines).
    transport: TransportLimits = field(default_factory=TransportLimits)
    # The issuer it plays while listening on loopback (e.g. https://auth.openai.com): advertised
    # issuer, JWT `iss` and device-code redirect_uri (a setting, changeable by the admin API).
    public_issuer: str | None = None

    def policy_spec(self) -> PolicySpec:
        if ":" in self.policy and self.policy_params is None:
            return PolicySpec.from_cli(self.policy)
        return PolicySpec.parse(self.policy, self.policy_params)

    def settings(self) -> Settings:
        """The start-up settings, each checked as the admin API checks a change."""
        settings = Settings()
        settings.update(
            {
                "access_ttl": self.access_ttl,
                "refresh_ttl": self.refresh_ttl,
                "reuse_status": self.reuse_status,
                "revoke_access_on_rotation": self.revoke_access_on_rotation,
                "non_atomic_rotation": self.non_atomic_rotation,
                "second_resolution_timestamps": self.second_resolution_timestamps,
                "public_issuer": self.public_issuer,
                **self.settings_overrides,
            }
        )
        return settings
