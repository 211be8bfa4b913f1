"""The actors of a scenario: sibling processes and the agent under test, on one machine."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from scenarios.lab.launch import Running
from scenarios.lab.sibling_process import SiblingReply
from scenarios.report.timeline import Tone

if TYPE_CHECKING:
    from scenarios.lab.lab import Lab, Machine

FALLBACK_KEY_ENV = "HARNESS_FALLBACK_API_KEY"


class Sibling:
    """A simulated Codex CLI, VS Code extension or naive agent, commanded by the scenario."""

    def __init__(self, lab: Lab, machine: Machine, kind: str, lane: str) -> None:
        self.lab = lab
        self.lane = lane
        self.kind = kind
        self.process = lab.world_start_sibling(kind, machine, lane)

    def _do(self, cmd: str, label: str, **fields: Any) -> SiblingReply:
        self.lab.note(label, source="lab", target=self.lane)
        reply = self.process.command(cmd, **fields)
        if not reply.ok:
            message = reply.error.get("message", "")
            self.lab.note(f"{self.kind}: {message}", source=self.lane, tone=Tone.BAD)
        return reply

    def start(self) -> SiblingReply:
        return self._do("start", "start (reads auth.json)")

    def refreshes(self) -> SiblingReply:
        return self._do("refresh", "refresh now")

    def turn(self, prompt: str) -> SiblingReply:
        return self._do("turn", f"turn: {prompt}", prompt=prompt)

    def imports(self) -> SiblingReply:
        return self._do("import", "import ~/.codex")

    def close(self) -> None:
        self.process.close()


@dataclass
class AgentAnswer:
    """What a user of `codex-agent ask` saw."""

    exit_code: int
    stdout: str
    stderr: str
    reply: str | None = None
    provider: str | None = None
    stop_reason: str | None = None
    notice: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return self.exit_code == 0 and bool(self.reply)


@dataclass
class AgentRun:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class ChatReply:
    """What a chat front end got from the gateway."""

    status: int
    body: dict[str, Any]

    @property
    def reply(self) -> str | None:
        reply = self.body.get("reply")
        return str(reply) if reply else None

    @property
    def notice(self) -> str | None:
        notice = self.body.get("notice")
        return str(notice) if notice else None


class Gateway:
    """A running `codex-agent gateway run`, talked to as a chat front end would."""

    def __init__(self, agent: Agent, running: Running, url: str, run_no: int) -> None:
        self.agent = agent
        self.running = running
        self.url = url.rstrip("/")
        self.run_no = run_no
        self.session_id: str | None = None

    def chat(self, message: str) -> ChatReply:
        lab, lane = self.agent.lab, self.agent.lane
        lab.note(f"POST /v1/chat: {message}", source="lab", target=lane)
        body: dict[str, Any] = {"message": message}
        if self.session_id:
            body["session_id"] = self.session_id
        answer = httpx.post(f"{self.url}/v1/chat", json=body, timeout=lab.command_timeout)
        reply = ChatReply(answer.status_code, answer.json())
        self.session_id = reply.body.get("session_id") or self.session_id
        if reply.notice:
            lab.notices.append(reply.notice)
            lab.note(
                "notice sent to the front end", source=lane, tone=Tone.NOTICE, detail=reply.notice
            )
        tone = Tone.GOOD if reply.reply else Tone.BAD
        lab.note(
            f"reply from {reply.body.get('provider') or 'nobody'} (HTTP {reply.status})",
            source=lane,
            tone=tone,
        )
        return reply

    def status(self) -> dict[str, Any]:
        found: dict[str, Any] = httpx.get(f"{self.url}/status", timeout=30).json()
        return found

    def stop(self) -> AgentRun:
        self.agent.lab.note("SIGTERM to the gateway", source="lab", target=self.agent.lane)
        self.running.terminate()
        done = self.running.finish(self.agent.lab.command_timeout)
        self.agent.lab.keep_output(f"agent-{self.run_no:02d}-gateway", done.stdout, done.stderr)
        return AgentRun(done.exit_code, done.stdout, done.stderr)


class Agent:
    """The agent under test: real `codex-agent` processes on the machine's agent home."""

    def __init__(self, lab: Lab, machine: Machine, lane: str = "agent") -> None:
        self.lab = lab
        self.machine = machine
        self.lane = lane
        self.home = machine.agent_home
        self.runs = 0

    def env(self) -> dict[str, str]:
        """The settings this agent runs with (the world adds the rest of an environment)."""
        endpoints = self.lab.world.endpoints
        env = {
            "CODEX_AGENT_HOME": str(self.home),
            "CODEX_HOME": str(self.machine.codex_home),
            "CODEX_AGENT_ISSUER": endpoints.issuer,
            "CODEX_AGENT_CODEX_BASE_URL": endpoints.base_url,
            "CODEX_AGENT_CLOCK_FILE": str(self.lab.clock_file),
            FALLBACK_KEY_ENV: endpoints.fallback_api_key,
        }
        if endpoints.ca_bundle:
            env["CODEX_AGENT_CA_BUNDLE"] = str(endpoints.ca_bundle)
        if self.machine.refresh_broker is not None:
            env["CODEX_AGENT_BROKER_URL"] = self.machine.refresh_broker.url
        return env

    def configure(self, *, fallback: bool = True, transport: str = "auto", **model: Any) -> None:
        """Write `<home>/config.toml`: the primary, and the API-key backend as fallback."""
        lines = ["[model]", 'provider = "openai-codex"', 'name = "gpt-5.5"']
        lines.append(f'transport = "{transport}"')
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in model.items())
        if fallback:
            lines += [
                "",
                "[[fallback_providers]]",
                'provider = "openai-compatible"',
                'model = "fallback-model"',
                f'base_url = "{self.lab.world.endpoints.api_base_url}"',
                f'key_env = "{FALLBACK_KEY_ENV}"',
            ]
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        (self.home / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def run(self, *args: str, label: str | None = None, stdin: str | None = None) -> AgentRun:
        self.runs += 1
        self.lab.note(label or "codex-agent " + " ".join(args), source="lab", target=self.lane)
        done = self.lab.world.run_agent(
            list(args), env=self.env(), stdin=stdin or "", timeout=self.lab.command_timeout
        )
        self.lab.keep_output(f"agent-{self.runs:02d}-{args[0]}", done.stdout, done.stderr)
        return AgentRun(done.exit_code, done.stdout, done.stderr)

    def login(self, account_id: str) -> AgentRun:
        """`codex-agent login` (device code), approved by "the person" as soon as it shows."""
        self.runs += 1
        self.lab.note("codex-agent login --device", source="lab", target=self.lane)
        running = self.lab.world.spawn_agent(["login", "--device"], env=self.env())
        for line in running.stderr_lines():
            if "one-time code" in line:
                code = line.rsplit(": ", 1)[-1].strip()
                self.lab.world.oauth.approve_device_code(code, account_id)
                break
        done = running.finish(self.lab.command_timeout)
        self.lab.keep_output(f"agent-{self.runs:02d}-login", done.stdout, done.stderr)
        return AgentRun(done.exit_code, done.stdout, done.stderr)

    def gateway(self) -> Gateway:
        """`codex-agent gateway run --port 0`, serving until `stop()`."""
        self.runs += 1
        self.lab.note("codex-agent gateway run", source="lab", target=self.lane)
        running = self.lab.world.spawn_agent(["gateway", "run", "--port", "0"], env=self.env())
        for line in running.stderr_lines():
            if " listening on " in line:
                url = line.split(" listening on ", 1)[1].split()[0]
                return Gateway(self, running, url, self.runs)
        done = running.finish(self.lab.command_timeout)
        raise AssertionError(f"the gateway did not start (exit {done.exit_code}):\n{done.stderr}")

    def import_codex(self) -> AgentRun:
        return self.run("import-codex")

    def refresh(self, *, force: bool = False) -> AgentRun:
        return self.run("refresh", *(["--force"] if force else []))

    def status(self) -> dict[str, Any]:
        run = self.run("status", "--json")
        data: dict[str, Any] = run.json()
        data["exit_code"] = run.exit_code
        return data

    def ask(self, prompt: str) -> AgentAnswer:
        run = self.run("ask", "--json", prompt, label=f"ask: {prompt}")
        answer = AgentAnswer(run.exit_code, run.stdout, run.stderr)
        try:
            data = json.loads(run.stdout) if run.stdout.strip() else {}
        except ValueError:
            data = {}
        answer.reply = data.get("reply")
        answer.provider = data.get("provider")
        answer.stop_reason = data.get("stop_reason")
        answer.notice = data.get("notice")
        answer.errors = list(data.get("errors") or [])
        if answer.notice:
            self.lab.notices.append(answer.notice)
            self.lab.note(
                "notice shown to the user", source=self.lane, tone=Tone.NOTICE, detail=answer.notice
            )
        tone = Tone.GOOD if answer.answered else Tone.BAD
        who = answer.provider or "nobody"
        self.lab.note(f"answer from {who} (exit {answer.exit_code})", source=self.lane, tone=tone)
        return answer
