"""Several instances sharing one fleet: instance heartbeats, uplink leases and the leader role.

Created on SQLite too (the schema is the same everywhere), though only PostgreSQL uses them.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The lease tables are declared in camfleet.inventory.leases on the shared metadata; importing it here
# makes sure whoever compares the migrated schema with that metadata sees them.
import camfleet.inventory.leases  # noqa: F401

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create cluster_instance, camera_lease and cluster_role."""
    op.create_table(
        "cluster_instance",
        sa.Column("instance_id", sa.String(64), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("heartbeat_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("load", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", name="pk_cluster_instance"),
    )
    op.create_table(
        "camera_lease",
        sa.Column("unit", sa.String(255), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("unit", name="pk_camera_lease"),
    )
    op.create_index("ix_camera_lease_owner", "camera_lease", ["owner"])
    op.create_table(
        "cluster_role",
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("role", name="pk_cluster_role"),
    )


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("cluster_role")
    op.drop_index("ix_camera_lease_owner", table_name="camera_lease")
    op.drop_table("camera_lease")
    op.drop_table("cluster_instance")
