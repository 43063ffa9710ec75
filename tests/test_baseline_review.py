"""The baseline state machine (runtime/review.py): what each judged frame makes of a camera's state."""

from __future__ import annotations

import numpy as np

from camfleet.model import Approval, BaselineReview, BaselineState, CameraState, Reason, Status
from camfleet.runtime.review import THUMBNAIL_REFRESH_S, Frame, Learn, Pending, Reviews
from camfleet.vision import compute_features
from camfleet.vision.alone import ALONE

SAMPLES = 3


_IMAGE = np.random.default_rng(1).integers(0, 255, (180, 320, 3), dtype=np.uint8)
_STATS, _SIGNATURE = compute_features(_IMAGE, 320, 180)


def pending() -> Pending:
    """A frame as kept for learning (the state machine only carries it)."""
    return Pending(_STATS, _SIGNATURE, "day")


def alone(status: Status = Status.OK, reason: Reason = Reason.NONE, detail: str = "", **kw: object) -> Frame:
    """A frame judged by the no-baseline rules."""
    return Frame(status, reason, detail, ALONE, False, pending=pending(), **kw)  # type: ignore[arg-type]


def against(status: Status = Status.OK, **kw: object) -> Frame:
    """A frame judged against a ready baseline."""
    return Frame(status, Reason.NONE, "", "baseline", True, pending=pending(), **kw)  # type: ignore[arg-type]


def test_a_first_picture_that_passes_makes_a_provisional_baseline() -> None:
    """none → provisional on a frame the no-baseline rules pass, learned; the camera's CameraState shows it."""
    states = {"C1": CameraState("C1")}
    reviews = Reviews(SAMPLES, states)
    out = reviews.judged("C1", alone(), 100.0)
    assert (out.status, out.learn) == (Status.OK, Learn.HEALTHY)
    assert reviews.state("C1") is BaselineState.PROVISIONAL
    assert (states["C1"].baseline, states["C1"].baseline_since) == (BaselineState.PROVISIONAL, 100.0)


def test_a_doubtful_first_picture_learns_nothing_and_is_never_ok() -> None:
    """none → doubtful: a fault stays the fault; a picture the rules cannot decide, or one the camera's own
    tamper events contradict, reads cannot_judge/needs_review naming why; nothing is learned; the picture is
    kept for people."""
    reviews = Reviews(SAMPLES)
    covered = reviews.judged("A", alone(Status.COVERED, detail="flat"), 1.0)
    assert (covered.status, covered.learn, covered.keep_picture) == (Status.COVERED, Learn.NO, True)
    unsure = reviews.judged("B", alone(Status.CANNOT_JUDGE, Reason.NEEDS_REVIEW, "softer than its peers"), 1.0)
    assert (unsure.status, unsure.reason) == (Status.CANNOT_JUDGE, Reason.NEEDS_REVIEW)
    assert unsure.detail.startswith("softer than its peers") and unsure.learn is Learn.NO
    claimed = reviews.judged("C", alone(claim=(Status.COVERED, Status.TOO_DARK)), 1.0)
    assert (claimed.status, claimed.reason, claimed.learn) == (Status.CANNOT_JUDGE, Reason.NEEDS_REVIEW, Learn.NO)
    assert "the camera itself reports covered, too_dark" in claimed.detail
    assert {reviews.state(c) for c in "ABC"} == {BaselineState.DOUBTFUL}
    assert reviews.cameras["C"].reason == "the camera itself reports covered, too_dark"


def test_doubtful_becomes_provisional_after_enough_passing_frames_in_a_row() -> None:
    """A doubtful camera needs ``samples`` passing frames in a row (a broken run starts over); meanwhile it
    reads needs_review; then the kept frames are learned with the last one and it is provisional."""
    reviews = Reviews(SAMPLES)
    reviews.judged("C1", alone(Status.COVERED), 1.0)
    first = reviews.judged("C1", alone(), 2.0)
    assert (first.status, first.reason, first.learn) == (Status.CANNOT_JUDGE, Reason.NEEDS_REVIEW, Learn.NO)
    assert "1 of 3 healthy in a row" in first.detail
    reviews.judged("C1", alone(claim=(Status.COVERED,)), 3.0)  # the camera still says covered: start over
    outs = [reviews.judged("C1", alone(), 4.0 + i) for i in range(SAMPLES)]
    assert [o.status for o in outs] == [Status.CANNOT_JUDGE, Status.CANNOT_JUDGE, Status.OK]
    assert outs[-1].learn is Learn.HEALTHY and len(outs[-1].learn_streak) == SAMPLES - 1
    assert reviews.state("C1") is BaselineState.PROVISIONAL and reviews.cameras["C1"].since == 6.0


