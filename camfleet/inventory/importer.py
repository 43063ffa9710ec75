"""Import a validated inventory into the database (one transaction, exactly the differences) and export it.

The file is validated completely before the database is opened, so a rejected file never touches it.
An import that changes nothing writes nothing. Bulk statements go through SQLAlchemy Core: ORM
``add_all`` was ~15x slower for a district's 5,500 cameras.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from camfleet.inventory import db
from camfleet.inventory.diff import Plan, Snapshot, plan_import
from camfleet.inventory.tables import CAMERA, POINT, TOWN, UPLINK, VILLAGE
from camfleet.inventory.validate import Inventory
from camfleet.model import CameraRecord, PointRecord, PointStatus


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    plan: Plan
    created_schema: bool  # the database was brand new and was created at the newest schema
    applied: bool  # False for a dry run and for an import that changed nothing


def _iso(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _inventory_query() -> sa.Select[Any]:
    """Every point with its town, village and cameras (one row per camera; planned points once)."""
    return (
        sa.select(
            POINT.c.point_id, TOWN.c.name.label("town"), VILLAGE.c.name.label("village"), POINT.c.name,
            POINT.c.lat, POINT.c.lon, POINT.c.program, POINT.c.status, POINT.c.installed_on, POINT.c.accepted_on,
            POINT.c.retired_on, POINT.c.site_type,
            CAMERA.c.camera_id, CAMERA.c.host, CAMERA.c.port, CAMERA.c.credential, UPLINK.c.name.label("uplink"),
        )
        .select_from(POINT.join(VILLAGE).join(TOWN).outerjoin(CAMERA).outerjoin(UPLINK))
        .order_by(POINT.c.id, CAMERA.c.id)
    )  # fmt: skip


def _point_of(row: Any) -> PointRecord:
    return PointRecord(
        point_id=row.point_id, town=row.town, village=row.village, point_name=row.name, lat=row.lat,
        lon=row.lon, program=row.program, status=PointStatus(row.status),
        installed_on=_iso(row.installed_on), accepted_on=_iso(row.accepted_on), site_type=row.site_type,
    )  # fmt: skip


def _camera_of(row: Any) -> CameraRecord:
    return CameraRecord(row.camera_id, row.point_id, row.host, row.port, row.credential, row.uplink or "")


def load_snapshot(conn: sa.Connection) -> Snapshot:
    """The stored inventory, in insertion order."""
    snap = Snapshot()
    for row in conn.execute(_inventory_query()):
        if row.point_id not in snap.points:
            snap.points[row.point_id] = _point_of(row)
            if row.retired_on is not None:
                snap.retired_on[row.point_id] = row.retired_on
        if row.camera_id is not None:
            snap.cameras[row.camera_id] = _camera_of(row)
    return snap


IdMap = dict[tuple[Any, ...], int]


def _ids(conn: sa.Connection, table: sa.Table, key: tuple[str, ...], wanted: Iterable[tuple[Any, ...]]) -> IdMap:
    """Map natural keys to row ids, inserting the keys not there yet."""
    query = sa.select(*[table.c[k] for k in key], table.c.id)
    known: IdMap = {tuple(r[:-1]): r[-1] for r in conn.execute(query)}
    missing = sorted(set(wanted) - known.keys())
    if missing:
        conn.execute(sa.insert(table), [dict(zip(key, m, strict=True)) for m in missing])
        known = {tuple(r[:-1]): r[-1] for r in conn.execute(query)}
    return known


def _update_many(conn: sa.Connection, table: sa.Table, key: str, rows: list[dict[str, Any]]) -> None:
    """One executemany UPDATE keyed on ``key``, setting every other column given in ``rows``."""
    if not rows:
        return
    # Bind names must differ from column names in an UPDATE's SET clause.
    stmt = (
        sa.update(table)
        .where(table.c[key] == sa.bindparam(f"b_{key}"))
        .values({c: sa.bindparam(f"b_{c}") for c in rows[0] if c != key})
    )
    conn.execute(stmt, [{f"b_{c}": v for c, v in r.items()} for r in rows])


class _Writer:
    """Applies a plan inside the caller's transaction."""

    def __init__(self, conn: sa.Connection, stored: Snapshot, today: dt.date) -> None:
        self.conn = conn
        self.stored = stored
        self.today = today

    def retired_on(self, new: PointRecord) -> dt.date | None:
        """Kept while retired, set on retiring, cleared when back in service."""
        if new.status is not PointStatus.RETIRED:
            return None
        return self.stored.retired_on.get(new.point_id, self.today)

    def point_row(self, p: PointRecord, villages: IdMap) -> dict[str, Any]:
        return {
            "point_id": p.point_id, "village_id": villages[(p.town, p.village)], "name": p.point_name,
            "lat": p.lat, "lon": p.lon, "program": p.program, "status": p.status.value,
            "installed_on": _date(p.installed_on), "accepted_on": _date(p.accepted_on),
            "retired_on": self.retired_on(p), "site_type": p.site_type,
        }  # fmt: skip

    def points(self, plan: Plan) -> None:
        wanted = plan.added_points + [new for _, new in plan.changed_points]
        towns = _ids(self.conn, TOWN, ("name",), {(p.town,) for p in wanted})
        by_id = _ids(self.conn, VILLAGE, ("town_id", "name"), {(towns[(p.town,)], p.village) for p in wanted})
        town_name = {i: k[0] for k, i in towns.items()}
        villages: IdMap = {(town_name[t], v): i for (t, v), i in by_id.items()}
        if plan.added_points:
            self.conn.execute(sa.insert(POINT), [self.point_row(p, villages) for p in plan.added_points])
        _update_many(self.conn, POINT, "point_id", [self.point_row(new, villages) for _, new in plan.changed_points])
        if plan.retired_points:
            gone = [
                {"point_id": p.point_id, "status": "retired", "retired_on": self.today} for p in plan.retired_points
            ]
            _update_many(self.conn, POINT, "point_id", gone)

    def cameras(self, plan: Plan) -> None:
        if plan.removed_cameras:
            stmt = CAMERA.delete().where(CAMERA.c.camera_id == sa.bindparam("b_camera_id"))
            self.conn.execute(stmt, [{"b_camera_id": c.camera_id} for c in plan.removed_cameras])
        wanted = plan.added_cameras + [new for _, new in plan.changed_cameras]
        uplinks = _ids(self.conn, UPLINK, ("name",), {(c.uplink,) for c in wanted if c.uplink})
        points: dict[str, int] = {r.point_id: r.id for r in self.conn.execute(sa.select(POINT.c.point_id, POINT.c.id))}

        def row(c: CameraRecord) -> dict[str, Any]:
            uplink = uplinks[(c.uplink,)] if c.uplink else None
            return {
                "camera_id": c.camera_id, "point_id": points[c.point_id], "host": c.host, "port": c.port,
                "credential": c.credential, "uplink_id": uplink,
            }  # fmt: skip

        if plan.added_cameras:
            self.conn.execute(sa.insert(CAMERA), [row(c) for c in plan.added_cameras])
        _update_many(self.conn, CAMERA, "camera_id", [row(new) for _, new in plan.changed_cameras])


