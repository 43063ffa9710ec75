"""One confirmed pass over the fleet: every camera checked, every new failure re-checked until it counts.

Each camera runs its kinds in order (liveness first; the others only when it answered; discovery only when
its findings are older than ``discovery_interval_s``). Then, while any
verdict awaits confirmation, the unsettled checks run again after ``recheck_delay_s`` — at most
``max(fail_threshold, recover_threshold)`` rounds, so a sweep always ends with a definite status.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from camfleet.model import CameraTarget, CheckKind
from camfleet.runtime.checks import CheckRunner
from camfleet.runtime.fleet import FleetState
from camfleet.runtime.health import HealthMachine

_BATCH = 16
#: ``progress(done, total)``; ``total`` grows when re-checks are added.
Progress = Callable[[int, int], None]


class _Tally:
    def __init__(self, total: int, progress: Progress | None) -> None:
        self.done = 0
        self.total = total
        self.progress = progress

    def add(self, n: int) -> None:
        self.total += n
        self.tick(0)

    def tick(self, n: int = 1) -> None:
        self.done += n
        if self.progress is not None:
            self.progress(self.done, self.total)


async def _camera(runner: CheckRunner, target: CameraTarget, kinds: Sequence[CheckKind], tally: _Tally) -> None:
    for kind in kinds:
        if runner.should_skip(target.camera_id, kind):
            break
        if kind is CheckKind.DISCOVERY and runner.media_fresh(target.camera_id):
            # Profiles and URIs found within the discovery interval are still good (the scheduler re-discovers
            # hourly too): four authenticated calls, ~70 % of a full check's event-loop CPU, saved per camera.
            continue
        await runner.run(target, kind)
    tally.tick()


async def _recheck(runner: CheckRunner, target: CameraTarget, kinds: Sequence[CheckKind], tally: _Tally) -> None:
    for kind in kinds:
        if not runner.should_skip(target.camera_id, kind):
            await runner.run(target, kind)
    tally.tick()


async def run_sweep(
    runner: CheckRunner,
    fleet: FleetState,
    health: HealthMachine,
    targets: Sequence[CameraTarget],
    kinds: Sequence[CheckKind],
    progress: Progress | None = None,
) -> None:
    """Run the sweep; results go through ``runner.feed`` like scheduled checks."""
    started = time.monotonic()
    tally = _Tally(len(targets), progress)
    tasks = []
    for i, t in enumerate(targets):
        tasks.append(asyncio.create_task(_camera(runner, t, kinds, tally)))
        if i % _BATCH == _BATCH - 1:
            # A new task runs straight into its first connection attempt while free slots remain: 256 tasks
            # released in one pass opened 256 sockets in one go (~50 ms of loop time). Yield every few.
            await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    cfg = runner.cfg
    for _round in range(max(cfg.fail_threshold, cfg.recover_threshold)):
        todo = [(t, health.unsettled(t.camera_id)) for t in targets]
        todo = [(t, [k for k in kinds if k in ks]) for t, ks in todo if ks]
        if not todo:
            break
        tally.add(len(todo))
        await asyncio.sleep(cfg.recheck_delay_s)
        await asyncio.gather(*(_recheck(runner, t, ks, tally) for t, ks in todo))
    fleet.counters.sweeps += 1
    fleet.counters.last_sweep_duration_s = time.monotonic() - started
    fleet.counters.last_sweep_finished_at = runner.clock()
