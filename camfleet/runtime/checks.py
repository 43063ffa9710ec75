"""Running one check: concurrency limits, the probe, the health machine, the writer, the subscribers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from camfleet.config.poller import PollerConfig
from camfleet.log import camera_log
from camfleet.model import CameraTarget, CheckKind, ProbeResult, Reason, Status, Transition
from camfleet.probe.context import Probe, ProbeContext
from camfleet.runtime.fleet import FleetState
from camfleet.runtime.health import HealthMachine
from camfleet.runtime.writer import StateWriter

log = logging.getLogger(__name__)
Subscriber = Callable[[Transition], None]


class CheckRunner:
    """Limits: one global semaphore, one per uplink (a village router carries few calls at once) and, for
    pictures, one per recorder (an NVR serves few snapshots at once; its channels' other checks are shared)."""

    def __init__(
        self,
        cfg: PollerConfig,
        probes: dict[CheckKind, Probe],
        ctx: ProbeContext,
        health: HealthMachine,
        fleet: FleetState,
        writer: StateWriter,
        clock: Callable[[], float],
    ) -> None:
        self.cfg = cfg
        self.probes = probes
        self.ctx = ctx
        self.health = health
        self.fleet = fleet
        self.writer = writer
        self.clock = clock
        self.global_limit = asyncio.Semaphore(cfg.concurrency)
        self.uplink_limits: dict[str, asyncio.Semaphore] = {}
        self.recorder_limits: dict[str, asyncio.Semaphore] = {}
        self.subscribers: list[Subscriber] = []
        self.waiting = 0

    def _uplink_limit(self, uplink: str) -> asyncio.Semaphore:
        sem = self.uplink_limits.get(uplink)
        if sem is None:
            sem = self.uplink_limits[uplink] = asyncio.Semaphore(self.cfg.per_uplink_concurrency)
        return sem

    def _recorder_limit(
        self, target: CameraTarget, kind: CheckKind
    ) -> asyncio.Semaphore | contextlib.nullcontext[None]:
        if kind is not CheckKind.FRAME or not target.recorder:
            return contextlib.nullcontext()
        sem = self.recorder_limits.get(target.recorder)
        if sem is None:
            sem = self.recorder_limits[target.recorder] = asyncio.Semaphore(self.cfg.per_recorder_pictures)
        return sem

    def should_skip(self, camera_id: str, kind: CheckKind) -> bool:
        """Non-liveness checks of a camera confirmed offline would only time out: skip them."""
        if kind is CheckKind.LIVENESS:
            return False
        return self.health.confirmed(camera_id, CheckKind.LIVENESS).status is Status.OFFLINE

    def media_fresh(self, camera_id: str) -> bool:
        """True when discovery's findings for the camera are younger than ``discovery_interval_s``."""
        info = self.ctx.media.get(camera_id)
        return info is not None and self.clock() - info.discovered_at < self.cfg.discovery_interval_s

    async def run(self, target: CameraTarget, kind: CheckKind, due: float | None = None) -> ProbeResult | None:
        """Run one check under the limits and feed its result; None when there is no probe for ``kind``."""
        probe = self.probes.get(kind)
        if probe is None:
            return None
        self.waiting += 1
        entered = False
        try:
            # Recorder, uplink, then global: a picture queued behind a busy NVR must not hold its village's uplink
            # slots (the village's other cameras would wait behind it), nor a check behind a busy village a global one.
            async with self._recorder_limit(target, kind), self._uplink_limit(target.uplink), self.global_limit:
                self.waiting -= 1
                entered = True
                if due is not None:
                    lag = max(0.0, self.clock() - due)
                    self.fleet.counters.lag_s = lag
                    self.fleet.counters.lag_max_s = max(self.fleet.counters.lag_max_s, lag)
                self.fleet.enter(target.uplink)
                try:
                    result = await self._probe(probe, target, kind)
                finally:
                    self.fleet.leave(target.uplink)
        finally:
            if not entered:
                self.waiting -= 1
        self.feed(result)
        return result

    async def _probe(self, probe: Probe, target: CameraTarget, kind: CheckKind) -> ProbeResult:
        try:
            return await probe(target, self.ctx)
        except Exception as exc:  # a probe bug must not stop the poller; it shows as a protocol error
            log.exception("probe crashed", extra={"camera": target.camera_id, "kind": str(kind)})
            return ProbeResult(
                target.camera_id,
                kind,
                Status.PROTOCOL_ERROR,
                Reason.MALFORMED,
                f"internal error: {exc.__class__.__name__}",
                started_at=self.clock(),
            )

    def feed(self, result: ProbeResult) -> list[Transition]:
        """Give a result to the health machine; persist and announce what changed."""
        self.fleet.count_probe(result.kind, result.status, result.latency_s)
        transitions = self.health.observe(result, self.clock())
        self.writer.record([result.camera_id, *(t.camera_id for t in transitions)], transitions)
        self.fleet.counters.transitions += len(transitions)
        for t in transitions:
            camera_log(
                log,
                _log_level(t),
                t.camera_id,
                f"{t.from_status} → {t.to_status}",
                reason=str(t.reason),
                detail=t.detail,
            )
            for callback in list(self.subscribers):
                try:
                    callback(t)
                except Exception:  # one bad subscriber must not stop the others or the poller
                    log.exception("transition subscriber failed")
        return transitions


def _log_level(t: Transition) -> int:
    """Routine steps at start-up (thousands of them) are debug: a first sighting of a healthy camera, and a
    camera still learning its picture baseline. Recoveries are info; faults warning."""
    if t.to_status is Status.OK:
        return logging.DEBUG if t.from_status is Status.UNKNOWN else logging.INFO
    if t.to_status is Status.CANNOT_JUDGE and t.reason is Reason.NO_BASELINE:
        return logging.DEBUG
    return logging.WARNING
