"""The Poller: the runtime API the service, the CLI and the metrics build on.

::

    poller = Poller(cfg, targets, credentials, sink, frame_probe=None)   # vision.enabled: frames built in
    await poller.start()                    # load stored states, open the session, start scheduling
    await poller.run_until(stop_event)      # start (if needed), wait for the event, stop
    await poller.stop(deadline_s=10.0)      # stop scheduling, let checks finish, final write, close
    states = await poller.sweep_once("liveness" | "identity" | "full", progress=cb)   # one confirmed pass, no scheduler
    async with poller.opened(): ...         # keep session, clients and memories across several sweep_once
    poller.update_targets(targets)          # inventory changed (added, removed, re-addressed cameras)
    poller.fleet                            # FleetState: targets, states, counters (read-only for others)
    unsubscribe = poller.subscribe(cb)      # cb(Transition) on every status change
    poller.frames                           # FrameChecks (pool, per-camera memories) or None
    poller.events                           # CameraEvents (pull points, claims; docs/poller.md) or None
    await poller.reset_baseline(camera_id)  # forget a camera's picture baseline (memory and store)

With ``cfg.vision.enabled`` and no ``frame_probe`` given, the poller builds its own picture checks
(``runtime/frames.py``): one process pool, a memory per camera, baselines loaded from and written to a
sink that is also a ``PictureSink`` (``runtime/baselines.py``), evidence pictures of confirmed faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence

from camfleet.config import CamfleetConfig, CredentialStore
from camfleet.config.poller import PollerConfig
from camfleet.heap import tune_heap
from camfleet.model import CameraState, CameraTarget, CheckKind, Status
from camfleet.onvif.client import OnvifClientFactory
from camfleet.probe.context import Probe, ProbeContext
from camfleet.probe.discovery import probe_discovery
from camfleet.probe.identity import probe_identity
from camfleet.probe.liveness import probe_liveness
from camfleet.runtime.baselines import PictureKeeper
from camfleet.runtime.camera_events import CameraEvents
from camfleet.runtime.checks import CheckRunner, Subscriber
from camfleet.runtime.fleet import FleetState
from camfleet.runtime.frames import FrameChecks
from camfleet.runtime.gcfreeze import FULL_COLLECTION_S, thaw, timed_collect, timed_freeze, timed_trim
from camfleet.runtime.health import HealthMachine
from camfleet.runtime.scheduler import Due, Schedule
from camfleet.runtime.sink import PictureSink, StateSink
from camfleet.runtime.sweep import Progress, run_sweep
from camfleet.runtime.writer import StateWriter

log = logging.getLogger(__name__)
#: What a sweep runs after liveness: identity authenticates; full also discovers and judges a picture.
SWEEP_KINDS: dict[str, tuple[CheckKind, ...]] = {
    "liveness": (),
    "identity": (CheckKind.IDENTITY,),
    "full": (CheckKind.IDENTITY, CheckKind.DISCOVERY, CheckKind.FRAME),
}
_DOWN = (Status.OFFLINE, Status.UPLINK_DOWN)


class Poller:
    """Health of a whole fleet from one process (see the module docstring for the API)."""

    def __init__(
        self,
        cfg: CamfleetConfig,
        targets: Sequence[CameraTarget],
        credentials: CredentialStore,
        sink: StateSink | None = None,
        *,
        frame_probe: Probe | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.cfg = cfg
        self.sink = sink
        self.clock = clock
        self.fleet = FleetState(targets={t.camera_id: t for t in targets})
        self.health = HealthMachine(cfg.poller, fault_threshold=cfg.vision.fault_threshold)
        self.fleet.states = self.health.states
        self.onvif = OnvifClientFactory(cfg.poller)
        self.ctx = ProbeContext(cfg.poller, self.onvif, credentials, clock=clock)
        probes: dict[CheckKind, Probe] = {
            CheckKind.LIVENESS: probe_liveness,
            CheckKind.IDENTITY: probe_identity,
            CheckKind.DISCOVERY: probe_discovery,
        }
        self.frames: FrameChecks | None = None
        self.pictures: PictureKeeper | None = None
        if frame_probe is None and cfg.vision.enabled:
            self.frames = FrameChecks(cfg, clock)
            self.pictures = PictureKeeper(sink if isinstance(sink, PictureSink) else None, self.frames, clock)
            self.pictures.owns = self.fleet.targets.__contains__
            self.frames.reviews.states = self.health.states  # baseline states shown with each camera's state
            self.frames.claim_of = self._claim_of
            self.frames.claim_pending = self._claim_pending
            self.frames.model_of = self._model_of
            frame_probe = self.frames.probe
        if frame_probe is not None:
            probes[CheckKind.FRAME] = frame_probe
        self.writer = StateWriter(
            sink,
            self.health.states,
            interval_s=cfg.database.write_interval_s,
            buffer_limit=cfg.database.buffer_limit,
            clock=clock,
            counters=self.fleet.counters,  # the writer counts into the poller's counters: /metrics reads them
        )
        self.runner = CheckRunner(cfg.poller, probes, self.ctx, self.health, self.fleet, self.writer, clock)
        if self.frames is not None:
            self.runner.subscribers.append(self.frames.on_transition)  # evidence of confirmed image faults
        self.schedule = Schedule(cfg.poller, tuple(probes), rng)
        # Camera-side tamper events (``[events]``): their own rounds and limits, never a camera status.
        self.events: CameraEvents | None = None
        if cfg.events.enabled:
            self.events = CameraEvents(cfg.events, self.ctx, self.health, self.fleet, clock, rng)
            self.runner.subscribers.append(self.events.on_transition)
        self._opened = False
        self._running = False
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._background: list[asyncio.Task[None]] = []
        #: When to freeze the process's objects (``gcfreeze``): once every camera has had each check.
        self._freeze_at: float | None = None
        #: When to run the next full collection (``gcfreeze``): only while the fleet is frozen.
        self._collect_at: float | None = None

    def _claim_of(self, camera_id: str) -> tuple[Status, ...]:
        """The faults the camera's own tamper events claim now (none while its claim is not known)."""
        state = self.health.states.get(camera_id)
        claim = state.camera_events if state is not None else None
        return claim.faults if claim is not None and claim.known else ()

    def _claim_pending(self, camera_id: str) -> bool:
        """Camera events are read but this camera's not yet (a failed read counts as read: no wait for ever; an
        RTSP-only camera has none to wait for)."""
        state = self.health.states.get(camera_id)
        events = self.events
        return events is not None and state is not None and state.camera_events is None and events.reads(camera_id)

    def _model_of(self, camera_id: str) -> str:
        """The camera's model from its identity check (empty while unknown): its peers are of the same model."""
        state = self.health.states.get(camera_id)
        return state.identity.model if state is not None and state.identity is not None else ""

    # ------------------------------------------------------------------ lifecycle
    async def _open(self) -> None:
        if self._opened:
            return
        tune_heap()  # before the first pictures: they would move glibc's mmap threshold (camfleet/heap.py)
        stored: dict[str, CameraState] = {}
        if self.sink is not None:
            # Resume from the database so a restart does not re-announce faults already recorded.
            stored = await asyncio.to_thread(self.sink.load_states)
        for t in self.fleet.targets.values():
            self.health.add_camera(t.camera_id, t.uplink, stored.get(t.camera_id), recorder=t.recorder)
        if self.pictures is not None:
            # Before the first frame check: a restart judges against what was learned before it. Identities are
            # restored above, so each stored baseline joins its model's peers as it is read (runtime/peers.py).
            await self.pictures.load()
            assert self.frames is not None
            self.frames.reviews.publish_all()
        await self.onvif.start()
        self.fleet.started_at = self.clock()
        self._opened = True

    async def _close(self) -> None:
        if self.events is not None:
            await self.events.close()  # unsubscribe while the session and client handles are still open
        await self.writer.flush()
        if self.pictures is not None:
            await self.pictures.flush()
        if self.frames is not None:
            await self.frames.close()
        self._sync_counters()
        await self.onvif.close()
        thaw()  # the clients dropped below hold reference cycles: let the collector free them
        self._freeze_at = self._collect_at = None
        # The per-camera client handles are bound to the session just closed: a later sweep or start() opens
        # a new session and must build new handles (symptom: "RuntimeError: Session is closed" as
        # protocol_error on every authenticated call of a second sweep_once).
        self.ctx.clients.clear()
        self._opened = False

    @contextlib.asynccontextmanager
    async def opened(self) -> AsyncIterator[Poller]:
        """Open once for several ``sweep_once`` calls, without the scheduler: the session, its kept-alive
        connections and the per-camera clients stay between them, as in the running service (each
        ``sweep_once`` alone opens and closes them, and rebuilds every client)."""
        await self._open()
        try:
            yield self
        finally:
            if not self._running:
                await self._close()

    async def start(self) -> None:
        """Load stored states, open the shared session and start the scheduler and the writer."""
        if self._running:
            return
        await self._open()
        self._running = True
        self._stop.clear()
        self.schedule.add_cameras(list(self.fleet.targets), self.clock())
        self._plan_freeze()
        self._background = [
            asyncio.create_task(self._dispatch(), name="camfleet-dispatch"),
            asyncio.create_task(self.writer.run(self._stop), name="camfleet-writer"),
        ]
        if self.pictures is not None:
            keeper = self.pictures.run(self._stop, self.cfg.database.write_interval_s)
            self._background.append(asyncio.create_task(keeper, name="camfleet-pictures"))
        if self.events is not None:
            self.events.add_cameras(list(self.fleet.targets), self.clock())
            self._background.append(asyncio.create_task(self.events.run(self._stop), name="camfleet-events"))

    async def run_until(self, stop_event: asyncio.Event) -> None:
        """Start if needed, poll until ``stop_event`` is set, then stop."""
        await self.start()
        await stop_event.wait()
        await self.stop()

    async def stop(self, deadline_s: float = 10.0) -> None:
        """Stop scheduling; give running checks ``deadline_s`` to finish; write everything; close."""
        if not self._running:
            if self._opened:
                await self._close()
            return
        self._running = False
        self._stop.set()
        self._wake.set()
        # The dispatcher is cancelled; the writer is not (a cancelled write could land after the final one and
        # overwrite newer states): it sees the stop event, finishes its flush and returns.
        self._background[0].cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=deadline_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._close()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(transition)`` on every status change; returns the unsubscribe function."""
        self.runner.subscribers.append(callback)
        return lambda: self.runner.subscribers.remove(callback) if callback in self.runner.subscribers else None

    # ------------------------------------------------------------------ inventory changes
    def update_targets(self, targets: Sequence[CameraTarget]) -> None:
        """Apply a new inventory: added cameras start (spread over a liveness interval), removed ones stop
        and vanish, re-addressed ones are re-discovered soon."""
        new = {t.camera_id: t for t in targets}
        now = self.clock()
        removed = set(self.fleet.targets) - set(new)
        readdressed = False
        for camera_id in removed:
            self.fleet.targets.pop(camera_id)
            self.schedule.remove_camera(camera_id)
            self.health.remove_camera(camera_id)
            self.ctx.forget(camera_id)
            if self.frames is not None:
                self.frames.forget(camera_id)
            if self.events is not None:
                self.events.forget(camera_id)
        added = [cid for cid in new if cid not in self.fleet.targets]
        for camera_id, target in new.items():
            old = self.fleet.targets.get(camera_id)
            self.fleet.targets[camera_id] = target
            self.health.add_camera(camera_id, target.uplink, recorder=target.recorder)
            if old is not None and old != target and self._running:
                readdressed = True
                self.ctx.media.pop(camera_id, None)
                if self.events is not None:
                    self.events.readdressed(camera_id)
                for kind in self.schedule.kinds:
                    self.schedule.push(camera_id, kind, now + self.rng_delay())
        if self._running and (added or removed or readdressed):
            # Clients replaced or dropped leave cycles the collector must see; new cameras build new ones.
            thaw()
            self._plan_freeze()
        if added and self._running:
            self.schedule.add_cameras(added, now)
            if self.events is not None:
                self.events.add_cameras(added, now)
        self._wake.set()

    def apply_pacing(self, poller_cfg: PollerConfig) -> list[CheckKind]:
        """A reload's new check intervals, jitter, re-check delay and dead-camera backoff (see
        ``Schedule.retime``); the kinds whose interval changed. Limits and timeouts need a restart."""
        changed = self.schedule.retime(poller_cfg, self.clock())
        self._wake.set()
        return changed

    def _plan_freeze(self) -> None:
        """Freeze once every camera has had each of its checks: one first window (the longest) from now,
        plus the longest a check may take."""
        window = max(self.schedule.first_window(kind) for kind in self.schedule.kinds)
        self._freeze_at = self.clock() + window + self.cfg.poller.frame_timeout_s

    def _freeze_if_due(self) -> None:
        if self._freeze_at is None or self.clock() < self._freeze_at:
            return
        self._freeze_at = None
        frozen, pause_ms = timed_freeze()
        self._collect_at = self.clock() + FULL_COLLECTION_S
        log.info("froze %d long-lived objects out of the garbage collector's walks (%.0f ms)",
                 frozen, pause_ms)  # fmt: skip

    def _collect_if_due(self) -> None:
        """A full collection every ``FULL_COLLECTION_S`` while the fleet is frozen: the closed connections'
        cycles would otherwise wait for CPython's rare full collections (``gcfreeze``). Not while thawed: a
        full collection would then walk every camera's client and state (the long pause the freeze avoids)."""
        if self._collect_at is None or self._freeze_at is not None or self.clock() < self._collect_at:
            return
        found, wall_ms, cpu_ms = timed_collect()
        trimmed_ms = timed_trim()
        self._collect_at = self.clock() + FULL_COLLECTION_S
        self.fleet.counters.gc_full_collections += 1
        self.fleet.counters.gc_full_last_s = wall_ms / 1000
        log.info("full garbage collection: %d unreachable objects freed, %.0f ms (%.0f ms CPU); heap trim %.0f ms",
                 found, wall_ms, cpu_ms, trimmed_ms)  # fmt: skip

    def rng_delay(self) -> float:
        """A short random delay (seconds) for checks brought forward, so they do not start together."""
        return self.schedule.rng.uniform(0, max(self.schedule.cfg.recheck_delay_s, 1.0))

    # ------------------------------------------------------------------ scheduling
    async def _dispatch(self) -> None:
        while self._running:
            now = self.clock()
            for item in self.schedule.pop_due(now):
                task = asyncio.create_task(self._scheduled(item))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            self._sync_counters()
            self._freeze_if_due()
            self._collect_if_due()
            next_due = self.schedule.next_due()
            delay = 1.0 if next_due is None else min(max(next_due - self.clock(), 0.0), 1.0)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _scheduled(self, item: Due) -> None:
        target = self.fleet.targets.get(item.camera_id)
        if target is None:
            return
        before = self.health.states.get(item.camera_id)
        was_down = before is not None and before.status in _DOWN
        if not self.runner.should_skip(item.camera_id, item.kind):
            await self.runner.run(target, item.kind, item.due)
        state = self.health.states.get(item.camera_id)
        if state is None or item.camera_id not in self.fleet.targets:
            return
        now = self.clock()
        if item.kind is CheckKind.LIVENESS and was_down and state.status not in _DOWN:
            # Back from the dead: learn soon whether it is still the same device with the same media.
            for kind in self.schedule.kinds:
                if kind is not CheckKind.LIVENESS:
                    self.schedule.push(item.camera_id, kind, now + self.rng_delay())
        verdict = self.health.confirmed(item.camera_id, item.kind)
        dead_for = now - state.since if state.status in _DOWN else 0.0
        self.schedule.push(
            item.camera_id,
            item.kind,
            self.schedule.next_after(
                item.camera_id,
                item.kind,
                item.due,
                now,
                unsettled=item.kind in self.health.unsettled(item.camera_id),
                failing=verdict.status not in (Status.OK, Status.UNKNOWN),
                dead_for=dead_for,
            ),
        )
        self._wake.set()

    def _sync_counters(self) -> None:
        """The one gauge measured rather than counted (the writer counts into ``fleet.counters`` itself)."""
        self.fleet.counters.queue_depth = self.runner.waiting + self.schedule.overdue(self.clock())

    # ------------------------------------------------------------------ one-off sweep
    async def sweep_once(self, checks: str = "liveness", progress: Progress | None = None) -> dict[str, CameraState]:
        """Check every camera once, re-check each new failure until confirmed, persist, return the states.

        Opens (and afterwards closes) the session itself unless ``start()`` already did.
        """
        opened_here = not self._opened
        await self._open()
        try:
            kinds = [CheckKind.LIVENESS]
            if checks not in SWEEP_KINDS:
                raise ValueError(f"checks must be one of {', '.join(SWEEP_KINDS)}, not {checks!r}")
            kinds += [k for k in SWEEP_KINDS[checks] if k in self.runner.probes]
            targets = list(self.fleet.targets.values())
            if self.frames is not None:
                self.frames.begin_sweep()  # the frames judging needs (with vision.sweep_learns: learning too)
            # Baselines are written while the sweep goes on, as the service writes them: only what is written may
            # leave memory (vision.resident_mib), so a sweep that wrote only at its end held every one.
            keeper_stop = asyncio.Event()
            keeper = None
            if self.pictures is not None and not self._running:
                keeper = asyncio.create_task(self.pictures.run(keeper_stop, self.cfg.database.write_interval_s))
            try:
                if checks == "full" and self.events is not None and CheckKind.FRAME in kinds:
                    await self._sweep_claims_then_frames(targets, kinds, progress)
                else:
                    await run_sweep(self.runner, self.fleet, self.health, targets, kinds, progress)
                    if CheckKind.FRAME in kinds:
                        await self._wanted_frames(targets)
                        await self._confirm_frames(targets)
                    if checks == "full" and self.events is not None:
                        await self.events.sweep(targets)  # the cameras' own claims, beside the frames' verdicts
            finally:
                if self.frames is not None:
                    self.frames.learn_burst = False
                keeper_stop.set()
                if keeper is not None:
                    await keeper
            await self.writer.flush()
            if self.pictures is not None:
                await self.pictures.flush()
            self._sync_counters()
        finally:
            if opened_here:
                await self._close()
            if checks == "full":  # every picture of the sweep is freed: give their pages back
                trimmed_ms = timed_trim()
                log.debug("heap trimmed after the sweep in %.1f ms", trimmed_ms)
        return dict(self.health.states)

    async def _sweep_claims_then_frames(
        self, targets: Sequence[CameraTarget], kinds: Sequence[CheckKind], progress: Progress | None
    ) -> None:
        """The cameras' own tamper claims are read before their pictures are judged: a first picture the camera
        contradicts (it reports covered) must not become its baseline (``runtime/review.py``). Then each
        camera's agreement is recomputed from its claim and the confirmed picture verdict."""
        assert self.events is not None
        seen = [0, 0]

        def first(done: int, total: int) -> None:
            seen[:] = [done, total]
            if progress is not None:
                progress(done, total)

        def then(done: int, total: int) -> None:
            if progress is not None:
                progress(seen[0] + done, seen[1] + total)

        others = [k for k in kinds if k is not CheckKind.FRAME]
        started = time.monotonic()
        await run_sweep(self.runner, self.fleet, self.health, targets, others, first)
        await self.events.sweep(targets)
        await run_sweep(self.runner, self.fleet, self.health, targets, [CheckKind.FRAME], then)
        counters = self.fleet.counters
        counters.sweeps -= 1  # one sweep, in two passes
        await self._wanted_frames(targets)
        counters.last_sweep_duration_s = time.monotonic() - started
        await self._confirm_frames(targets)
        for target in targets:
            self.events.refresh(target.camera_id)

    async def _wanted_frames(self, targets: Sequence[CameraTarget]) -> None:
        """The frames cameras asked for after their first (``FrameChecks.wanted``: a camera's second picture, so
        ``frozen`` can be judged; the pictures a camera a person approved learns from), each when due, in rounds
        until none wants more (each camera at most ``baseline_samples`` + 3 times)."""
        frames = self.frames
        if frames is None:  # a frame probe of the caller's own (``frame_probe=``)
            return
        by_id = {t.camera_id: t for t in targets}

        async def one(target: CameraTarget, due: float) -> None:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if not self.runner.should_skip(target.camera_id, CheckKind.FRAME):
                await self.runner.run(target, CheckKind.FRAME)

        for _round in range(frames.cfg.vision.baseline_samples + 4):
            wanted = frames.take_wanted()
            if not wanted:
                return
            await asyncio.gather(*(one(by_id[cid], due) for cid, due in wanted.items() if cid in by_id))

    async def _confirm_frames(self, targets: Sequence[CameraTarget]) -> None:
        """Picture verdicts may need more frames in a row (``vision.fault_threshold``) than the sweep's re-check
        rounds give: re-check the unsettled ones until confirmed, at most ``fault_threshold`` rounds."""
        for _round in range(self.cfg.vision.fault_threshold):
            todo = [
                t
                for t in targets
                if CheckKind.FRAME in self.health.unsettled(t.camera_id)
                and not self.runner.should_skip(t.camera_id, CheckKind.FRAME)
            ]
            if not todo:
                return
            await asyncio.sleep(self.schedule.cfg.recheck_delay_s)
            await asyncio.gather(*(self.runner.run(t, CheckKind.FRAME) for t in todo))

    async def reset_baseline(self, camera_id: str) -> bool:
        """Forget a camera's picture baseline in memory and in the store (it learns again); False when the
        poller does not check pictures. Raises ``DatabaseError`` when the store fails."""
        if self.frames is None:
            return False
        self.frames.reset(camera_id)
        if self.pictures is not None:
            self.pictures.marks.pop(camera_id, None)
            self.pictures.saved = {k for k in self.pictures.saved if k[0] != camera_id}
            if self.pictures.sink is not None:
                await asyncio.to_thread(self.pictures.sink.delete_baselines, camera_id)
        return True
