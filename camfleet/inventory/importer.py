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
from camfleet.inventory.columns import CAMERA_COLUMNS, COLUMNS, POINT_COLUMNS, Entity, copied, db_of, field_of
from camfleet.inventory.diff import Plan, Snapshot, plan_import
from camfleet.inventory.tables import CAMERA, POINT, TOWN, UPLINK, VILLAGE, metadata
from camfleet.inventory.validate import Inventory
from camfleet.model import CameraRecord, PointRecord, PointStatus


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    plan: Plan
    created_schema: bool  # the database was brand new and was created at the newest schema
    applied: bool  # False for a dry run and for an import that changed nothing


#: The point's columns as ``PointRecord`` has them (its identity first), the camera's besides its point.
_POINT_FIELDS = ("point_id", *POINT_COLUMNS)
#: The columns each table holds as they are; the rest (town, village, uplink) are rows found by name.
_POINT_COPIED = copied(Entity.POINT)
_CAMERA_COPIED = copied(Entity.CAMERA)


def _inventory_query() -> sa.Select[Any]:
    """Every point with its town, village and cameras (one row per camera; planned points once), each of the
    file's columns labelled with its name, and the point's retirement date."""
    selected = [metadata.tables[db_of(c)[0]].c[db_of(c)[1]].label(c) for c in COLUMNS]
    return (
        sa.select(*selected, POINT.c.retired_on)
        .select_from(POINT.join(VILLAGE).join(TOWN).outerjoin(CAMERA).outerjoin(UPLINK))
        .order_by(POINT.c.id, CAMERA.c.id)
    )


def _point_of(row: Any) -> PointRecord:
    cells = row._mapping
    return PointRecord(**{field_of(c): COLUMNS[c].kind.from_db(cells[c]) for c in _POINT_FIELDS})


def _camera_of(row: Any) -> CameraRecord:
    cells = row._mapping
    record = {field_of(c): COLUMNS[c].kind.from_db(cells[c]) for c in CAMERA_COLUMNS}
    return CameraRecord(point_id=row.point_id, **record)


def _copied_row(record: PointRecord | CameraRecord, columns: tuple[str, ...]) -> dict[str, Any]:
    """The table row's values of the columns kept as they are, keyed by the table's column names."""
    return {db_of(c)[1]: COLUMNS[c].kind.to_db(getattr(record, field_of(c))) for c in columns}


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
        refs = {"village_id": villages[(p.town, p.village)], "retired_on": self.retired_on(p)}
        return _copied_row(p, _POINT_COPIED) | refs

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
            return _copied_row(c, _CAMERA_COPIED) | {"point_id": points[c.point_id], "uplink_id": uplink}

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
                cells = r._mapping
                rows.append({c: info.kind.to_text(cells[c]) for c, info in COLUMNS.items()})
            return rows
    finally:
        engine.dispose()
