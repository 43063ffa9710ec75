"""Maintenance windows: planned works on a camera, a village or an uplink hold its alerts for a while.

Appended by ``camfleet maintenance add``, stopped early by ``maintenance end`` (``ended_at``), read by the
service (the ``camfleet_*_in_maintenance`` series the alert rules join) and by the coverage page. Rows are kept
after they end: they say who held alerts, when and why.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the maintenance table."""
    op.create_table(
        "maintenance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("target", sa.String(256), nullable=False),
        sa.Column("starts_at", sa.Float(), nullable=False),
        sa.Column("ends_at", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_maintenance"),
    )
    op.create_index("ix_maintenance_ends_at", "maintenance", ["ends_at"])


def downgrade() -> None:
    """Drop the maintenance table (its windows are lost: they only hold alerts)."""
    op.drop_index("ix_maintenance_ends_at", table_name="maintenance")
    op.drop_table("maintenance")
