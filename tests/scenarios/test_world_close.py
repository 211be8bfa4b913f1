"""A process world stops its fakes cleanly: the lab's kept-open admin connections are closed
first, so no fake waits out its graceful-shutdown limit (3 s) for them, and the fakes stop side
by side. Every determinism run and every worker's end paid those seconds before."""

from __future__ import annotations

from pathlib import Path

from scenarios.lab.world import open_world

GRACE_EXCEEDED = "timeout graceful shutdown exceeded"


def test_the_fakes_stop_without_waiting_for_the_labs_connections(tmp_path: Path) -> None:
    world = open_world("process", tmp_path / "world")
    procs = list(world._procs)  # type: ignore[attr-defined]
    world.oauth.create_account(email="close@example.test")  # both admin connections in use
    world.backend.events()
    world.close()
    assert [proc.returncode for proc in procs] == [0, 0, 0]
    logs = {path.name: path.read_text() for path in (tmp_path / "world").glob("*.log")}
    assert logs
    for name, text in logs.items():
        assert GRACE_EXCEEDED not in text, (name, text[-2000:])
