"""No traceback for a user's mistake, in any command: one short error naming the thing and the fix, and an exit
code per kind of problem (1 rejected input or failed work, 2 usage, 3 database, 4 configuration)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

FAILED, USAGE, DATABASE, CONFIG = 1, 2, 3, 4

# (name, arguments, environment, exit code, words the error must contain); paths are relative to the test's
# working directory, where the workdir fixture leaves a broken config, an open credentials file and an
# outdated database.
CASES = [
    ("config file missing", ["--config", "nope.toml", "sweep", "--once"], {}, CONFIG,
     "nope.toml: config file not found"),
    ("config not TOML", ["--config", "bad.toml", "coverage"], {}, CONFIG, "bad.toml: not valid TOML"),
    ("config check of a bad value", ["config", "check", "badvalue.toml"], {}, CONFIG, "web.listen"),
    ("config check of missing files", ["config", "check", "files.toml"], {}, CONFIG,
     "credentials.file: /nonexistent/cred.toml: credentials file not found"),
    ("credentials readable by others", ["sweep", "--once"], {"CAMFLEET_CREDENTIALS_FILE": "open.toml"}, CONFIG,
     "chmod 600"),
    ("credentials missing", ["sweep", "--once"], {"CAMFLEET_CREDENTIALS_FILE": "gone.toml"}, CONFIG,
     "credentials file not found"),
    ("database directory missing", ["sweep", "--once"], {"CAMFLEET_DATABASE_URL": "sqlite:////nonexistent/x.db"},
     DATABASE, "unable to open database file"),
    ("database of an older schema", ["coverage"], {"CAMFLEET_DATABASE_URL": "sqlite:///old.db"}, DATABASE,
     "run `camfleet db upgrade`"),
    ("database without a schema", ["baseline", "review"], {}, DATABASE, "run `camfleet db upgrade`"),
    ("camera lookup without a schema", ["check", "C00001"], {}, DATABASE, "run `camfleet db upgrade`"),
    ("database server away", ["sweep", "--once"],
     {"CAMFLEET_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"}, DATABASE, "connection"),
    ("unsupported database URL", ["coverage"], {"CAMFLEET_DATABASE_URL": "mysql://u@db/x"}, CONFIG,
     "unsupported database driver 'mysql'"),
    ("sweep checks unknown", ["sweep", "--once", "--checks", "bogus"], {}, USAGE, "--checks must be one of"),
    ("coverage window", ["coverage", "--window", "9y"], {}, USAGE, "window '9y'"),
    ("coverage format", ["coverage", "--format", "pdf"], {}, USAGE, "--format 'pdf'"),
    ("listen address", ["run", "--listen", "nonsense"], {}, USAGE, "--listen: listen address 'nonsense'"),
    ("demo size", ["demo", "--legacy", "-5", "--dir", "demo"], {}, USAGE, "no negative counts"),
    ("inventory file missing", ["inventory", "import", "missing.csv"], {}, FAILED, "missing.csv: file not found"),
    ("inventory not an inventory", ["inventory", "validate", "bad.toml"], {}, FAILED, "missing column"),
    ("picture missing", ["analyze", "missing.jpg"], {}, FAILED, "missing.jpg: cannot read"),
    ("acceptance directory missing", ["baseline", "import", "nowhere"], {}, USAGE, "nowhere"),
    ("simulated inventory unwritable", ["simulate", "inventory", "--out", "/nonexistent/x.csv"], {}, FAILED,
     "/nonexistent/x.csv: cannot write"),
    ("simulated fleet without inventory", ["simulate", "fleet", "--inventory", "missing.csv"], {}, FAILED,
     "missing.csv: file not found"),
]  # fmt: skip


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a broken config, a bad config value, a world-readable credentials file, an empty and an
    outdated database (schema 0003)."""
    d = tmp_path_factory.mktemp("mistakes")
    (d / "bad.toml").write_text("not toml [", encoding="utf-8")
    (d / "badvalue.toml").write_text('[web]\nlisten = "nonsense"\n', encoding="utf-8")
    (d / "files.toml").write_text('[credentials]\nfile = "/nonexistent/cred.toml"\n', encoding="utf-8")
    (d / "open.toml").write_text('[groups.g]\nusername = "a"\npassword = "Zq9-open"\n', encoding="utf-8")
    (d / "open.toml").chmod(0o644)
    with sqlite3.connect(d / "old.db") as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        db.execute("INSERT INTO alembic_version VALUES ('0003')")
    return d


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("name", "args", "env", "code", "words"), CASES, ids=[c[0] for c in CASES])
def test_a_mistake_is_one_clear_error_with_its_exit_code(
    workdir: Path, name: str, args: list[str], env: dict[str, str], code: int, words: str
) -> None:
    """The command exits with the code of its kind of problem and prints an `error:` (or an inventory's
    `rejected:`) naming the thing, in a few lines, with no traceback and no secret."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CAMFLEET_") and k != "CREDENTIALS_DIRECTORY"}
    base["CAMFLEET_DATABASE_URL"] = f"sqlite:///{workdir / 'empty.db'}"
    proc = subprocess.run(
        [sys.executable, "-m", "camfleet.cli", *args], cwd=workdir, env={**base, **env}, capture_output=True,
        text=True, timeout=100, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    err = " ".join(proc.stderr.split())
    assert proc.returncode == code, f"{name}: exit {proc.returncode}\n{proc.stderr[-1500:]}"
    assert words in err, err
    assert "Traceback" not in proc.stderr + proc.stdout and "Zq9-open" not in proc.stderr + proc.stdout
    assert err.startswith(("error:", "warning:")) or "rejected:" in err, err
    assert len(proc.stderr.strip().splitlines()) <= 6, proc.stderr
