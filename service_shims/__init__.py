"""Recording stand-ins for `systemctl` and `launchctl`, and a model of how systemd reads a unit.

Standard library only: the shims run as separate executables on PATH (`python -m
service_shims install DIR ...`), and nothing here imports another package of the repository.

- `systemctl`: `--user` verbs (is-system-running, daemon-reload, enable, disable [--now],
  start, stop, restart, show) over units read from `~/.config/systemd/user/`.
- `launchctl`: print, enable, disable, bootstrap, bootout, kickstart [-k] in `gui/<uid>`.
- Both record one JSON line per call, keep their state in a JSON file (loaded units, enabled,
  active, pids), answer from a script when told to (failures, hangs), and, with `--launch`,
  start what the unit or plist says as a real process (else they record what they would
  start).
- `unit_model`: how systemd splits, unquotes and expands a unit's values, written from its
  documentation and sources independently of the agent's writer.
"""
