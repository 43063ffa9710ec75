"""Picture checks inside the poller: ``FrameChecks.probe`` is the frame probe in the runtime's signature.

One ``VisionPool`` for the whole poller, one ``FrameMemory`` per camera (baseline per mode + previous
signature), the shared aiohttp session of the ONVIF factory, and the snapshot/stream URIs that discovery
cached in the probe context. A camera not discovered yet is discovered first, so the first frame check
never runs blind; when discovery fails, the frame check reports that failure (kind ``frame``).

Baseline states (``runtime/review.py``, docs/baselines.md): every judged frame goes through ``Reviews``, which
says what to report and what to learn; a camera with an acceptance picture (``references``) has its next
frame judged against the baseline made of it. ``claim_of`` and ``model_of`` (set by the poller) give a
camera's current tamper-event claim and its model (for its peers).

Sweeps (``learn_burst``): a camera seen for the first time in this process wants one more frame, at least
``learn_spacing_s`` later, so that ``frozen`` can be judged (and its first picture, judged before the peers were
in, is rechecked against them). The sweep takes those in a pass of its own (``wanted``), so no camera holds its
slots while it waits. With ``vision.sweep_learns`` a camera still learning (its frames pass the no-baseline
rules but its mode has no ready baseline; a doubtful camera whose frames pass; an approved one learning what a
person vouched for) takes up to ``vision.baseline_samples`` + 3 frames in a row, so a one-off sweep ends judged
against a baseline; off (the default), it learns one frame per sweep, as the service learns one per sample: the
burst made a first sweep of the default district take about six times a steady sweep's pictures.

Evidence: a frame judged an image fault becomes two small JPEGs (the frame, the baseline's reference),
kept per camera until the health machine confirms the fault (``on_transition``) and then queued for the
store.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from camfleet.config import CamfleetConfig
from camfleet.errors import DeviceError, FrameError
from camfleet.model import (
    CameraTarget,
    CheckKind,
    Evidence,
    FrameStats,
    ProbeResult,
    Reason,
    Status,
    Transition,
)
from camfleet.probe.context import MediaInfo, ProbeContext
from camfleet.probe.discovery import discover
from camfleet.probe.frame import FrameMemory, FrameSettings, probe_frame
from camfleet.probe.outcome import failed
from camfleet.probe.pool import VisionPool
from camfleet.runtime.budget import FIRST_GUESS, ByteBudget
from camfleet.runtime.evidence import evidence_pictures, review_thumbnail
from camfleet.runtime.peers import FleetPeers
from camfleet.runtime.review import Frame, Learn, Pending, Reviews
from camfleet.runtime.spill import Spill
from camfleet.vision import Baseline, FrameSignature, Verdict, mode_of
from camfleet.vision.alone import ALONE
from camfleet.vision.baseline import MODES
from camfleet.vision.features import MAX_ANALYSIS_WIDTH
from camfleet.vision.lifecycle import Judged, Judging

log = logging.getLogger(__name__)

#: Spacing of the extra frames a sweep takes. Camera quirk: many firmwares cache the snapshot for up to
#: ~1 s (symptom: two fetches 100 ms apart give the same bytes and would read as ``frozen``).
LEARN_SPACING_S = 1.2
#: The analysis picture should stay at least this wide: the verdict thresholds were calibrated on
#: 320×180 analysis pictures (1280×720 at reduction 4); 640×360 at reduction 4 would give 160×90.
MIN_ANALYSIS_WIDTH = 320
EVIDENCE_QUEUE_LIMIT = 1000
#: A sweep holds back at most this many first frames of a camera that passed on the prior only, while its peer
#: group grows (runtime/review.py): ~5 s at LEARN_SPACING_S, on top of its learning frames.
SWEEP_WAITS = 4
#: Cameras spilled per trip to the spill's thread (``trim``): ~84 KB pickled each, a few hundred ms of its thread.
SPILL_BATCH = 256


def _footprint(memory: FrameMemory) -> int:
    """Bytes of a camera's baseline arrays and previous signature (what spilling it frees; ~1 KB more of objects)."""
    size = 1024
    for mode in memory.baseline.modes.values():
        size += 1024 + sum(a.nbytes for a in (mode.thumb, mode.texture, mode.wander, mode.cells, mode.crisp))
    previous = memory.previous
    if previous is not None:
        size += 512 + sum(a.nbytes for a in (previous.thumb, previous.cells, previous.probe, previous.blocks))
    return size


