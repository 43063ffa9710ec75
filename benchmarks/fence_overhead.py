"""The cost of fenced state writes: one write batch with and without the lease check, on PostgreSQL.

Run: .venv/bin/python benchmarks/fence_overhead.py [CAMERAS] [REPEAT]
The measured instance holds half of ``CAMERAS`` (uplinks of 40, as in scaling_overhead.py). Two batch sizes:
the states changed in one write interval at production pace (each camera checked every 60 s, a batch every
2 s: 1/30 of its cameras), and every camera it holds at once (a flush before a release, or catch-up).
Batches alternate fenced and unfenced so both see the same table and cache state; medians of ``REPEAT``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from pg_scratch import PER_UPLINK, scratch_database

from camfleet.inventory.leases import LeaseStore
from camfleet.inventory.store import Store
from camfleet.model import CameraState, Status, WriteFence


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU (this thread) of one call, seconds."""
    t0, c0 = time.perf_counter(), time.thread_time()
    fn()
    return time.perf_counter() - t0, time.thread_time() - c0


def main() -> None:
    cameras = int(sys.argv[1]) if len(sys.argv) > 1 else 5500
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    with scratch_database() as url:
        units = [f"uplink-{i:03d}" for i in range(-(-cameras // PER_UPLINK))]
        mine = units[: len(units) // 2]
        unit_of = {f"C{u}-{i:02d}": u for u in mine for i in range(PER_UPLINK)}
        leases, store = LeaseStore(url), Store(url)
        leases.sync_units(dict.fromkeys(units, PER_UPLINK))
        won = leases.claim("i0", mine, 3600.0)
        fence = WriteFence("i0", unit_of, {u: w.epoch for u, w in won.items()})
        ids = sorted(unit_of)
        print(f"{cameras} cameras, this instance holds {len(mine)} uplinks ({len(ids)} cameras); medians of {repeat}")
        for label, size in (("one write interval (1/30)", max(len(ids) // 30, 1)), ("every camera held", len(ids))):
            step = max(len(ids) // size, 1)
            batch_ids = ids[::step][:size]
            walls: dict[bool, list[float]] = {False: [], True: []}
            cpus: dict[bool, list[float]] = {False: [], True: []}
            for n in range(repeat):
                states = [CameraState(c, Status.OK, last_probe_at=float(n)) for c in batch_ids]
                for fenced in (n % 2 == 0, n % 2 == 1):
                    wall, cpu = timed(lambda s=states, f=fenced: store.write_batch([], s, fence if f else None))
                    walls[fenced].append(wall)
                    cpus[fenced].append(cpu)
            w0, w1 = statistics.median(walls[False]), statistics.median(walls[True])
            c0, c1 = statistics.median(cpus[False]), statistics.median(cpus[True])
            print(f"{label}: {len(batch_ids)} states in {len({unit_of[c] for c in batch_ids})} uplinks")
            print(f"  unfenced  wall {w0 * 1e3:7.2f} ms  client CPU {c0 * 1e3:6.2f} ms")
            print(f"  fenced    wall {w1 * 1e3:7.2f} ms  client CPU {c1 * 1e3:6.2f} ms")
            print(f"  check     wall {(w1 - w0) * 1e3:+7.2f} ms  client CPU {(c1 - c0) * 1e3:+6.2f} ms")
        store.close()
        leases.close()


if __name__ == "__main__":
    main()
