"""Image faults in the health state machine: their own hysteresis, and the root-cause order."""

from __future__ import annotations

from camfleet.config import CamfleetConfig
from camfleet.model import CheckKind, FrameStats, ProbeResult, Reason, Status
from camfleet.runtime.health import HealthMachine

CFG = CamfleetConfig.model_validate({"poller": {"fail_threshold": 2, "recover_threshold": 2}})
STATS = FrameStats(640, 360, 120, 30, 200, 0.03, 7, 60, 0.4, 0, False)


def live(status: Status = Status.OK, reason: Reason = Reason.NONE) -> ProbeResult:
    """A liveness result."""
    return ProbeResult("C1", CheckKind.LIVENESS, status, reason)


def frame(status: Status, reason: Reason = Reason.NONE, **scores: float) -> ProbeResult:
    """A judged picture."""
    return ProbeResult("C1", CheckKind.FRAME, status, reason, frame=STATS, scores=dict(scores))


def machine(fault_threshold: int = 3) -> HealthMachine:
    """A machine tracking one camera that answers."""
    h = HealthMachine(CFG.poller, fault_threshold=fault_threshold)
    h.add_camera("C1", "up")
    h.observe(live(), 1.0)
    return h


def feed(h: HealthMachine, *results: ProbeResult) -> list[Status]:
    """Feed results; the shown status after each."""
    out = []
    for i, r in enumerate(results):
        h.observe(r, 10.0 + i)
        out.append(h.states["C1"].status)
    return out


def test_one_odd_frame_never_alarms() -> None:
    """A lorry in front of the lens for one sample (one displaced frame between ok ones) changes nothing."""
    h = machine()
    shown = feed(h, frame(Status.OK), frame(Status.DISPLACED), frame(Status.OK), frame(Status.DISPLACED),
                 frame(Status.DISPLACED), frame(Status.OK))  # fmt: skip
    assert shown == [Status.OK] * 6


def test_fault_needs_the_same_fault_threshold_times_in_a_row() -> None:
    """vision.fault_threshold (3) frames of the *same* fault: covered, spray, covered, covered does not alarm;
    the third covered in a row does; recovery takes recover_threshold (2) ok frames."""
    h = machine()
    shown = feed(h, frame(Status.OK), frame(Status.COVERED), frame(Status.SPRAY), frame(Status.COVERED),
                 frame(Status.COVERED), frame(Status.COVERED), frame(Status.OK), frame(Status.OK))  # fmt: skip
    assert shown == [Status.OK] * 5 + [Status.COVERED, Status.COVERED, Status.OK]


def test_root_cause_order_offline_and_auth_before_picture() -> None:
    """A covered camera that goes offline shows offline; refusing its password shows auth_failed; back up,
    it shows its confirmed picture fault again."""
    h = machine(fault_threshold=1)
    assert feed(h, frame(Status.COVERED)) == [Status.COVERED]
    assert feed(h, live(Status.OFFLINE, Reason.REFUSED), live(Status.OFFLINE, Reason.REFUSED))[-1] is Status.OFFLINE
    assert feed(h, live(), live())[-1] is Status.COVERED
    auth = ProbeResult("C1", CheckKind.IDENTITY, Status.AUTH_FAILED, Reason.PASSWORD)
    assert feed(h, auth, auth)[-1] is Status.AUTH_FAILED


def test_no_baseline_is_cannot_judge_never_ok_and_scores_are_kept() -> None:
    """A camera whose picture cannot be judged shows cannot_judge/no_baseline; scores and last_frame_at are
    copied from the judged frame (sharpness_ratio feeds a metric)."""
    h = machine()
    feed(h, frame(Status.CANNOT_JUDGE, Reason.NO_BASELINE, brightness=120.0),
         frame(Status.CANNOT_JUDGE, Reason.NO_BASELINE, sharpness_ratio=0.9))  # fmt: skip
    state = h.states["C1"]
    assert (state.status, state.reason) == (Status.CANNOT_JUDGE, Reason.NO_BASELINE)
    assert state.scores == {"sharpness_ratio": 0.9} and state.last_frame_at == 11.0
