"""[database]: where the inventory, camera state and history live."""

from pydantic import Field, field_validator

from camfleet.config.base import Section

#: The drivers camfleet ships and tests (psycopg 3 with the ``postgres`` extra).
DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")


def check_database_url(url: str) -> str:
    """``url`` if its scheme is a supported driver; else ``ValueError`` naming the ones that are (the URL is
    not repeated: it may hold a password)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in DRIVERS:
        shown = scheme if sep else "(no scheme)"
        raise ValueError(
            f"unsupported database driver {shown!r}: use one of {', '.join(DRIVERS)} "
            "(e.g. sqlite:////var/lib/camfleet/camfleet.db or postgresql+psycopg://camfleet@db/camfleet)"
        )
    if scheme.startswith("sqlite") and not rest.startswith("/"):
        raise ValueError("a SQLite URL needs a path: sqlite:///relative.db or sqlite:////absolute/path.db")
    return url


class DatabaseConfig(Section):
    """Database connection; ``$CAMFLEET_DATABASE_URL`` overrides ``url``."""

    url: str = Field(
        default="sqlite:///camfleet.db",
        title="Database URL",
        description=(
            "SQLAlchemy URL. SQLite (WAL mode) for one server, e.g. sqlite:////var/lib/camfleet/camfleet.db; "
            "PostgreSQL for production or several pollers, e.g. postgresql+psycopg://camfleet@db/camfleet. "
            "Overridden by $CAMFLEET_DATABASE_URL."
        ),
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_database_url(value)

    write_interval_s: float = Field(
        default=2.0,
        gt=0,
        le=60,
        title="Batch write interval (s)",
        description="How often buffered state changes and transitions are written, in one batch.",
    )
    buffer_limit: int = Field(
        default=100_000,
        ge=1000,
        title="Write buffer limit",
        description="Most transitions kept in memory while the database is unreachable.",
    )
