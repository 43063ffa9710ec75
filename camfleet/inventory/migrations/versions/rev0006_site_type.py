"""Key-location type of a point (部位类型: 村口, 主路口, 学校, …), for the coverage standards.

Existing points get the empty type ("not given"): a standard that requires a site type then reports them
as not planned for it until the inventory names their type, rather than guessing from their names.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add point.site_type, empty for the points already there."""
    # A server default fills the existing rows of a NOT NULL column (SQLite cannot add one without it).
    op.add_column("point", sa.Column("site_type", sa.String(32), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop point.site_type. In place (ALTER TABLE … DROP COLUMN, SQLite ≥ 3.35 too): a batch rebuild would drop
    and recreate ``point``, which the cameras' foreign keys refuse while the inventory is in it."""
    op.drop_column("point", "site_type")
