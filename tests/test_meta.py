"""Project hygiene: every test says what it proves, and every command of the contract explains itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

CONTRACT_COMMANDS = [
    ["demo"],
    ["run"],
    ["sweep"],
    ["check"],
    ["inventory", "import"],
    ["inventory", "validate"],
    ["inventory", "export"],
    ["coverage"],
    ["analyze"],
    ["config", "check"],
    ["db", "upgrade"],
    ["simulate", "inventory"],
    ["simulate", "fleet"],
]


def test_every_test_has_a_docstring() -> None:
    """Each test function in tests/ carries a docstring saying what it proves."""
    missing: list[str] = []
    for path in sorted(TESTS.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            is_test = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
            if is_test and not ast.get_docstring(node):
                missing.append(f"{path.name}:{node.lineno} {node.name}")
    assert not missing, "tests without a docstring:\n" + "\n".join(missing)


@pytest.mark.parametrize("command", CONTRACT_COMMANDS, ids=" ".join)
def test_every_contract_command_has_help(command: list[str]) -> None:
    """`camfleet … --help` exists for every command of the interface and explains it in words."""
    proc = subprocess.run(
        [sys.executable, "-m", "camfleet.cli", *command, "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "Usage:" in proc.stdout
    body = proc.stdout.split("Usage:", 1)[1]
    assert len(body.split()) > 8, proc.stdout
