"""The command line run in-process, and the small inventory's database behind it (the CLI tests' shared setup)."""

from __future__ import annotations

from pathlib import Path

import pytest
from inventory_helpers import small_inventory, write_csv
from typer.testing import CliRunner

from camfleet.cli import app


def run(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process: exit code, stdout, stderr."""
    result = CliRunner().invoke(app, list(args), terminal_width=200)
    return result.exit_code, result.stdout, result.stderr


def small_inventory_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite database holding ``small_inventory`` (C1–C5 in 下坞村, 上坞村 and 石门村), named to the CLI through
    ``$CAMFLEET_DATABASE_URL``, with no config file and no ``$SUDO_USER``; its URL."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMFLEET_CONFIG", raising=False)
    monkeypatch.delenv("SUDO_USER", raising=False)
    url = f"sqlite:///{tmp_path}/fleet.db"
    monkeypatch.setenv("CAMFLEET_DATABASE_URL", url)
    assert run("inventory", "import", str(write_csv(tmp_path / "inv.csv", small_inventory())))[0] == 0
    return url
