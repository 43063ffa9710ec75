"""Three camfleet instances (child processes) share one simulated fleet through the real PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import re
import signal
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from poller_helpers import running
from scaling_helpers import Instance, Logs, cluster_specs, ownership_intervals, read_logs, targets_json

from camfleet.inventory import db
from camfleet.inventory.leases import LeaseStore
from camfleet.inventory.store import Store
from camfleet.simulator import SimulatedFleet

INTERVAL = 3.0  # liveness interval of the test (production: 60 s)
LEASE = INTERVAL / 2  # the recommended ratio: takeover ≤ lease + heartbeat + one interval of spread < 2 intervals
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(240)]


async def until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``check`` (in a thread: it may query the database) until true; fail naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            pytest.fail(f"not reached within {timeout_s:.0f} s: {what}")
        await asyncio.sleep(0.2)


def balanced(leases: LeaseStore, weights: dict[str, int], names: set[str]) -> bool:
    """Every unit owned, by exactly ``names``, each within one largest unit of the fair share."""
    owners = leases.owners()
    if any(o is None for o in owners.values()) or set(owners.values()) != names:
        return False
    share, biggest = sum(weights.values()) / len(names), max(weights.values())
    return all(abs(sum(weights[u] for u, o in owners.items() if o == n) - share) <= biggest for n in names)


def steady_checks(logs: Logs, cameras: set[str], start: float, end: float) -> dict[str, str]:
    """Within [start, end): per camera and per liveness interval, the instances that probed it — never two;
    no gap between its liveness checks longer than 1.5 intervals. Returns each camera's one prober."""
    seen: dict[tuple[str, int], set[str]] = defaultdict(set)
    starts: dict[str, list[float]] = defaultdict(list)
    for inst, cam, kind, t0, _t1 in logs.probes:
        if start <= t0 < end:
            seen[(cam, int((t0 - start) // INTERVAL))].add(inst)
            if kind == "liveness":
                starts[cam].append(t0)
    doubles = {key: insts for key, insts in seen.items() if len(insts) > 1}
    assert not doubles, f"polled by two instances in one interval: {doubles}"
    for cam in cameras:
        times = [start, *starts[cam], end]
        gap = max(b - a for a, b in itertools.pairwise(times))
        assert gap <= 1.5 * INTERVAL, f"{cam}: {gap:.1f} s without a liveness check"
    return {cam: next(iter(insts)) for (cam, _w), insts in seen.items()}


def no_overlap(logs: Logs, kill_times: dict[str, list[float]]) -> int:
    """No two instances ever own (and so probe) a camera at the same time; every probe ran while its
    instance owned the camera. Returns the number of handovers seen."""
    intervals = ownership_intervals(logs, kill_times)
    handovers = 0
    for cam, spans in intervals.items():
        spans.sort(key=lambda s: s[1])
        for (i1, _a1, b1), (i2, a2, _b2) in itertools.pairwise(spans):
            if i1 != i2:
                assert b1 <= a2, f"{cam}: {i1} owned it until {b1:.3f}, {i2} from {a2:.3f}"
                handovers += 1
    for inst, cam, _kind, t0, _t1 in logs.probes:
        assert any(i == inst and a <= t0 <= b for i, a, b in intervals[cam]), f"{inst} probed {cam} unowned"
    return handovers


async def test_three_instances_poll_each_camera_exactly_once_and_survive_a_kill(pg_url: str, tmp_path: Path) -> None:
    """Three instances against one PostgreSQL and 75 simulated cameras behind 15 uplinks (3–7 each):
    balanced at start; per interval no camera is polled by two instances and none goes unchecked; no two
    instances ever own a camera at once. SIGKILL one: its cameras are checked by the others within two
    intervals. Restart it: the load rebalances and the steady checks hold again. Each instance's /metrics
    shows only its own cameras; graceful stops release every lease; the shared DB has every camera's state."""
    await asyncio.to_thread(db.upgrade, pg_url)
    specs = cluster_specs(15)
    cameras = {s.camera_id for s in specs}
    weights: dict[str, int] = defaultdict(int)
    for s in specs:
        weights[s.uplink] += 1
    tjson = targets_json(specs, tmp_path / "targets.json")
    leases = await asyncio.to_thread(LeaseStore, pg_url)
    a, b, c = (Instance(n, tmp_path / f"{n}.log") for n in "abc")
    c2 = Instance("c", tmp_path / "c-restarted.log")
    everyone = [a, b, c, c2]
    async with running(SimulatedFleet(specs)):
        try:
            for inst in (a, b, c):
                inst.start(pg_url, tjson, INTERVAL, LEASE)
            await until(lambda: balanced(leases, weights, {"a", "b", "c"}), 90, "three instances balanced")
            phase_a = (time.time(), time.time() + 3 * INTERVAL)
            await asyncio.sleep(1.5 * INTERVAL)
            for inst in (a, b, c):
                inst.signal(signal.SIGUSR1)  # each writes its /metrics mid-phase
            await asyncio.sleep(phase_a[1] - time.time())
            owned_by_c = {s.camera_id for s in specs if (await asyncio.to_thread(leases.owners))[s.uplink] == "c"}
            t_kill = await asyncio.to_thread(c.kill)
            await until(lambda: balanced(leases, weights, {"a", "b"}), 30, "survivors took every unit")
            await asyncio.sleep(max(0.0, t_kill + 2 * INTERVAL + 1.0 - time.time()))
            phase_b = (time.time(), time.time() + 2 * INTERVAL)
            await asyncio.sleep(2 * INTERVAL)
            c2.start(pg_url, tjson, INTERVAL, LEASE)
            t_back = time.time()
            await until(lambda: balanced(leases, weights, {"a", "b", "c"}), 60, "rebalanced after the restart")
            t_balanced = time.time()
            await asyncio.sleep(INTERVAL)  # the newcomer's first checks are spread over one interval
            phase_c = (time.time(), time.time() + 3 * INTERVAL)
            await asyncio.sleep(3 * INTERVAL)
        finally:
            for inst in everyone:
                if inst.proc is not None and inst.proc.poll() is None:
                    inst.signal(signal.SIGTERM)
            codes = [await asyncio.to_thread(inst.stop) for inst in everyone if inst.proc is not None]
    errors = {i.name: i.log.with_suffix(".stderr").read_text(encoding="utf-8")[-2000:] for i in everyone}
    assert codes == [0, 0, -9, 0], f"exit codes {codes} (c was the one killed); stderr: {errors}"
    logs = read_logs(everyone)

    handovers = no_overlap(logs, {"c": [t_kill]})
    for phase, names in ((phase_a, {"a", "b", "c"}), (phase_b, {"a", "b"}), (phase_c, {"a", "b", "c"})):
        probers = steady_checks(logs, cameras, *phase)
        assert set(probers) == cameras and set(probers.values()) == names

    first_after: dict[str, float] = {}
    for prober, cam, _kind, t0, _t1 in logs.probes:
        if cam in owned_by_c and prober != "c" and t0 > t_kill:
            first_after.setdefault(cam, t0)
    assert set(first_after) == owned_by_c
    takeover = max(first_after.values()) - t_kill
    assert takeover <= 2 * INTERVAL, f"slowest takeover {takeover:.2f} s"

    exported = {}
    for inst in (a, b, c):
        text = Path(str(inst.log) + ".metrics").read_text(encoding="utf-8")
        exported[inst.name] = set(re.findall(r'^camfleet_camera_up\{camera="([^"]+)"\}', text, re.M))
        owned = float(re.search(r"^camfleet_cluster_owned_cameras (\S+)$", text, re.M).group(1))  # type: ignore[union-attr]
        assert owned == len(exported[inst.name])
    assert sum(len(v) for v in exported.values()) == len(cameras)
    assert set().union(*exported.values()) == cameras

    owners = await asyncio.to_thread(leases.owners)
    assert set(owners.values()) == {None}  # graceful stops gave every lease back
    assert not (await asyncio.to_thread(leases.heartbeat, "observer", 1.0)).instances.keys() - {"observer"}
    leases.close()
    with Store(pg_url) as store:
        states = store.load_states()
    assert cameras <= set(states) and all(states[c].status.is_up for c in cameras)  # written by their owners
    print(
        f"\nhandovers {handovers}; takeover after kill {takeover:.2f} s (bound {2 * INTERVAL:.1f}); "
        f"rebalanced {t_balanced - t_back:.2f} s after the restart"
    )
