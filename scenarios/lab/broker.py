"""The refresh broker as an actor of the lab: `codex-agent broker run` on a machine.

It runs as a process of the machine (on the docker backend, in a container like the agent's
commands), on the machine's agent home, and reaches the fake issuer as the agent does
(`CODEX_AGENT_ISSUER`, `CODEX_AGENT_CA_BUNDLE`, the lab's clock file). Every client of the
machine is pointed at it in one line: the Codex CLI and its simulations by
`CODEX_REFRESH_TOKEN_URL_OVERRIDE` / `CODEX_REVOKE_TOKEN_URL_OVERRIDE` (`client_env`), the agent
by `CODEX_AGENT_BROKER_URL`. A restart keeps its port, as a service on a fixed port would, so
clients started before a crash find it again.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

from scenarios.lab.broker_process import AgentServer
from scenarios.report.timeline import Tone
from scenarios.siblings.wire import REFRESH_URL_OVERRIDE, REVOKE_URL_OVERRIDE

if TYPE_CHECKING:
    from scenarios.lab.lab import Lab, Machine

BROKER_LANE = "broker"
# What the broker's upstream calls say they are: it is the agent's code (`codex-agent/<v>`).
BROKER_USER_AGENT = "codex-agent/"


class Broker:
    def __init__(self, lab: Lab, machine: Machine, *, lane: str = BROKER_LANE) -> None:
        self.lab = lab
        self.machine = machine
        self.lane = lane
        self.home = machine.agent_home
        self.starts = 0
        self.ready: dict[str, Any] = {}
        self._server: AgentServer | None = None

    # -- its life ----------------------------------------------------------------------------
    def start(self, *, retry_interrupted: bool = False, port: int = 0) -> Broker:
        args = ["broker", "run", "--port", str(port)]
        if retry_interrupted:
            args.append("--retry-interrupted")
        self.starts += 1
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.lab.note("codex-agent " + " ".join(args), source="lab", target=self.lane)
        self._server, self.ready = self.lab.world.start_agent_server(
            args, env=self.env(), log_path=self.lab.artifacts / f"{self.lane}-{self.starts}.log"
        )
        self.lab.note(f"listening on {self.url}", source=self.lane, tone=Tone.GOOD)
        return self

    def kill9(self) -> None:
        """`kill -9`: the broker dies wherever it was, its pid record and journal left behind."""
        assert self._server is not None, "the broker is not running"
        self.lab.note("kill -9", source="lab", target=self.lane, tone=Tone.BAD)
        self._server.kill9()
        self._server = None

    def restart(self, *, retry_interrupted: bool = False) -> Broker:
        """Start again on the same port (the clients' URLs stay right)."""
        if self._server is not None:
            self.stop()
        return self.start(retry_interrupted=retry_interrupted, port=self.port)

    def stop(self) -> int:
        if self._server is None:
            return 0
        self.lab.note("SIGTERM", source="lab", target=self.lane)
        code = self._server.stop()
        self._server = None
        return code

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- what clients are told -----------------------------------------------------------------
    @property
    def url(self) -> str:
        return str(self.ready["url"])

    @property
    def token_url(self) -> str:
        return str(self.ready["token_url"])

    @property
    def revoke_url(self) -> str:
        return str(self.ready["revoke_url"])

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/", 1)[0])

    def client_env(self) -> dict[str, str]:
        """What the Codex CLI (and the VS Code extension) needs to refresh through the broker."""
        return {REFRESH_URL_OVERRIDE: self.token_url, REVOKE_URL_OVERRIDE: self.revoke_url}

    def env(self) -> dict[str, str]:
        endpoints = self.lab.world.endpoints
        env = {
            "CODEX_AGENT_HOME": str(self.home),
            "CODEX_AGENT_ISSUER": endpoints.issuer,
            "CODEX_AGENT_CLOCK_FILE": str(self.lab.clock_file),
        }
        if endpoints.ca_bundle:
            env["CODEX_AGENT_CA_BUNDLE"] = str(endpoints.ca_bundle)
        return env

    # -- what it says ---------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """`GET /status` of the running broker: families, generations, answers, upstream calls."""
        with httpx.Client(trust_env=False, timeout=30) as client:
            answer = client.get(f"{self.url}/status")
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found

    def family(self) -> dict[str, Any]:
        """The one family it serves (a scenario's one login)."""
        (family,) = self.status()["families"]
        return dict(family)

    def audit(self) -> list[dict[str, Any]]:
        """Every decision it wrote (`<home>/broker/audit.log`: fingerprints, never a token)."""
        path = self.home / "broker" / "audit.log"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def keep_audit(self) -> None:
        """The audit log as an artifact of the scenario (shown in its report)."""
        self.lab.keep_artifact(f"{self.lane}-audit.log", "".join(
            json.dumps(record, sort_keys=True) + "\n" for record in self.audit()
        ))  # fmt: skip

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