def test_approving_a_doubtful_camera_learns_what_it_shows_until_ready() -> None:
    """A person's approval of a doubtful camera vouches for its picture: frames are learned whatever the rules
    say (a fault reads cannot_judge/no_baseline meanwhile, never the fault) until its mode's baseline is ready;
    then it is judged and learned like any other. An approval of an approved camera changes nothing."""
    reviews = Reviews(SAMPLES)
    reviews.judged("C1", alone(Status.COVERED), 1.0)
    assert reviews.approve(Approval("C1", 2.0, "王工", "a wall, as intended"), 3.0)
    assert not reviews.approve(Approval("C1", 4.0, "li"), 5.0)
    review = reviews.cameras["C1"]
    assert (review.state, review.since) == (BaselineState.APPROVED, 3.0)
    assert review.reason == "approved by 王工: a wall, as intended"
    vouched = reviews.judged("C1", alone(Status.COVERED), 6.0)
    assert (vouched.status, vouched.reason, vouched.learn) == (Status.CANNOT_JUDGE, Reason.NO_BASELINE, Learn.VOUCHED)
    assert reviews.judged("C1", alone(), 7.0).learn is Learn.VOUCHED
    judged = reviews.judged("C1", against(Status.COVERED), 8.0)
    assert (judged.status, judged.learn) == (Status.COVERED, Learn.NO)
    assert reviews.judged("C1", against(), 9.0).learn is Learn.HEALTHY


def test_approving_a_provisional_camera_keeps_its_baseline() -> None:
    """Approval of a provisional camera: approved, nothing vouched (its faults still read as faults)."""
    reviews = Reviews(SAMPLES)
    reviews.judged("C1", alone(), 1.0)
    reviews.approve(Approval("C1", 2.0), 2.0)
    assert reviews.cameras["C1"].reason == "approved" and not reviews.cameras["C1"].vouched
    assert reviews.judged("C1", alone(Status.DEFOCUSED), 3.0).status is Status.DEFOCUSED


def test_only_ok_frames_are_learned_once_provisional() -> None:
    """A provisional or approved camera learns ok frames only: cannot_judge and faults are not learned."""
    reviews = Reviews(SAMPLES)
    reviews.judged("C1", alone(), 1.0)
    assert reviews.judged("C1", alone(Status.CANNOT_JUDGE, Reason.NEEDS_REVIEW), 2.0).learn is Learn.NO
    assert reviews.judged("C1", against(Status.SPRAY), 3.0).learn is Learn.NO
    assert reviews.judged("C1", against(), 4.0).learn is Learn.HEALTHY
    assert reviews.state("C1") is BaselineState.PROVISIONAL


def test_a_claim_contradicting_a_provisional_baseline_drops_it() -> None:
    """A provisional camera judged ok while it claims a fault (a cover learned as the scene): doubtful, the
    baseline dropped, the picture kept; an approved camera is not second-guessed by its claim."""
    reviews = Reviews(SAMPLES)
    reviews.judged("P", alone(), 1.0)
    out = reviews.judged("P", against(claim=(Status.COVERED,)), 2.0)
    assert (out.status, out.drop_baseline, out.keep_picture) == (Status.CANNOT_JUDGE, True, True)
    assert reviews.state("P") is BaselineState.DOUBTFUL
    reviews.referenced("A", "A.jpg", 1.0)
    kept = reviews.judged("A", against(claim=(Status.COVERED,)), 2.0)
    assert not kept.drop_baseline and reviews.state("A") is BaselineState.APPROVED


def test_acceptance_picture_and_reset() -> None:
    """An acceptance picture makes the camera approved at once; a reset puts it back to none."""
    reviews = Reviews(SAMPLES)
    reviews.referenced("C1", "C1.jpg", 5.0)
    assert (reviews.state("C1"), reviews.cameras["C1"].reason) == (BaselineState.APPROVED, "acceptance picture C1.jpg")
    reviews.reset("C1", 6.0)
    assert (reviews.state("C1"), reviews.cameras["C1"].since) == (BaselineState.NONE, 6.0)


