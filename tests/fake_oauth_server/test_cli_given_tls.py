"""A lab world starts every fake with one CA's leaf: `--tls-cert-chain`, `--tls-key`, `--tls-ca`
(fake_oauth_server/cli_flags.py, taken by both fakes) make the fake serve that leaf (which also
names its public host) and announce that CA, and a wrong or partial set is refused at start-up
naming the flag."""

from __future__ import annotations

import json
import signal
import socket
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

SAFETY = 60.0


def leaf_files(folder: Path, *names: str) -> tuple[Path, Path, Path]:
    ca = trustme.CA()
    leaf = ca.issue_cert(*names)
    chain, key, ca_pem = folder / "chain.pem", folder / "key.pem", folder / "ca.pem"
    chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    key.write_bytes(leaf.private_key_pem.bytes())
    ca_pem.write_bytes(ca.cert_pem.bytes())
    return chain, key, ca_pem


def names_served(port: int, ca_pem: Path, server_name: str) -> None:
    """A TLS handshake to 127.0.0.1:port that verifies the leaf for `server_name`."""
    context = ssl.create_default_context(cafile=str(ca_pem))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=SAFETY) as raw,
        context.wrap_socket(raw, server_hostname=server_name),
    ):
        pass


@dataclass(frozen=True)
class Fake:
    module: str
    public_name: str
    # The Codex backend asks the OAuth server only when a request comes: none does here.
    required: tuple[str, ...] = ()

    def run(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", self.module, *self.required, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


FAKES = [
    Fake("fake_oauth_server", "auth.openai.com"),
    Fake(
        "fake_codex_ws",
        "chatgpt.com",
        ("--oauth-issuer", "https://127.0.0.1:9", "--oauth-admin-token", "adm_unused"),
    ),
]
BOTH = pytest.mark.parametrize("fake", FAKES, ids=lambda f: f.module)


@pytest.mark.slow
@BOTH
def test_the_given_leaf_is_served_and_its_ca_announced(tmp_path: Path, fake: Fake) -> None:
    chain, key, ca_pem = leaf_files(tmp_path, fake.public_name, "127.0.0.1")
    proc = fake.run("--tls-cert-chain", str(chain), "--tls-key", str(key), "--tls-ca", str(ca_pem))
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert ready["ca_cert"] == str(ca_pem)
        port = int(ready["port"]) if "port" in ready else int(ready["url"].rsplit(":", 1)[1])
        names_served(port, ca_pem, fake.public_name)
        names_served(port, ca_pem, "127.0.0.1")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=SAFETY)
    assert proc.returncode == 0


@pytest.mark.parametrize(
    ("pick", "message"),
    [
        (lambda c, k, a: ["--tls-cert-chain", c], "missing: --tls-key, --tls-ca"),
        (lambda c, k, a: ["--tls-cert-chain", c, "--tls-key", k], "missing: --tls-ca"),
        (
            lambda c, k, a: ["--tls-cert-chain", c, "--tls-key", c, "--tls-ca", a],
            "not a certificate chain and its private key",
        ),
        (
            lambda c, k, a: ["--tls-cert-chain", c, "--tls-key", k, "--tls-ca", k],
            "--tls-ca",
        ),
        (
            lambda c, k, a: ["--tls-cert-chain", c + ".gone", "--tls-key", k, "--tls-ca", a],
            "--tls-cert-chain",
        ),
    ],
)
@BOTH
def test_a_partial_or_wrong_set_is_refused_naming_the_flag(
    tmp_path: Path, fake: Fake, pick: object, message: str
) -> None:
    chain, key, ca_pem = leaf_files(tmp_path, "127.0.0.1")
    args = pick(str(chain), str(key), str(ca_pem))  # type: ignore[operator]
    proc = fake.run(*args)
    out, err = proc.communicate(timeout=SAFETY)
    assert proc.returncode != 0
    assert out == ""
    assert message in err
    assert "Traceback" not in err
