"""One call from JPEG bytes to a verdict: the unit of work sent to the process pool.

``analyze_jpeg`` is a top-level function taking and returning only picklable values (bytes, a plain
dict, dataclasses of numpy arrays), so ``ProcessPoolExecutor`` can run it in a worker.
"""

from __future__ import annotations

from typing import Any

from camfleet.model import FrameStats, Reason, Status
from camfleet.vision.baseline import Baseline
from camfleet.vision.blind import blind_verdict
from camfleet.vision.decode import MAX_BYTES, decode_jpeg
from camfleet.vision.features import FrameSignature, compute_features
from camfleet.vision.verdict import Verdict, judge


def analyze_jpeg(
    data: bytes,
    baseline_dict: Baseline | dict[str, Any] | None,
    previous_signature: FrameSignature | None,
    reduction: int = 4,
    max_bytes: int = MAX_BYTES,
    jpeg_blocks: bool = True,
) -> tuple[FrameStats, Verdict, FrameSignature]:
    """Decode ``data`` at 1/``reduction`` scale, compute its features and judge it (``judge``, then the
    blind-picture rule of ``vision/blind.py``).

    Raises ``FrameError`` (reason ``not_a_jpeg``, ``oversized`` or ``snapshot_error``) for bytes that are
    not a usable JPEG. An unreadable stored baseline is not an error: the frame is judged as if the
    camera had none yet (``cannot_judge``/``no_baseline``), with the cause in ``detail``. The baseline
    may be given as the object itself (the poller does: pickling its arrays is far cheaper than ``to_dict``,
    which encodes a PNG) or as its stored dict. ``jpeg_blocks=False`` for a JPEG camfleet encoded itself from
    a stream frame: its blocks are not the camera's, and the re-encoded-frozen test is off (an H.264 stream of
    a still scene re-quantises it from keyframe to keyframe, which that test cannot tell from a re-encode).
    """
    image, width, height = decode_jpeg(data, reduction, max_bytes)
    stats, signature = compute_features(image, width, height, jpeg_blocks)
    baseline: Baseline | None = None
    problem = ""
    if isinstance(baseline_dict, Baseline):
        baseline = baseline_dict
    elif baseline_dict is not None:
        try:
            baseline = Baseline.from_dict(baseline_dict)
        except ValueError as exc:
            problem = str(exc)
    verdict = blind_verdict(stats, signature, baseline, judge(stats, baseline, previous_signature, signature))
    if problem and verdict.status is Status.CANNOT_JUDGE and verdict.reason is Reason.NO_BASELINE:
        detail = f"stored baseline ignored: {problem}"
        verdict = Verdict(verdict.status, verdict.reason, verdict.scores, detail, verdict.mode)
    return stats, verdict, signature
