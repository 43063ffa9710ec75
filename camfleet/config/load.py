"""Find, read and validate camfleet.toml; every error names the file and the key path."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from camfleet.config.database import check_database_url
from camfleet.config.root import CamfleetConfig
from camfleet.errors import ConfigError

SEARCH_PATH = (Path("camfleet.toml"), Path("/etc/camfleet/camfleet.toml"))


def find_config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """--config, then $CAMFLEET_CONFIG, then ./camfleet.toml, then /etc/camfleet/camfleet.toml.

    An explicit path (flag or environment) must exist; the default locations are optional.
    """
    chosen = explicit or os.environ.get("CAMFLEET_CONFIG")
    if chosen:
        path = Path(chosen)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        return path
    for candidate in SEARCH_PATH:
        if candidate.is_file():
            return candidate
    return None


def _key_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def validate_config(data: dict[str, Any], source: str) -> CamfleetConfig:
    """Validate parsed TOML; raise ``ConfigError`` listing every bad key as ``file: a.b.c: message``."""
    try:
        cfg = CamfleetConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: {_key_path(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise ConfigError("invalid configuration:\n" + "\n".join(lines)) from None
    return cfg


def load_config(path: str | os.PathLike[str] | None = None, *, apply_env: bool = True) -> CamfleetConfig:
    """Load the config (or the defaults when no file is found) and apply environment overrides."""
    found = find_config_path(path)
    data: dict[str, Any] = {}
    source = "(defaults)"
    if found is not None:
        source = str(found)
        try:
            data = tomllib.loads(found.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{found}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{found}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{found}: cannot read: {exc.strerror}") from None
    cfg = validate_config(data, source)
    if apply_env:
        cfg = apply_environment(cfg)
    return cfg


def _hide_password(url: str) -> str:
    """``url`` with the password of its authority replaced by ***. The twin of ``inventory.db.safe_url``, which
    parses with SQLAlchemy: config (L1) may not import the database layer, and it only needs the userinfo."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    user, at, host = authority.rpartition("@")
    if not sep or not at or ":" not in user:
        return url
    return f"{scheme}://{user.split(':', 1)[0]}:***@{host}{slash}{path}"


def environment_overrides(from_file: CamfleetConfig) -> list[str]:
    """One line per environment variable that overrides a value the config file set differently (both values
    given, passwords hidden): an engineer who edits the file must see that it is not what runs."""
    lines = []
    url = os.environ.get("CAMFLEET_DATABASE_URL")
    if url and url != from_file.database.url:
        lines.append(
            f"$CAMFLEET_DATABASE_URL={_hide_password(url)} overrides [database] url = "
            f"{_hide_password(from_file.database.url)}"
        )
    cred = os.environ.get("CAMFLEET_CREDENTIALS_FILE")
    if cred and from_file.credentials.file and cred != from_file.credentials.file:
        lines.append(f"$CAMFLEET_CREDENTIALS_FILE={cred} overrides [credentials] file = {from_file.credentials.file}")
    return lines


def apply_environment(cfg: CamfleetConfig) -> CamfleetConfig:
    """$CAMFLEET_DATABASE_URL and $CAMFLEET_CREDENTIALS_FILE override the file."""
    url = os.environ.get("CAMFLEET_DATABASE_URL")
    if url:
        try:
            check_database_url(url)
        except ValueError as exc:
            raise ConfigError(f"$CAMFLEET_DATABASE_URL: {exc}") from None
        cfg = cfg.model_copy(update={"database": cfg.database.model_copy(update={"url": url})})
    cred = os.environ.get("CAMFLEET_CREDENTIALS_FILE")
    if cred:
        cfg = cfg.model_copy(update={"credentials": cfg.credentials.model_copy(update={"file": cred})})
    return cfg


def _read_stripped(path: str) -> str:
    """A small secret file's content without surrounding white space ("" when unreadable)."""
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def check_files(cfg: CamfleetConfig) -> tuple[list[str], list[str]]:
    """What a start would find wrong with the files the config names, one ``key: problem`` line each: the
    credentials file (present, private, valid), the web password and TLS files; and warnings (the SQLite file's
    directory, which systemd's StateDirectory= creates at the first start but a shell command needs now)."""
    from camfleet.config.credentials import load_credentials_file

    problems: list[str] = []
    if cfg.credentials.file:
        try:
            load_credentials_file(cfg.credentials.file)
        except ConfigError as exc:
            problems.append(f"credentials.file: {exc}")
    web = cfg.web
    if web.basic_auth_user and not web.basic_auth_password_file:
        problems.append("web.basic_auth_password_file: required when web.basic_auth_user is set")
    if bool(web.tls_cert_file) != bool(web.tls_key_file):
        problems.append("web.tls_cert_file, web.tls_key_file: give both or neither")
    for key in ("basic_auth_password_file", "tls_cert_file", "tls_key_file"):
        name = getattr(web, key)
        if name and not os.access(name, os.R_OK):
            problems.append(f"web.{key}: {name}: {'cannot be read' if Path(name).exists() else 'not found'}")
        elif name and key == "basic_auth_password_file" and not _read_stripped(name):
            problems.append(f"web.{key}: {name}: empty (an empty password would let anyone write)")
    warnings: list[str] = []
    scheme, _, rest = cfg.database.url.partition("://")
    if scheme.startswith("sqlite") and rest.startswith("/") and rest not in ("/", "/:memory:"):
        directory = Path(rest[1:]).parent  # sqlite:///rel.db → rel.db; sqlite:////abs/x.db → /abs/x.db
        if not directory.is_dir():
            warnings.append(
                f"database.url: the directory {directory} does not exist yet: the service's first start creates it "
                f"(StateDirectory=); for admin commands before that: install -d -m 0700 {directory}"
            )
    return problems, warnings
