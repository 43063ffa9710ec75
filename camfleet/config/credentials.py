"""Camera credential groups: read from a 0600 TOML file or systemd's $CREDENTIALS_DIRECTORY.

The inventory names a group; only this module ever holds the password, inside a ``Credential`` whose
``repr`` and ``str`` hide it. Errors name the file and group, never the secret.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from camfleet.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Credential:
    """A username and password for one credential group."""

    group: str
    username: str
    password: str = field(repr=False)

    def __str__(self) -> str:
        return f"credential group {self.group!r} (user {self.username!r})"


@dataclass(frozen=True, slots=True)
class CredentialStore:
    """All credential groups, by name."""

    groups: dict[str, Credential] = field(default_factory=dict)
    source: str = ""

    def get(self, group: str) -> Credential | None:
        """The credential of ``group``, or None when the group is unknown."""
        return self.groups.get(group)

    def missing(self, group: str) -> str:
        """What to say of a camera whose ``group`` is not here: the group and where it was looked for."""
        where = self.source or "the credentials (no credentials file was found)"
        return f"credential group {group!r} is not in {where}"

    def secrets(self) -> list[str]:
        """Every password (for redaction checks)."""
        return [c.password for c in self.groups.values() if c.password]


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{path}: credentials file is readable by others (mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}"
        )


def _group_from_table(source: str, name: str, table: object) -> Credential:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: groups.{name}: must be a table with username and password")
    unknown = sorted(set(table) - {"username", "password"})
    if unknown:
        raise ConfigError(f"{source}: groups.{name}: unknown key(s) {', '.join(unknown)}")
    user, password = table.get("username"), table.get("password")
    if not isinstance(user, str) or not user:
        raise ConfigError(f"{source}: groups.{name}.username: missing or not a string")
    if not isinstance(password, str):
        raise ConfigError(f"{source}: groups.{name}.password: missing or not a string")
    return Credential(group=name, username=user, password=password)


def _parse(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message quotes no values, only positions: safe to show.
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def load_credentials_file(path: str | os.PathLike[str], *, require_private: bool = True) -> CredentialStore:
    """Load ``[groups.NAME]`` tables from one TOML file (mode 0600 unless ``require_private`` is off)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: credentials file not found")
    if require_private:
        _check_private(p)
    data = _parse(p)
    unknown = sorted(set(data) - {"groups"})
    if unknown:
        raise ConfigError(f"{p}: unknown top-level key(s) {', '.join(unknown)}; expected [groups.NAME]")
    groups_raw = data.get("groups", {})
    if not isinstance(groups_raw, dict):
        raise ConfigError(f"{p}: groups: must be a table of [groups.NAME] tables")
    groups = {name: _group_from_table(str(p), name, t) for name, t in groups_raw.items()}
    return CredentialStore(groups=groups, source=str(p))


def load_credentials_directory(directory: str | os.PathLike[str]) -> CredentialStore:
    """Load systemd credentials: one file per group, named after it, holding username/password TOML.

    A file named ``camfleet-credentials`` (or ``credentials.toml``) holding [groups.*] tables is read too,
    so that ``LoadCredential=camfleet-credentials:/etc/camfleet/credentials.toml`` works unchanged.
    """
    d = Path(directory)
    groups: dict[str, Credential] = {}
    for entry in sorted(d.iterdir()):
        if not entry.is_file():
            continue
        if entry.name in ("camfleet-credentials", "credentials.toml"):
            groups.update(load_credentials_file(entry, require_private=False).groups)
            continue
        groups[entry.name] = _group_from_table(str(entry), entry.name, _parse(entry))
    return CredentialStore(groups=groups, source=str(d))


def load_credentials(
    configured_file: str = "", inventory_path: str | os.PathLike[str] | None = None
) -> CredentialStore:
    """Find credentials: config/$CAMFLEET_CREDENTIALS_FILE, then $CREDENTIALS_DIRECTORY, then
    ``<inventory stem>.credentials.toml`` beside the inventory. Nothing found: an empty store."""
    chosen = os.environ.get("CAMFLEET_CREDENTIALS_FILE") or configured_file
    if chosen:
        return load_credentials_file(chosen)
    cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    if cred_dir and Path(cred_dir).is_dir():
        return load_credentials_directory(cred_dir)
    if inventory_path is not None:
        inv = Path(inventory_path)
        beside = inv.with_name(inv.stem + ".credentials.toml")
        if beside.is_file():
            return load_credentials_file(beside)
    return CredentialStore()
