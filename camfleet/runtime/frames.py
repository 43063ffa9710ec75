"""Picture checks inside the poller: ``FrameChecks.probe`` is the frame probe in the runtime's signature.

One ``VisionPool`` for the whole poller, one ``FrameMemory`` per camera (baseline per mode + previous
signature), the shared aiohttp session of the ONVIF factory, and the snapshot/stream URIs that discovery
cached in the probe context. A camera not discovered yet is discovered first, so the first frame check
never runs blind; when discovery fails, the frame check reports that failure (kind ``frame``).

Sweeps (``learn_burst``): a camera whose picture cannot be judged for want of a baseline takes up to
``vision.baseline_samples`` more frames, ``learn_spacing_s`` apart, so a one-off sweep ends with a verdict;
a camera seen for the first time in this process takes one extra frame so that ``frozen`` can be judged.
The scheduled service learns at its normal pace instead (a camera without a baseline is ``cannot_judge``).

Evidence: a frame judged an image fault becomes two small JPEGs (the frame, the baseline's reference),
kept per camera until the health machine confirms the fault (``on_transition``) and then queued for the
store.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from camfleet.config import CamfleetConfig
from camfleet.errors import DeviceError, FrameError
from camfleet.inventory.store import Evidence
from camfleet.model import CameraTarget, CheckKind, ProbeResult, Reason, Status, Transition
from camfleet.probe.context import MediaInfo, ProbeContext
from camfleet.probe.discovery import discover
from camfleet.probe.frame import FrameMemory, FrameSettings, probe_frame
from camfleet.probe.outcome import failed
from camfleet.probe.pool import VisionPool
from camfleet.runtime.evidence import evidence_pictures
from camfleet.vision import Baseline, mode_of
from camfleet.vision.baseline import MODES

log = logging.getLogger(__name__)

#: Spacing of the extra frames a sweep takes. Camera quirk: many firmwares cache the snapshot for up to
#: ~1 s (symptom: two fetches 100 ms apart give the same bytes and would read as ``frozen``).
LEARN_SPACING_S = 1.2
#: The analysis picture should stay at least this wide: the verdict thresholds were calibrated on
#: 320×180 analysis pictures (1280×720 at reduction 4); 640×360 at reduction 4 would give 160×90.
MIN_ANALYSIS_WIDTH = 320
EVIDENCE_QUEUE_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class FaultPictures:
    """The evidence of the last frame judged an image fault."""

    status: Status
    reason: Reason
    thumbnail: bytes
    reference: bytes


def reduction_for(width: int, configured: int) -> int:
    """``configured`` (vision.decode_reduction) or less, so the analysis picture stays ≥ MIN_ANALYSIS_WIDTH."""
    for reduction in (8, 4, 2):
        if reduction <= configured and width // reduction >= MIN_ANALYSIS_WIDTH:
            return reduction
    return 1 if width else configured


class FrameChecks:
    """The frame probe of one poller, with its pool, per-camera memories and pending evidence."""

    def __init__(self, cfg: CamfleetConfig, clock: Callable[[], float] = time.time) -> None:
        self.cfg = cfg
        self.clock = clock
        self.settings = FrameSettings(
            max_bytes=cfg.poller.max_snapshot_bytes,
            timeout_s=cfg.poller.frame_timeout_s,
            reduction=cfg.vision.decode_reduction,
            allow_foreign_host=cfg.poller.allow_foreign_snapshot_hosts,
        )
        self.pool = VisionPool(cfg.vision.workers)
        self.memories: dict[str, FrameMemory] = {}
        self.fault_pictures: dict[str, FaultPictures] = {}
        self.evidence: list[Evidence] = []
        self.learn_burst = False
        self.learn_spacing_s = LEARN_SPACING_S

    # ------------------------------------------------------------------ memories
    def new_baseline(self) -> Baseline:
        """An empty baseline with the configured learning settings."""
        return Baseline(samples=self.cfg.vision.baseline_samples, alpha=self.cfg.vision.baseline_alpha)

    def memory(self, camera_id: str) -> FrameMemory:
        """The camera's memory (created empty on first use)."""
        found = self.memories.get(camera_id)
        if found is None:
            found = self.memories[camera_id] = FrameMemory(self.new_baseline())
        return found

    def reset(self, camera_id: str) -> None:
        """Forget the camera's baseline (re-aimed camera): it learns its picture again."""
        memory = self.memories.get(camera_id)
        self.memories[camera_id] = FrameMemory(self.new_baseline(), memory.previous if memory else None)
        self.fault_pictures.pop(camera_id, None)

    def forget(self, camera_id: str) -> None:
        """Drop everything about a camera removed from the inventory."""
        self.memories.pop(camera_id, None)
        self.fault_pictures.pop(camera_id, None)

    async def close(self) -> None:
        """Stop the worker processes (off the loop: joining them blocks)."""
        await asyncio.to_thread(self.pool.shutdown)

    # ------------------------------------------------------------------ the probe
    async def probe(self, target: CameraTarget, ctx: ProbeContext) -> ProbeResult:
        """Fetch and judge one picture (several while a sweep learns); failures are values."""
        started_at, t0 = ctx.clock(), time.perf_counter()
        credential = ctx.credential(target)
        if credential is None:
            detail = f"credential group {target.credential!r} is not in the credentials file"
            return ProbeResult(target.camera_id, CheckKind.FRAME, Status.AUTH_FAILED, Reason.PASSWORD, detail,
                               started_at=started_at)  # fmt: skip
        info = ctx.media.get(target.camera_id)
        if info is None:
            try:
                info = await discover(target, ctx)
            except DeviceError as exc:
                client = ctx.clients.get(target.camera_id)
                offset = client.clock_offset_s if client is not None else None
                return failed(target, CheckKind.FRAME, exc, started_at, time.perf_counter() - t0, offset)
        memory = self.memory(target.camera_id)
        first_sight = memory.previous is None
        ready = _ready_modes(memory)
        result = await self._one(ctx, target, info, memory, credential.username, credential.password)
        taken, limit = 1, self.cfg.vision.baseline_samples + 2
        while self.learn_burst and taken < limit and result.frame is not None:
            if not _learning(ready, result) and not (first_sight and taken == 1):
                break
            await asyncio.sleep(self.learn_spacing_s)
            ready = _ready_modes(memory)
            result = await self._one(ctx, target, info, memory, credential.username, credential.password)
            taken += 1
        await self._keep_pictures(target.camera_id, memory, result)
        return result

    async def _one(
        self,
        ctx: ProbeContext,
        target: CameraTarget,
        info: MediaInfo,
        memory: FrameMemory,
        username: str,
        password: str,
    ) -> ProbeResult:
        chosen = info.chosen
        settings = self.settings
        if chosen is not None and chosen.width:
            reduction = reduction_for(chosen.width, settings.reduction)
            settings = FrameSettings(settings.max_bytes, settings.timeout_s, reduction, settings.allow_foreign_host)
        return await probe_frame(
            target,
            session=ctx.onvif.session,  # the poller's one shared session
            pool=self.pool,
            memory=memory,
            username=username,
            password=password,
            snapshot_uri=chosen.snapshot_uri if chosen else "",
            stream_uri=chosen.stream_uri if chosen else "",
            settings=settings,
        )

    # ------------------------------------------------------------------ evidence
    async def _keep_pictures(self, camera_id: str, memory: FrameMemory, result: ProbeResult) -> None:
        jpeg, memory.fault_jpeg = memory.fault_jpeg, None
        if jpeg is None or result.frame is None:
            if result.frame is not None:
                self.fault_pictures.pop(camera_id, None)  # a judged picture without a fault
            return
        # The frame's own mode; else any learned one (a covered lens looks grayscale, as if it were night).
        modes = (mode_of(result.frame), *MODES)
        ready = next((b for m in modes if (b := memory.baseline.ready(m)) is not None), None)
        reference = ready.thumb.copy() if ready is not None else None
        try:
            thumb, ref = await self.pool.run(
                evidence_pictures, jpeg, result.frame.width, result.frame.height, reference, self.settings.max_bytes
            )
        except FrameError as exc:
            log.warning("evidence thumbnail failed", extra={"camera": camera_id, "error": str(exc)})
            return
        self.fault_pictures[camera_id] = FaultPictures(result.status, result.reason, thumb, ref)

    def on_transition(self, t: Transition) -> None:
        """A confirmed image fault: queue its pictures for the store (subscribed to the check runner)."""
        if not t.to_status.is_image_fault:
            return
        pictures = self.fault_pictures.get(t.camera_id)
        if pictures is None or pictures.status is not t.to_status:
            return
        self.evidence.append(Evidence(t.camera_id, t.at, t.to_status, t.reason, pictures.thumbnail, pictures.reference))
        del self.evidence[:-EVIDENCE_QUEUE_LIMIT]


def _ready_modes(memory: FrameMemory) -> frozenset[str]:
    """The modes whose baseline is ready (a picture of another mode is judged with no baseline and learned)."""
    return frozenset(mode for mode in MODES if memory.baseline.ready(mode) is not None)


def _learning(ready: frozenset[str], result: ProbeResult) -> bool:
    """Whether a sweep's burst should take another picture: this one was judged with no baseline of its mode
    (``ready``: the modes ready before it) and learned (``ok`` or ``cannot_judge``; a fault is not learned, so
    more samples would teach nothing)."""
    if result.frame is None or result.status not in (Status.OK, Status.CANNOT_JUDGE):
        return False
    return mode_of(result.frame) not in ready
