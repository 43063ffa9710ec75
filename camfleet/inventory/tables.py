"""The database tables (SQLModel). Migrations in ``migrations/versions`` create exactly these.

Inventory tables (town → village → point → camera, plus uplink groups) are replaced by ``inventory
import``. The runtime tables (``camera_state``, ``transition``, ``baseline``, ``evidence``, ``reference_picture``,
``baseline_review``, ``baseline_approval``) are keyed by the camera id
as text, without a foreign key, on purpose: a camera removed from the inventory keeps its history.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

metadata = SQLModel.metadata
# Named constraints, so later migrations (SQLite batch mode rebuilds tables) can refer to them.
metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Town(SQLModel, table=True):
    """A town or sub-district (镇/街道)."""

    __tablename__ = "town"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)


class Village(SQLModel, table=True):
    """An administrative village (行政村) of a town."""

    __tablename__ = "village"
    __table_args__ = (sa.UniqueConstraint("town_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="town.id", index=True)
    name: str = Field(max_length=100)


class UplinkGroup(SQLModel, table=True):
    """A named network uplink shared by cameras (a camera without one uses its village)."""

    __tablename__ = "uplink_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)


class Point(SQLModel, table=True):
    """A camera point (site): planned, installed, accepted or retired."""

    __tablename__ = "point"

    id: int | None = Field(default=None, primary_key=True)
    point_id: str = Field(max_length=64, unique=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    name: str = Field(default="", max_length=200)
    lat: float | None = Field(default=None)
    lon: float | None = Field(default=None)
    program: str = Field(default="", max_length=100)
    status: str = Field(default="planned", max_length=16)
    installed_on: dt.date | None = Field(default=None)
    accepted_on: dt.date | None = Field(default=None)
    retired_on: dt.date | None = Field(default=None)
    # Migration 0006's server default (it filled the points already there), declared here too so that model and
    # database agree. As SQL text: Alembic renders a plain "" as no default at all and would report a difference.
    site_type: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": sa.text("''")})


class Camera(SQLModel, table=True):
    """A camera at a point. ``credential`` names a credential group, never a password."""

    __tablename__ = "camera"

    id: int | None = Field(default=None, primary_key=True)
    camera_id: str = Field(max_length=64, unique=True)
    point_id: int = Field(foreign_key="point.id", index=True)
    host: str = Field(max_length=253)
    port: int = Field(default=80)
    credential: str = Field(default="", max_length=64)
    uplink_id: int | None = Field(default=None, foreign_key="uplink_group.id")
    # Migration 0008's columns, with its server defaults (the cameras already there are standalone ONVIF ones).
    channel: int | None = Field(default=None)
    access: str = Field(default="onvif", max_length=8, sa_column_kwargs={"server_default": sa.text("'onvif'")})
    rtsp_path: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": sa.text("''")})


class CameraStateRow(SQLModel, table=True):
    """The current health state of one camera (one row per camera id)."""

    __tablename__ = "camera_state"

    camera_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(default="unknown", max_length=32)
    reason: str = Field(default="", max_length=32)
    detail: str = Field(default="", max_length=1000)
    since: float = Field(default=0.0)
    last_probe_at: float = Field(default=0.0)
    last_ok_at: float = Field(default=0.0)
    last_frame_at: float = Field(default=0.0)
    latency_s: float = Field(default=0.0)
    clock_offset_s: float | None = Field(default=None)
    vendor: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=200)
    firmware: str | None = Field(default=None, max_length=200)
    serial: str | None = Field(default=None, max_length=200)
    hardware: str | None = Field(default=None, max_length=200)
    consecutive_failures: int = Field(default=0)
    consecutive_successes: int = Field(default=0)
    flapping: bool = Field(default=False)


class TransitionRow(SQLModel, table=True):
    """One change of a camera's status (the history)."""

    __tablename__ = "transition"
    # The idempotency key: a retried batch whose first commit did reach the database inserts nothing twice.
    __table_args__ = (sa.Index("uq_transition_camera_id_at_to", "camera_id", "at", "to_status", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    camera_id: str = Field(max_length=64)
    at: float = Field(index=True)
    from_status: str = Field(max_length=32)
    to_status: str = Field(max_length=32)
    reason: str = Field(default="", max_length=32)
    detail: str = Field(default="", max_length=1000)


class BaselineRow(SQLModel, table=True):
    """A camera's picture baseline for one mode ('day' colour or 'ir' night)."""

    __tablename__ = "baseline"

    camera_id: str = Field(primary_key=True, max_length=64)
    mode: str = Field(primary_key=True, max_length=8)
    features: str = Field(default="{}", sa_type=sa.Text)
    thumbnail: bytes = Field(default=b"", sa_type=sa.LargeBinary)
    samples: int = Field(default=0)
    updated_at: float = Field(default=0.0)


class EvidenceRow(SQLModel, table=True):
    """The picture that triggered an image fault, beside the baseline's reference (a few KB each)."""

    __tablename__ = "evidence"
    __table_args__ = (sa.Index("ix_evidence_camera_id_at", "camera_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    camera_id: str = Field(max_length=64)
    at: float = Field(default=0.0)
    status: str = Field(max_length=32)
    reason: str = Field(default="", max_length=32)
    thumbnail: bytes = Field(default=b"", sa_type=sa.LargeBinary)
    reference: bytes = Field(default=b"", sa_type=sa.LargeBinary)


class ReferencePictureRow(SQLModel, table=True):
    """A camera's acceptance picture (验收照片): the view it was accepted with, as JPEG."""

    __tablename__ = "reference_picture"

    camera_id: str = Field(primary_key=True, max_length=64)
    jpeg: bytes = Field(default=b"", sa_type=sa.LargeBinary)
    source: str = Field(default="", sa_type=sa.Text)
    imported_at: float = Field(default=0.0)


class BaselineReviewRow(SQLModel, table=True):
    """The poller's view of a camera's baseline: its state, why, since when, the latest doubtful picture."""

    __tablename__ = "baseline_review"

    camera_id: str = Field(primary_key=True, max_length=64)
    state: str = Field(default="none", max_length=16)
    reason: str = Field(default="", sa_type=sa.Text)
    since: float = Field(default=0.0)
    thumbnail: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    updated_at: float = Field(default=0.0)


class BaselineApprovalRow(SQLModel, table=True):
    """A person approved a camera's baseline (appended by ``camfleet baseline approve``; read by pollers)."""

    __tablename__ = "baseline_approval"

    id: int | None = Field(default=None, primary_key=True)
    camera_id: str = Field(max_length=64, index=True)
    at: float = Field(default=0.0)
    by: str = Field(default="", sa_type=sa.Text)
    note: str = Field(default="", sa_type=sa.Text)


class MaintenanceRow(SQLModel, table=True):
    """A maintenance window (``camfleet maintenance add``): alerts on its camera, village or uplink are held from
    ``starts_at`` to ``ends_at``, or to ``ended_at`` when ``camfleet maintenance end`` stopped it early.

    ``target`` is a camera id, ``town/village`` or an uplink name, as text without a foreign key: the inventory is
    replaced whole by an import, and a window is history (who stopped alerts, when and why)."""

    __tablename__ = "maintenance"

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=16)
    target: str = Field(max_length=256)
    starts_at: float = Field(default=0.0)
    ends_at: float = Field(default=0.0, index=True)
    reason: str = Field(default="", sa_type=sa.Text)
    created_by: str = Field(default="", sa_type=sa.Text)
    created_at: float = Field(default=0.0)
    ended_at: float | None = Field(default=None)


# Core handles for bulk statements (the ORM classes above define them; Core is ~15x faster for bulk).
TOWN = metadata.tables["town"]
VILLAGE = metadata.tables["village"]
UPLINK = metadata.tables["uplink_group"]
POINT = metadata.tables["point"]
CAMERA = metadata.tables["camera"]
CAMERA_STATE = metadata.tables["camera_state"]
TRANSITION = metadata.tables["transition"]
BASELINE = metadata.tables["baseline"]
EVIDENCE = metadata.tables["evidence"]
REFERENCE_PICTURE = metadata.tables["reference_picture"]
BASELINE_REVIEW = metadata.tables["baseline_review"]
BASELINE_APPROVAL = metadata.tables["baseline_approval"]
MAINTENANCE = metadata.tables["maintenance"]
