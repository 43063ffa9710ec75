"""Config and credentials loading: defaults, key-path errors, environment overrides, secret hygiene."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from camfleet.config import load_config, load_credentials
from camfleet.config.credentials import load_credentials_directory, load_credentials_file
from camfleet.errors import ConfigError
from camfleet.log import LogfmtFormatter, RedactingFilter

REPO = Path(__file__).resolve().parents[1]


def test_defaults_when_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no config file anywhere, the embedded defaults load (SQLite, 127.0.0.1:9870)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMFLEET_CONFIG", raising=False)
    monkeypatch.delenv("CAMFLEET_DATABASE_URL", raising=False)
    cfg = load_config(None)
    assert cfg.database.url.startswith("sqlite:")
    assert cfg.web.listen == "127.0.0.1:9870"
    assert cfg.poller.liveness_interval_s == 60


def test_every_bad_key_is_named_with_its_path(tmp_path: Path) -> None:
    """An unknown key, a wrong type and an out-of-range value are all reported, each with file and key path."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[poller]\nconcurency = 5\nliveness_interval_s = "often"\nfail_threshold = 0\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    text = str(info.value)
    assert f"{bad}: poller.concurency:" in text
    assert f"{bad}: poller.liveness_interval_s:" in text
    assert f"{bad}: poller.fail_threshold:" in text


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    """A syntax error names the file and the line."""
    bad = tmp_path / "broken.toml"
    bad.write_text("[poller\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML.*line 1"):
        load_config(bad)


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    """--config pointing nowhere is an error, not a silent fallback to defaults."""
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_environment_overrides_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$CAMFLEET_DATABASE_URL wins over the file's [database] url."""
    f = tmp_path / "c.toml"
    f.write_text('[database]\nurl = "sqlite:///a.db"\n', encoding="utf-8")
    monkeypatch.setenv("CAMFLEET_DATABASE_URL", "postgresql+psycopg://x@127.0.0.1/y")
    assert load_config(f).database.url == "postgresql+psycopg://x@127.0.0.1/y"


def test_example_config_is_valid() -> None:
    """The fully commented example in config/ loads without error."""
    cfg = load_config(REPO / "config" / "camfleet.toml", apply_env=False)
    assert cfg.poller.concurrency >= 1


def test_world_readable_credentials_refused(tmp_path: Path) -> None:
    """A credentials file readable by others is refused with the chmod that fixes it, and no secret shown."""
    f = tmp_path / "cred.toml"
    f.write_text('[groups.g1]\nusername = "admin"\npassword = "S3cret-Pa55"\n', encoding="utf-8")
    os.chmod(f, 0o644)
    with pytest.raises(ConfigError, match="chmod 600") as info:
        load_credentials_file(f)
    assert "S3cret-Pa55" not in str(info.value)
    os.chmod(f, 0o600)
    store = load_credentials_file(f)
    cred = store.get("g1")
    assert cred is not None and cred.password == "S3cret-Pa55"
    assert "S3cret-Pa55" not in repr(cred) and "S3cret-Pa55" not in str(cred)


def test_bad_credentials_table_names_group_not_secret(tmp_path: Path) -> None:
    """A malformed group is reported by its key path; the password value never appears in the message."""
    f = tmp_path / "cred.toml"
    f.write_text('[groups.g2]\nusername = "admin"\npasswd = "hunter22"\n', encoding="utf-8")
    os.chmod(f, 0o600)
    with pytest.raises(ConfigError) as info:
        load_credentials_file(f)
    assert "groups.g2" in str(info.value)
    assert "hunter22" not in str(info.value)


