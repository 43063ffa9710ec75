"""Fenced state writes: the database stores a cluster member's camera states only under its current lease.

Store level, on SQLite and PostgreSQL (the lease rows are written directly: on SQLite no lease store runs,
but the check is the same read in the same transaction), then PostgreSQL's locking: a claim cannot slip
between the check and the commit, and a writer paused inside its transaction cannot keep a unit locked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from camfleet.inventory import db
from camfleet.inventory.fence import split_fenced
from camfleet.inventory.leases import CAMERA_LEASE, LeaseStore
from camfleet.inventory.store import Store
from camfleet.metrics.poller import poller_families
from camfleet.metrics.render import render_families
from camfleet.metrics.snapshot import PollerStats
from camfleet.model import CameraState, RefusedWrite, Status, Transition, WriteFence
from camfleet.runtime.writer import StateWriter

# Two units: "東/一" now belongs to b at epoch 2 (a held it at epoch 1); "東/二" is a's at epoch 1.
UNITS = {"C1": "東/一", "C2": "東/二", "C3": "東/一"}
FENCE_A = WriteFence("a", UNITS, {"東/一": 1, "東/二": 1})


def set_leases(url: str, rows: dict[str, tuple[str | None, int]]) -> None:
    """Write lease rows (unit → owner, epoch) as the lease store would have left them."""
    engine = db.open_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.delete(CAMERA_LEASE))
            conn.execute(
                sa.insert(CAMERA_LEASE),
                [{"unit": u, "weight": 2, "owner": o, "expires_at": time.time() + 60, "epoch": e,
                  "changed_at": time.time()} for u, (o, e) in rows.items()],
            )  # fmt: skip
    finally:
        engine.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated database (SQLite, then PostgreSQL) where b took 東/一 from a, and a still holds 東/二."""
    db.upgrade(db_url)
    set_leases(db_url, {"東/一": ("b", 2), "東/二": ("a", 1)})
    with Store(db_url) as s:
        yield s


@pytest.fixture
def locking(pg_url: str) -> Iterator[tuple[LeaseStore, sa.Engine]]:
    """A migrated PostgreSQL database with one unit, 東/一, free: its lease store and an engine to write with."""
    db.upgrade(pg_url)
    leases = LeaseStore(pg_url)
    engine = db.open_engine(pg_url)
    try:
        leases.sync_units({"東/一": 2})
        yield leases, engine
    finally:
        engine.dispose()
        leases.close()


def state(camera_id: str, detail: str) -> CameraState:
    """A state told apart by its detail (who saw it)."""
    return CameraState(camera_id, Status.OK, detail=detail, last_probe_at=time.time())


def test_a_stale_epoch_is_refused_and_the_current_one_lands(store: Store) -> None:
    """a writes three cameras: C2 (its unit still a's at epoch 1) lands; C1 and C3 (their unit moved to b at
    epoch 2) are refused, named by unit with both epochs, and b's states stay. a's transition for C1 is kept
    as history (observed while owner), but it changes no current state."""
    store.write_batch([], [state("C1", "b saw"), state("C3", "b saw")], WriteFence("b", UNITS, {"東/一": 2}))
    seen_by_a = Transition("C1", 10.0, Status.OK, Status.OFFLINE)
    refused = store.write_batch(
        [seen_by_a], [state("C1", "a saw"), state("C2", "a saw"), state("C3", "a saw")], FENCE_A
    )
    assert refused == [RefusedWrite("東/一", 1, 2, "b", ("C1", "C3"))]
    details = {cid: s.detail for cid, s in store.load_states().items()}
    assert details == {"C1": "b saw", "C2": "a saw", "C3": "b saw"}
    assert store.load_transitions(0.0) == [seen_by_a]


def test_the_same_owner_with_an_older_epoch_and_an_unknown_unit_are_refused(store: Store, db_url: str) -> None:
    """Owner alone is not the token: a lost 東/二 and claimed it back (epoch 3); a write still carrying
    epoch 1 is refused. A camera the fence has no unit for, or whose unit row is gone, is refused too."""
    set_leases(db_url, {"東/一": ("b", 2), "東/二": ("a", 3)})
    fence = WriteFence("a", {**UNITS, "C9": "東/九"}, {"東/二": 1, "東/九": 4})
    refused = store.write_batch([], [state("C2", "a"), state("C8", "a"), state("C9", "a")], fence)
    assert refused == [
        RefusedWrite("", None, None, None, ("C8",)),
        RefusedWrite("東/九", 4, None, None, ("C9",)),
        RefusedWrite("東/二", 1, 3, "a", ("C2",)),
    ]
    assert store.load_states() == {}
    assert store.write_batch([], [state("C2", "a")], WriteFence("a", UNITS, {"東/二": 3})) == []
    assert store.load_states()["C2"].detail == "a"


