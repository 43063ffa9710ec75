"""Small hand-written inventories and file helpers for the inventory tests."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest

from camfleet.inventory import db
from camfleet.inventory.columns import COLUMNS, export_header


def point(point_id: str, town: str = "青石镇", village: str = "下坞村", **extra: str) -> dict[str, str]:
    """The point columns of one row (accepted, with coordinates and dates)."""
    values = {
        "town": town, "village": village, "point_id": point_id, "point_name": "村口", "lat": "30.1",
        "lon": "119.9", "program": "一村一探头", "point_status": "accepted", "installed_on": "2025-04-01",
        "accepted_on": "2025-05-01",
    }  # fmt: skip
    return values | extra


def camera(camera_id: str, host: str, **extra: str) -> dict[str, str]:
    """The camera columns of one row."""
    return {"camera_id": camera_id, "host": host, "port": "80", "credential": "yctt-2025", "uplink": ""} | extra


def small_inventory() -> list[dict[str, str]]:
    """Two towns, three villages, four points (one planned without a camera), five cameras."""
    return [
        point("P1") | camera("C1", "127.10.0.1"),
        point("P1") | camera("C2", "127.10.0.2"),
        point("P2", village="上坞村", point_name="学校") | camera("C3", "127.10.0.3", uplink="青石镇光交箱01"),
        point("P3", town="东溪街道", village="石门村") | camera("C4", "cam-4.example.cn", port="8080"),
        point("P3", town="东溪街道", village="石门村") | camera("C5", "2001:db8::5"),
        point("P4", town="东溪街道", village="石门村", point_status="planned", installed_on="", accepted_on="")
        | camera("", "", port="", credential="", uplink=""),
    ]


def write_csv(path: Path, rows: list[dict[str, str]], *, encoding: str = "utf-8", chinese: bool = False) -> Path:
    """Write rows with canonical (or Chinese) headers in ``encoding`` (``utf-8-sig`` for a BOM)."""
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(export_header(chinese=chinese))
        for row in rows:
            writer.writerow([row.get(c, "") for c in COLUMNS])
    return path


def sha256(path: Path) -> str:
    """The file's SHA-256 (to prove a database file was not touched)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


MIGRATION_NEXT = '''"""Test-only revision on top of head: one more column, so that the real head is behind."""

import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("camera", sa.Column("note", sa.String(50), nullable=True))


def downgrade() -> None:
    op.drop_column("camera", "note")
'''


def install_newer_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make the code's head ``9999`` (a copy of the migrations plus one revision); returns the real head."""
    head = db.head_revision()
    copy = tmp_path / "migrations"
    shutil.copytree(db.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "versions" / "rev9999_test.py").write_text(MIGRATION_NEXT.format(head=head), encoding="utf-8")
    monkeypatch.setattr(db, "MIGRATIONS_DIR", copy)
    monkeypatch.setattr(db, "HEAD_REVISION", "9999")  # newer code ships a newer head constant with it
    return head