def test_review_thumbnails_are_refreshed_sparingly() -> None:
    """The latest doubtful picture is kept when the camera turns doubtful, when its reason changes, and at
    most every THUMBNAIL_REFRESH_S otherwise (the rows of every doubtful camera are written at each flush)."""
    reviews = Reviews(SAMPLES)
    assert reviews.judged("C1", alone(Status.COVERED), 0.0).keep_picture
    reviews.picture("C1", b"jpeg", 0.0)
    assert not reviews.judged("C1", alone(Status.COVERED), 10.0).keep_picture
    assert reviews.judged("C1", alone(Status.BLACK), 20.0).keep_picture
    reviews.picture("C1", b"jpeg2", 20.0)
    assert reviews.judged("C1", alone(Status.BLACK), 20.0 + THUMBNAIL_REFRESH_S).keep_picture
    reviews.judged("C1", alone(), 21.0 + THUMBNAIL_REFRESH_S)
    assert reviews.cameras["C1"].thumbnail == b"jpeg2"


def test_rows_written_while_the_camera_changes_stay_dirty() -> None:
    """``dirty()`` gives the changed states; a change made while they are written is written next time."""
    reviews = Reviews(SAMPLES)
    reviews.judged("C1", alone(Status.COVERED, detail="flat"), 1.0)
    rows, marks = reviews.dirty(2.0)
    assert [(r.camera_id, r.state, r.reason, r.updated_at) for r in rows] == [
        ("C1", BaselineState.DOUBTFUL, "covered: flat", 2.0)
    ]
    reviews.picture("C1", b"jpeg", 2.5)  # lands while the rows are being written
    reviews.stored(marks)
    again, marks = reviews.dirty(3.0)
    assert [r.thumbnail for r in again] == [b"jpeg"]
    reviews.stored(marks)
    assert reviews.dirty(4.0) == ([], {})


def test_restore_reads_stored_states() -> None:
    """Stored states come back unchanged (and clean); a provisional camera whose baseline rows are gone was
    reset (none); an approved one without rows learns what it shows (vouched); a camera with a baseline but
    no state row is provisional."""
    stored = {
        "D": BaselineReview("D", BaselineState.DOUBTFUL, "covered", 10.0, b"jpeg", 11.0),
        "P": BaselineReview("P", BaselineState.PROVISIONAL, "", 10.0),
        "A": BaselineReview("A", BaselineState.APPROVED, "approved by li", 10.0),
    }
    reviews = Reviews(SAMPLES)
    reviews.restore(stored, with_baseline={"old"})
    got = {cid: (r.state, r.vouched) for cid, r in reviews.cameras.items()}
    assert got == {
        "D": (BaselineState.DOUBTFUL, False),
        "P": (BaselineState.NONE, False),
        "A": (BaselineState.APPROVED, True),
        "old": (BaselineState.PROVISIONAL, False),
    }
    assert reviews.cameras["D"].thumbnail == b"jpeg"
    rows, _marks = reviews.dirty(20.0)
    assert sorted(r.camera_id for r in rows) == ["P", "old"]


def test_a_peer_recheck_finding_a_fault_drops_a_provisional_baseline() -> None:
    """A camera that became provisional is rechecked once: an ok frame whose no-baseline verdict against enough
    peers is a fault makes it doubtful, reading that fault, the baseline dropped; an ok recheck ends the
    rechecks; an approved camera, or one restored as provisional from the database, is not rechecked."""
    reviews = Reviews(SAMPLES)
    reviews.judged("B", alone(), 1.0)
    assert reviews.wants_recheck("B")
    soft = (Status.DEFOCUSED, Reason.NONE, "far softer than its 9 peers")
    out = reviews.judged("B", against(alone=soft), 2.0)
    assert (out.status, out.detail, out.drop_baseline) == (Status.DEFOCUSED, "far softer than its 9 peers", True)
    assert reviews.state("B") is BaselineState.DOUBTFUL and not reviews.wants_recheck("B")
    reviews.judged("S", alone(), 1.0)
    fine = reviews.judged("S", against(alone=(Status.OK, Reason.NONE, "")), 2.0)
    assert (fine.status, fine.learn, fine.drop_baseline) == (Status.OK, Learn.HEALTHY, False)
    assert not reviews.wants_recheck("S") and reviews.state("S") is BaselineState.PROVISIONAL
    reviews.referenced("A", "A.jpg", 1.0)
    assert not reviews.wants_recheck("A")
    reviews.restore({"R": BaselineReview("R", BaselineState.PROVISIONAL, "", 1.0)}, with_baseline={"R"})
    assert not reviews.wants_recheck("R")


