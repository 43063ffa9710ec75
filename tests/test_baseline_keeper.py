"""Baseline states between the poller and the database (runtime/baselines.py): restored, approvals applied
once, acceptance pictures handed over, changed states written, contradicted baselines deleted."""

from __future__ import annotations

import numpy as np

from camfleet.config import CamfleetConfig
from camfleet.model import Approval, BaselineReview, BaselineState, ReferencePicture, StoredBaseline
from camfleet.runtime.baselines import PictureKeeper, baseline_rows
from camfleet.runtime.frames import FrameChecks
from camfleet.runtime.sink import MemorySink
from camfleet.vision import Baseline, compute_features

NOW = 1_800_000_000.0


def learned_rows(camera_id: str) -> list[StoredBaseline]:
    """The stored rows of a baseline learned from five random pictures."""
    baseline = Baseline(5)
    rng = np.random.default_rng(7)
    for _ in range(5):
        stats, signature = compute_features(rng.integers(0, 255, (180, 320, 3), dtype=np.uint8), 320, 180)
        baseline.learn(stats, signature)
    return baseline_rows(camera_id, baseline, NOW - 500)


def keeper(sink: MemorySink, owned: set[str] | None = None) -> tuple[PictureKeeper, FrameChecks]:
    """A keeper over ``sink`` for a FrameChecks whose clock stands at NOW (its pool is never started)."""
    frames = FrameChecks(CamfleetConfig(), clock=lambda: NOW)
    kept = PictureKeeper(sink, frames, lambda: NOW)
    kept.reference_scan_s = 0.0  # look for new acceptance pictures at every flush
    if owned is not None:
        kept.owns = owned.__contains__
    return kept, frames


async def test_load_applies_only_approvals_made_after_the_current_state() -> None:
    """At start an approval newer than the camera's doubtful state approves it (vouched); one older than the
    state (already applied, or undone by a reset since) does not; approvals of cameras not this poller's wait."""
    sink = MemorySink()
    sink.put_reviews([
        BaselineReview("NEW", BaselineState.DOUBTFUL, "covered", NOW - 100),
        BaselineReview("OLD", BaselineState.DOUBTFUL, "covered", NOW - 100),
        BaselineReview("OTHER", BaselineState.DOUBTFUL, "covered", NOW - 100),
    ])  # fmt: skip
    sink.add_approvals([Approval("OLD", NOW - 200, "li"), Approval("NEW", NOW - 50, "王工"),
                        Approval("OTHER", NOW - 50, "li")])  # fmt: skip
    kept, frames = keeper(sink, owned={"NEW", "OLD"})
    await kept.load()
    reviews = frames.reviews.cameras
    assert (reviews["NEW"].state, reviews["NEW"].vouched, reviews["NEW"].reason) == (
        BaselineState.APPROVED, True, "approved by 王工"
    )  # fmt: skip
    assert reviews["OLD"].state is BaselineState.DOUBTFUL and reviews["OTHER"].state is BaselineState.DOUBTFUL
    assert kept.approval_id == 3
    assert await kept.flush()
    assert sink.review_rows["NEW"].state is BaselineState.APPROVED and sink.review_rows["NEW"].since == NOW
    assert sink.review_rows["OLD"].state is BaselineState.DOUBTFUL


async def test_flush_applies_new_approvals_and_takes_new_acceptance_pictures() -> None:
    """While running, each flush applies approvals with a newer id (once) and hands over acceptance pictures
    imported after the camera's state began; a picture imported before it is left alone."""
    sink = MemorySink()
    sink.put_baselines(learned_rows("PROV"))
    sink.put_reviews([BaselineReview("PROV", BaselineState.PROVISIONAL, "", NOW - 100),
                      BaselineReview("D", BaselineState.DOUBTFUL, "black", NOW - 100)])  # fmt: skip
    sink.put_references([ReferencePicture("PROV", b"old", "PROV.jpg", NOW - 1000)])
    kept, frames = keeper(sink)
    await kept.load()
    assert frames.references == {} and frames.reviews.state("PROV") is BaselineState.PROVISIONAL
    sink.add_approvals([Approval("PROV", NOW - 10, "li")])
    sink.put_references([ReferencePicture("D", b"\xff\xd8new", "验收/D.jpg", NOW - 5)])
    assert await kept.flush()
    assert frames.reviews.state("PROV") is BaselineState.APPROVED and not frames.reviews.cameras["PROV"].vouched
    assert frames.references == {"D": (b"\xff\xd8new", "验收/D.jpg")}
    frames.references.clear()
    frames.reviews.reset("PROV", NOW)  # a later reset is not undone by the approval read before
    assert await kept.flush()
    assert frames.references == {} and frames.reviews.state("PROV") is BaselineState.NONE
    assert sink.review_rows["PROV"].state is BaselineState.NONE


async def test_a_reset_in_the_database_puts_the_camera_back_to_none() -> None:
    """`camfleet baseline reset` (rows deleted by another process): the next flush forgets the baseline and
    stores state none."""
    sink = MemorySink()
    sink.put_baselines(learned_rows("C1"))
    sink.put_reviews([BaselineReview("C1", BaselineState.APPROVED, "approved by li", NOW - 100)])
    kept, frames = keeper(sink)
    assert await kept.load() == 1
    assert frames.reviews.state("C1") is BaselineState.APPROVED and frames.memory("C1").baseline.modes
    sink.delete_baselines("C1")
    assert await kept.flush()
    assert frames.reviews.state("C1") is BaselineState.NONE and not frames.memory("C1").baseline.modes
    assert sink.review_rows["C1"].state is BaselineState.NONE


async def test_a_dropped_baseline_is_deleted_not_taken_for_a_reset() -> None:
    """A provisional baseline the camera's claim contradicted is deleted from the store; the camera stays
    doubtful (it is not mistaken for a reset to none)."""
    sink = MemorySink()
    sink.put_baselines(learned_rows("C1"))
    kept, frames = keeper(sink)
    await kept.load()
    assert frames.reviews.state("C1") is BaselineState.PROVISIONAL  # learned before baseline states
    frames.reviews.cameras["C1"].state = BaselineState.DOUBTFUL
    frames.memory("C1").baseline = frames.new_baseline()
    frames.dropped.add("C1")
    assert await kept.flush()
    assert sink.baselines == {} and frames.dropped == set()
    assert frames.reviews.state("C1") is BaselineState.DOUBTFUL


async def test_new_acceptance_pictures_are_looked_for_every_reference_scan_s() -> None:
    """A running poller looks for newly imported acceptance pictures at most every REFERENCE_SCAN_S (one query of
    every camera's import time), not at every 2-second flush; approvals are read at every flush."""
    from camfleet.runtime.baselines import REFERENCE_SCAN_S

    clock = [NOW]
    sink = MemorySink()
    frames = FrameChecks(CamfleetConfig(), clock=lambda: clock[0])
    kept = PictureKeeper(sink, frames, lambda: clock[0])
    await kept.load()
    sink.put_references([ReferencePicture("C1", b"\xff\xd8new", "C1.jpg", NOW + 1)])
    sink.add_approvals([Approval("C2", NOW + 1, "li")])
    clock[0] = NOW + 2
    assert await kept.flush()
    assert frames.references == {} and frames.reviews.state("C2") is BaselineState.APPROVED
    clock[0] = NOW + REFERENCE_SCAN_S
    assert await kept.flush()
    assert frames.references == {"C1": (b"\xff\xd8new", "C1.jpg")}
