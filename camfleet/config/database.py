"""[database]: where the inventory, camera state and history live."""

from pydantic import Field

from camfleet.config.base import Section


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