def test_without_a_fence_every_state_lands(store: Store) -> None:
    """One instance alone (solo mode, SQLite) writes no fence and nothing is checked or refused."""
    assert store.write_batch([], [state("C1", "solo"), state("C7", "solo")]) == []
    assert set(store.load_states()) == {"C1", "C7"}


async def test_the_writer_drops_counts_and_logs_refused_states(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """The runtime writer passes its fence, drops the refused states (no retry: the cameras are b's now),
    counts them, says which unit moved and from which epoch to which, and exports the count."""
    states = {c: state(c, "a saw") for c in ("C1", "C2", "C3")}
    w = StateWriter(store, states, interval_s=1.0, buffer_limit=100, clock=time.time)
    w.fence = lambda: FENCE_A
    w.record(states, [])
    with caplog.at_level(logging.WARNING, logger="camfleet.runtime.writer"):
        assert await w.flush() is True
    assert (w.counters.write_refused, w.backlog, w.counters.write_failures) == (2, 0, 0)
    assert set(store.load_states()) == {"C2"}
    assert "東/一: 2 camera state write(s) refused: the lease moved (held at epoch 1, now epoch 2, owner b)" in (
        caplog.text
    )
    text = render_families(poller_families(PollerStats(db_write_refused=w.counters.write_refused), 0.0))
    assert "camfleet_db_write_refused_total 2" in text


@pytest.mark.postgres
def test_a_claim_cannot_slip_between_the_check_and_the_commit(
    pg_url: str, locking: tuple[LeaseStore, sa.Engine]
) -> None:
    """While a's fenced write is open (checked, not committed), b's claim of the expired unit skips it, and
    a's own heartbeat renews it without waiting; once a commits, b's next claim wins it and bumps the epoch,
    and a's next write is refused."""
    leases, engine = locking
    leases.heartbeat("a", 0.5)
    won = leases.claim("a", ["東/一"], 0.5)
    fence = WriteFence("a", UNITS, {"東/一": won["東/一"].epoch})
    with engine.begin() as conn:
        allowed, refused = split_fenced(conn, fence, [state("C1", "a")], postgres=True)
        assert [s.camera_id for s in allowed] == ["C1"] and refused == []
        time.sleep(0.7)  # the lease expires while the write is open
        assert leases.claim("b", ["東/一"], 30.0) == {}  # skipped: locked by the check
        done = threading.Event()
        threading.Thread(target=lambda: (leases.heartbeat("a", 0.5), done.set()), daemon=True).start()
        assert done.wait(3.0), "the writer's check blocked its own instance's heartbeat"
    time.sleep(0.7)
    assert leases.claim("b", ["東/一"], 30.0).keys() == {"東/一"}
    with Store(pg_url) as store:
        assert store.write_batch([], [state("C1", "a late")], fence) == [
            RefusedWrite("東/一", fence.epochs["東/一"], fence.epochs["東/一"] + 1, "b", ("C1",))
        ]


@pytest.mark.postgres
def test_a_writer_paused_inside_its_transaction_cannot_keep_the_unit_locked(
    pg_url: str, locking: tuple[LeaseStore, sa.Engine]
) -> None:
    """A writer that stops between its check and its commit (SIGSTOP, a stalled VM) has its transaction
    ended by the server after the fence's ``hold_s``: the unit can be claimed, and the paused writer's
    commit fails instead of landing."""
    leases, engine = locking
    won = leases.claim("a", ["東/一"], 0.3)
    fence = WriteFence("a", UNITS, {"東/一": won["東/一"].epoch}, hold_s=0.3)
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
        split_fenced(conn, fence, [state("C1", "a")], postgres=True)
        time.sleep(1.0)  # paused: idle in transaction past hold_s and past the lease
        assert leases.claim("b", ["東/一"], 30.0).keys() == {"東/一"}
        conn.execute(sa.text("SELECT 1"))
    with Store(pg_url) as store:
        assert store.load_states() == {}


@pytest.mark.postgres
def test_a_release_during_an_open_write_does_not_wait_and_nobody_claims_before_the_commit(
    locking: tuple[LeaseStore, sa.Engine],
) -> None:
    """The writer's lock survives its own instance's release (a plain UPDATE that bumps the epoch): the
    release does not wait for the write, and the freed unit is claimed only after the write committed."""
    leases, engine = locking
    won = leases.claim("a", ["東/一"], 30.0)
    with engine.begin() as conn:
        split_fenced(conn, WriteFence("a", UNITS, {"東/一": won["東/一"].epoch}), [state("C1", "a")], postgres=True)
        t0 = time.monotonic()
        leases.release("a", ["東/一"])
        assert time.monotonic() - t0 < 1.0
        assert leases.claim("b", ["東/一"], 30.0) == {}
    assert leases.claim("b", ["東/一"], 30.0).keys() == {"東/一"}
