"""The backend for this host: the host seam's platform decides, nothing else."""

from __future__ import annotations

from agent.host import Host, RunLimits
from agent.service.interface import Service
from agent.service.program import GATEWAY, ServiceProgram


def service_for(
    host: Host,
    program: ServiceProgram = GATEWAY,
    *,
    home: str | None = None,
    limits: RunLimits | None = None,
) -> Service:
    if host.platform == "windows":
        from agent.winservice.service import GatewayService

        # A simulated Windows host may carry shorter limits (see host_from_environment).
        limits = limits if limits is not None else getattr(host, "limits", None)
        return GatewayService(host, program=program, home=home, limits=limits)
    if host.platform == "darwin":
        from agent.service.launchd.service import LaunchdService

        return LaunchdService(host, program=program, home=home, limits=limits)
    from agent.service.systemd.service import SystemdService

    return SystemdService(host, program=program, home=home, limits=limits)
