"""Several pollers sharing one fleet: instance heartbeats and uplink leases in PostgreSQL.

The unit of ownership is the *uplink group*: every camera behind one village router moves together, so the
per-uplink concurrency limit and the uplink_down rule keep working with several instances. One row per
unit in ``camera_lease`` says who polls it until when; one row per instance in ``cluster_instance`` says
who is alive and how many cameras it carries; ``cluster_role`` holds the single "leader" lease (the
instance that exports the fleet-wide village series).

Why rows and ``FOR UPDATE SKIP LOCKED`` rather than advisory locks: a lease row survives the connection
(a pool reconnect does not drop ownership), carries an expiry that every instance can read (balance needs
to see the others' load), and SKIP LOCKED lets claimers race without waiting on each other. All times are
the database's clock (one clock for every instance); see docs/scaling.md for the failure modes.

PostgreSQL only. On SQLite a single instance owns every camera: ``LeaseStore`` refuses it with a clear
``DatabaseError`` (the tables exist there too so the schema is the same on both).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from camfleet.errors import DatabaseError
from camfleet.inventory import db
from camfleet.inventory.tables import metadata
from camfleet.model import ClusterView, Won

# Registered on the shared metadata so schema comparisons see them (migration 0003 creates them).
CLUSTER_INSTANCE = sa.Table(
    "cluster_instance",
    metadata,
    sa.Column("instance_id", sa.String(64), primary_key=True),
    sa.Column("started_at", sa.Float(), nullable=False),
    sa.Column("heartbeat_at", sa.Float(), nullable=False),
    sa.Column("expires_at", sa.Float(), nullable=False),
    sa.Column("load", sa.Integer(), nullable=False),  # cameras it polls
    sa.Column("units", sa.Integer(), nullable=False),  # uplinks it holds
)
CAMERA_LEASE = sa.Table(
    "camera_lease",
    metadata,
    sa.Column("unit", sa.String(255), primary_key=True),  # the uplink group (town/village by default)
    sa.Column("weight", sa.Integer(), nullable=False),  # cameras behind it
    sa.Column("owner", sa.String(64), nullable=True, index=True),
    sa.Column("expires_at", sa.Float(), nullable=False),
    sa.Column("epoch", sa.BigInteger(), nullable=False),  # +1 at every change of owner (a fencing token)
    sa.Column("changed_at", sa.Float(), nullable=False),
)
CLUSTER_ROLE = sa.Table(
    "cluster_role",
    metadata,
    sa.Column("role", sa.String(32), primary_key=True),
    sa.Column("owner", sa.String(64), nullable=True),
    sa.Column("expires_at", sa.Float(), nullable=False),
    sa.Column("epoch", sa.BigInteger(), nullable=False),
)
LEADER = "leader"
_GONE_AFTER_LEASES = 20  # instance rows silent this many lease periods are deleted (no tombstone pile-up)


class LeaseStore:
    """The lease tables of one PostgreSQL database; blocking (call through ``asyncio.to_thread``)."""

    def __init__(self, url: str, *, statement_timeout_s: float = 5.0) -> None:
        self.url = db.safe_url(url)
        self._engine = db.open_engine(url)
        if self._engine.dialect.name != "postgresql":
            self._engine.dispose()
            raise DatabaseError(
                f"database {self.url}: sharing a fleet between instances needs PostgreSQL; "
                "on SQLite a single instance owns every camera (set cluster.enabled = false)"
            )
        self.timeout_ms = max(int(statement_timeout_s * 1000), 100)
        try:
            db.check_schema(self._engine)
        except DatabaseError:
            self._engine.dispose()
            raise

    def close(self) -> None:
        """Release pooled connections."""
        self._engine.dispose()

    def _begin(self) -> Any:
        return self._engine.begin()

    def _now(self, conn: sa.Connection) -> float:
        # A stuck lock or a slow disk must fail the heartbeat quickly rather than outlive the lease; an instance
        # paused inside this transaction (SIGSTOP, a stalled VM) must not keep its rows locked from claimers.
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {self.timeout_ms}")
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {self.timeout_ms}")
        conn.exec_driver_sql(f"SET LOCAL idle_in_transaction_session_timeout = {self.timeout_ms}")
        return float(conn.execute(sa.text("SELECT extract(epoch FROM clock_timestamp())")).scalar_one())

    # --- units -----------------------------------------------------------------------------------

    def sync_units(self, weights: Mapping[str, int]) -> None:
        """Make the unit rows match an inventory: add new uplinks, update weights, drop unheld unknown ones."""
        lease = CAMERA_LEASE.c
        with db.mapped_errors(self.url), self._begin() as conn:
            now = self._now(conn)
            if weights:
                stmt = postgresql.insert(CAMERA_LEASE).values(
                    [{"unit": u, "weight": w, "owner": None, "expires_at": now, "epoch": 0, "changed_at": now}
                     for u, w in sorted(weights.items())]
                )  # fmt: skip
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["unit"],
                        set_={"weight": stmt.excluded.weight},
                        where=lease.weight != stmt.excluded.weight,  # no new row version when nothing changed
                    )
                )
            gone = sa.delete(CAMERA_LEASE).where(sa.or_(lease.owner.is_(None), lease.expires_at <= now))
            conn.execute(gone.where(lease.unit.not_in(list(weights))) if weights else gone)

    # --- heartbeat -------------------------------------------------------------------------------

    def heartbeat(self, instance_id: str, lease_s: float, started_at: float = 0.0) -> ClusterView:
        """Renew this instance's row, its leases and (if free or its own) the leader role; see the rest."""
        lease, inst, role = CAMERA_LEASE.c, CLUSTER_INSTANCE.c, CLUSTER_ROLE.c
        with db.mapped_errors(self.url), self._begin() as conn:
            now = self._now(conn)
            renewed = conn.execute(
                sa.update(CAMERA_LEASE)
                .where(lease.owner == instance_id)
                .values(expires_at=now + lease_s)
                .returning(lease.unit, lease.weight, lease.epoch)
            ).all()
            held = {r.unit: int(r.weight) for r in renewed}
            row = {"heartbeat_at": now, "expires_at": now + lease_s, "load": sum(held.values()), "units": len(held)}
            ins = postgresql.insert(CLUSTER_INSTANCE).values(
                instance_id=instance_id, started_at=started_at or now, **row
            )
            conn.execute(ins.on_conflict_do_update(index_elements=["instance_id"], set_=row))
            conn.execute(sa.delete(CLUSTER_INSTANCE).where(inst.expires_at < now - _GONE_AFTER_LEASES * lease_s))
            live = conn.execute(sa.select(inst.instance_id, inst.load).where(inst.expires_at > now)).all()
            free = conn.execute(
                sa.select(lease.unit, lease.weight).where(sa.or_(lease.owner.is_(None), lease.expires_at <= now))
            ).all()
            total = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(lease.weight), 0))).scalar_one()
            conn.execute(
                postgresql.insert(CLUSTER_ROLE)
                .values(role=LEADER, owner=None, expires_at=now, epoch=0)
                .on_conflict_do_nothing(index_elements=["role"])
            )
            leader = conn.execute(
                sa.update(CLUSTER_ROLE)
                .where(role.role == LEADER)
                .where(sa.or_(role.owner == instance_id, role.owner.is_(None), role.expires_at <= now))
                .values(
                    owner=instance_id,
                    expires_at=now + lease_s,
                    epoch=sa.case((role.owner == instance_id, role.epoch), else_=role.epoch + 1),
                )
                .returning(role.owner)
            ).first()
        return ClusterView(
            now=now,
            held=held,
            free={r.unit: int(r.weight) for r in free},
            instances={r.instance_id: int(r.load) for r in live},
            total_weight=int(total),
            leader=leader is not None,
            epochs={r.unit: int(r.epoch) for r in renewed},
        )

    # --- claim and release -----------------------------------------------------------------------

    def claim(self, instance_id: str, units: Sequence[str], lease_s: float) -> dict[str, Won]:
        """Take those of ``units`` that are still free; rows another claimer holds right now are skipped (and
        so are rows a writer has locked to check its fence, ``inventory/fence.py``).

        Returns the units won → weight and new epoch. Two instances claiming the same unit at once: exactly
        one wins.
        """
        if not units:
            return {}
        lease = CAMERA_LEASE.c
        with db.mapped_errors(self.url), self._begin() as conn:
            now = self._now(conn)
            free = (
                sa.select(lease.unit)
                .where(lease.unit.in_(list(units)))
                .where(sa.or_(lease.owner.is_(None), lease.expires_at <= now))
                .with_for_update(skip_locked=True)
            )
            won = conn.execute(
                sa.update(CAMERA_LEASE)
                .where(lease.unit.in_(free.scalar_subquery()))
                .values(owner=instance_id, expires_at=now + lease_s, epoch=lease.epoch + 1, changed_at=now)
                .returning(lease.unit, lease.weight, lease.epoch)
            ).all()
        return {r.unit: Won(int(r.weight), int(r.epoch)) for r in won}

    def release(self, instance_id: str, units: Sequence[str]) -> None:
        """Give units back at once (their cameras already stopped here), so another instance can take them."""
        if not units:
            return
        lease = CAMERA_LEASE.c
        with db.mapped_errors(self.url), self._begin() as conn:
            now = self._now(conn)
            conn.execute(
                sa.update(CAMERA_LEASE)
                .where(lease.owner == instance_id, lease.unit.in_(list(units)))
                .values(owner=None, expires_at=now, epoch=lease.epoch + 1, changed_at=now)
            )

    def leave(self, instance_id: str) -> None:
        """Graceful stop: release every unit and the leader role, forget the instance row."""
        lease, role = CAMERA_LEASE.c, CLUSTER_ROLE.c
        with db.mapped_errors(self.url), self._begin() as conn:
            now = self._now(conn)
            conn.execute(
                sa.update(CAMERA_LEASE)
                .where(lease.owner == instance_id)
                .values(owner=None, expires_at=now, epoch=lease.epoch + 1, changed_at=now)
            )
            conn.execute(sa.update(CLUSTER_ROLE).where(role.owner == instance_id).values(owner=None, expires_at=now))
            conn.execute(sa.delete(CLUSTER_INSTANCE).where(CLUSTER_INSTANCE.c.instance_id == instance_id))

    def owners(self) -> dict[str, str | None]:
        """Unit → current owner (None when free or expired): for tests, ``camfleet status`` and benchmarks."""
        lease = CAMERA_LEASE.c
        with db.mapped_errors(self.url), self._begin() as conn:
            now = self._now(conn)
            rows = conn.execute(sa.select(lease.unit, lease.owner, lease.expires_at)).all()
        return {r.unit: (r.owner if r.owner is not None and r.expires_at > now else None) for r in rows}
