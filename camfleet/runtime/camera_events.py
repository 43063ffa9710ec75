"""Camera-side events in the poller: one pull point per camera, its claim, and agreement with camfleet.

``CameraEvents`` keeps an ``EventsSession`` per camera and pulls each one every ``[events] interval_s``
(first pulls spread over one interval, like the scheduler's tiers). Its calls have their own limits — at
most ``[events] concurrency`` in flight and ``EVENTS_PER_UPLINK`` per uplink — so a pull held by the camera
for its ``Timeout`` never takes a probe's slot. A camera whose liveness is confirmed offline is not pulled.

What a round finds goes to ``CameraState.camera_events`` (a ``CameraClaim``) and to the ``events`` entries
of ``FleetCounters.probes`` (``camfleet_probes_total{kind="events"}``); never to the health machine, so a
broken events service cannot change a camera's status. The agreement compares the claim with the frame
check's *confirmed* verdict and is recomputed after every pull and every status transition.

An RTSP-only camera (``access`` rtsp) has no ONVIF events service: it is never scheduled nor pulled, counts in
no ``events`` probe and logs nothing; its claim stays unknown and its pictures wait for no claim (``reads``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from camfleet.config import CamfleetConfig, CredentialStore
from camfleet.config.events import EventsConfig
from camfleet.log import camera_log
from camfleet.model import Agreement, CameraClaim, CameraTarget, CheckKind, Status, Transition
from camfleet.onvif.client import OnvifClientFactory
from camfleet.probe.context import ProbeContext
from camfleet.probe.events import EventsPoll, EventsSession, close_session, poll_events
from camfleet.probe.rtsp_checks import has_onvif_events
from camfleet.runtime.fleet import FleetState
from camfleet.runtime.health import HealthMachine

log = logging.getLogger(__name__)
#: ``FleetCounters.probes`` kind word for event rounds.
EVENTS_KIND = "events"
#: Event calls in flight behind one uplink (a village router): a held pull costs it no bandwidth.
EVENTS_PER_UPLINK = 2
#: A claim not refreshed by a good pull for this many intervals is no longer the camera's current word.
STALE_INTERVALS = 3
#: Longest time ``close()`` spends unsubscribing (the rest expire on their own after ``subscription_s``).
CLOSE_DEADLINE_S = 3.0
#: Rounds started per pass of the event loop: 1,000 rounds started at once ran their first steps (signing,
#: connecting) in one pass, 112 ms of the loop's own CPU against 34 ms for a liveness sweep alone (benchmark
#: camera_events_cost.py, 1,000 cameras); the liveness sweep yields every 16 tasks for the same reason.
START_BATCH = 16
#: Time a pull holds a slot besides its Timeout (round trip, signing, parsing), for the pace warning.
PULL_OVERHEAD_S = 0.05
_DOWN = (Status.OFFLINE, Status.UPLINK_DOWN)


#: What each claimed status can stand for among camfleet's verdicts. A camera's detectors are cruder than their
#: topic names: a tamper rule fires on a cover, paint, a blur or a turned camera; a cover or paint is a global
#: scene change and reads as "too blurry" to a sharpness score; a cover or a lost signal is "too dark".
MATCHING: dict[Status, frozenset[Status]] = {
    Status.COVERED: frozenset(
        {Status.COVERED, Status.SPRAY, Status.BLACK, Status.DISPLACED, Status.DEFOCUSED, Status.TOO_DARK}
    ),
    Status.DISPLACED: frozenset({Status.DISPLACED, Status.COVERED, Status.SPRAY, Status.BLACK}),
    Status.DEFOCUSED: frozenset({Status.DEFOCUSED, Status.COVERED, Status.SPRAY}),
    Status.TOO_DARK: frozenset({Status.TOO_DARK, Status.BLACK, Status.COVERED}),
    Status.OVEREXPOSED: frozenset({Status.OVEREXPOSED}),
}


def agreement_of(claim: Iterable[Status], ours: Status) -> Agreement:
    """Compare the camera's claimed faults with camfleet's confirmed picture verdict ``ours``: ``agree`` when
    camfleet's fault is one a claimed status can stand for (``MATCHING``), ``other_fault`` when both see a
    fault of unrelated kinds (the camera "too blurry", camfleet ``frozen``)."""
    claimed = tuple(claim)
    if claimed:
        if not ours.is_image_fault:
            return Agreement.CAMERA_ONLY
        matching = any(ours in MATCHING.get(status, frozenset({status})) for status in claimed)
        return Agreement.AGREE if matching else Agreement.OTHER_FAULT
    if ours.is_image_fault:
        return Agreement.CAMFLEET_ONLY
    return Agreement.AGREE if ours is Status.OK else Agreement.UNJUDGED


@dataclass(frozen=True, slots=True)
class ClaimReading:
    """One reading of a camera's events outside the poller: the round's result and the claimed faults."""

    result: EventsPoll
    faults: tuple[Status, ...]


def claim_words(faults: Sequence[Status]) -> str:
    """``covered,too_dark`` or ``none`` (for log lines)."""
    return ",".join(str(f) for f in faults) or "none"


class CameraEvents:
    """Per-camera pull points of one poller (driven by ``run()``, or ``sweep()`` for a one-off pass)."""

    def __init__(
        self,
        cfg: EventsConfig,
        ctx: ProbeContext,
        health: HealthMachine,
        fleet: FleetState,
        clock: Callable[[], float],
        rng: random.Random | None = None,
    ) -> None:
        self.cfg = cfg
        self.ctx = ctx
        self.health = health
        self.fleet = fleet
        self.clock = clock
        self.rng = rng or random.Random()
        self.sessions: dict[str, EventsSession] = {}
        self.due: dict[str, float] = {}
        self.limit = asyncio.Semaphore(cfg.concurrency)
        self.uplink_limits: dict[str, asyncio.Semaphore] = {}
        self.in_flight: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ membership
    def add_cameras(self, camera_ids: Sequence[str], now: float) -> None:
        """Schedule each camera's first round, spread evenly over one interval."""
        order = [cid for cid in camera_ids if cid not in self.due and self.reads(cid)]
        self.rng.shuffle(order)
        for i, camera_id in enumerate(order):
            self.due[camera_id] = now + self.cfg.interval_s * (i + self.rng.random()) / max(len(order), 1)
        self._check_pace()

    def _check_pace(self) -> None:
        """Warn when the limits cannot pull every camera once per interval: a pull with nothing new is held by
        the camera for its Timeout, so each takes a slot for about ``pull_timeout_s`` plus a round trip."""
        needed = len(self.due) / self.cfg.interval_s * (self.cfg.pull_timeout_s + PULL_OVERHEAD_S)
        if needed > self.cfg.concurrency:
            log.warning(
                "camera events cannot keep their interval",
                extra={"cameras": len(self.due), "slots_needed": round(needed), "concurrency": self.cfg.concurrency},
            )

    def reads(self, camera_id: str) -> bool:
        """Whether the camera has an events service to read (an RTSP-only camera has none)."""
        target = self.fleet.targets.get(camera_id)
        return target is None or has_onvif_events(target)

    def forget(self, camera_id: str) -> None:
        """A camera left the inventory: no more rounds (its subscription expires on the camera)."""
        self.due.pop(camera_id, None)
        self.sessions.pop(camera_id, None)

    def readdressed(self, camera_id: str) -> None:
        """The camera's address changed: subscribe anew at its new address."""
        self.sessions.pop(camera_id, None)

    # ------------------------------------------------------------------ rounds
    def _skip(self, camera_id: str) -> bool:
        state = self.health.states.get(camera_id)
        down = self.health.confirmed(camera_id, CheckKind.LIVENESS).status is Status.OFFLINE
        return down or (state is not None and state.status in _DOWN)

    async def poll(self, target: CameraTarget) -> EventsPoll | None:
        """One round for one camera under the events limits; None when skipped (camera offline, or RTSP-only)."""
        camera_id = target.camera_id
        if not has_onvif_events(target):
            self.due.pop(camera_id, None)  # its access changed to rtsp since it was scheduled
            return None
        if self._skip(camera_id):
            self._stale(camera_id)
            return None
        session = self.sessions.setdefault(camera_id, EventsSession())
        uplink = self.uplink_limits.setdefault(target.uplink, asyncio.Semaphore(EVENTS_PER_UPLINK))
        self.in_flight.add(camera_id)
        try:
            async with uplink, self.limit:
                result = await poll_events(target, self.ctx, session, self.cfg)
        finally:
            self.in_flight.discard(camera_id)
        if camera_id in self.fleet.targets:
            self._record(camera_id, session, result)
        return result

    def _record(self, camera_id: str, session: EventsSession, result: EventsPoll) -> None:
        if not result.skipped:
            self.fleet.counters.probes[(EVENTS_KIND, str(result.status))] += 1
        state = self.health.states.get(camera_id)
        if state is None:
            return
        now = self.clock()
        old = state.camera_events
        if result.status is not Status.OK:
            error = f"{result.status}/{result.reason}" if result.reason else str(result.status)
            if old is None:
                state.camera_events = CameraClaim(error=error)
            else:
                fresh = now - old.last_pull_at <= STALE_INTERVALS * self.cfg.interval_s
                known = old.known and fresh
                state.camera_events = replace(old, error=error, known=known, agreement=old.agreement if known else None)
            if old is None or old.error != error:
                camera_log(
                    log, logging.DEBUG, camera_id, "camera events unavailable", error=error, detail=result.detail
                )
            return
        faults = session.claim()
        changed = old is None or old.faults != faults
        read_before = old is not None and old.last_pull_at > 0
        since = now if changed else old.since if old is not None else now
        ours = self.health.confirmed(camera_id, CheckKind.FRAME).status
        claim = CameraClaim(faults, True, agreement_of(faults, ours), since, now, "")
        state.camera_events = claim
        if changed and (faults or read_before):
            # A camera's first word at start-up is only news when it reports a fault (else 5,000 lines).
            camera_log(
                log,
                logging.INFO,
                camera_id,
                "camera events claim changed",
                claim=claim_words(faults),
                was=claim_words(old.faults) if old is not None and read_before else "unknown",
                agreement=str(claim.agreement),
                camfleet=str(ours),
            )

    def _stale(self, camera_id: str) -> None:
        state = self.health.states.get(camera_id)
        if state is not None and state.camera_events is not None and state.camera_events.known:
            state.camera_events = replace(state.camera_events, known=False, agreement=None)

    def on_transition(self, t: Transition) -> None:
        """Subscriber: camfleet's verdict moved, so the agreement may have too."""
        self.refresh(t.camera_id)

    def refresh(self, camera_id: str) -> None:
        """Recompute one camera's agreement from its claim and the frame check's confirmed verdict."""
        state = self.health.states.get(camera_id)
        claim = state.camera_events if state is not None else None
        if state is None or claim is None or not claim.known:
            return
        ours = self.health.confirmed(camera_id, CheckKind.FRAME).status
        agreement = agreement_of(claim.faults, ours)
        if agreement is not claim.agreement:
            state.camera_events = replace(claim, agreement=agreement)

    # ------------------------------------------------------------------ driving
    async def run(self, stop: asyncio.Event) -> None:
        """Pull every camera at its due time until ``stop`` is set; then let running rounds end, bounded."""
        while not stop.is_set():
            now = self.clock()
            started = 0
            for camera_id, due in list(self.due.items()):
                if due > now or camera_id in self.in_flight:
                    continue
                target = self.fleet.targets.get(camera_id)
                if target is None:
                    self.due.pop(camera_id, None)
                    continue
                self.due[camera_id] = self._next_due(due, now)
                task = asyncio.create_task(self._round(target))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                started += 1
                if started % START_BATCH == 0:
                    await asyncio.sleep(0)  # see START_BATCH
            upcoming = min(self.due.values(), default=now + 1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=min(max(upcoming - self.clock(), 0.05), 1.0))
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=self.ctx.cfg.call_timeout_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def _next_due(self, due: float, now: float) -> float:
        """The due time plus the interval × (1 ± jitter); when behind, soon, spread (no replay of missed rounds)."""
        j = self.ctx.cfg.jitter
        nxt = due + self.cfg.interval_s * (1.0 + self.rng.uniform(-j, j))
        return nxt if nxt > now else now + self.rng.uniform(0, self.cfg.interval_s * 0.1)

    async def _round(self, target: CameraTarget) -> None:
        try:
            await self.poll(target)
        except Exception:  # a bug here must not stop the other cameras' rounds
            log.exception("events round crashed", extra={"camera": target.camera_id})

    async def sweep(self, targets: Sequence[CameraTarget]) -> None:
        """One round for every camera (a one-off sweep: subscribe, read the current state)."""
        tasks = []
        for i, t in enumerate(t for t in targets if has_onvif_events(t)):
            tasks.append(asyncio.create_task(self._round(t)))
            if i % START_BATCH == START_BATCH - 1:
                await asyncio.sleep(0)  # see START_BATCH
        await asyncio.gather(*tasks)

    async def close(self) -> None:
        """Unsubscribe what can be unsubscribed within ``CLOSE_DEADLINE_S`` (cameras hold few subscriptions)."""
        open_ones = [(cid, s) for cid, s in self.sessions.items() if s.address is not None]
        targets = self.fleet.targets

        async def one(camera_id: str, session: EventsSession) -> None:
            target = targets.get(camera_id)
            if target is None:
                session.drop()
                return
            async with self.limit:
                await close_session(target, self.ctx, session)

        if open_ones:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_DEADLINE_S):
                    await asyncio.gather(*(one(cid, s) for cid, s in open_ones))
        for session in self.sessions.values():
            session.drop()


async def read_claim(target: CameraTarget, cfg: CamfleetConfig, credentials: CredentialStore) -> ClaimReading:
    """Subscribe, read the camera's current tamper-type claim once, unsubscribe (``camfleet check``)."""
    async with OnvifClientFactory(cfg.poller) as factory:
        ctx = ProbeContext(cfg.poller, factory, credentials)
        session = EventsSession()
        result = await poll_events(target, ctx, session, cfg.events)
        await close_session(target, ctx, session)
    return ClaimReading(result, session.claim() if result.status is Status.OK else ())
