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
