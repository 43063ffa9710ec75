"""The poller's unit of picture work for the baseline lifecycle (docs/baselines.md), run in the process pool.

``analyze_frame`` is ``analyze_jpeg`` plus two things the baseline states need:

- **An acceptance picture** (验收照片), the view the camera was accepted with, becomes one mode's baseline,
  ready at once (its count set to the learning samples), so the first frame of a camera turned away before
  camfleet ever polled it is judged against the intended view. It is analysed at exactly the size the
  camera's frames are: decoded like them when it has their size (same JPEG reduction), else decoded whole
  and shrunk to their decoded size (area averaging), so scale-dependent values (sharpness, edges) compare.
  Made of one picture, its texture and crispness floors are that picture's and its wander none; the healthy
  frames judged ``ok`` against it widen them as usual. A reference that does not decode is ignored (the
  frame is judged as before): a broken acceptance picture must not make the camera's picture an error.
- **The peer recheck of a provisional baseline.** A camera's first pictures may be judged before enough of
  its peers were seen (the first cameras of a sweep): a blurred camera then passes with the prior and learns
  its blur. Once, while its baseline is provisional, a frame judged ``ok`` against it is judged again with
  no baseline against the peers seen since; the verdict is returned when the peers were enough to judge by
  (``alone.MIN_PEERS`` in the frame's mode), for the caller to weigh.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import cv2
import numpy as np

from camfleet.errors import FrameError
from camfleet.model import FrameStats, Status
from camfleet.vision.alone import MIN_PEERS, judge_alone
from camfleet.vision.analyze import analyze_jpeg
from camfleet.vision.baseline import Baseline, ModeBaseline, mode_of
from camfleet.vision.decode import MAX_BYTES, check_jpeg, decode_jpeg
from camfleet.vision.features import FrameSignature, compute_features
from camfleet.vision.peers import PeerView
from camfleet.vision.verdict import Verdict


@dataclass(frozen=True, slots=True)
class Judging:
    """What a frame is judged with besides its baseline (small and picklable: it goes to the pool)."""

    peers: PeerView | None = None  # the other cameras of its model and analysis width
    reference: bytes | None = None  # an acceptance picture to build the baseline from first
    recheck: bool = False  # judge an ok frame again with no baseline, against the peers


@dataclass(frozen=True, slots=True)
class Judged:
    """What ``analyze_frame`` found besides the verdict: the baseline made of the acceptance picture (None
    without one, or when it did not decode), and the recheck's no-baseline verdict (None when not asked,
    the frame was not ok, or the peers were too few)."""

    made: Baseline | None = None
    alone: Verdict | None = None


def reference_baseline(
    reference: bytes,
    frame: bytes,
    reduction: int,
    samples: int,
    alpha: float,
    max_bytes: int = MAX_BYTES,
) -> Baseline:
    """The baseline made of ``reference`` at the analysis size of ``frame`` (a picture of the camera).

    Raises ``FrameError`` when either is not a usable JPEG.
    """
    image, width, height = decode_jpeg(frame, reduction, max_bytes)
    ref_width, ref_height = check_jpeg(reference, max_bytes)
    if (ref_width, ref_height) == (width, height):
        picture, _w, _h = decode_jpeg(reference, reduction, max_bytes)
    else:
        whole, _w, _h = decode_jpeg(reference, 1, max_bytes)
        size = (image.shape[1], image.shape[0])
        picture = np.asarray(cv2.resize(whole, size, interpolation=cv2.INTER_AREA), np.uint8)
    stats, signature = compute_features(picture, width, height)
    mode = ModeBaseline.first(stats, signature)
    mode.count = samples
    return Baseline(samples, alpha, {mode_of(stats): mode})


def analyze_frame(
    data: bytes,
    baseline: Baseline,
    previous: FrameSignature | None,
    reduction: int,
    max_bytes: int,
    jpeg_blocks: bool,
    judging: Judging,
) -> tuple[FrameStats, Verdict, FrameSignature, Judged]:
    """Judge one frame (``analyze_jpeg``) as ``judging`` says; see the module docstring.

    Raises ``FrameError`` for a frame that is not a usable JPEG, as ``analyze_jpeg`` does.
    """
    made: Baseline | None = None
    if judging.reference is not None:
        check_jpeg(data, max_bytes)  # the frame's own faults are the frame's (raised), not the reference's
        with contextlib.suppress(FrameError):
            made = reference_baseline(judging.reference, data, reduction, baseline.samples, baseline.alpha, max_bytes)
    judged = made if made is not None else baseline
    stats, verdict, signature = analyze_jpeg(
        data, judged, previous, reduction, max_bytes, jpeg_blocks, peers=judging.peers, every_feature=judging.recheck
    )
    alone: Verdict | None = None
    rechecked = judging.recheck and verdict.basis == "baseline" and verdict.status is Status.OK
    if rechecked and judging.peers is not None:
        seen = judging.peers.mode(mode_of(stats))
        if seen is not None and seen.count >= MIN_PEERS:
            alone = judge_alone(stats, signature, previous, judging.peers)
    return stats, verdict, signature, Judged(made, alone)
