"""Two instances against one instance on the simulated district (5,500 cameras, 40 per uplink).

Run: .venv/bin/python benchmarks/scaling_instances.py [N] [SECONDS]
The simulator runs in its own process; each instance is a child process running Poller + Ownership on a
fresh PostgreSQL database. The liveness interval is set so short (1 s) that demand exceeds what one
instance can do: the figure is the liveness checks per second the instances achieve together, measured
over the same window for 1 and for 2 instances in the same run (1 → 2 → 1, the baseline twice), plus each
instance's CPU per check and the client-side cost of its heartbeats.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid

from poller_common import config, credentials, start_simulator, stop_simulator, targets

NET_BASE = 72
ADMIN = os.environ.get("CAMFLEET_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def instance(url: str, name: str, n: int, warm_s: float, measure_s: float) -> None:
    """Child side: poll the cameras this instance owns; print one JSON line of figures."""
    from camfleet.inventory.leases import LeaseStore
    from camfleet.inventory.store import Store
    from camfleet.runtime.ownership import Ownership, PollerBinding
    from camfleet.runtime.poller import Poller

    tgts = targets(n, NET_BASE)
    cfg = config(liveness_interval_s=1.0, identity_interval_s=3600.0, discovery_interval_s=3600.0)
    store = Store(url)
    poller = Poller(cfg, [], credentials(), store)
    leases = LeaseStore(url)
    spent = [0.0, 0.0, 0]  # wall, client CPU (this thread), heartbeats

    def timed_heartbeat(instance_id: str, lease_s: float, started_at: float = 0.0) -> object:
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return LeaseStore.heartbeat(leases, instance_id, lease_s, started_at)
        finally:
            spent[0] += time.perf_counter() - t0
            spent[1] += time.thread_time() - c0
            spent[2] += 1

    leases.heartbeat = timed_heartbeat  # type: ignore[method-assign,assignment]
    binding = PollerBinding(poller, tgts, store)
    coord = Ownership(leases, name, lease_s=30.0, heartbeat_s=2.0, targets=tgts, on_change=binding.apply)
    await poller.start()
    await coord.start()
    await asyncio.sleep(warm_s)
    probes0, cpu0, hb0 = sum(poller.fleet.counters.probes.values()), time.process_time(), list(spent)
    await asyncio.sleep(measure_s)
    probes = sum(poller.fleet.counters.probes.values()) - probes0
    cpu = time.process_time() - cpu0
    beats = spent[2] - hb0[2]
    print(json.dumps({
        "name": name, "owned": len(coord.owned), "probes": probes, "cpu": cpu, "beats": beats,
        "hb_wall": (spent[0] - hb0[0]) / max(beats, 1), "hb_cpu": (spent[1] - hb0[1]) / max(beats, 1),
    }), flush=True)  # fmt: skip
    await coord.stop()
    await poller.stop()
    store.close()


async def run_instances(url: str, k: int, n: int, warm_s: float, measure_s: float) -> list[dict[str, float]]:
    """Start ``k`` instances at once; collect their figures."""
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--instance",
            url,
            f"i{i}",
            str(n),
            str(warm_s),
            str(measure_s),
            stdout=asyncio.subprocess.PIPE,
        )
        for i in range(k)
    ]
    out = []
    try:
        for proc in procs:
            stdout, _ = await asyncio.wait_for(proc.communicate(), warm_s + measure_s + 120)
            out.append(json.loads(stdout.decode().strip().splitlines()[-1]))
    finally:
        for proc in procs:  # never leave an instance behind (by PID)
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    return out


async def main() -> None:
    import psycopg

    from camfleet.inventory import db

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5500
    measure_s = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    warm_s = 12.0  # registration, a heartbeat of claims, the first spread interval, rebalancing of 2
    name = f"camfleet_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{ADMIN.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
    sim = await start_simulator(n, NET_BASE)
    try:
        db.upgrade(url)
        rows = []
        for k in (1, 2, 1):
            figures = await run_instances(url, k, n, warm_s, measure_s)
            rate = sum(f["probes"] for f in figures) / measure_s
            cpu_per = sum(f["cpu"] for f in figures) / max(sum(f["probes"] for f in figures), 1) * 1e6
            hb_wall = max(f["hb_wall"] for f in figures) * 1000
            hb_cpu = max(f["hb_cpu"] for f in figures) * 1000
            rows.append((k, rate, cpu_per, hb_wall, hb_cpu, [int(f["owned"]) for f in figures]))
            print(f"  {k} instance(s): {rate:.0f} checks/s, {cpu_per:.0f} µs CPU/check, heartbeat "
                  f"{hb_wall:.1f} ms wall / {hb_cpu:.2f} ms client CPU, owned {rows[-1][5]}", flush=True)  # fmt: skip
    finally:
        await stop_simulator(sim)
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    base = (rows[0][1] + rows[2][1]) / 2
    print(f"cameras {n}, liveness interval 1 s (demand {n}/s), window {measure_s:.0f} s")
    print(f"1 instance (mean of before/after): {base:.0f} checks/s; 2 instances: {rows[1][1]:.0f} checks/s")
    print(f"ratio 2/1: {rows[1][1] / base:.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--instance":
        asyncio.run(instance(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])))
    else:
        asyncio.run(main())