def test_a_first_picture_waits_for_the_cameras_own_events() -> None:
    """While the camera's tamper events are read but not yet for this camera, a passing first picture decides
    nothing (cannot_judge/no_baseline, nothing learned, state none); a fault decides at once (doubtful); once
    the claim is known the next passing picture makes it provisional."""
    reviews = Reviews(SAMPLES)
    waiting = reviews.judged("C1", alone(claim_pending=True), 1.0)
    assert (waiting.status, waiting.reason, waiting.learn) == (Status.CANNOT_JUDGE, Reason.NO_BASELINE, Learn.NO)
    assert reviews.state("C1") is BaselineState.NONE
    assert reviews.judged("C2", alone(Status.BLACK, claim_pending=True), 1.0).status is Status.BLACK
    assert reviews.state("C2") is BaselineState.DOUBTFUL
    assert reviews.judged("C1", alone(), 2.0).learn is Learn.HEALTHY
    assert reviews.state("C1") is BaselineState.PROVISIONAL


def test_a_first_picture_passed_on_the_prior_only_is_judged_again_before_it_is_learned() -> None:
    """none: a frame that passes against fewer than MIN_PEERS peers (the peer group may still be filling) is not
    blessed ok nor learned the first time: cannot_judge/no_baseline, saying what it was judged against, and
    asking for another frame; the next frame, judged against enough peers, makes it provisional with a reason
    and a detail naming those peers (a blur found by then would make it doubtful instead)."""
    reviews = Reviews(SAMPLES)
    thin = reviews.judged("C1", alone(detail="judged alone: no day baseline yet", peers=2), 1.0)
    assert (thin.status, thin.reason, thin.learn, thin.again) == (
        Status.CANNOT_JUDGE,
        Reason.NO_BASELINE,
        Learn.NO,
        True,
    )
    assert "prior only (2 of 8 peers seen yet)" in thin.detail
    assert reviews.state("C1") is BaselineState.NONE
    fine = reviews.judged("C1", alone(detail="judged alone: no day baseline yet", peers=17), 2.0)
    assert (fine.status, fine.learn) == (Status.OK, Learn.HEALTHY)
    assert fine.detail == "judged alone: no day baseline yet; against 17 peers"
    assert reviews.cameras["C1"].reason == "first pictures passed the no-baseline rules against 17 peers"
    blurred = Reviews(SAMPLES)
    blurred.judged("C2", alone(peers=0), 1.0)
    soft = blurred.judged("C2", alone(Status.DEFOCUSED, detail="far softer than its 12 peers", peers=12), 2.0)
    assert (soft.status, soft.learn) == (Status.DEFOCUSED, Learn.NO)
    assert blurred.state("C2") is BaselineState.DOUBTFUL


def test_a_model_with_few_cameras_uses_the_prior_and_is_rechecked_by_a_later_process() -> None:
    """A camera whose peers stay fewer than MIN_PEERS (a model with few cameras) waits one frame, then is learned
    on the prior (documented), its reason saying "against the prior only"; restored from that stored reason, a
    later process rechecks it once against its peers (seeded from the stored baselines), and a recheck that
    passes says so in the reason and is not asked again."""
    reviews = Reviews(SAMPLES)
    reviews.judged("R", alone(peers=3), 1.0)
    out = reviews.judged("R", alone(peers=3), 2.0)
    assert (out.status, out.learn, reviews.state("R")) == (Status.OK, Learn.HEALTHY, BaselineState.PROVISIONAL)
    reason = reviews.cameras["R"].reason
    assert reason == "first pictures passed the no-baseline rules against the prior only (3 peers)"
    stored = {
        "R": BaselineReview("R", BaselineState.PROVISIONAL, reason, 2.0, None, 2.0),
        "P": BaselineReview("P", BaselineState.PROVISIONAL, "first pictures passed the no-baseline rules against 9 "
                            "peers", 2.0, None, 2.0),
    }  # fmt: skip
    later = Reviews(SAMPLES)
    later.restore(stored, {"R", "P"})
    assert later.wants_recheck("R") and not later.wants_recheck("P")
    passed = later.judged("R", against(alone=(Status.OK, Reason.NONE, "")), 3.0)
    assert passed.status is Status.OK and not later.wants_recheck("R")
    assert later.cameras["R"].reason == "first pictures passed the no-baseline rules; rechecked against its peers"
