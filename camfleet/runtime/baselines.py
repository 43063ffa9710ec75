"""Baselines and evidence on disk: loaded at start, written in batches, resets noticed while running.

A camera's ``vision.Baseline`` is stored as one ``StoredBaseline`` row per mode: ``features`` holds the
learned values and cell grid (JSON), ``thumbnail`` the 16-bit PNG of the mean picture (8-bit would round
away the slow updates), ``samples`` how many frames it learned. The learning settings (samples, alpha)
come from the config, not the row, so changing them applies to stored baselines too.

``camfleet baseline reset CAMERA`` deletes a camera's rows from another process. Each flush lists the
stored keys first; a key this poller had written that is gone was reset, so the camera's baseline in
memory is dropped too (instead of being written back) and it starts over from state ``none``.

Baseline states (``runtime/review.py``) go the same way when the sink is also a ``ReviewSink``: restored at
load, the changed ones written at each flush (``put_reviews``). People's approvals are read at load (those
made after the camera entered its current state) and then at each flush (those with a newer id), so a
running service and one-off sweeps in other processes both apply them. Acceptance pictures are handed to
``FrameChecks.references`` when imported after the camera entered its current state (at load, and at a flush
every ``REFERENCE_SCAN_S`` for pictures imported meanwhile: their import times are compared, the pictures read
only then).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from camfleet.config.vision import VisionConfig
from camfleet.errors import CamfleetError
from camfleet.model import Approval, BaselineReview, BaselineState, StoredBaseline
from camfleet.runtime.frames import FrameChecks
from camfleet.runtime.sink import PictureSink, ReviewSink
from camfleet.vision import Baseline
from camfleet.vision.baseline import FORMAT_VERSION, READABLE_VERSIONS

log = logging.getLogger(__name__)
#: How often a running poller looks for newly imported acceptance pictures (one query of every camera's import
#: time; flushes come every ``database.write_interval_s``, 2 s by default, and an import is a rare event).
REFERENCE_SCAN_S = 30.0
#: Cameras whose stored baselines are read in one query at start.
LOAD_BATCH = 256
#: Cameras whose changed baselines are encoded and written in one transaction.
WRITE_BATCH = 256


def baseline_rows(camera_id: str, baseline: Baseline, now: float) -> list[StoredBaseline]:
    """The rows that store ``baseline`` (one per learned mode)."""
    out = []
    for mode, data in baseline.to_dict()["modes"].items():
        features = {"version": FORMAT_VERSION, "count": data["count"], "values": data["values"], "cells": data["cells"]}
        thumbnail = base64.b64decode(data["thumb_png"])
        out.append(StoredBaseline(camera_id, mode, features, thumbnail, int(data["count"]), now))
    return out


def _rows(baselines: list[tuple[str, Baseline]], now: float) -> list[StoredBaseline]:
    return [r for camera_id, baseline in baselines for r in baseline_rows(camera_id, baseline, now)]


def baseline_from_rows(rows: Mapping[str, StoredBaseline], vision: VisionConfig) -> Baseline:
    """The baseline stored in ``rows`` (by mode); raises ``ValueError`` naming what is malformed.

    Rows written by an earlier camfleet keep their format version (any of ``READABLE_VERSIONS``) and are
    upgraded by the next healthy frame, so an upgrade does not throw away what every camera learned.
    """
    by_version: dict[int, dict[str, Any]] = {}
    for mode, row in rows.items():
        f = row.features
        version = f.get("version", FORMAT_VERSION)
        if version not in READABLE_VERSIONS:
            raise ValueError(f"{row.camera_id}/{mode}: unknown baseline format {version!r}")
        by_version.setdefault(int(version), {})[mode] = {
            "count": f.get("count", row.samples),
            "values": f.get("values", {}),
            "cells": f.get("cells", []),
            "thumb_png": base64.b64encode(row.thumbnail).decode("ascii"),
        }
    common = {"samples": vision.baseline_samples, "alpha": vision.baseline_alpha}
    baseline = Baseline.from_dict({**common, "version": FORMAT_VERSION, "modes": {}})
    for version, modes in sorted(by_version.items()):
        baseline.modes.update(Baseline.from_dict({**common, "version": version, "modes": modes}).modes)
    return baseline


class PictureKeeper:
    """Moves baselines and evidence between ``FrameChecks`` and a ``PictureSink``."""

    def __init__(self, sink: PictureSink | None, frames: FrameChecks, clock: Callable[[], float]) -> None:
        self.sink = sink
        self.frames = frames
        self.clock = clock
        self.saved: set[tuple[str, str]] = set()  # (camera, mode) known to be stored
        self.marks: dict[str, int] = {}  # camera → memory.learned when last written
        self.failures = 0
        self.last_error = ""
        self.review_sink = sink if isinstance(sink, ReviewSink) else None
        self.approval_id = 0  # the newest approval applied
        self.reference_seen: dict[str, float] = {}  # camera → import time of the acceptance picture handed over
        self.reference_scan_s = REFERENCE_SCAN_S
        self._scanned_at = 0.0
        #: Whether a camera is this poller's (set by the poller: its targets); others' approvals and pictures wait.
        self.owns: Callable[[str], bool] = lambda _camera_id: True

    async def load(self) -> int:
        """Read every stored baseline into the cameras' memories (a batch at a time, the peers seeded from each,
        those beyond ``vision.resident_mib`` spilled as they come: runtime/spill.py), then their states,
        approvals and acceptance pictures; returns how many cameras got a baseline."""
        if self.sink is None:
            return 0
        frames = self.frames
        stored_reviews: dict[str, BaselineReview] = {}
        if self.review_sink is not None:
            stored_reviews = await asyncio.to_thread(self.review_sink.reviews)
        trusted = (BaselineState.PROVISIONAL, BaselineState.APPROVED)
        cameras = sorted({cid for cid, _mode in await asyncio.to_thread(self.sink.baseline_keys)})
        loaded = 0
        for start in range(0, len(cameras), LOAD_BATCH):
            stored = await asyncio.to_thread(self.sink.load_baselines_of, cameras[start : start + LOAD_BATCH])
            for camera_id, rows in stored.items():
                try:
                    baseline = baseline_from_rows(rows, frames.cfg.vision)
                except ValueError as exc:  # a damaged row: relearn rather than refuse to start
                    log.warning("stored baseline ignored", extra={"camera": camera_id, "error": str(exc)})
                    continue
                memory = frames.memory(camera_id)
                memory.baseline = baseline
                self.marks[camera_id] = memory.learned
                self.saved.update((camera_id, mode) for mode in rows)
                loaded += 1
                # As Reviews.restore will have it: a camera with a baseline and no stored state is provisional.
                review = stored_reviews.get(camera_id)
                if review is None or review.state in trusted:
                    frames.peers.seed(camera_id, frames.model_of(camera_id), baseline)
                frames.touched(camera_id, memory)
            await frames.trim()
        if self.review_sink is not None:
            sink = self.review_sink
            reviews = self.frames.reviews
            reviews.restore(stored_reviews, {cid for cid, _mode in self.saved})
            approvals = await asyncio.to_thread(sink.approvals, 0)
            # Approvals made before the camera entered its current state were applied already (or undone by a reset).
            known = reviews.cameras
            self._approve([a for a in approvals if a.camera_id not in known or a.at > known[a.camera_id].since])
            self.approval_id = max((a.id for a in approvals), default=0)
            await self._take_references(sink)
        return loaded

    def _approve(self, approvals: list[Approval]) -> None:
        now = self.clock()
        for approval in approvals:
            if self.owns(approval.camera_id) and self.frames.reviews.approve(approval, now):
                log.info("baseline approved", extra={"camera": approval.camera_id, "by": approval.by})

    async def _take_references(self, sink: ReviewSink) -> None:
        """Hand acceptance pictures imported after their camera entered its current state to ``FrameChecks``."""
        reviews = self.frames.reviews.cameras
        self._scanned_at = self.clock()
        times = await asyncio.to_thread(sink.reference_times)
        new = {
            cid: at
            for cid, at in times.items()
            if self.reference_seen.get(cid) != at and self.owns(cid) and (cid not in reviews or at > reviews[cid].since)
        }
        if not new:
            return
        pictures = await asyncio.to_thread(sink.references, sorted(new))
        for cid, picture in pictures.items():
            self.frames.references[cid] = (picture.jpeg, picture.source)
            self.reference_seen[cid] = new[cid]

    async def flush(self) -> bool:
        """Notice resets, write changed baselines and queued evidence; False when the database failed."""
        if self.sink is None:
            self.frames.evidence.clear()
            return True
        sink = self.sink
        try:
            for camera_id in sorted(self.frames.dropped):  # contradicted provisional baselines
                await asyncio.to_thread(sink.delete_baselines, camera_id)
                self.frames.dropped.discard(camera_id)
                self.saved = {k for k in self.saved if k[0] != camera_id}
            keys = await asyncio.to_thread(sink.baseline_keys)
            for camera_id in sorted({cid for cid, mode in self.saved - keys}):
                log.info("baseline reset in the database: relearning", extra={"camera": camera_id})
                self.frames.reset(camera_id)
                self.marks.pop(camera_id, None)
            self.saved &= keys
            now = self.clock()
            changed = {cid: m.learned for cid, m in self.frames.memories.items() if m.learned != self.marks.get(cid, 0)}
            ids = sorted(changed)
            for start in range(0, len(ids), WRITE_BATCH):
                # Encoding (a 16-bit PNG and the cell grid per mode) takes ~1 ms a camera: thousands after a sweep,
                # so not on the event loop, and a batch at a time (the rows of thousands held at once were tens of
                # MB). Spilled baselines are read back for it. A frame learned meanwhile leaves its camera changed.
                baselines = await self.frames.baselines_to_write(ids[start : start + WRITE_BATCH])
                rows = await asyncio.to_thread(_rows, list(baselines.items()), now)
                await asyncio.to_thread(sink.put_baselines, rows)
                self.marks.update({cid: changed[cid] for cid in baselines})
                self.saved.update((r.camera_id, r.mode) for r in rows)
            batch = list(self.frames.evidence)
            if batch:
                await asyncio.to_thread(sink.put_evidence, batch)
                del self.frames.evidence[: len(batch)]
            if self.review_sink is not None:
                await self._flush_reviews(self.review_sink)
        except CamfleetError as exc:  # the database is away: everything stays queued for the next flush
            self.failures += 1
            self.last_error = str(exc)
            log.warning("baseline/evidence write failed; keeping them", extra={"error": str(exc)})
            return False
        await self.frames.trim()  # what was just written may leave memory
        return True

    async def _flush_reviews(self, sink: ReviewSink) -> None:
        """Apply new approvals, take newly imported acceptance pictures, write the changed baseline states."""
        approvals = await asyncio.to_thread(sink.approvals, self.approval_id)
        self._approve(approvals)
        self.approval_id = max((a.id for a in approvals), default=self.approval_id)
        if self.clock() - self._scanned_at >= self.reference_scan_s:
            await self._take_references(sink)
        rows, marks = self.frames.reviews.dirty(self.clock())
        if rows:
            await asyncio.to_thread(sink.put_reviews, rows)
            self.frames.reviews.stored(marks)

    async def run(self, stop: asyncio.Event, interval_s: float) -> None:
        """Flush every ``interval_s`` until ``stop`` is set (the final flush is the caller's)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
            await self.flush()
