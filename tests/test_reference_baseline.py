"""The lifecycle's picture work (vision/lifecycle.py): a baseline made of an acceptance picture, ready at once
and at the frames' scale; the peer recheck of a provisional baseline."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from camfleet.errors import FrameError
from camfleet.model import Status
from camfleet.simulator.device_ops import TZ_OFFSET_S
from camfleet.simulator.frame import FrameRequest, render_frame
from camfleet.simulator.scene import BaseCache
from camfleet.vision import Baseline, analyze_jpeg, decode_jpeg, encode_jpeg
from camfleet.vision.lifecycle import Judging, analyze_frame, reference_baseline

SEED = 4242
_LOCAL = time.time() + TZ_OFFSET_S
NOON = _LOCAL - (_LOCAL % 86400) + 12 * 3600


def view(kinds: frozenset[str] = frozenset(), at: float = NOON, size: tuple[int, int] = (640, 360)) -> bytes:
    """The simulated camera's snapshot at ``at`` (local time) with the faults ``kinds``."""
    return render_frame(FrameRequest(SEED, size[0], size[1], at, "C1", kinds, 80), BaseCache(max_bytes=0))


def test_reference_baseline_is_ready_and_sized_like_the_frames() -> None:
    """The baseline is ready at once in the picture's mode, at the analysis width of the frames it judges,
    whether the acceptance picture has the frames' size or is a larger photo of the same view."""
    frame = view(at=NOON + 60)
    for reference in (view(), view(size=(1920, 1080))):
        baseline = reference_baseline(reference, frame, 2, 5, 0.02)
        ready = baseline.ready("day")
        assert ready is not None and ready.count == 5
        stats, _verdict, _sig = analyze_jpeg(frame, None, None, 2)
        assert ready.values["analysis_width"] == stats.extra["analysis_width"] == 320.0


def test_frames_judged_against_the_acceptance_picture() -> None:
    """The healthy view a minute later (movers moved, new noise) is ok against it; the camera turned away is
    displaced from its very first frame, with no history at all; covered reads covered."""
    reference = view()
    got = {}
    cases = {"healthy": frozenset(), "turned": frozenset({"displaced"}), "covered": frozenset({"covered"})}
    for name, kinds in cases.items():
        _stats, verdict, _sig, judged = analyze_frame(view(kinds, NOON + 60), Baseline(5), None, 2, 8 << 20, True,
                                                      Judging(reference=reference))  # fmt: skip
        assert judged.made is not None and judged.alone is None
        got[name] = verdict.status
    assert got == {"healthy": Status.OK, "turned": Status.DISPLACED, "covered": Status.COVERED}


def test_a_reference_that_does_not_decode_leaves_the_frame_judged_as_before() -> None:
    """A broken acceptance picture gives no baseline (None) and the frame is judged against the one given;
    a broken frame is still the frame's error."""
    frame = view()
    broken = Judging(reference=b"\xff\xd8 not a picture")
    stats, verdict, _sig, judged = analyze_frame(frame, Baseline(5), None, 2, 8 << 20, True, broken)
    assert judged.made is None and stats.width == 640
    assert verdict.status is analyze_jpeg(frame, Baseline(5), None, 2)[1].status
    with pytest.raises(FrameError):
        analyze_frame(b"junk", Baseline(5), None, 2, 8 << 20, True, Judging(reference=view()))


def test_a_grey_reference_becomes_the_night_baseline() -> None:
    """An acceptance picture taken in IR (grayscale) makes the IR baseline, not the day one."""
    image, _w, _h = decode_jpeg(view(), 1)
    grey = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    baseline = reference_baseline(encode_jpeg(np.asarray(grey, np.uint8)), view(), 2, 5, 0.02)
    assert set(baseline.modes) == {"ir"} and baseline.ready("ir") is not None


def _learned(kinds: frozenset[str]) -> Baseline:
    """A baseline learned from five pictures of the simulated camera with ``kinds`` in force."""
    baseline = Baseline(5)
    for k in range(5):
        stats, verdict, sig = analyze_jpeg(view(kinds, NOON + 20 * k), baseline, None, 2)
        baseline.learn(stats, sig, None, verdict.mode)
    return baseline


def test_peer_recheck_judges_an_ok_frame_again_against_enough_peers() -> None:
    """A camera blurred from the start learned its blur: its frames read ok against that baseline. Asked to
    recheck, with at least MIN_PEERS peers in its mode, the frame is judged again with no baseline against them
    (the no-baseline verdict, basis alone, counting those peers); with fewer peers, or not asked, there is no
    recheck verdict; a frame not ok against its baseline is not rechecked."""
    from camfleet.simulator.spec import camera_seed
    from camfleet.vision.alone import MIN_PEERS, judge_alone
    from camfleet.vision.peers import view_of

    global SEED
    peers_stats = []
    for i in range(MIN_PEERS + 2):
        SEED = camera_seed(1, f"peer-{i}")
        peers_stats.append(analyze_jpeg(view(), None, None, 2)[0])
    SEED = 4242
    many, few = view_of("m@320", peers_stats), view_of("m@320", peers_stats[: MIN_PEERS - 2])
    blurred = _learned(frozenset({"defocus"}))
    frame = view(frozenset({"defocus"}), NOON + 300)
    stats, verdict, sig, judged = analyze_frame(frame, blurred, None, 2, 8 << 20, True, Judging(many, recheck=True))
    assert verdict.status is Status.OK and verdict.basis == "baseline"
    assert judged.alone == judge_alone(stats, sig, None, many)
    assert judged.alone.basis == "alone" and judged.alone.scores["peers"] == MIN_PEERS + 2
    assert analyze_frame(frame, blurred, None, 2, 8 << 20, True, Judging(few, recheck=True))[3].alone is None
    assert analyze_frame(frame, blurred, None, 2, 8 << 20, True, Judging(many))[3].alone is None
    covered = analyze_frame(view(frozenset({"covered"})), blurred, None, 2, 8 << 20, True, Judging(many, recheck=True))
    assert covered[1].status is not Status.OK and covered[3].alone is None
