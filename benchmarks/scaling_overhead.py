"""Coordination overhead: one heartbeat of an instance holding half of the simulated district, against a
bare PostgreSQL round trip measured in the same run, then per camera and per liveness interval.

Run: .venv/bin/python benchmarks/scaling_overhead.py [CAMERAS] [HEARTBEATS]
Two instances split 5,500 cameras (138 uplinks of 40); the measured instance renews 69 leases per
heartbeat. Production timing: lease = interval / 2, heartbeat = lease / 3, so 6 heartbeats per interval.
"""

from __future__ import annotations

import statistics
import sys
import time

import sqlalchemy as sa
from pg_scratch import PER_UPLINK, scratch_database

from camfleet.inventory import db
from camfleet.inventory.leases import LeaseStore

BEATS_PER_INTERVAL = 6


def timed(fn: object, repeat: int) -> tuple[float, float]:
    """Median wall and median CPU (this thread) of ``repeat`` calls, seconds."""
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()  # type: ignore[operator]
        walls.append(time.perf_counter() - t0)
        cpus.append(time.thread_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    cameras = int(sys.argv[1]) if len(sys.argv) > 1 else 5500
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    with scratch_database() as url:
        units = {f"uplink-{i:03d}": PER_UPLINK for i in range(-(-cameras // PER_UPLINK))}
        store, other = LeaseStore(url), LeaseStore(url)
        store.sync_units(units)
        half = sorted(units)[: len(units) // 2]
        store.heartbeat("i0", 30.0)
        other.heartbeat("i1", 30.0)
        store.claim("i0", half, 30.0)
        other.claim("i1", sorted(set(units) - set(half)), 30.0)
        engine = db.open_engine(url)

        def round_trip() -> None:
            with engine.begin() as conn:
                conn.execute(sa.text("SELECT 1"))

        rt_wall, rt_cpu = timed(round_trip, repeat)
        hb_wall, hb_cpu = timed(lambda: store.heartbeat("i0", 30.0), repeat)
        move = sorted(half)[:4]

        def move_four() -> None:  # a rebalancing step: give 4 uplinks back, take them again
            store.release("i0", move)
            store.claim("i0", move, 30.0)

        mv_wall, mv_cpu = timed(move_four, max(repeat // 5, 10))
        engine.dispose()
        store.close()
        other.close()
    owned = len(half) * PER_UPLINK
    print(f"cameras {cameras} in {len(units)} uplinks; this instance holds {len(half)} ({owned} cameras)")
    print(f"bare round trip (BEGIN; SELECT 1; COMMIT): {rt_wall * 1e3:.2f} ms wall, {rt_cpu * 1e3:.2f} ms CPU")
    print(f"heartbeat: {hb_wall * 1e3:.2f} ms wall, {hb_cpu * 1e3:.2f} ms client CPU "
          f"({hb_wall / rt_wall:.1f}x / {hb_cpu / rt_cpu:.1f}x the round trip)")  # fmt: skip
    print(f"rebalancing step (release + claim 4 uplinks): {mv_wall * 1e3:.2f} ms wall, {mv_cpu * 1e3:.2f} ms CPU")
    per = BEATS_PER_INTERVAL * hb_wall / owned * 1e6
    per_cpu = BEATS_PER_INTERVAL * hb_cpu / owned * 1e6
    print(f"per camera per interval ({BEATS_PER_INTERVAL} heartbeats): {per:.1f} µs wall, {per_cpu:.1f} µs client CPU")


if __name__ == "__main__":
    main()