def import_inventory(
    url: str, inventory: Inventory, *, dry_run: bool = False, today: dt.date | None = None
) -> ImportResult:
    """Apply ``inventory`` (already validated) to the database at ``url``, all or nothing.

    A brand-new empty database is created at the newest schema first (in the same transaction); one
    whose schema is behind is refused with ``SchemaOutdatedError``. A dry run and an import that
    changes nothing write nothing.
    """
    path = db.sqlite_path(url)
    if dry_run and path is not None and not path.exists():
        # Connecting would create the file: plan against nothing instead.
        return ImportResult(plan_import(Snapshot(), inventory), created_schema=False, applied=False)
    engine = db.open_engine(url)
    try:
        with db.mapped_errors(engine.url), engine.connect() as conn:
            conn.execution_options(**{db.WRITE_INTENT: True})  # reads, then writes: lock first (SQLite)
            with conn.begin() as tx:
                created = db.schema_status(conn) == "empty"
                if created and not dry_run:
                    from alembic import command

                    command.upgrade(db.alembic_config(conn), "head")
                stored = Snapshot() if created else load_snapshot(conn)
                plan = plan_import(stored, inventory)
                if dry_run or (plan.empty and not created):
                    tx.rollback()
                    return ImportResult(plan, created_schema=False, applied=False)
                writer = _Writer(conn, stored, today or dt.date.today())
                writer.points(plan)
                writer.cameras(plan)
                tx.commit()
                return ImportResult(plan, created_schema=created, applied=True)
    finally:
        engine.dispose()


def export_rows(url: str) -> list[dict[str, str]]:
    """The stored inventory as file rows (canonical column → text), retired points included."""
    engine = db.open_engine(url)
    try:
        with db.mapped_errors(engine.url), engine.connect() as conn:
            db.require_current(conn)
            rows = []
            for r in conn.execute(_inventory_query()):
                rows.append(
                    {
                        "town": r.town, "village": r.village, "point_id": r.point_id, "point_name": r.name,
                        "lat": "" if r.lat is None else repr(r.lat), "lon": "" if r.lon is None else repr(r.lon),
                        "program": r.program, "point_status": r.status, "installed_on": _iso(r.installed_on),
                        "accepted_on": _iso(r.accepted_on), "camera_id": r.camera_id or "", "host": r.host or "",
                        "port": "" if r.port is None else str(r.port), "credential": r.credential or "",
                        "uplink": r.uplink or "", "site_type": r.site_type,
                    }
                )  # fmt: skip
            return rows
    finally:
        engine.dispose()
