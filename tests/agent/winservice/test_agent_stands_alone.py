"""The agent depends on no other package of the repository (the shim least of all)."""

from __future__ import annotations

import ast
from pathlib import Path

import agent

OTHERS = {"windows_shim", "service_shims", "fake_oauth_server", "fake_codex_ws", "scenarios"}
MINE = [
    Path(agent.__file__).parent / "host.py",
    Path(agent.__file__).parent / "commands" / "gateway.py",
    Path(agent.__file__).parent / "commands" / "service_actions.py",
    *sorted((Path(agent.__file__).parent / "winservice").glob("*.py")),
    *sorted((Path(agent.__file__).parent / "service").rglob("*.py")),
]


def test_the_service_code_imports_nothing_from_the_harness():
    for path in MINE:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert not roots & OTHERS, f"{path.name} imports {roots & OTHERS}"
