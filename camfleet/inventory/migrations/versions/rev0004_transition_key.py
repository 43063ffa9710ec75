"""Transitions get an idempotency key: one row per (camera, time, new status).

The writer stores a batch of transitions and the camera states in one transaction. When the commit reached
the database but its acknowledgement did not reach camfleet (a cut connection), the batch is retried; the
key lets that retry insert nothing twice (``ON CONFLICT DO NOTHING``). Rows doubled by earlier versions are
removed first (the oldest of each key is kept), then the plain (camera, time) index is replaced by the
unique one, which serves the same queries.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop doubled transitions, then replace the (camera_id, at) index by a unique (camera_id, at, to_status)."""
    op.execute(
        sa.text(
            "DELETE FROM transition WHERE id NOT IN (SELECT MIN(id) FROM transition GROUP BY camera_id, at, to_status)"
        )
    )
    op.drop_index("ix_transition_camera_id_at", table_name="transition")
    op.create_index("uq_transition_camera_id_at_to", "transition", ["camera_id", "at", "to_status"], unique=True)


def downgrade() -> None:
    """Back to the plain (camera_id, at) index."""
    op.drop_index("uq_transition_camera_id_at_to", table_name="transition")
    op.create_index("ix_transition_camera_id_at", "transition", ["camera_id", "at"])
