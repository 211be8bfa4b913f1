"""Every lab world is hostname-faithful: one lab CA for both fakes, and a proxy through which a
client that knows only `auth.openai.com` and `chatgpt.com` (and the exported environment) reaches
the fakes, while every other host is refused and listed. `codex-harness up` prints those exports."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scenarios.lab.lab_ca import TRUST_VARIABLES
from scenarios.lab.line_pump import LinePump
from scenarios.lab.world import World, open_world

pytestmark = pytest.mark.slow
SAFETY = 120.0  # a generous bound on every wait; never asserted as a duration

# A client that knows nothing but the public names: httpx takes the proxy and the CA from the
# environment (trust_env), as Hermes does. Secrets come on stdin, never argv.
CLIENT = r"""
import json, sys
import httpx
from fake_codex_ws.probe import codex_headers, parse_sse, reply_text, response_create

given = json.load(sys.stdin)
out = {}
with httpx.Client(timeout=60) as http:
    code = http.post(
        "https://auth.openai.com/api/accounts/deviceauth/usercode",
        json={"client_id": "app_EMoamEEZ73f0CkXaXp7hrann"},
    )
    out["usercode"] = [code.status_code, sorted(code.json())]
    turn = http.post(
        "https://chatgpt.com/backend-api/codex/responses",
        headers=codex_headers(given["access_token"], given["account_id"], beta=None),
        json=response_create("through the world"),
    )
    out["turn"] = [turn.status_code, reply_text(parse_sse(turn.text))]
    try:
        http.get("https://api.openai.com/v1/models")
        out["elsewhere"] = "reached"
    except httpx.ProxyError as exc:
        out["elsewhere"] = "refused: " + str(exc)
