"""One non-cluster instance per database: the ``solo`` row of ``cluster_role``, renewed while it polls.

Two ``camfleet run`` on one database without ``[cluster]`` both polled everything and wrote every transition
twice. The first to start holds the row (owner, expiry); a second one finds it held and refuses to start.
A row whose owner is known to be dead (``gone(owner)``: the service checks its own host's PIDs) is taken
over at once, so a restart after a crash is not refused for a lease period. Cluster members (live rows of
``cluster_instance``) hold a database as well. Each statement is one atomic conditional write, which both
SQLite and PostgreSQL serialise; times are the database's clock on PostgreSQL, this host's on SQLite (one
file, one host).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa

from camfleet.inventory import db
from camfleet.inventory.leases import CLUSTER_INSTANCE, CLUSTER_ROLE

SOLO = "solo"


class SoloLock:
    """The ``solo`` role of one database; blocking (call through ``asyncio.to_thread``)."""

    def __init__(self, url: str) -> None:
        self.url = db.safe_url(url)
        self._engine = db.open_engine(url)
        self._postgres = self._engine.dialect.name == "postgresql"

    def close(self) -> None:
        """Release pooled connections."""
        self._engine.dispose()

    def _now(self, conn: sa.Connection) -> float:
        if self._postgres:
            return float(conn.execute(sa.text("SELECT extract(epoch FROM clock_timestamp())")).scalar_one())
        return time.time()

    def acquire(self, me: str, lease_s: float, gone: Callable[[str], bool]) -> str:
        """Take the role for ``lease_s``; ``""`` when taken, else who holds the database instead."""
        role, inst = CLUSTER_ROLE.c, CLUSTER_INSTANCE.c
        with db.mapped_errors(self.url), self._engine.begin() as conn:
            now = self._now(conn)
            members = conn.execute(sa.select(inst.instance_id).where(inst.expires_at > now)).scalars().all()
            if members:
                return f"cluster instance(s) {', '.join(sorted(members))}"
            conn.execute(
                sa.insert(CLUSTER_ROLE).from_select(
                    ["role", "owner", "expires_at", "epoch"],
                    sa.select(sa.literal(SOLO), sa.null(), sa.literal(0.0), sa.literal(0)).where(
                        ~sa.exists().where(role.role == SOLO)
                    ),
                )
            )
            holder = conn.execute(sa.select(role.owner, role.expires_at).where(role.role == SOLO)).one()
            free = holder.owner in (None, me) or holder.expires_at <= now or gone(holder.owner)
            if not free:
                return f"instance {holder.owner} (its claim runs {holder.expires_at - now:.0f} s more unless renewed)"
            taken = conn.execute(
                sa.update(CLUSTER_ROLE)
                .where(role.role == SOLO, role.owner.is_not_distinct_from(holder.owner))
                .values(owner=me, expires_at=now + lease_s, epoch=role.epoch + 1)
            )
        return "" if taken.rowcount else "another instance that started at the same moment"

    def renew(self, me: str, lease_s: float) -> bool:
        """Extend the role; False when another instance holds it now (then this one should stop)."""
        role = CLUSTER_ROLE.c
        with db.mapped_errors(self.url), self._engine.begin() as conn:
            now = self._now(conn)
            done = conn.execute(
                sa.update(CLUSTER_ROLE).where(role.role == SOLO, role.owner == me).values(expires_at=now + lease_s)
            )
        return bool(done.rowcount)

    def release(self, me: str) -> None:
        """Give the role up (a clean stop): the next instance starts at once."""
        role = CLUSTER_ROLE.c
        with db.mapped_errors(self.url), self._engine.begin() as conn:
            conn.execute(sa.update(CLUSTER_ROLE).where(role.role == SOLO, role.owner == me).values(owner=None))
