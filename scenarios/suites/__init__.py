"""Every scenario suite; importing this package registers them all."""

from scenarios.suites import (  # noqa: F401
    backend_faults,
    determinism,
    field_report,
    lost_response,
    ping_pong,
    real_cli_adopts,
    real_cli_faults,
    real_cli_race,
    real_field_report,
    real_ping_pong,
    reuse_policies,
    session_limit,
    storm,
    true_race,
    windows_gateway,
)
