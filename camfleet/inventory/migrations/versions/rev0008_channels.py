"""NVR channels and RTSP-only cameras: camera.channel (通道号), camera.access (接入方式), camera.rtsp_path.

The cameras already there are what every camera was before: standalone ONVIF devices (no channel, access
onvif, no stream path). Rows of one recorder share its host and port; the importer's validation, not a
constraint, keeps (host, port, channel) apart, so the error names the rows.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the three columns; server defaults fill the existing rows (SQLite needs them for NOT NULL)."""
    op.add_column("camera", sa.Column("channel", sa.Integer(), nullable=True))
    op.add_column("camera", sa.Column("access", sa.String(8), nullable=False, server_default="onvif"))
    op.add_column("camera", sa.Column("rtsp_path", sa.String(500), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop them in place (as 0006 does: a batch rebuild of ``camera`` is not needed for a plain drop)."""
    op.drop_column("camera", "rtsp_path")
    op.drop_column("camera", "access")
    op.drop_column("camera", "channel")