@dataclass(frozen=True, slots=True)
class FaultPictures:
    """The evidence of the last frame judged an image fault."""

    status: Status
    reason: Reason
    thumbnail: bytes
    reference: bytes


def video_loss(target: CameraTarget, result: ProbeResult) -> ProbeResult:
    """A recorder's channel whose picture is black has lost its camera's signal: the recorder answers and draws
    its own "no video" screen (black on the recorders simulated and on most DVRs). ``offline``/``video_loss``:
    the camera or its cable, not the recorder; a black lens cap on a channel reads the same, and the runbook
    says so."""
    if target.channel is None or result.status is not Status.BLACK:
        return result
    detail = f"the recorder shows no picture on channel {target.channel} ({result.detail or 'black'})"
    return dataclasses.replace(result, status=Status.OFFLINE, reason=Reason.VIDEO_LOSS, detail=detail)


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
        #: In a sweep: cameras whose next frame the sweep should take (monotonic time it is due), and how many such
        #: frames each has taken (``take_wanted``).
        self.wanted: dict[str, float] = {}
        self.extra_taken: Counter[str] = Counter()
        self.reviews = Reviews(cfg.vision.baseline_samples)
        #: Acceptance pictures waiting for the camera's next frame: camera → (JPEG, source).
        self.references: dict[str, tuple[bytes, str]] = {}
        #: Cameras whose learned baseline was dropped (contradicted): their stored rows must go too.
        self.dropped: set[str] = set()
        self.claim_of: Callable[[str], tuple[Status, ...]] = lambda _camera_id: ()
        self.claim_pending: Callable[[str], bool] = lambda _camera_id: False
        self.model_of: Callable[[str], str] = lambda _camera_id: ""
        self.peers = FleetPeers()
        #: Residency (runtime/spill.py): cameras whose baseline and previous signature are in memory, least recently
        #: used first, with their bytes; the others wait in ``spill``, written to the database or not (the picture
        #: keeper reads those from there: ``baselines_to_write``).
        self.pictures_in_flight = ByteBudget(cfg.poller.pictures_in_flight_mib * 2**20)
        self.spill = Spill()
        self.resident_limit = cfg.vision.resident_mib * 2**20
        self.resident: OrderedDict[str, int] = OrderedDict()
        self.resident_bytes = 0
        self.busy: set[str] = set()
        self._in_transit: dict[str, tuple[Baseline, FrameSignature | None]] = {}
        self._trimming = False

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
        """Forget the camera's baseline (re-aimed camera): it starts over from state ``none``."""
        memory = self.memories.get(camera_id)
        previous = memory.previous if memory is not None and not memory.spilled else None
        self._unspill(camera_id)
        self.memories[camera_id] = FrameMemory(self.new_baseline(), previous)
        self.fault_pictures.pop(camera_id, None)
        self.references.pop(camera_id, None)
        self.reviews.reset(camera_id, self.clock())

    def forget(self, camera_id: str) -> None:
        """Drop everything about a camera removed from the inventory."""
        self.memories.pop(camera_id, None)
        self._unspill(camera_id)
        self.fault_pictures.pop(camera_id, None)
        self.references.pop(camera_id, None)
        self.reviews.forget(camera_id)
        self.peers.forget(camera_id)

    def begin_sweep(self) -> None:
        """A one-off sweep starts: it takes the frames judging needs (``learn_burst``)."""
        self.learn_burst = True
        self.wanted.clear()
        self.extra_taken.clear()

    def take_wanted(self) -> dict[str, float]:
        """The cameras whose next frame the sweep should take now or soon (when each is due), counted as taken."""
        wanted, self.wanted = self.wanted, {}
        self.extra_taken.update(wanted.keys())
        return wanted

    # ------------------------------------------------------------------ residency
    def _unspill(self, camera_id: str) -> None:
        """Drop whatever the camera has in the spill or counted as resident (it is forgotten or starts over)."""
        self.spill.discard(camera_id)
        self._in_transit.pop(camera_id, None)
        self.resident_bytes -= self.resident.pop(camera_id, 0)

    async def resident_memory(self, camera_id: str) -> FrameMemory:
        """The camera's memory with its baseline and previous signature in memory (read back if spilled)."""
        memory = self.memory(camera_id)
        if memory.spilled:
            kept = self._in_transit.pop(camera_id, None)
            if kept is None:
                kept = await self.spill.take(camera_id)
            if kept is not None:
                memory.baseline, memory.previous = kept
            memory.spilled = False
        return memory

    def touched(self, camera_id: str, memory: FrameMemory) -> None:
        """The camera was just judged: most recently used, at its current size."""
        size = _footprint(memory)
        self.resident_bytes += size - self.resident.pop(camera_id, 0)
        self.resident[camera_id] = size

    async def trim(self) -> int:
        """Spill the least recently used idle cameras until the resident ones fit the budget; returns how many went.
        Unwritten baselines go too: memory dies with the process as the spill does, and a database away for a
        while must not grow the heap by a baseline per camera and sample until the kernel kills the service."""
        if self._trimming or not self.resident_limit or self.resident_bytes <= self.resident_limit:
            return 0  # one trim at a time: every frame's end and every flush ask for one
        self._trimming = True
        spilled = 0
        try:
            batch: list[tuple[str, tuple[Baseline, FrameSignature | None]]] = []
            for camera_id in list(self.resident):
                if self.resident_bytes <= self.resident_limit:
                    break
                memory = self.memories.get(camera_id)
                if memory is None:
                    self.resident_bytes -= self.resident.pop(camera_id, 0)
                    continue
                if camera_id in self.busy or memory.spilled:
                    continue
                kept = (memory.baseline, memory.previous)
                # Stand-ins at once, the object kept until written: a frame starting meanwhile takes it back here.
                memory.baseline, memory.previous, memory.spilled = self.new_baseline(), None, True
                self._in_transit[camera_id] = kept
                self.resident_bytes -= self.resident.pop(camera_id, 0)
                batch.append((camera_id, kept))
            # In batches, not one trip per camera: each trip resumes on the loop's next pass, and at 11,000 cameras
            # (passes of 50-100 ms) a flush that spilled a few thousand one by one took minutes, while every
            # baseline learned meanwhile waited in memory for it (benchmarks/service_memory.py: killed at 1 GiB).
            for start in range(0, len(batch), SPILL_BATCH):
                part = batch[start : start + SPILL_BATCH]
                await self.spill.put_many(part)
                for camera_id, _kept in part:
                    if self._in_transit.pop(camera_id, None) is None:  # taken back (or forgotten) while written
                        self.spill.discard(camera_id)
                spilled += len(part)
        finally:
            self._trimming = False
        return spilled

    async def baselines_to_write(self, camera_ids: list[str]) -> dict[str, Baseline]:
        """Each camera's current baseline, for the database: the one in memory, or a copy read from the spill
        (one trip; it stays there). A camera forgotten meanwhile is left out; one taken back meanwhile gives its
        baseline in memory, as new as the spilled one or newer."""
        spilled = [c for c in camera_ids if (m := self.memories.get(c)) is not None and m.spilled]
        found = await self.spill.peek_many([c for c in spilled if c not in self._in_transit])
        out: dict[str, Baseline] = {}
        for camera_id in camera_ids:  # after the read: a camera may have been taken back or forgotten meanwhile
            memory = self.memories.get(camera_id)
            kept = self._in_transit.get(camera_id) or found.get(camera_id)
            if memory is not None and not memory.spilled:
                out[camera_id] = memory.baseline
            elif memory is not None and kept is not None:
                out[camera_id] = kept[0]
        return out

    async def close(self) -> None:
        """Stop the worker processes (off the loop: joining them blocks)."""
        await asyncio.to_thread(self.pool.shutdown)

    # ------------------------------------------------------------------ the probe
    async def probe(self, target: CameraTarget, ctx: ProbeContext) -> ProbeResult:
        """Fetch and judge one picture (several while a sweep learns); failures are values."""
        started_at, t0 = ctx.clock(), time.perf_counter()
        credential = ctx.credential(target)
        if credential is None:
            detail = ctx.credentials.missing(target.credential)
            return ProbeResult(target.camera_id, CheckKind.FRAME, Status.AUTH_FAILED, Reason.NO_CREDENTIALS, detail,
                               started_at=started_at)  # fmt: skip
        info = ctx.media.get(target.camera_id)
        if info is None:
            try:
                info = await discover(target, ctx)
            except DeviceError as exc:
                offset = ctx.client(target).clock_offset_s
                return failed(target, CheckKind.FRAME, exc, started_at, time.perf_counter() - t0, offset)
        self.busy.add(target.camera_id)
        try:
            memory = await self.resident_memory(target.camera_id)
            async with self.pictures_in_flight.hold(memory.picture_bytes or FIRST_GUESS):
                return await self._probe(ctx, target, info, memory, credential.username, credential.password)
        finally:
            self.busy.discard(target.camera_id)
            if target.camera_id in self.memories:
                self.touched(target.camera_id, self.memories[target.camera_id])
            await self.trim()

    async def _probe(
        self, ctx: ProbeContext, target: CameraTarget, info: MediaInfo, memory: FrameMemory, username: str,
        password: str,
    ) -> ProbeResult:  # fmt: skip
        first_sight = memory.previous is None
        waits = self._waits(target.camera_id)
        result, learning = await self._one(ctx, target, info, memory, username, password)
        if self.learn_burst and not self.cfg.vision.sweep_learns:
            # The sweep takes the next frame later, from its own pass (``wanted``), with the camera's slots free
            # meanwhile: sleeping out the spacing inside them held a village's uplink slots 1.2 s per camera.
            camera_id = target.camera_id
            more = self.extra_taken[camera_id] < self.cfg.vision.baseline_samples + 3
            if result.frame is not None and (first_sight or learning) and more:
                self.wanted[camera_id] = time.monotonic() + self.learn_spacing_s
            await self._keep_pictures(camera_id, memory, result)
            return video_loss(target, result)
        taken, limit = 1, self.cfg.vision.baseline_samples + 3
        # A frame held back for want of peers does not count against the learning frames.
        while self.learn_burst and taken < limit + self._waits(target.camera_id) - waits and result.frame is not None:
            if not learning and not (first_sight and taken == 1):
                break
            await self._keep_pictures(target.camera_id, memory, result)
            await asyncio.sleep(self.learn_spacing_s)
            result, learning = await self._one(ctx, target, info, memory, username, password)
            taken += 1
        await self._keep_pictures(target.camera_id, memory, result)
        return video_loss(target, result)

    def _waits(self, camera_id: str) -> int:
        found = self.reviews.cameras.get(camera_id)
        return found.waits if found is not None else 0

    async def _one(
        self,
        ctx: ProbeContext,
        target: CameraTarget,
        info: MediaInfo,
        memory: FrameMemory,
        username: str,
        password: str,
    ) -> tuple[ProbeResult, bool]:
        """One frame through the baseline states; also whether the camera is still learning (a sweep goes on)."""
        chosen = info.chosen
        settings = self.settings
        if chosen is not None and chosen.width:
            reduction = reduction_for(chosen.width, settings.reduction)
            settings = FrameSettings(settings.max_bytes, settings.timeout_s, reduction, settings.allow_foreign_host)
        camera_id = target.camera_id
        expected = min(chosen.width // settings.reduction, MAX_ANALYSIS_WIDTH) if chosen and chosen.width else 0
        reference = self.references.pop(camera_id, None)
        judging = Judging(
            peers=self.peers.view(camera_id, self.model_of(camera_id), expected),
            reference=reference[0] if reference is not None else None,
            recheck=self.reviews.wants_recheck(camera_id),
        )
        learning = False

        def review(stats: FrameStats, sig: FrameSignature, verdict: Verdict, judged: Judged) -> tuple[Verdict, bool]:
            nonlocal learning
            if reference is not None and judged.made is not None:
                self.reviews.referenced(camera_id, reference[1], self.clock())
            elif reference is not None:
                log.warning("acceptance picture does not decode; ignored", extra={"camera": camera_id})
            verdict, keep, learning = self._review(camera_id, memory, stats, sig, verdict, judged)
            return verdict, keep

        result = await probe_frame(
            target,
            session=ctx.onvif.session,  # the poller's one shared session
            pool=self.pool,
            memory=memory,
            username=username,
            password=password,
            snapshot_uri=chosen.snapshot_uri if chosen else "",
            stream_uri=chosen.stream_uri if chosen else "",
            settings=settings,
            review=review,
            judging=judging,
        )
        if reference is not None and result.frame is None:
            self.references.setdefault(camera_id, reference)  # no picture judged: the next frame takes it
        return result, learning

    def _review(
        self,
        camera_id: str,
        memory: FrameMemory,
        stats: FrameStats,
        signature: FrameSignature,
        verdict: Verdict,
        judged: Judged,
    ) -> tuple[Verdict, bool, bool]:
        """Pass a judged frame through the camera's baseline state: the verdict to report, whether to keep the
        picture for review, whether the camera is still learning. Learns into ``memory`` what it says."""
        mode = verdict.mode if verdict.mode in MODES else mode_of(stats)
        ready = memory.baseline.ready(mode) is not None
        alone = judged.alone
        frame = Frame(verdict.status, verdict.reason, verdict.detail, verdict.basis, ready, self.claim_of(camera_id),
                      Pending(stats, signature, mode),
                      (alone.status, alone.reason, alone.detail) if alone is not None else None,
                      self.claim_pending(camera_id),
                      learning=not ready and mode in memory.baseline.modes,
                      peers=int(verdict.scores.get("peers", 0.0)) if verdict.basis == ALONE else None)  # fmt: skip
        # The service holds a first picture back for want of peers one frame; a sweep with sweep_learns a few.
        # A one-off sweep of the default pace holds none back: every camera's first picture is taken before any is
        # judged, so all of them would wait; judged on the prior now, its second picture (``wanted``) is rechecked
        # against the peers seen by then (``Reviews.wants_recheck``).
        waits = (SWEEP_WAITS if self.cfg.vision.sweep_learns else 0) if self.learn_burst else 1
        out = self.reviews.judged(camera_id, frame, self.clock(), waits)
        self.reviews.publish(camera_id)
        if out.drop_baseline:
            memory.baseline = self.new_baseline()
            memory.learned += 1
            self.dropped.add(camera_id)
        for kept in out.learn_streak:
            memory.learned += memory.baseline.learn(kept.stats, kept.signature, None, kept.mode)
        if out.learn is not Learn.NO:
            status = None if out.learn is Learn.VOUCHED else verdict.status
            memory.learned += memory.baseline.learn(stats, signature, status, mode)
        # A frame held back only for want of peers passed the rules: it is a peer of the others (were it not, the
        # first cameras of a process would all wait for each other and none would ever join).
        self.peers.judged(camera_id, self.model_of(camera_id), stats, out.status is Status.OK or out.again)
        if (out.status, out.reason, out.detail) != (verdict.status, verdict.reason, verdict.detail):
            verdict = replace(verdict, status=out.status, reason=out.reason, detail=out.detail)
        review = self.reviews.get(camera_id)
        unready = memory.baseline.ready(mode) is None
        learning = (
            out.again  # judged on too few peers: one more frame, with the peers seen by then
            or out.learn is Learn.VOUCHED  # a person approved what it shows: learn it within this sweep
            or (
                self.cfg.vision.sweep_learns
                and (
                    (
                        out.learn is not Learn.NO and (verdict.basis == ALONE or unready)
                    )  # one more, against the baseline
                    or bool(review.streak)
                )
            )
        )
        return verdict, out.keep_picture, learning

    # ------------------------------------------------------------------ evidence
    async def _keep_pictures(self, camera_id: str, memory: FrameMemory, result: ProbeResult) -> None:
        doubtful, memory.review_jpeg = memory.review_jpeg, None
        if doubtful is not None and result.frame is not None:
            width, height = result.frame.width, result.frame.height
            try:
                thumb = await self.pool.run(review_thumbnail, doubtful, width, height, self.settings.max_bytes)
            except FrameError as exc:
                log.warning("review thumbnail failed", extra={"camera": camera_id, "error": str(exc)})
            else:
                self.reviews.picture(camera_id, thumb, self.clock())
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
