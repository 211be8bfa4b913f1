"""The gateway and the broker as services: one interface, one backend per system.

`choose.service_for(host, program)` returns the backend the host seam names: a scheduled task
on Windows (`agent.winservice`), a systemd user unit on Linux (`systemd`), a launchd agent on
macOS (`launchd`). Each installs, removes, starts, stops, restarts and reports on one
`program.ServiceProgram` (the gateway or the broker), and reaches the machine only through an
`agent.host.Host`, so every backend runs on Linux against its recording shim.
"""
