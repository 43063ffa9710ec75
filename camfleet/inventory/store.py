"""The store the runtime, metrics and coverage use: inventory reads, camera state, history, baselines,
evidence pictures, acceptance pictures, baseline reviews and approvals, maintenance windows.

All methods are synchronous (the asyncio runtime calls them through ``asyncio.to_thread``); the engine's
connection pool is thread-safe. Bulk writes are single Core statements with dialect upserts. Every
database failure surfaces as ``DatabaseError`` without the URL's password.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from camfleet.errors import DatabaseError
from camfleet.inventory import db
from camfleet.inventory.fence import split_fenced
from camfleet.inventory.importer import load_snapshot
from camfleet.inventory.tables import (
    BASELINE,
    BASELINE_APPROVAL,
    BASELINE_REVIEW,
    CAMERA_STATE,
    EVIDENCE,
    MAINTENANCE,
    REFERENCE_PICTURE,
    TRANSITION,
)
from camfleet.maintenance import MaintenanceWindow, Scope
from camfleet.model import (
    Approval,
    BaselineReview,
    BaselineState,
    CameraRecord,
    CameraState,
    CameraTarget,
    DeviceIdentity,
    Evidence,
    PointRecord,
    PointStatus,
    Reason,
    ReferencePicture,
    RefusedWrite,
    Status,
    StoredBaseline,
    Transition,
    WriteFence,
)

DETAIL_MAX = 1000  # the detail columns' width
_IN_CHUNK = 5000  # ids per IN (...) list: well under SQLite's bound-parameter limit
_IDENTITY = ("vendor", "model", "firmware", "serial", "hardware")
EVIDENCE_KEEP = 5  # evidence pictures kept per camera (the newest)


# Plain dict lookups: ``Status(text)`` costs ~1.2 µs per call through the enum machinery, and a coverage
# report reads ~100,000 of them (0.2 s of the 2 s budget).
_STATUSES = {s.value: s for s in Status}
_REASONS = {r.value: r for r in Reason}


_BASELINE_STATES = {s.value: s for s in BaselineState}


def _status(text: str) -> Status:
    """The stored word as a Status; a word written by a newer camfleet reads as not known yet."""
    return _STATUSES.get(text, Status.UNKNOWN)


def _reason(text: str) -> Reason:
    """The stored word as a Reason; an unknown word reads as none."""
    return _REASONS.get(text, Reason.NONE)


def _state_row(s: CameraState) -> dict[str, Any]:
    ident = s.identity
    row: dict[str, Any] = {
        "camera_id": s.camera_id, "status": s.status.value, "reason": s.reason.value,
        "detail": s.detail[:DETAIL_MAX], "since": s.since, "last_probe_at": s.last_probe_at,
        "last_ok_at": s.last_ok_at, "last_frame_at": s.last_frame_at, "latency_s": s.latency_s,
        "clock_offset_s": s.clock_offset_s, "consecutive_failures": s.consecutive_failures,
        "consecutive_successes": s.consecutive_successes, "flapping": s.flapping,
    }  # fmt: skip
    for name in _IDENTITY:
        row[name] = getattr(ident, name) if ident is not None else None
    return row


def _baseline_of(r: Any) -> StoredBaseline:
    """A stored baseline from its row."""
    return StoredBaseline(r.camera_id, r.mode, json.loads(r.features), bytes(r.thumbnail), r.samples, r.updated_at)


def _state_of(row: Any) -> CameraState:
    identity = None
    if any(getattr(row, n) is not None for n in _IDENTITY):
        identity = DeviceIdentity(**{n: getattr(row, n) or "" for n in _IDENTITY})
    return CameraState(
        camera_id=row.camera_id, status=_status(row.status), reason=_reason(row.reason), detail=row.detail,
        since=row.since, last_probe_at=row.last_probe_at, last_ok_at=row.last_ok_at,
        last_frame_at=row.last_frame_at, latency_s=row.latency_s, clock_offset_s=row.clock_offset_s,
        identity=identity, consecutive_failures=row.consecutive_failures,
        consecutive_successes=row.consecutive_successes, flapping=bool(row.flapping),
    )  # fmt: skip


class Store:
    """The camfleet database. ``Store(url)`` refuses a schema that is behind (``SchemaOutdatedError``)."""

    def __init__(self, url: str, *, create_if_empty: bool = False) -> None:
        self.url = db.safe_url(url)
        self._engine = db.open_engine(url)
        try:
            self.created_schema = db.check_schema(self._engine, create_if_empty=create_if_empty)
        except DatabaseError:
            self._engine.dispose()
            raise
        self._dialect = self._engine.dialect.name

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    def _read(self, stmt: sa.Executable) -> list[Any]:
        with db.mapped_errors(self.url), self._engine.connect() as conn:
            # .all() fetches in one call: iterating fetched row by row, ~1.2x slower on 48,000 rows.
            return list(conn.execute(stmt).all())

    def _read_for(self, query: sa.Select[Any], column: Any, camera_ids: Collection[str] | None) -> list[Any]:
        """``query``'s rows, restricted to ``camera_ids`` (all when None) in chunks that fit an IN list."""
        if camera_ids is None:
            return self._read(query)
        ids = sorted(set(camera_ids))
        rows: list[Any] = []
        for start in range(0, len(ids), _IN_CHUNK):
            rows += self._read(query.where(column.in_(ids[start : start + _IN_CHUNK])))
        return rows

    def _write(self, stmt: sa.Executable, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        with db.mapped_errors(self.url), self._engine.begin() as conn:
            conn.execute(stmt, rows)

    # --- inventory -------------------------------------------------------------------------------

    def _snapshot(self) -> tuple[list[PointRecord], list[CameraRecord]]:
        with db.mapped_errors(self.url), self._engine.connect() as conn:
            snap = load_snapshot(conn)
        return list(snap.points.values()), list(snap.cameras.values())

    def load_points(self) -> list[PointRecord]:
        """Every point, retired ones included (their status says so), in inventory order."""
        return self._snapshot()[0]

    def load_cameras(self) -> list[CameraRecord]:
        """The cameras on points that are not retired, in inventory order."""
        return self.load_inventory()[1]

    def load_inventory(self) -> tuple[list[PointRecord], list[CameraRecord], list[CameraTarget]]:
        """Points (all), cameras on non-retired points, and their poller targets, from one read."""
        points, cameras = self._snapshot()
        by_id = {p.point_id: p for p in points if p.status is not PointStatus.RETIRED}
        live = [c for c in cameras if c.point_id in by_id]
        return points, live, [c.target(by_id[c.point_id]) for c in live]

    def load_targets(self) -> list[CameraTarget]:
        """What the poller needs for every camera on a non-retired point (uplink defaults to town/village)."""
        return self.load_inventory()[2]

    # --- camera state --------------------------------------------------------------------------

    def load_states(self) -> dict[str, CameraState]:
        """The last saved state of every camera ever seen (removed cameras included), by camera id."""
        return {row.camera_id: _state_of(row) for row in self._read(sa.select(CAMERA_STATE))}

    def save_states(self, states: Iterable[CameraState]) -> None:
        """Insert or replace the state of each camera, in one statement and one transaction."""
        self.write_batch((), states)

    def _upsert_states(self, conn: sa.Connection, states: Iterable[CameraState]) -> None:
        rows = [_state_row(s) for s in states]
        if not rows:
            return
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        stmt = insert(CAMERA_STATE)
        update = {c: stmt.excluded[c] for c in rows[0] if c != "camera_id"}
        conn.execute(stmt.on_conflict_do_update(index_elements=["camera_id"], set_=update), rows)

    def _insert_transitions(self, conn: sa.Connection, transitions: Sequence[Transition]) -> None:
        rows = [
            {"camera_id": t.camera_id, "at": t.at, "from_status": t.from_status.value, "to_status": t.to_status.value,
             "reason": t.reason.value, "detail": t.detail[:DETAIL_MAX]}
            for t in transitions
        ]  # fmt: skip
        if not rows:
            return
        # The idempotency key (camera, time, new status): a batch retried after a lost acknowledgement of a
        # commit that did happen inserts nothing twice.
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        conn.execute(insert(TRANSITION).on_conflict_do_nothing(index_elements=["camera_id", "at", "to_status"]), rows)

    def write_batch(
        self, transitions: Sequence[Transition], states: Iterable[CameraState], fence: WriteFence | None = None
    ) -> list[RefusedWrite]:
        """Append transitions and save camera states in one transaction: both are stored or neither is, and
        transitions already stored (same camera, time and new status) are skipped.

        With a ``fence`` (a cluster member), a camera's state is saved only if its unit's lease still has the
        fence's owner and epoch, checked in the same transaction (``inventory/fence.py``); the states refused
        are returned by unit. Transitions are history and are appended either way."""
        states = list(states)
        if not transitions and not states:
            return []
        refused: list[RefusedWrite] = []
        with db.mapped_errors(self.url), self._engine.connect() as conn:
            if fence is not None and states:
                conn = conn.execution_options(**{db.WRITE_INTENT: True})  # SQLite: read, then write
            with conn.begin():
                if fence is not None and states:
                    states, refused = split_fenced(conn, fence, states, postgres=self._dialect == "postgresql")
                self._insert_transitions(conn, transitions)
                self._upsert_states(conn, sorted(states, key=lambda s: s.camera_id))
        return refused

    # --- history -------------------------------------------------------------------------------

    def append_transitions(self, transitions: Sequence[Transition]) -> None:
        """Append status changes to the history, in one statement and one transaction (ones already stored
        are skipped)."""
        self.write_batch(transitions, ())

    def load_transitions(
        self, since: float, until: float | None = None, camera_ids: Collection[str] | None = None
    ) -> list[Transition]:
        """Transitions with ``since <= at < until`` (no upper bound when None), oldest first, optionally
        only for ``camera_ids``."""
        t = TRANSITION.c
        # Only a Transition's columns, ordered by the database, unpacked as tuples: the coverage report reads
        # 48,000 of them in 0.17 s (whole rows sorted in Python with attribute access: 0.43 s).
        query = sa.select(t.camera_id, t.at, t.from_status, t.to_status, t.reason, t.detail, t.id).where(t.at >= since)
        if until is not None:
            query = query.where(t.at < until)
        rows = self._read_for(query.order_by(t.at, t.id), t.camera_id, camera_ids)
        if camera_ids is not None:
            rows.sort(key=lambda r: (r[1], r[6]))  # the chunks come one after another
        status, reason, unknown, none = _STATUSES.get, _REASONS.get, Status.UNKNOWN, Reason.NONE
        return [
            Transition(cid, at, status(was, unknown), status(to, unknown), reason(why, none), detail)
            for cid, at, was, to, why, detail, _id in rows
        ]

    # --- baselines -----------------------------------------------------------------------------

    def get_baselines(self, camera_id: str) -> dict[str, StoredBaseline]:
        """The baselines of one camera, by mode ('day', 'ir'); empty when none is built yet."""
        rows = self._read(sa.select(BASELINE).where(BASELINE.c.camera_id == camera_id))
        return {r.mode: _baseline_of(r) for r in rows}

    def load_baselines(self) -> dict[str, dict[str, StoredBaseline]]:
        """Every stored baseline: camera id → mode → baseline (the poller loads them all at start)."""
        out: dict[str, dict[str, StoredBaseline]] = {}
        for r in self._read(sa.select(BASELINE)):
            out.setdefault(r.camera_id, {})[r.mode] = _baseline_of(r)
        return out

    def load_baselines_of(self, camera_ids: Sequence[str]) -> dict[str, dict[str, StoredBaseline]]:
        """The stored baselines of these cameras (a batch: the poller reads them a few hundred at a time at start,
        so their rows are never all in memory at once)."""
        out: dict[str, dict[str, StoredBaseline]] = {}
        for r in self._read(sa.select(BASELINE).where(BASELINE.c.camera_id.in_(list(camera_ids)))):
            out.setdefault(r.camera_id, {})[r.mode] = _baseline_of(r)
        return out

    def baseline_keys(self) -> set[tuple[str, str]]:
        """(camera id, mode) of every stored baseline: cheap, to notice resets made by another process."""
        return {(r.camera_id, r.mode) for r in self._read(sa.select(BASELINE.c.camera_id, BASELINE.c.mode))}

    def put_baseline(self, baseline: StoredBaseline) -> None:
        """Insert or replace one camera's baseline for its mode."""
        self.put_baselines([baseline])

    def put_baselines(self, baselines: Sequence[StoredBaseline]) -> None:
        """Insert or replace baselines, in one statement and one transaction."""
        rows = []
        for b in baselines:
            if b.mode not in ("day", "ir"):
                raise ValueError(f"baseline mode must be 'day' or 'ir', not {b.mode!r}")
            rows.append(
                {"camera_id": b.camera_id, "mode": b.mode, "features": json.dumps(b.features, sort_keys=True),
                 "thumbnail": b.thumbnail, "samples": b.samples, "updated_at": b.updated_at}
            )  # fmt: skip
        if not rows:
            return
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        stmt = insert(BASELINE)
        stmt = stmt.on_conflict_do_update(
            index_elements=["camera_id", "mode"],
            set_={c: stmt.excluded[c] for c in rows[0] if c not in ("camera_id", "mode")},
        )
        self._write(stmt, rows)

    def delete_baselines(self, camera_id: str) -> int:
        """Forget a camera's baselines (both modes) so it learns its picture again; returns rows deleted."""
        with db.mapped_errors(self.url), self._engine.begin() as conn:
            return int(conn.execute(sa.delete(BASELINE).where(BASELINE.c.camera_id == camera_id)).rowcount or 0)

    # --- evidence ------------------------------------------------------------------------------

    def put_evidence(self, items: Sequence[Evidence], keep: int = EVIDENCE_KEEP) -> None:
        """Store evidence pictures; keep only the newest ``keep`` per camera. One transaction."""
        if not items:
            return
        rows = [
            {"camera_id": e.camera_id, "at": e.at, "status": e.status.value, "reason": e.reason.value,
             "thumbnail": e.thumbnail, "reference": e.reference}
            for e in items
        ]  # fmt: skip
        ev = EVIDENCE.c
        with db.mapped_errors(self.url), self._engine.begin() as conn:
            conn.execute(sa.insert(EVIDENCE), rows)
            for camera_id in sorted({e.camera_id for e in items}):
                newest = (
                    sa.select(ev.id).where(ev.camera_id == camera_id).order_by(ev.at.desc(), ev.id.desc()).limit(keep)
                )
                conn.execute(sa.delete(EVIDENCE).where(ev.camera_id == camera_id, ev.id.not_in(newest)))

    def load_evidence(self, camera_id: str) -> list[Evidence]:
        """A camera's stored evidence, newest first."""
        ev = EVIDENCE.c
        rows = self._read(sa.select(EVIDENCE).where(ev.camera_id == camera_id).order_by(ev.at.desc(), ev.id.desc()))
        return [
            Evidence(r.camera_id, r.at, _status(r.status), _reason(r.reason), bytes(r.thumbnail), bytes(r.reference))
            for r in rows
        ]

    def latest_evidence(self, camera_ids: Collection[str] | None = None) -> dict[str, bytes]:
        """The newest evidence thumbnail of each camera that has one (of ``camera_ids`` when given)."""
        ev = EVIDENCE.c
        query = sa.select(ev.camera_id, ev.thumbnail, ev.at, ev.id).where(ev.thumbnail != b"")
        rows = self._read_for(query, ev.camera_id, camera_ids)
        rows.sort(key=lambda r: (r.at, r.id))
        return {r.camera_id: bytes(r.thumbnail) for r in rows}

    # --- acceptance pictures, baseline reviews, approvals ------------------------------------------

    def _upsert(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert or replace ``rows`` (keyed by camera_id) in one statement and one transaction."""
        if not rows:
            return
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["camera_id"], set_={c: stmt.excluded[c] for c in rows[0] if c != "camera_id"}
        )
        self._write(stmt, rows)

    def put_references(self, rows: Sequence[ReferencePicture]) -> None:
        """Insert or replace acceptance pictures, in one transaction (an import is all or nothing)."""
        params = [{"camera_id": r.camera_id, "jpeg": r.jpeg, "source": r.source, "imported_at": r.imported_at}
                  for r in rows]  # fmt: skip
        self._upsert(REFERENCE_PICTURE, params)

    def references(self, camera_ids: Collection[str] | None = None) -> dict[str, ReferencePicture]:
        """The acceptance pictures by camera id (of ``camera_ids`` when given)."""
        rows = self._read_for(sa.select(REFERENCE_PICTURE), REFERENCE_PICTURE.c.camera_id, camera_ids)
        return {r.camera_id: ReferencePicture(r.camera_id, bytes(r.jpeg), r.source, r.imported_at) for r in rows}

    def reference_times(self) -> dict[str, float]:
        """When each stored acceptance picture was imported, by camera id (cheap: no pictures read). A poller
        compares them at each flush to pick up pictures imported while it runs."""
        ref = REFERENCE_PICTURE.c
        return {r.camera_id: r.imported_at for r in self._read(sa.select(ref.camera_id, ref.imported_at))}

    def put_reviews(self, rows: Sequence[BaselineReview]) -> None:
        """Insert or replace the poller's baseline states, in one statement and one transaction."""
        params = [
            {"camera_id": r.camera_id, "state": r.state.value, "reason": r.reason, "since": r.since,
             "thumbnail": r.thumbnail, "updated_at": r.updated_at}
            for r in rows
        ]  # fmt: skip
        self._upsert(BASELINE_REVIEW, params)

    def reviews(self) -> dict[str, BaselineReview]:
        """Every camera's baseline state as the poller last wrote it (an unknown state word reads as none)."""
        return {
            r.camera_id: BaselineReview(
                r.camera_id,
                _BASELINE_STATES.get(r.state, BaselineState.NONE),
                r.reason,
                r.since,
                bytes(r.thumbnail) if r.thumbnail is not None else None,
                r.updated_at,
            )
            for r in self._read(sa.select(BASELINE_REVIEW))
        }

    def add_approvals(self, rows: Sequence[Approval]) -> int:
        """Append approvals (their ``id`` is ignored: the database numbers them); returns how many."""
        params = [{"camera_id": a.camera_id, "at": a.at, "by": a.by, "note": a.note} for a in rows]
        if params:
            with db.mapped_errors(self.url), self._engine.begin() as conn:
                conn.execute(sa.insert(BASELINE_APPROVAL), params)
        return len(params)

    def approvals(self, after_id: int = 0) -> list[Approval]:
        """Approvals with an id above ``after_id``, oldest first (a poller passes the last id it applied)."""
        ap = BASELINE_APPROVAL.c
        rows = self._read(sa.select(BASELINE_APPROVAL).where(ap.id > after_id).order_by(ap.id))
        return [Approval(r.camera_id, r.at, r.by, r.note, r.id) for r in rows]

    # --- maintenance windows -------------------------------------------------------------------------

    def add_maintenance(self, window: MaintenanceWindow) -> int:
        """Append a window (its ``id`` is ignored: the database numbers it); returns its id."""
        row = {"scope": window.scope.value, "target": window.target, "starts_at": window.starts_at,
               "ends_at": window.ends_at, "reason": window.reason, "created_by": window.created_by,
               "created_at": window.created_at, "ended_at": window.ended_at}  # fmt: skip
        with db.mapped_errors(self.url), self._engine.begin() as conn:
            return int(conn.execute(sa.insert(MAINTENANCE).returning(MAINTENANCE.c.id), row).scalar_one())

    def maintenance(self, *, current_at: float | None = None, window_id: int | None = None) -> list[MaintenanceWindow]:
        """Windows oldest first: all of them; with ``current_at`` those not over by then (active, or yet to start)
        and not ended; with ``window_id`` that one. A scope word written by a newer camfleet is skipped."""
        m = MAINTENANCE.c
        query = sa.select(MAINTENANCE).order_by(m.id)
        if current_at is not None:
            query = query.where(m.ends_at > current_at, m.ended_at.is_(None))
        if window_id is not None:
            query = query.where(m.id == window_id)
        scopes = {s.value: s for s in Scope}
        return [
            MaintenanceWindow(scopes[r.scope], r.target, r.starts_at, r.ends_at, r.reason, r.created_by,
                              r.created_at, r.ended_at, r.id)
            for r in self._read(query)
            if r.scope in scopes
        ]  # fmt: skip

    def end_maintenance(self, window_id: int, at: float) -> MaintenanceWindow | None:
        """Stop window ``window_id`` at ``at`` unless it already ended; returns it as stored afterwards (None:
        no such window)."""
        m = MAINTENANCE.c
        with db.mapped_errors(self.url), self._engine.begin() as conn:
            conn.execute(sa.update(MAINTENANCE).where(m.id == window_id, m.ended_at.is_(None)).values(ended_at=at))
        found = self.maintenance(window_id=window_id)
        return found[0] if found else None
