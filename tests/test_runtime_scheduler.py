"""Scheduling: the first sweep is spread, next runs keep their tier with jitter, re-checks and backoff;
the per-uplink limit holds against real (slow) simulated cameras."""

from __future__ import annotations

import random

import pytest
from poller_helpers import credentials, fast_config, running, target, village_specs

from camfleet.config.poller import PollerConfig
from camfleet.model import CheckKind
from camfleet.runtime.poller import Poller
from camfleet.runtime.scheduler import Schedule
from camfleet.simulator import Fault, SimulatedFleet


def test_first_sweep_is_spread_evenly_over_the_interval() -> None:
    """1,000 cameras: every tenth of the 60 s window holds exactly 100 first liveness checks (no stampede)."""
    s = Schedule(PollerConfig(), [CheckKind.LIVENESS], random.Random(3))
    s.add_cameras([f"C{i}" for i in range(1000)], now=0.0)
    dues = [d.due for d in s.heap]
    assert min(dues) >= 0.0 and max(dues) < 60.0
    buckets = [sum(1 for d in dues if 6 * k <= d < 6 * (k + 1)) for k in range(10)]
    assert buckets == [100] * 10


def test_next_runs_keep_tier_with_jitter_recheck_and_dead_backoff() -> None:
    """A normal next run is interval ± jitter after the due time; an unsettled verdict is re-checked after
    recheck_delay_s; a long-dead camera backs off by doubling up to the cap; failing identity runs at the
    liveness pace."""
    cfg = PollerConfig(jitter=0.1, recheck_delay_s=5.0, dead_after_s=100.0, dead_backoff_max_s=900.0)
    s = Schedule(cfg, list(CheckKind), random.Random(1))
    nxt = s.next_after("C1", CheckKind.LIVENESS, 1000.0, 1001.0, unsettled=False, failing=False, dead_for=0.0)
    assert 1054.0 <= nxt <= 1066.0
    assert s.next_after("C1", CheckKind.LIVENESS, 1000.0, 1001.0, unsettled=True, failing=True, dead_for=0) == 1006.0
    steps = []
    for _ in range(6):
        due = s.next_after("C1", CheckKind.LIVENESS, 0.0, 0.0, unsettled=False, failing=True, dead_for=500.0)
        steps.append(round(due / 100) * 100)
    assert steps[0] < steps[1] < steps[2] and max(steps) <= 900 * 1.1
    ident = s.next_after("C2", CheckKind.IDENTITY, 0.0, 0.0, unsettled=False, failing=True, dead_for=0.0)
    assert ident <= 66.0


def test_removed_cameras_leave_no_live_entries() -> None:
    """After remove_camera, nothing of that camera is ever popped."""
    s = Schedule(PollerConfig(), [CheckKind.LIVENESS, CheckKind.IDENTITY], random.Random(2))
    s.add_cameras(["A", "B"], now=0.0)
    s.remove_camera("A")
    assert {d.camera_id for d in s.pop_due(10_000.0)} == {"B"}


def test_a_reload_shortens_pending_waits_and_keeps_the_spread() -> None:
    """Frames go from every 300 s to every 60 s at t=100: each camera's pending wait shrinks by the same
    factor (still spread, all due within the new interval), liveness is untouched, and the next runs use the
    new interval; a longer interval leaves pending runs where they are."""
    s = Schedule(PollerConfig(frame_interval_s=300.0, jitter=0.0), [CheckKind.LIVENESS, CheckKind.FRAME],
                 random.Random(4))  # fmt: skip
    s.add_cameras([f"C{i}" for i in range(100)], now=0.0)
    current = {(d.camera_id, d.kind): d.due for d in s.heap}
    assert len(current) == 200 and max(current.values()) > 250.0
    changed = s.retime(PollerConfig(frame_interval_s=60.0, jitter=0.0), now=100.0)
    assert changed == [CheckKind.FRAME]
    after = {(d.camera_id, d.kind): d.due for d in s.pop_due(1e9)}
    for key, due in current.items():
        if key[1] is CheckKind.LIVENESS:
            assert after[key] == due
        else:
            assert after[key] == pytest.approx(100.0 + max(0.0, due - 100.0) * 0.2)
    frames = sorted(due for (_c, kind), due in after.items() if kind is CheckKind.FRAME)
    assert frames[-1] <= 160.0 and frames[-1] - frames[0] > 30.0  # within the new interval, still spread
    nxt = s.next_after("C1", CheckKind.FRAME, 150.0, 151.0, unsettled=False, failing=False, dead_for=0.0)
    assert nxt == 210.0
    s.add_cameras(["D"], now=200.0)
    pending = {d.kind: d.due for d in s.heap if d.camera_id == "D"}
    assert s.retime(PollerConfig(frame_interval_s=600.0, jitter=0.0), now=200.0) == [CheckKind.FRAME]
    assert {d.kind: d.due for d in s.pop_due(1e9) if d.camera_id == "D"} == pending


@pytest.mark.timeout(120)
async def test_per_uplink_limit_holds_under_load() -> None:
    """Twelve slow cameras behind one uplink, limit 2, global 50: never more than 2 in flight behind that
    uplink, and the limit is actually reached (the test would notice a serialised poller too)."""
    specs = village_specs(3, {"长林村": 12, "短溪村": 4})
    fleet = SimulatedFleet(specs)
    fleet.add_fault(Fault(kind="slow", latency=0.3, village="长林村"))
    cfg = fast_config(per_uplink_concurrency=2, concurrency=50, degraded_latency_s=5.0)
    async with running(fleet):
        poller = Poller(cfg, [target(s) for s in specs], credentials())
        await poller.sweep_once("liveness")
    peaks = poller.fleet.counters.max_in_flight_by_uplink
    assert peaks["东山镇/长林村"] == 2 and peaks["东山镇/短溪村"] == 2
    assert poller.fleet.status_counts() == {"ok": 16}
    assert poller.fleet.counters.in_flight == 0
