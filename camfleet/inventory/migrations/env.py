"""Alembic environment, driven programmatically by ``camfleet.inventory.db`` (no alembic.ini).

The caller opens the connection (with camfleet's SQLite pragmas) and passes it in
``config.attributes["connection"]``; migrations run inside the caller's transaction.
"""

from __future__ import annotations

from alembic import context

from camfleet.inventory.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things: later migrations rebuild tables in batch mode there.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
