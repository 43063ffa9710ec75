"""Baseline review: acceptance pictures, the poller's view of each baseline, and people's approvals.

``reference_picture`` holds each camera's acceptance picture (验收照片, JPEG), imported by ``camfleet baseline
import``; a camera with one starts from it. ``baseline_review`` is written by the poller only: each camera's
baseline state, why, since when, and the latest doubtful picture as a small JPEG for the review page.
``baseline_approval`` is appended by ``camfleet baseline approve`` only (who and when: the log of approvals);
the poller reads the rows newer than the last id it applied, so approvals reach a running service and
one-off sweeps alike.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create reference_picture, baseline_review and baseline_approval."""
    op.create_table(
        "reference_picture",
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("jpeg", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("camera_id", name="pk_reference_picture"),
    )
    op.create_table(
        "baseline_review",
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", sa.Float(), nullable=False),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("camera_id", name="pk_baseline_review"),
    )
    op.create_table(
        "baseline_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_baseline_approval"),
    )
    op.create_index("ix_baseline_approval_camera_id", "baseline_approval", ["camera_id"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_index("ix_baseline_approval_camera_id", table_name="baseline_approval")
    op.drop_table("baseline_approval")
    op.drop_table("baseline_review")
    op.drop_table("reference_picture")
