"""``camfleet inventory import|validate|export`` and ``camfleet db upgrade`` as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run
from inventory_helpers import sha256, small_inventory, write_csv

from camfleet.inventory.db import head_revision


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory without config and $CAMFLEET_DATABASE_URL pointing at a SQLite file there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMFLEET_CONFIG", raising=False)
    monkeypatch.setenv("CAMFLEET_DATABASE_URL", f"sqlite:///{tmp_path}/fleet.db")
    return tmp_path / "fleet.db"


def test_rejected_file_lists_every_problem_and_leaves_the_database_byte_identical(env: Path, tmp_path: Path) -> None:
    """Three errors: exit 1, each printed with row and column, and the SQLite file's hash is unchanged."""
    assert run("inventory", "import", str(write_csv(tmp_path / "good.csv", small_inventory())))[0] == 0
    before = sha256(env)
    rows = small_inventory()
    rows[1] |= {"port": "0"}
    rows[2] |= {"host": "999.1.1.1"}
    rows[3] |= {"point_status": "finished"}
    code, _, err = run("inventory", "import", str(write_csv(tmp_path / "bad.csv", rows)))
    assert code == 1
    assert "bad.csv:3 [port]" in err and "bad.csv:4 [host]" in err and "bad.csv:5 [point_status]" in err
    assert "rejected: 3 problem(s)" in err
    assert sha256(env) == before


def test_import_new_database_then_reimport_reports_no_change(env: Path, tmp_path: Path) -> None:
    """The first import says it created the database and lists the rows; the second changes nothing."""
    path = write_csv(tmp_path / "inv.csv", small_inventory(), encoding="gb18030", chinese=True)
    code, out, _ = run("inventory", "import", str(path))
    assert code == 0 and f"created a new database at schema {head_revision()}" in out
    assert "added camera C3 (at P2, 127.10.0.3:80)" in out
    before = sha256(env)
    code, out, _ = run("inventory", "import", str(path))
    assert code == 0 and "no change" in out
    assert sha256(env) == before


def test_dry_run_prints_the_plan_and_changes_nothing(env: Path, tmp_path: Path) -> None:
    """--dry-run shows a retirement but the database file stays as it was."""
    run("inventory", "import", str(write_csv(tmp_path / "inv.csv", small_inventory())))
    before = sha256(env)
    code, out, _ = run("inventory", "import", "--dry-run", str(write_csv(tmp_path / "less.csv", small_inventory()[:5])))
    assert code == 0 and "dry run" in out and "retired point P4" in out
    assert sha256(env) == before


def test_validate_and_export(env: Path, tmp_path: Path) -> None:
    """validate prints 'ok: 4 points, 5 cameras'; export writes a BOM CSV with Chinese headers on request."""
    path = write_csv(tmp_path / "inv.csv", small_inventory())
    code, out, _ = run("inventory", "validate", str(path))
    assert code == 0 and "ok: 4 points, 5 cameras" in out
    assert not env.exists()  # validate never opens the database
    run("inventory", "import", str(path))
    code, out, _ = run("inventory", "export", "--chinese", str(tmp_path / "out.csv"))
    assert code == 0 and "4 points, 5 cameras" in out
    text = (tmp_path / "out.csv").read_bytes()
    assert text.startswith("\ufeff镇街,行政村,点位编号".encode())
    bad = write_csv(tmp_path / "bad.csv", [small_inventory()[0] | {"credential": "admin pass"}])
    code, _, err = run("inventory", "validate", str(bad))
    assert code == 1 and "[credential]" in err and "admin pass" not in err


def test_export_of_an_empty_database_names_db_upgrade(env: Path, tmp_path: Path) -> None:
    """Exporting from a database without a schema fails cleanly and says which command fixes it."""
    code, _, err = run("inventory", "export", str(tmp_path / "out.csv"))
    assert code == 3 and "camfleet db upgrade" in err  # 3: a database problem


def test_db_upgrade_and_simulate_inventory_in_a_real_process(tmp_path: Path) -> None:
    """The installed entry point: simulate a small district, upgrade a database, import it."""
    environ = os.environ | {"CAMFLEET_DATABASE_URL": f"sqlite:///{tmp_path}/fleet.db"}
    environ.pop("CAMFLEET_CONFIG", None)

    def camfleet(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "camfleet.cli", *args], cwd=tmp_path, env=environ, capture_output=True,
            text=True, timeout=120, check=False,
        )  # fmt: skip

    done = camfleet("simulate", "inventory", "--out", "d.csv", "--towns", "3", "--villages", "6", "--points",
                    "10", "--cameras", "14", "--legacy", "30", "--seed", "7")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "d.credentials.toml").stat().st_mode & 0o777 == 0o600
    done = camfleet("db", "upgrade")
    assert done.returncode == 0 and f"schema upgraded from empty to {head_revision()}" in done.stdout, done.stderr
    done = camfleet("inventory", "import", "d.csv")
    assert done.returncode == 0 and "created a new database" not in done.stdout, done.stderr
    assert "44" in done.stdout  # 14 + 30 cameras added


def test_validate_and_import_warn_of_credential_groups_missing_from_the_credentials_file(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group the cameras name that the credentials file lacks is a warning (not a rejection) naming the group,
    the file and the rows that use it; a group that is there is not mentioned; the import still happens."""
    rows = small_inventory()
    rows[2] |= {"credential": "batch-2019"}
    rows[4] |= {"credential": "batch-2019"}
    inventory = write_csv(tmp_path / "inv.csv", rows)
    creds = tmp_path / "creds.toml"
    creds.write_text('[groups.yctt-2025]\nusername = "admin"\npassword = "x"\n', encoding="utf-8")
    creds.chmod(0o600)
    monkeypatch.setenv("CAMFLEET_CREDENTIALS_FILE", str(creds))
    for command in ("validate", "import"):
        code, out, err = run("inventory", command, str(inventory))
        assert code == 0, err
        assert f"credential group 'batch-2019' is not in {creds}" in err, err
        assert "2 camera(s) use it, rows 4 (C3), 6 (C5)" in err, err
        assert "yctt-2025" not in err
    assert "imported" in out
