"""Baseline states: what a camera's ``ok`` is worth, and which of its pictures may become its baseline.

A pure state machine per camera (no I/O; ``FrameChecks`` drives it for every judged frame, ``PictureKeeper``
stores it and applies people's approvals). The states (``model.BaselineState``, docs/baselines.md):

- ``none``: nothing judged yet. The first judged frame decides: a frame that passes the no-baseline rules
  (verdict ``ok``, basis ``alone``) while the camera's own tamper events claim no fault makes the camera
  ``provisional`` and is learned; anything else makes it ``doubtful`` and nothing is learned. A frame that
  passed against the prior only (fewer than ``MIN_PEERS`` peers of its mode seen yet: the process's peer
  groups may still be filling) decides nothing: it reads ``cannot_judge``/``no_baseline``, is not learned,
  and the camera's next frame is judged with the peers seen by then (``max_waits`` of ``Reviews.judged``: the
  service's next one, a few in a sweep). Passing on the prior still (a model with truly few cameras) it is learned,
  the state's reason saying "against the prior only", which makes a later process (its peers seeded from
  the stored baselines) recheck it once against its peers. A passing frame
  of a camera whose events have not been read yet decides nothing: it reads ``cannot_judge``/``no_baseline``
  until they are (a one-off sweep reads them first; the service pulls them on their own schedule).
- ``provisional``: the baseline was learned only from pictures that passed the no-baseline rules; nobody
  looked. Its ``ok`` frames are learned. A frame judged ``ok`` while the camera claims a fault contradicts
  the baseline itself (a cover learned as the scene): back to ``doubtful``, the baseline dropped. So does a
  fault the no-baseline rules find when, once after it became provisional, an ``ok`` frame is judged again
  against enough peers (its first pictures may have been judged before its peers were seen: a blur learned
  as the scene), and so does any fault the no-baseline rules name while the baseline is still learning.
- ``doubtful``: the first pictures were doubtful; a person must look. Nothing is learned; a frame that the
  rules call a fault reads as that fault, anything else as ``cannot_judge``/``needs_review``. After
  ``samples`` frames in a row pass (a cover taken off), those frames become the baseline: ``provisional``.
- ``approved``: a person approved it (``camfleet baseline approve``), or it started from its acceptance
  picture. Approving a doubtful camera vouches for what it shows: its next frames are learned whatever the
  no-baseline rules say, until the baseline of their mode is ready. Approving a provisional one keeps its
  baseline.

Only ``ok`` frames are learned, besides the vouched ones and the passing streak of a doubtful camera.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field

from camfleet.model import Approval, BaselineReview, BaselineState, CameraState, FrameStats, Reason, Status
from camfleet.vision import FrameSignature
from camfleet.vision.alone import ALONE, MIN_PEERS

#: A doubtful camera's review picture is replaced at most this often (unless its reason changes): the review
#: rows of hundreds of doubtful cameras are written at every flush.
THUMBNAIL_REFRESH_S = 600.0
REVIEW_HINT = "a person must look (camfleet baseline review)"
#: The provisional reason of a camera whose first pictures passed against the prior only (too few peers): a
#: later process, whose peers are seeded from the stored baselines, rechecks it once.
PRIOR_ONLY = "against the prior only"
FIRST_PASSED = "first pictures passed the no-baseline rules"


class Learn(enum.Enum):
    """What becomes of a judged frame."""

    NO = "no"
    HEALTHY = "healthy"  # learned as an ok frame
    VOUCHED = "vouched"  # learned whatever its verdict: a person approved what the camera shows


@dataclass(slots=True)
class Pending:
    """A frame of a doubtful camera that passed the no-baseline rules, kept until the streak is long enough."""

    stats: FrameStats
    signature: FrameSignature
    mode: str


@dataclass(slots=True)
class Review:
    """One camera's baseline state."""

    state: BaselineState = BaselineState.NONE
    reason: str = ""
    since: float = 0.0
    thumbnail: bytes | None = None  # the latest doubtful picture (small JPEG), while doubtful
    thumbnail_at: float = 0.0
    vouched: bool = False  # approved from none/doubtful: learn what it shows until the mode's baseline is ready
    recheck_due: bool = False  # new provisional (or passed on the prior only): judge an ok frame against peers
    waits: int = 0  # first frames held back in this process for want of peers (``max_waits``)
    streak: list[Pending] = field(default_factory=list)  # doubtful: passing frames in a row
    changes: int = 1  # bumped by every change ...
    written: int = 0  # ... and the count when it was last stored

    def touch(self) -> None:
        """Mark a change to be stored."""
        self.changes += 1


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the state machine made of a judged frame: the verdict to report and what to learn.

    ``learn_streak``: the frames kept while doubtful are learned too (before this one); ``drop_baseline``:
    forget what was learned (a provisional baseline contradicted by the camera); ``keep_picture``: make this
    picture the camera's review thumbnail.
    """

    status: Status
    reason: Reason
    detail: str
    learn: Learn = Learn.NO
    learn_streak: tuple[Pending, ...] = ()
    drop_baseline: bool = False
    keep_picture: bool = False
    again: bool = False  # judge another frame of the camera soon (its peers were too few yet)


@dataclass(frozen=True, slots=True)
class Frame:
    """A judged frame as the state machine sees it."""

    status: Status
    reason: Reason
    detail: str
    basis: str  # "alone" (no-baseline rules) or "baseline"
    ready: bool  # the mode the frame was judged in had a ready baseline
    claim: tuple[Status, ...] = ()  # faults the camera's own tamper events claim now (known claims only)
    pending: Pending | None = None
    alone: tuple[Status, Reason, str] | None = None  # the peer recheck's verdict (``wants_recheck``), when made
    claim_pending: bool = False  # the camera's tamper events are read but not for this camera yet
    learning: bool = False  # the frame's mode has learned frames but is not ready yet
    peers: int | None = None  # judged alone: how many peers of its mode it was judged against (None: not alone)


def _claim_words(claim: Iterable[Status]) -> str:
    return ", ".join(str(s) for s in claim)


class Reviews:
    """The baseline state of every camera of one poller. ``states``: the health machine's camera states, whose
    ``baseline``/``baseline_since`` it keeps equal to its own (what metrics and the JSON API read)."""

    def __init__(self, samples: int, states: MutableMapping[str, CameraState] | None = None) -> None:
        self.samples = samples
        self.cameras: dict[str, Review] = {}
        self.states: MutableMapping[str, CameraState] = states if states is not None else {}

    def publish(self, camera_id: str) -> None:
        """Copy the camera's state to its ``CameraState`` (when it has one)."""
        state = self.states.get(camera_id)
        review = self.cameras.get(camera_id)
        if state is not None and review is not None:
            state.baseline, state.baseline_since = review.state, review.since

    def publish_all(self) -> None:
        """``publish`` every camera."""
        for camera_id in self.cameras:
            self.publish(camera_id)

    def get(self, camera_id: str) -> Review:
        """The camera's review (a new ``none`` one on first use)."""
        found = self.cameras.get(camera_id)
        if found is None:
            found = self.cameras[camera_id] = Review()
        return found

    def wants_recheck(self, camera_id: str) -> bool:
        """Whether the camera's next ok frame should be judged again against its peers: it became provisional in
        this process, or its first pictures passed against the prior only (``PRIOR_ONLY``, kept in the stored
        reason), and it has not been rechecked with enough peers yet. Only once: every recheck is another
        chance for the no-baseline rules to flag a healthy camera, so a camera restored as provisional by a
        later process is not rechecked again unless it was never judged against its peers."""
        found = self.cameras.get(camera_id)
        return found is not None and found.state is BaselineState.PROVISIONAL and found.recheck_due

    def state(self, camera_id: str) -> BaselineState:
        """The camera's state (``none`` when unknown)."""
        found = self.cameras.get(camera_id)
        return found.state if found is not None else BaselineState.NONE

    def _enter(self, camera_id: str, state: BaselineState, reason: str, now: float) -> None:
        review = self.get(camera_id)
        if review.state is not state:
            review.since = now
        review.state = state
        review.reason = reason
        review.streak.clear()
        review.recheck_due = state is BaselineState.PROVISIONAL
        if state is not BaselineState.DOUBTFUL:
            review.thumbnail, review.thumbnail_at = None, 0.0
        review.touch()
        self.publish(camera_id)

    # ------------------------------------------------------------------ frames
    def judged(self, camera_id: str, frame: Frame, now: float, max_waits: int = 1) -> Outcome:
        """Advance the camera's state by one judged frame; return what to report and what to learn.

        ``max_waits``: how many first frames in a row that passed on the prior only are held back: one in the
        service (its next frame comes an interval later, its peers seen by then); a one-off sweep its burst's."""
        review = self.get(camera_id)
        fine = frame.status is Status.OK and not frame.claim
        if review.state is BaselineState.NONE:
            if fine and frame.claim_pending:
                detail = "waiting for the camera's own tamper events before learning its first picture"
                return Outcome(Status.CANNOT_JUDGE, Reason.NO_BASELINE, detail)
            thin = frame.peers is not None and frame.peers < MIN_PEERS
            if fine and thin and review.waits < max_waits:
                # Passed against the prior only, maybe because the peer groups are still filling (the first
                # cameras a process judges): not blessed, not learned; the next frame is judged with the peers
                # seen by then.
                review.waits += 1
                detail = (f"passed against the prior only ({frame.peers} of {MIN_PEERS} peers seen yet): "
                          "judged again once its peers are in")  # fmt: skip
                return Outcome(Status.CANNOT_JUDGE, Reason.NO_BASELINE, detail, again=True)
            if fine:
                alone = frame.basis == ALONE
                against = f"{PRIOR_ONLY} ({frame.peers} peers)" if thin else f"against {frame.peers} peers"
                why = f"{FIRST_PASSED} {against}" if alone else "baseline learned earlier"
                self._enter(camera_id, BaselineState.PROVISIONAL, why, now)
                detail = f"{frame.detail}; {against}" if alone and frame.detail else frame.detail
                return Outcome(frame.status, frame.reason, detail, Learn.HEALTHY)
            return self._doubt(camera_id, frame, now)
        if review.state is BaselineState.DOUBTFUL:
            if not fine:
                review.streak.clear()
                return self._doubt(camera_id, frame, now)
            if frame.pending is not None:
                review.streak.append(frame.pending)
            if len(review.streak) < self.samples:
                passed = f"{len(review.streak)} of {self.samples}"
                detail = f"doubtful first pictures; {passed} healthy in a row; {REVIEW_HINT}"
                return Outcome(Status.CANNOT_JUDGE, Reason.NEEDS_REVIEW, detail)
            kept = tuple(review.streak[:-1])
            self._enter(camera_id, BaselineState.PROVISIONAL, f"{self.samples} pictures in a row passed", now)
            return Outcome(frame.status, frame.reason, frame.detail, Learn.HEALTHY, learn_streak=kept)
        if review.vouched:
            if not frame.ready:
                if frame.status is Status.OK:
                    return Outcome(frame.status, frame.reason, frame.detail, Learn.VOUCHED)
                return Outcome(
                    Status.CANNOT_JUDGE, Reason.NO_BASELINE, "approved by a person: learning its picture", Learn.VOUCHED
                )
            review.vouched = False
        provisional_ok = review.state is BaselineState.PROVISIONAL and frame.status is Status.OK
        if provisional_ok and frame.alone is None and review.recheck_due and (frame.peers or 0) >= MIN_PEERS:
            # Still learning, so judged alone anyway, now against enough peers: that is the recheck (a one-off
            # sweep's second picture of a camera whose first passed before the peers were in).
            review.recheck_due = False
            if PRIOR_ONLY in review.reason:
                review.reason = f"{FIRST_PASSED}; rechecked against its peers"
                review.touch()
        if provisional_ok and frame.alone is not None:
            review.recheck_due = False
            if PRIOR_ONLY in review.reason and not frame.alone[0].is_image_fault:
                review.reason = f"{FIRST_PASSED}; rechecked against its peers"
                review.touch()
            if frame.alone[0].is_image_fault:
                # Judged fine against a baseline nobody looked at, but far off its peers (seen since): the
                # baseline may be the fault (a blur learned as the scene). Start over, doubtful.
                status, reason, detail = frame.alone
                doubted = Frame(status, reason, detail, ALONE, False, frame.claim)
                outcome = self._doubt(camera_id, doubted, now)
                return Outcome(outcome.status, outcome.reason, outcome.detail, drop_baseline=True, keep_picture=True)
        if provisional_ok and frame.claim:
            # The rules find the picture fine *against a baseline nobody looked at*, while the camera itself
            # reports a fault: the baseline may be the fault (a cover learned as the scene). Start over, doubtful.
            outcome = self._doubt(camera_id, frame, now)
            return Outcome(outcome.status, outcome.reason, outcome.detail, drop_baseline=True, keep_picture=True)
        if review.state is BaselineState.PROVISIONAL and frame.learning and frame.status.is_image_fault:
            # Still learning this mode and the no-baseline rules now name a fault: what was learned passed while
            # fewer peers had been seen, and may be the fault itself (a blur learned as the scene, symptom: a
            # provisional camera reading defocused sweep after sweep). Start over, doubtful. Not for a mode with
            # nothing learned: a black picture is grey, judged in the IR mode, and must not drop the day baseline.
            outcome = self._doubt(camera_id, frame, now)
            return Outcome(outcome.status, outcome.reason, outcome.detail, drop_baseline=True, keep_picture=True)
        learn = Learn.HEALTHY if frame.status is Status.OK else Learn.NO
        return Outcome(frame.status, frame.reason, frame.detail, learn)

    def _doubt(self, camera_id: str, frame: Frame, now: float) -> Outcome:
        """The frame is doubtful: report the fault it shows, else needs_review; keep the picture for people."""
        review = self.get(camera_id)
        if frame.status.is_image_fault:
            why = f"{frame.status}: {frame.detail}" if frame.detail else str(frame.status)
            status, reason, detail = frame.status, frame.reason, frame.detail
        else:
            if frame.claim:
                why = f"the camera itself reports {_claim_words(frame.claim)}"
            else:
                why = frame.detail or f"{frame.status}/{frame.reason}"
            status, reason, detail = Status.CANNOT_JUDGE, Reason.NEEDS_REVIEW, f"{why}; {REVIEW_HINT}"
        changed = review.state is not BaselineState.DOUBTFUL or review.reason != why
        if review.state is not BaselineState.DOUBTFUL:
            self._enter(camera_id, BaselineState.DOUBTFUL, why, now)
        elif review.reason != why:
            review.reason = why
            review.touch()
        keep = changed or review.thumbnail is None or now - review.thumbnail_at >= THUMBNAIL_REFRESH_S
        return Outcome(status, reason, detail, keep_picture=keep)

    def picture(self, camera_id: str, thumbnail: bytes, now: float) -> None:
        """The review thumbnail of the camera's latest doubtful picture (made off the loop)."""
        review = self.cameras.get(camera_id)
        if review is not None and review.state is BaselineState.DOUBTFUL:
            review.thumbnail, review.thumbnail_at = thumbnail, now
            review.touch()

    # ------------------------------------------------------------------ people and the database
    def approve(self, approval: Approval, now: float) -> bool:
        """Apply a person's approval; True when it changed the camera's state."""
        camera_id = approval.camera_id
        review = self.get(camera_id)
        who = f"approved by {approval.by}" if approval.by else "approved"
        why = f"{who}: {approval.note}" if approval.note else who
        if review.state is BaselineState.APPROVED:
            return False
        vouched = review.state in (BaselineState.NONE, BaselineState.DOUBTFUL)
        self._enter(camera_id, BaselineState.APPROVED, why, now)
        review.vouched = vouched
        return True

    def referenced(self, camera_id: str, source: str, now: float) -> None:
        """The camera's baseline was built from its acceptance picture: approved, judged against it at once."""
        self._enter(camera_id, BaselineState.APPROVED, f"acceptance picture {source}".strip(), now)
        self.get(camera_id).vouched = False

    def reset(self, camera_id: str, now: float) -> None:
        """``camfleet baseline reset``: the camera starts over from ``none``."""
        self._enter(camera_id, BaselineState.NONE, "baseline reset", now)
        self.get(camera_id).vouched = False

    def forget(self, camera_id: str) -> None:
        """The camera left the inventory."""
        self.cameras.pop(camera_id, None)

    def restore(self, stored: Mapping[str, BaselineReview], with_baseline: set[str]) -> None:
        """Take the states stored by an earlier run (or another process). ``with_baseline``: the cameras that
        have a stored baseline. A provisional camera without one was reset meanwhile (``none``); an approved
        one without one was approved before it learned anything (vouched: it learns what it shows); a
        camera with a baseline but no stored state learned it before baseline states existed (provisional)."""
        for camera_id, row in stored.items():
            state, vouched = row.state, False
            if camera_id not in with_baseline:
                if state is BaselineState.PROVISIONAL:
                    state = BaselineState.NONE
                vouched = state is BaselineState.APPROVED
            self.cameras[camera_id] = Review(
                state, row.reason, row.since, row.thumbnail, row.updated_at if row.thumbnail else 0.0, vouched,
                recheck_due=state is BaselineState.PROVISIONAL and PRIOR_ONLY in row.reason,
                written=1 if state is row.state else 0,
            )  # fmt: skip
        for camera_id in with_baseline - set(stored):
            self.cameras[camera_id] = Review(BaselineState.PROVISIONAL, "baseline learned before baseline states")
        self.publish_all()

    def dirty(self, now: float) -> tuple[list[BaselineReview], dict[str, int]]:
        """The states changed since they were last stored, and the change counts to pass to ``stored()`` once
        they are written (a change made while the write runs stays to be written)."""
        changed = {cid: r for cid, r in sorted(self.cameras.items()) if r.changes != r.written}
        rows = [BaselineReview(cid, r.state, r.reason, r.since, r.thumbnail, now) for cid, r in changed.items()]
        return rows, {cid: r.changes for cid, r in changed.items()}

    def stored(self, marks: Mapping[str, int]) -> None:
        """The rows of ``dirty()`` were written."""
        for camera_id, changes in marks.items():
            review = self.cameras.get(camera_id)
            if review is not None:
                review.written = changes
