"""Initial schema: inventory (town, village, uplink_group, point, camera) and runtime state tables.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table of schema 0001."""
    op.create_table(
        "town",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_town"),
        sa.UniqueConstraint("name", name="uq_town_name"),
    )
    op.create_table(
        "uplink_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_uplink_group"),
        sa.UniqueConstraint("name", name="uq_uplink_group_name"),
    )
    op.create_table(
        "village",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("town_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_village"),
        sa.ForeignKeyConstraint(["town_id"], ["town.id"], name="fk_village_town_id_town"),
        sa.UniqueConstraint("town_id", "name", name="uq_village_town_id_name"),
    )
    op.create_index("ix_village_town_id", "village", ["town_id"])
    op.create_table(
        "point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.String(64), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("program", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_point"),
        sa.ForeignKeyConstraint(["village_id"], ["village.id"], name="fk_point_village_id_village"),
        sa.UniqueConstraint("point_id", name="uq_point_point_id"),
    )
    op.create_index("ix_point_village_id", "point", ["village_id"])
    op.create_table(
        "camera",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(253), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("credential", sa.String(64), nullable=False),
        sa.Column("uplink_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_camera"),
        sa.ForeignKeyConstraint(["point_id"], ["point.id"], name="fk_camera_point_id_point"),
        sa.ForeignKeyConstraint(["uplink_id"], ["uplink_group.id"], name="fk_camera_uplink_id_uplink_group"),
        sa.UniqueConstraint("camera_id", name="uq_camera_camera_id"),
    )
    op.create_index("ix_camera_point_id", "camera", ["point_id"])
    op.create_table(
        "camera_state",
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(1000), nullable=False),
        sa.Column("since", sa.Float(), nullable=False),
        sa.Column("last_probe_at", sa.Float(), nullable=False),
        sa.Column("last_ok_at", sa.Float(), nullable=False),
        sa.Column("last_frame_at", sa.Float(), nullable=False),
        sa.Column("latency_s", sa.Float(), nullable=False),
        sa.Column("clock_offset_s", sa.Float(), nullable=True),
        sa.Column("vendor", sa.String(200), nullable=True),
        sa.Column("model", sa.String(200), nullable=True),
        sa.Column("firmware", sa.String(200), nullable=True),
        sa.Column("serial", sa.String(200), nullable=True),
        sa.Column("hardware", sa.String(200), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("consecutive_successes", sa.Integer(), nullable=False),
        sa.Column("flapping", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("camera_id", name="pk_camera_state"),
    )
    op.create_table(
        "transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=False),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(1000), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transition"),
    )
    op.create_index("ix_transition_at", "transition", ["at"])
    op.create_index("ix_transition_camera_id_at", "transition", ["camera_id", "at"])
    op.create_table(
        "baseline",
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("camera_id", "mode", name="pk_baseline"),
    )


def downgrade() -> None:
    """Drop every table of schema 0001."""
    for table in ("baseline", "transition", "camera_state", "camera", "point", "village", "uplink_group", "town"):
        op.drop_table(table)