print(json.dumps(out))
"""


@pytest.fixture(scope="module", params=["process", "inprocess"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with open_world(request.param, tmp_path_factory.mktemp("world"), seed=16) as running:
        yield running


def pem_certificates(path: Path) -> int:
    return path.read_text(encoding="ascii").count("BEGIN CERTIFICATE")


def handshake(port: int, ca: Path, server_name: str) -> None:
    context = ssl.create_default_context(cafile=str(ca))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=SAFETY) as raw,
        context.wrap_socket(raw, server_hostname=server_name),
    ):
        pass


def test_a_world_has_one_ca_that_both_fakes_serve_under_the_public_names(world: World) -> None:
    ca = world.endpoints.ca_bundle
    assert ca is not None
    assert pem_certificates(ca) == 1  # one CA, no concatenated bundle
    oauth_port = int(world.endpoints.issuer.rsplit(":", 1)[1])
    backend_port = int(world.endpoints.base_url.split("/backend-api")[0].rsplit(":", 1)[1])
    for port in (oauth_port, backend_port):
        for name in ("auth.openai.com", "chatgpt.com", "127.0.0.1"):
            handshake(port, ca, name)
    env = world.endpoints.client_env()
    assert {env[name] for name in TRUST_VARIABLES} == {str(ca)}
    assert env["HTTPS_PROXY"] == world.endpoints.proxy_url
    assert "127.0.0.1" in env["NO_PROXY"].split(",")


def test_only_the_exported_env_reaches_the_fakes_by_their_public_names(world: World) -> None:
    account = world.oauth.create_account(email="hostname@example.test")["account_id"]
    family = world.oauth.mint_family(account)
    done = subprocess.run(
        [sys.executable, "-c", CLIENT],
        input=json.dumps({"access_token": family["access_token"], "account_id": account}),
        env={"PATH": os.environ["PATH"], **world.endpoints.client_env()},
        capture_output=True,
        text=True,
        timeout=SAFETY,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    status, fields = out["usercode"]
    assert status == 200
    assert {"device_auth_id", "user_code"} <= set(fields)
    assert out["turn"][0] == 200
    assert out["turn"][1].endswith("through the world")
    assert out["elsewhere"].startswith("refused: ")
    assert "403" in out["elsewhere"]
    refused = world.proxy_refusals()
    assert ("api.openai.com", 443, 403) in {(a.host, a.port, a.status) for a in refused}
    tunnelled = {a.host for a in world.proxy_attempts() if a.outcome == "tunnelled"}
    assert tunnelled >= {"auth.openai.com", "chatgpt.com"}
    assert "api.openai.com:443" in world.logs()["world-proxy refusals"]


def parse_exports(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            (found[name],) = shlex.split(value)
    return found


def test_codex_harness_up_prints_every_export_a_real_client_needs(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "scenarios.cli", "up", "--dir", str(tmp_path / "world")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    pump = LinePump(proc.stdout)
    lines: list[str] = []
    try:
        while not (lines and "Ctrl-C" in lines[-1]):
            line = pump.next(SAFETY)
            assert line, f"codex-harness up ended early: {lines}"
            lines.append(line.rstrip("\n"))
        exports = parse_exports(lines)
        for name in (
            "HTTPS_PROXY",
            "NO_PROXY",
            "SSL_CERT_FILE",
            "CODEX_CA_CERTIFICATE",
            "NODE_EXTRA_CA_CERTS",
            "CODEX_HOME",
            "HERMES_HOME",
            "CODEX_AGENT_HOME",
            "CODEX_AGENT_ISSUER",
            "CODEX_AGENT_CA_BUNDLE",
        ):
            assert exports.get(name), f"{name} not exported: {lines}"
        assert exports["HTTPS_PROXY"].startswith("http://127.0.0.1:")
        assert "127.0.0.1" in exports["NO_PROXY"].split(",")
        ca = Path(exports["SSL_CERT_FILE"])
        assert exports["CODEX_CA_CERTIFICATE"] == exports["NODE_EXTRA_CA_CERTS"] == str(ca)
        assert pem_certificates(ca) == 1
        for home in ("CODEX_HOME", "HERMES_HOME"):
            folder = Path(exports[home])
            assert folder.is_dir()
            assert list(folder.iterdir()) == []
            assert folder.stat().st_mode & 0o777 == 0o700
            assert folder.is_relative_to(tmp_path / "world")
        # The overrides that pointed a CLI at 127.0.0.1 are gone: the world answers by name.
        assert not any(name.endswith("_URL_OVERRIDE") for name in exports)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        at_exit = list(iter(lambda: pump.next(SAFETY), ""))
        _, err = proc.communicate(timeout=SAFETY)
    assert proc.returncode == 0, err[-3000:]
    # What the world's proxy refused, said at exit (here: nothing).
    assert "# the world's proxy refused 0 connection(s)\n" in at_exit


# --- the real Codex CLI, unmodified, with nothing but the world's exports --------------------


def run_codex(codex: Path, args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    done = subprocess.run(
        [str(codex), *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=SAFETY,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.timeout(1800)
def test_the_real_codex_cli_logs_in_and_runs_a_turn_with_only_the_exports(
    codex: Path, public_world: World, tmp_path: Path
) -> None:
    account = public_world.oauth.create_account(email="real-cli@example.test")["account_id"]
    home, codex_home = tmp_path / "home", tmp_path / "codex-home"
    home.mkdir()
    codex_home.mkdir(mode=0o700)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "CODEX_HOME": str(codex_home),
        **public_world.endpoints.client_env(),
    }
    # No issuer flag, no URL override: auth.openai.com is the world's fake.
    code, said = run_codex(codex, ["login", "--device-auth"], env, tmp_path)
    assert code == 0, said[-3000:]
    assert "Successfully logged in" in said
    stored = json.loads((codex_home / "auth.json").read_text())
    assert stored["tokens"]["account_id"] == account
    assert (codex_home / "auth.json").stat().st_mode & 0o777 == 0o600
    code, said = run_codex(codex, ["login", "status"], env, tmp_path)
    assert (code, "Logged in using ChatGPT" in said) == (0, True), said[-3000:]

    code, said = run_codex(codex, ["exec", "--skip-git-repo-check", "hello world"], env, tmp_path)
    assert code == 0, said[-3000:]
    assert "you said: hello world" in said
    tunnelled = {a.host for a in public_world.proxy_attempts() if a.outcome == "tunnelled"}
    assert tunnelled >= {"auth.openai.com", "chatgpt.com"}
    # Whatever else it tried (ab.chatgpt.com) was refused and listed, never reached.
    assert all(a.host not in tunnelled for a in public_world.proxy_refusals())
