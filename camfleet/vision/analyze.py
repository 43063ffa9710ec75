"""One call from JPEG bytes to a verdict: the unit of work sent to the process pool.

``analyze_jpeg`` is a top-level function taking and returning only picklable values (bytes, a plain
dict, dataclasses of numpy arrays), so ``ProcessPoolExecutor`` can run it in a worker.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from camfleet.model import FrameStats, Reason, Status
from camfleet.vision.alone import ALONE, judge_alone
from camfleet.vision.baseline import Baseline
from camfleet.vision.blind import blind_verdict
from camfleet.vision.decode import MAX_BYTES, decode_jpeg
from camfleet.vision.features import Features, FrameSignature
from camfleet.vision.peers import PeerView
from camfleet.vision.verdict import Verdict, judge


def analyze_jpeg(
    data: bytes,
    baseline_dict: Baseline | dict[str, Any] | None,
    previous_signature: FrameSignature | None,
    reduction: int = 4,
    max_bytes: int = MAX_BYTES,
    jpeg_blocks: bool = True,
    peers: PeerView | None = None,
    every_feature: bool = False,
) -> tuple[FrameStats, Verdict, FrameSignature]:
    """Decode ``data`` at 1/``reduction`` scale, compute its features and judge it (``judge``, then the
    blind-picture rule of ``vision/blind.py``).

    Raises ``FrameError`` (reason ``not_a_jpeg``, ``oversized`` or ``snapshot_error``) for bytes that are
    not a usable JPEG. An unreadable stored baseline is not an error: the frame is judged as if the
    camera had none yet, with the cause in ``detail``. When the frame's judging mode has no ready baseline
    (none at all, that mode not learned yet, or the picture size changed) the verdict is ``judge_alone``'s
    (``Verdict.basis == "alone"``; ``peers``: the other cameras of its model and width, see ``vision/peers.py``)
    — except a fault the baseline rules name without that mode's baseline (black, overexposed, frozen,
    ``ir_cut_stuck`` against the other mode), which stands. The baseline
    may be given as the object itself (the poller does: pickling its arrays is far cheaper than ``to_dict``,
    which encodes a PNG) or as its stored dict. ``jpeg_blocks=False`` for a JPEG camfleet encoded itself from
    a stream frame: its blocks are not the camera's, and the re-encoded-frozen test is off (an H.264 stream of
    a still scene re-quantises it from keyframe to keyframe, which that test cannot tell from a re-encode).

    The features only the day-one rules read (``Features.complete``: about half the work) are computed only
    when the frame is judged alone, or ``every_feature`` asks for them (the caller judges the frame alone
    itself afterwards, as ``lifecycle.analyze_frame``'s recheck does); else the returned stats hold what judging
    against a baseline, learning it and the peers read (``Features.stats``).
    """
    image, width, height = decode_jpeg(data, reduction, max_bytes)
    features = Features(image, width, height, jpeg_blocks)
    stats, signature = features.stats, features.signature
    baseline: Baseline | None = None
    problem = ""
    if isinstance(baseline_dict, Baseline):
        baseline = baseline_dict
    elif baseline_dict is not None:
        try:
            baseline = Baseline.from_dict(baseline_dict)
        except ValueError as exc:
            problem = str(exc)
    verdict = judge(stats, baseline, previous_signature, signature)
    ready = _ready(baseline, verdict.mode, stats)
    if every_feature or not ready:
        stats = features.complete()
    if not ready:
        why = f"stored baseline ignored: {problem}" if problem else f"no {verdict.mode} baseline yet"
        if verdict.status is Status.CANNOT_JUDGE and verdict.reason is Reason.NO_BASELINE:
            alone = judge_alone(stats, signature, previous_signature, peers)
            why = verdict.detail if not problem else why
            verdict = replace(alone, detail=f"{alone.detail} ({why})" if alone.detail else f"judged alone: {why}")
        else:  # black, overexposed, frozen, ir_cut_stuck: named without this mode's baseline
            verdict = replace(verdict, basis=ALONE)
    verdict = blind_verdict(stats, signature, baseline, verdict)
    return stats, verdict, signature


def _ready(baseline: Baseline | None, mode: str, stats: FrameStats) -> bool:
    """Whether ``mode`` has a ready baseline at this picture's analysis width (else: judged alone)."""
    found = baseline.ready(mode) if baseline is not None else None
    if found is None:
        return False
    width = stats.extra.get("analysis_width", 0.0)
    return abs(found.values.get("analysis_width", 0.0) - width) <= 1.0