def test_systemd_credentials_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One file per group under $CREDENTIALS_DIRECTORY is read when no file is configured."""
    (tmp_path / "batch-2022").write_text('username = "u"\npassword = "p4ssword"\n', encoding="utf-8")
    monkeypatch.delenv("CAMFLEET_CREDENTIALS_FILE", raising=False)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    store = load_credentials()
    assert store.get("batch-2022") is not None
    assert load_credentials_directory(tmp_path).get("batch-2022") is not None


def test_credentials_found_beside_inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing configured, d.credentials.toml beside d.csv is used."""
    monkeypatch.delenv("CAMFLEET_CREDENTIALS_FILE", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    (tmp_path / "d.credentials.toml").write_text('[groups.a]\nusername = "u"\npassword = "pw12"\n', encoding="utf-8")
    os.chmod(tmp_path / "d.credentials.toml", 0o600)
    assert load_credentials("", tmp_path / "d.csv").get("a") is not None


def test_log_lines_start_with_camera_and_redact() -> None:
    """A camera log line puts camera= first after level, and a registered secret never survives formatting."""
    rec = logging.LogRecord("camfleet", logging.WARNING, __file__, 1, "auth with %s failed", ("Pa55word!",), None)
    rec.camera = "C00017"
    RedactingFilter(["Pa55word!"]).filter(rec)
    line = LogfmtFormatter(with_time=False).format(rec)
    assert line.startswith("level=warning camera=C00017 ")
    assert "Pa55word!" not in line and "***" in line


def test_repeated_warnings_are_summarised() -> None:
    """The same camera failure every minute is written once per window, then once more with repeated=N;
    another camera's failure and info lines are never held back."""
    from camfleet.log import RepeatFilter

    now = [0.0]
    f = RepeatFilter(window_s=600, clock=lambda: now[0])

    def rec(camera: str, msg: str, level: int = logging.WARNING) -> logging.LogRecord:
        r = logging.LogRecord("camfleet.runtime", level, __file__, 1, msg, None, None)
        r.camera = camera
        return r

    assert f.filter(rec("C1", "ok → offline"))
    passed = []
    for minute in range(1, 10):
        now[0] = minute * 60.0
        passed.append(f.filter(rec("C1", "ok → offline")))
    assert passed == [False] * 9
    assert f.filter(rec("C2", "ok → offline"))
    assert f.filter(rec("C1", "probe ok", logging.INFO))
    now[0] = 601.0
    again = rec("C1", "ok → offline")
    assert f.filter(again)
    assert getattr(again, "repeated", 0) == 9
    assert "repeated=9" in LogfmtFormatter(with_time=False).format(again)


@pytest.mark.parametrize(
    ("section", "line", "expected"),
    [
        ("web", 'listen = "nonsense"', "web.listen: Value error, listen address 'nonsense': expected HOST:PORT"),
        ("web", 'listen = "127.0.0.1:99999"', "port 99999 is not 1-65535"),
        ("web", 'listen = "camhost:9870"', "'camhost' is not an IP address"),
        ("database", 'url = "mysql://u:Zq9pw@db/x"', "database.url: Value error, unsupported database driver 'mysql'"),
        ("database", 'url = "/var/lib/camfleet.db"', "unsupported database driver '(no scheme)'"),
    ],
)
def test_values_a_start_would_reject_are_rejected_by_config_check(
    tmp_path: Path, section: str, line: str, expected: str
) -> None:
    """`config check` (load_config) refuses a listen address `run` could not bind and a database URL with a driver
    camfleet does not ship, naming the file and key path; the URL's password is never repeated."""
    bad = tmp_path / "bad.toml"
    bad.write_text(f"[{section}]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(bad, apply_env=False)
    assert f"{bad}: " in str(info.value) and expected in str(info.value)
    assert "Zq9pw" not in str(info.value)


def test_a_bad_database_url_in_the_environment_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$CAMFLEET_DATABASE_URL is checked like the file's key, and the error names the variable, not the value."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMFLEET_CONFIG", raising=False)
    monkeypatch.setenv("CAMFLEET_DATABASE_URL", "mysql://u:Zq9pw@db/camfleet")
    with pytest.raises(ConfigError) as info:
        load_config(None)
    assert str(info.value).startswith("$CAMFLEET_DATABASE_URL: unsupported database driver 'mysql'")
    assert "Zq9pw" not in str(info.value)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["run", "--listen", "nonsense"], "--listen"),
        (["run", "--listen", "127.0.0.1:70000"], "--listen"),
        (["demo", "--listen", "[::1:9870"], "--listen"),
        (["demo", "--control", "camhost:9871"], "--control"),
    ],
)
def test_a_bad_listen_option_is_a_usage_error_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], option: str
) -> None:
    """`run`/`demo` with an address they could not bind exit 2 with one line naming the option, before starting
    anything (no traceback, no demo directory created)."""
    from typer.testing import CliRunner

    from camfleet.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMFLEET_CONFIG", raising=False)
    result = CliRunner().invoke(app, args, terminal_width=200)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {option}: listen address"), result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "camfleet-demo").exists()


