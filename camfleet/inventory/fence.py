"""Fenced state writes: a cluster member's camera states land only while it still holds their lease.

A member that was paused (a stalled VM, SIGSTOP, a long collection) past its lease may resume with states
in its write buffer before its next heartbeat notices that another instance took its uplinks. Its own
clock cannot tell; the database can. Every state write of a member carries, for each camera, the lease unit
and the epoch at which the member holds it (``WriteFence``). In the write's transaction, before any state
is written, the unit rows are read and locked ``FOR KEY SHARE``; a camera whose unit now has another owner
or another epoch is not written (``RefusedWrite``).

Why that lock: it conflicts with the claim's ``FOR UPDATE SKIP LOCKED`` (nobody can take the unit between
the check and the commit: the claimer skips it until the next heartbeat) but not with the plain
``UPDATE`` of a heartbeat, a release or a leave, so a writer never waits on its own instance's heartbeat
and the two cannot deadlock. The server ends a transaction left idle longer than ``hold_s`` (a writer
paused between its statements), so a paused writer cannot keep the units from being claimed.

Transitions are history, not current state: the store inserts them whatever the fence says.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from camfleet.inventory.leases import CAMERA_LEASE
from camfleet.model import CameraState, RefusedWrite, WriteFence


def split_fenced(
    conn: sa.Connection, fence: WriteFence, states: Sequence[CameraState], *, postgres: bool
) -> tuple[list[CameraState], list[RefusedWrite]]:
    """The states this writer may store, and those it may not, by unit. Locks the units' rows until the
    end of ``conn``'s transaction; call it before writing the states, in the same transaction."""
    by_unit: dict[str, list[CameraState]] = {}
    for s in states:
        by_unit.setdefault(fence.units.get(s.camera_id, ""), []).append(s)
    if not by_unit:
        return [], []
    if postgres:
        hold_ms = max(int(fence.hold_s * 1000), 100)
        conn.exec_driver_sql(f"SET LOCAL idle_in_transaction_session_timeout = {hold_ms}")
    lease = CAMERA_LEASE.c
    rows = conn.execute(
        sa.select(lease.unit, lease.owner, lease.epoch)
        .where(lease.unit.in_(sorted(u for u in by_unit if u)))
        .order_by(lease.unit)
        .with_for_update(read=True, key_share=True)
    ).all()
    current = {r.unit: (r.owner, int(r.epoch)) for r in rows}
    allowed: list[CameraState] = []
    refused: list[RefusedWrite] = []
    for unit, unit_states in sorted(by_unit.items()):
        held = fence.epochs.get(unit)
        owner, epoch = current.get(unit, (None, None))
        if held is not None and owner == fence.owner and epoch == held:
            allowed += unit_states
        else:
            refused.append(RefusedWrite(unit, held, epoch, owner, tuple(sorted(s.camera_id for s in unit_states))))
    return allowed, refused
