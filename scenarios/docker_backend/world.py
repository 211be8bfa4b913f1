"""The Docker world: each fake server, each sibling and each `codex-agent` command in a
container of its own, on the host network, sharing the scenario's folders at the same paths.

The siblings of one machine share its `~/.codex` through that bind mount, as the real Codex
CLI and VS Code extension share it. Every container carries the run's label and is removed at
the end (after its log is kept for the report and the leak audit), on failure and on interrupt.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from scenarios.docker_backend.containers import ContainerError, Fleet
from scenarios.docker_backend.engine import connect
from scenarios.docker_backend.images import ImageTimings, ensure_images
from scenarios.lab.launch import AgentTimeout, Completed
from scenarios.lab.sibling_process import SiblingChannel, SiblingSpec, TcpSibling
from scenarios.lab.world import LaunchedWorld

PYTHON = "python"  # the image's venv is first on PATH


class ContainerProcess:
    """A `codex-agent` command in a container, read while it runs (a device login)."""

    def __init__(self, fleet: Fleet, container: Any) -> None:
        self._fleet = fleet
        self._container = container
        self._seen: list[str] = []

    def stderr_lines(self) -> Iterator[str]:
        for line in self._fleet.stderr_lines(self._container):
            self._seen.append(line)
            yield line

    def terminate(self) -> None:
        self._container.kill(signal="SIGTERM")

    def finish(self, timeout: float) -> Completed:
        status = self._container.wait(timeout=timeout)
        stdout = self._container.logs(stdout=True, stderr=False).decode("utf-8", "replace")
        stderr = self._container.logs(stdout=False, stderr=True).decode("utf-8", "replace")
        self._fleet.remove(self._container, None)
        return Completed(int(status.get("StatusCode", -1)), stdout, stderr)


class ContainerAgentServer:
    """A `codex-agent` server (the broker) in a container; its log kept when it ends."""

    def __init__(self, fleet: Fleet, container: Any, log_path: Path) -> None:
        self._fleet = fleet
        self._container = container
        self._log_path = log_path

    def kill9(self) -> None:
        try:
            self._container.kill(signal="SIGKILL")
            self._container.wait(timeout=30)
        except Exception:  # already gone
            pass
        self._fleet.remove(self._container, self._log_path)

    def stop(self) -> int:
        try:
            self._container.kill(signal="SIGTERM")
            status = self._container.wait(timeout=30)
        except Exception:  # already gone, or it outlived the wait: removal stops it
            status = {}
        self._fleet.remove(self._container, self._log_path)
        return int(status.get("StatusCode", -1))


class DockerWorld(LaunchedWorld):
    name = "docker"
    python = PYTHON

    def __init__(self, workdir: Path, **options: Any) -> None:
        client = connect()
        self.images: ImageTimings = ensure_images(client)
        self.fleet = Fleet(client, self.images.project_tag, "run-" + secrets.token_hex(6))
        self.fleet.mounts.add(workdir.resolve())
        self._servers: list[tuple[Any, Path]] = []
        super().__init__(workdir, **options)

    def launch(self, role: str, argv: list[str]) -> dict[str, Any]:
        container, ready = self.fleet.start_ready(role, argv)
        self._servers.append((container, self.workdir / f"{role}.log"))
        return ready

    def share(self, folder: Path) -> None:
        self.fleet.mounts.add(folder.resolve())

    def logs(self) -> dict[str, str]:
        for container, path in self._servers:  # refresh the files from the live containers
            try:
                path.write_bytes(container.logs(stdout=False, stderr=True))
            except Exception:
                pass
        return super().logs()

    def run_agent(
        self, args: list[str], *, env: Mapping[str, str], stdin: str, timeout: float
    ) -> Completed:
        if stdin:
            raise ValueError("the docker backend does not feed stdin to codex-agent")
        try:
            code, out, err = self.fleet.run_to_end(
                "codex-agent command (to exit)", [PYTHON, "-m", "agent", *args], env, timeout
            )
        except ContainerError as exc:
            raise AgentTimeout(str(exc)) from None
        return Completed(code, out, err)

    def spawn_agent(self, args: list[str], *, env: Mapping[str, str]) -> ContainerProcess:
        started = time.perf_counter()
        container = self.fleet.start("codex-agent", [PYTHON, "-m", "agent", *args], env)
        self.fleet.starts.append(("codex-agent login (to start)", time.perf_counter() - started))
        return ContainerProcess(self.fleet, container)

    def start_agent_server(
        self, args: list[str], *, env: Mapping[str, str], log_path: Path
    ) -> tuple[ContainerAgentServer, dict[str, Any]]:
        role = f"codex-agent {args[0]} run" if args else "codex-agent"
        container, ready = self.fleet.start_ready(role, [PYTHON, "-m", "agent", *args], env)
        return ContainerAgentServer(self.fleet, container, log_path), ready

    def start_sibling(self, kind: str, spec: SiblingSpec) -> SiblingChannel:
        argv = [PYTHON, "-m", "scenarios.siblings", kind, *spec.flags(), "--listen", "127.0.0.1:0"]
        container, ready = self.fleet.start_ready(
            kind, argv, env=spec.process_env({}), timeout=spec.timeout
        )
        log = spec.log_path

        def gone() -> None:
            self.fleet.remove(container, log)

        return TcpSibling(kind, int(ready["port"]), spec.timeout, gone)

    def close(self) -> None:
        for container, path in self._servers:
            self.fleet.remove(container, path)
        self._servers.clear()
        self.fleet.remove_all()
        timings = {"image": asdict(self.images), "starts": self.fleet.starts}
        (self.workdir / "docker-timings.json").write_text(json.dumps(timings))
