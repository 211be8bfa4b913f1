"""The gateway: a local HTTP server that answers chat front ends through the turn engine.

`agent.gateway.options.add_run_parser` adds `run` to the `gateway` command family.
"""
