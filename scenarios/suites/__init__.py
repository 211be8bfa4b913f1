"""Every scenario suite; importing this package registers them all."""

from scenarios.suites import (  # noqa: F401
    backend_faults,
    broker_kill9,
    broker_shared_login,
    determinism,
    field_report,
    lost_response,
    ping_pong,
    real_cli_adopts,
    real_cli_faults,
    real_cli_race,
    real_field_report,
    real_openclaw,
    real_ping_pong,
    real_refresh_5xx,
    reuse_policies,
    service_posix,
    session_limit,
    storm,
    true_race,
    windows_gateway,
)
