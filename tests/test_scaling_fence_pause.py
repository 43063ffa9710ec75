"""A cluster member paused past its lease (SIGSTOP) resumes with buffered camera states: the database refuses
every one of them once another instance took its uplinks. Real child processes, the real PostgreSQL.

Who wrote what is recorded by the database itself: triggers (installed by this test only) log every
``camera_state`` write with the writing connection's ``application_name`` (each instance connects with its
own name) and every change of a lease's owner or epoch, all in the database's clock.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from poller_helpers import running
from scaling_helpers import Instance, cluster_specs, targets_json

from camfleet.inventory import db
from camfleet.inventory.leases import LeaseStore
from camfleet.simulator import SimulatedFleet

INTERVAL = 2.0  # liveness interval (production: 60 s)
LEASE = 1.0
WRITE_INTERVAL = 3.0  # long, so the paused instance always holds unwritten states when it stops
PAUSE_WAIT = 30.0  # bound on each wait
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(240)]

AUDIT = """
CREATE TABLE fence_audit (
    id bigserial PRIMARY KEY, kind text NOT NULL, key text NOT NULL, app text, owner text, epoch bigint,
    at double precision NOT NULL DEFAULT extract(epoch FROM clock_timestamp()));
CREATE FUNCTION fence_audit_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fence_audit (kind, key, app) VALUES ('state', NEW.camera_id, current_setting('application_name'));
    RETURN NULL;
END $$;
CREATE FUNCTION fence_audit_lease() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR OLD.owner IS DISTINCT FROM NEW.owner OR OLD.epoch <> NEW.epoch THEN
        INSERT INTO fence_audit (kind, key, owner, epoch) VALUES ('lease', NEW.unit, NEW.owner, NEW.epoch);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER fence_audit_state AFTER INSERT OR UPDATE ON camera_state
    FOR EACH ROW EXECUTE FUNCTION fence_audit_state();
CREATE TRIGGER fence_audit_lease AFTER INSERT OR UPDATE ON camera_lease
    FOR EACH ROW EXECUTE FUNCTION fence_audit_lease();
"""


def audit(engine: sa.Engine) -> list[sa.Row[tuple[int, str, str, str | None, str | None, int | None, float]]]:
    """Every audited write, in the database's time order."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, kind, key, app, owner, epoch, at FROM fence_audit ORDER BY at, id"))
        return list(rows)


async def until(check: Callable[[], bool], what: str) -> None:
    """Poll ``check`` in a thread until true; fail naming ``what`` after ``PAUSE_WAIT`` seconds."""
    deadline = time.monotonic() + PAUSE_WAIT
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            pytest.fail(f"not reached within {PAUSE_WAIT:.0f} s: {what}")
        await asyncio.sleep(0.1)


def metric(path: Path, name: str) -> float:
    """A sample's value in an instance's /metrics dump (0 when absent)."""
    found = re.search(rf"^{name} (\S+)$", path.read_text(encoding="utf-8"), re.M) if path.exists() else None
    return float(found.group(1)) if found else 0.0