def test_an_environment_override_is_named_with_both_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`camfleet run` warns when $CAMFLEET_DATABASE_URL overrides a different [database] url of the file, giving
    both (passwords hidden); the same value in both is no warning."""
    from camfleet.config.load import environment_overrides

    f = tmp_path / "c.toml"
    f.write_text('[database]\nurl = "postgresql+psycopg://cf:Zq9pw@db.example/camfleet"\n', encoding="utf-8")
    monkeypatch.setenv("CAMFLEET_DATABASE_URL", "sqlite:////var/lib/camfleet/camfleet.db")
    (line,) = environment_overrides(load_config(f, apply_env=False))
    assert line == (
        "$CAMFLEET_DATABASE_URL=sqlite:////var/lib/camfleet/camfleet.db overrides [database] url = "
        "postgresql+psycopg://cf:***@db.example/camfleet"
    )
    monkeypatch.setenv("CAMFLEET_DATABASE_URL", "postgresql+psycopg://cf:Zq9pw@db.example/camfleet")
    assert environment_overrides(load_config(f, apply_env=False)) == []
    # In a child process: `run` sets up the service's logging, which must not outlive this test.
    env = {**os.environ, "CAMFLEET_DATABASE_URL": "sqlite:///nowhere/x.db"}
    proc = subprocess.run([sys.executable, "-m", "camfleet.cli", "--config", str(f), "run", "--listen", "127.0.0.1:1"],
                          capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    err = " ".join(proc.stderr.split())
    assert "warning: $CAMFLEET_DATABASE_URL=sqlite:///nowhere/x.db overrides [database] url" in err, err
    assert proc.returncode == 3 and "unable to open database file" in err  # 3: a database problem
    assert "Zq9pw" not in proc.stderr + proc.stdout


def test_config_check_names_every_file_a_start_would_miss(tmp_path: Path) -> None:
    """`config check` reads the files the config names as a start would: a missing or world-readable credentials
    file, a password or TLS file that is not there, a certificate without its key: each a `key: problem` line,
    exit 4; a SQLite directory not created yet is only a warning with the command that creates it."""
    from typer.testing import CliRunner

    from camfleet.cli import app

    creds = tmp_path / "creds.toml"
    creds.write_text('[groups.g]\nusername = "a"\npassword = "Zq9-files"\n', encoding="utf-8")
    creds.chmod(0o644)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'[credentials]\nfile = "{creds}"\n[web]\nbasic_auth_user = "ops"\n'
        f'basic_auth_password_file = "{tmp_path}/pw"\ntls_cert_file = "{tmp_path}/cert.pem"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["config", "check", str(bad)], terminal_width=300)
    assert result.exit_code == 4, result.output
    err = result.stderr
    assert f"credentials.file: {creds}: credentials file is readable by others" in err
    assert f"web.basic_auth_password_file: {tmp_path}/pw: not found" in err
    assert "web.tls_cert_file, web.tls_key_file: give both or neither" in err and "Zq9-files" not in err
    creds.chmod(0o600)
    good = tmp_path / "good.toml"
    good.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/later/x.db"\n[credentials]\nfile = "{creds}"\n',
                    encoding="utf-8")  # fmt: skip
    result = CliRunner().invoke(app, ["config", "check", str(good)], terminal_width=300)
    assert result.exit_code == 0, result.output
    assert f"warning: database.url: the directory {tmp_path}/later does not exist yet" in result.stderr
