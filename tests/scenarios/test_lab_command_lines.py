"""The command lines the lab starts the fakes with: secrets go by file, never in argv (`ps`
shows argv to every local user)."""

from __future__ import annotations

from pathlib import Path

from scenarios.lab.world import WorldOptions, backend_argv

OAUTH_READY = {
    "issuer": "https://127.0.0.1:4443",
    "admin_token": "adm_secret-admin-token-value",
    "ca_cert": "/tmp/ca.pem",
}
KEY = "sk-fallback-secret-key-value"


def test_the_backend_command_line_names_files_and_holds_no_secret(tmp_path: Path) -> None:
    state_dir = tmp_path / "backend"
    argv = backend_argv("python", state_dir, OAUTH_READY, KEY)
    joined = "\0".join(argv)
    assert OAUTH_READY["admin_token"] not in joined
    assert KEY not in joined
    token_file = Path(argv[argv.index("--oauth-admin-token-file") + 1])
    key_file = Path(argv[argv.index("--api-key-file") + 1])
    assert token_file.read_text().strip() == OAUTH_READY["admin_token"]
    assert key_file.read_text().strip() == KEY
    for secret in (token_file, key_file):
        assert secret.stat().st_mode & 0o777 == 0o600
        assert secret.parent.stat().st_mode & 0o777 == 0o700


def test_the_oauth_command_line_holds_no_secret_flag(tmp_path: Path) -> None:
    argv = WorldOptions(seed=1, frozen=True).oauth_argv("python", tmp_path / "oauth")
    assert not any("token" in part or "key" in part for part in argv)