async def test_a_paused_instance_cannot_overwrite_the_states_of_the_instance_that_took_over(
    pg_url: str, tmp_path: Path
) -> None:
    """Two instances split 28 simulated cameras. ``a`` is stopped (SIGSTOP) holding unwritten states, past
    its lease; ``b`` takes every uplink and stores its own states of a's cameras; ``a`` is resumed (SIGCONT).

    Proves: every camera state write the database accepted, over the whole run, came from the instance that
    was the owner of record of the camera's uplink at that moment — so none of a's writes after the
    takeover landed, though a tried (its refusals are logged naming the unit and both epochs, and counted in
    ``camfleet_db_write_refused_total``); a then rejoins and writes again under its new leases."""
    await asyncio.to_thread(db.upgrade, pg_url)
    engine = db.open_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(AUDIT)
    specs = cluster_specs(6)
    unit_of = {s.camera_id: s.uplink for s in specs}
    tjson = targets_json(specs, tmp_path / "targets.json")
    leases = await asyncio.to_thread(LeaseStore, pg_url)
    a, b = Instance("a", tmp_path / "a.log"), Instance("b", tmp_path / "b.log")

    def owners() -> dict[str, str | None]:
        return leases.owners()

    def a_writes() -> list[float]:
        return [r.at for r in audit(engine) if r.kind == "state" and r.app == "a"]

    try:
        async with running(SimulatedFleet(specs)):
            try:
                for inst in (a, b):
                    inst.start(f"{pg_url}?application_name={inst.name}", tjson, INTERVAL, LEASE, WRITE_INTERVAL)
                await until(lambda: set(owners().values()) == {"a", "b"}, "both instances hold uplinks")
                await asyncio.sleep(2 * WRITE_INTERVAL)  # both have written states
                flushes = len(a_writes())
                await until(lambda: len(a_writes()) > flushes, "a flushed its states")
                await asyncio.sleep(WRITE_INTERVAL / 2)  # half-way to its next flush: many states unwritten
                a.signal(signal.SIGSTOP)
                t_stop = time.time()
                a_units = {u for u, o in (await asyncio.to_thread(owners)).items() if o == "a"}
                a_cameras = {c for c, u in unit_of.items() if u in a_units}
                assert a_units, "a held nothing when it was stopped"
                await until(lambda: set(owners().values()) == {"b"}, "b took every uplink")

                def b_wrote_all() -> bool:
                    rows = audit(engine)
                    taken = max(r.at for r in rows if r.kind == "lease" and r.key in a_units and r.owner == "b")
                    return {r.key for r in rows if r.kind == "state" and r.app == "b" and r.at > taken} >= a_cameras

                await until(b_wrote_all, "b stored a state of every camera it took from a")
                a.signal(signal.SIGCONT)
                t_cont = time.time()
                await until(lambda: set(owners().values()) == {"a", "b"}, "a rejoined and got uplinks back")
                await asyncio.sleep(2 * WRITE_INTERVAL)  # a writes under its new leases
                for inst in (a, b):
                    inst.signal(signal.SIGUSR1)
                await asyncio.sleep(1.0)
            finally:
                for inst in (a, b):
                    if inst.proc is not None and inst.proc.poll() is None:
                        inst.signal(signal.SIGCONT)
                        inst.signal(signal.SIGTERM)
                codes = [await asyncio.to_thread(inst.stop) for inst in (a, b)]
        rows = await asyncio.to_thread(audit, engine)
    finally:
        leases.close()
        engine.dispose()
    stderr = a.log.with_suffix(".stderr").read_text(encoding="utf-8")
    assert codes == [0, 0], f"exit codes {codes}; a's stderr: {stderr[-2000:]}"
    assert t_cont - t_stop > LEASE

    owner_now: dict[str, str | None] = {}
    landed: dict[str, int] = defaultdict(int)
    after_resume = 0
    for r in rows:
        if r.kind == "lease":
            owner_now[r.key] = r.owner
            continue
        landed[r.app] += 1
        assert r.app == owner_now.get(unit_of[r.key]), (
            f"{r.app} stored {r.key}'s state while {unit_of[r.key]} was {owner_now.get(unit_of[r.key])}'s"
        )
        after_resume += r.app == "a" and r.at > t_cont
    assert landed["a"] and landed["b"] and after_resume, "a wrote before the pause and after it rejoined"

    refusals = re.findall(r"^(.+): (\d+) camera state write\(s\) refused: the lease moved \(held at epoch (\d+), "
                          r"now epoch (\d+), owner (\w+)\)$", stderr, re.M)  # fmt: skip
    assert refusals, f"a logged no refused write; its stderr: {stderr[-2000:]}"
    assert {unit for unit, *_ in refusals} <= a_units
    assert all(int(now) > int(held) for _unit, _n, held, now, _owner in refusals)
    refused = sum(int(n) for _unit, n, *_ in refusals)
    assert refused >= 3, "a stopped half-way between two flushes of ~15 cameras checked every 2 s"
    assert 0 < metric(a.log.with_suffix(".log.metrics"), "camfleet_db_write_refused_total") <= refused
    assert metric(b.log.with_suffix(".log.metrics"), "camfleet_db_write_refused_total") == 0
