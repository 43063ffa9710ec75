"""CPU cost per frame of each feature group and each rule of the picture analysis, against the reduced decode.

On simulated camera snapshots (``simulator.frame.render_frame``: scene, passers-by, sensor noise, OSD) at
1920×1080 and 1280×720, three scenes — a textured day view, the same view by IR night, the lens covered by
dark cloth — it measures in one run, one thread (``cv2.setNumThreads(1)``, as in the picture workers):

- ``decode ÷4``: ``cv2.imdecode(..., IMREAD_REDUCED_COLOR_4)`` alone, the floor every figure is a ratio to;
- each feature group of ``compute_features`` (on the decoded picture, its inputs prepared beforehand);
- each stage of the verdict: ``judge`` with a ready baseline (day and night learned), ``judge_alone`` with
  peers (other cameras' pictures), ``blind_verdict``;
- the whole ``analyze_jpeg``, decode included: ``steady`` (the camera has a ready baseline for the picture's
  mode, and a previous picture) and ``day one`` (no baseline, peers given).

Each figure is the CPU time of one call (``time.thread_time``), min and median of ``--calls`` calls, and the
median's ratio to the decode's median. ``after decode`` is the whole call's median less the decode's.

Run: PYTHONPATH=. nice -n 5 .venv/bin/python benchmarks/vision_rule_cost.py [--calls 40]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from camfleet.model import FrameStats
from camfleet.simulator.frame import FrameRequest, render_frame
from camfleet.simulator.scene import BaseCache
from camfleet.vision import analyze_jpeg
from camfleet.vision import features as f
from camfleet.vision.alone import judge_alone
from camfleet.vision.baseline import Baseline
from camfleet.vision.blind import blind_verdict
from camfleet.vision.decode import decode_jpeg
from camfleet.vision.features import FrameSignature
from camfleet.vision.peers import PeerView, peer_group, view_of
from camfleet.vision.verdict import judge

NOON, MIDNIGHT = 12 * 3600.0, 0.0
SIZES = ((1920, 1080), (1280, 720))
SEED = 7
PEER_SEEDS = range(20, 30)
CACHE = BaseCache()
Row = tuple[str, Callable[[], Any]]


def snapshot(size: tuple[int, int], at: float, kinds: frozenset[str] = frozenset(), seed: int = SEED) -> bytes:
    """One simulated snapshot of camera ``seed`` at local time ``at`` (seconds into 1970-01-01)."""
    request = FrameRequest(seed, size[0], size[1], at, f"cam-{seed:04d}", kinds, material="dark_cloth")
    return render_frame(request, CACHE)


def cpu(fn: Callable[[], Any], calls: int) -> tuple[float, float]:
    """Min and median CPU time of one call of ``fn``, in ms (after one warm-up call)."""
    fn()
    times = []
    for _ in range(calls):
        t0 = time.thread_time()
        fn()
        times.append(time.thread_time() - t0)
    return min(times) * 1000, statistics.median(times) * 1000


def feature_groups(image: np.ndarray, width: int, height: int) -> list[Row]:
    """``compute_features`` cut into its groups, each given its inputs ready (as ``features.Features`` makes them):
    first the steady stage (``Features.stats``), then what ``complete()`` adds for the day-one rules."""
    bgr = f.analysis_image(image)
    gray = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), np.uint8)
    luma = gray.astype(np.float32)
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    edges = np.asarray(cv2.Canny(smooth, f.CANNY_LOW, f.CANNY_HIGH), np.uint8)
    small = f.shrunk(bgr)
    _, cast, _, _ = f._colour(small)
    laplacian = np.asarray(cv2.Laplacian(gray, cv2.CV_32F), np.float32)
    side = f.block_side(image.shape[1], image.shape[0], width, height)
    signature = f.make_signature(gray, edges, cast, laplacian, side, luma)
    hist = f._histogram(gray)
    blocks = f._block_std(gray)
    means = f._block_mean(gray, blocks.shape)
    osd = f.Osd.find(edges, blocks.shape)
    scene = osd.scene_blocks(blocks)
    sharpness = f.Sharpness(luma, signature.cells, osd.cells)
    return [
        ("luma (analysis image, grey)", lambda: cv2.cvtColor(f.analysis_image(image), cv2.COLOR_BGR2GRAY)),
        ("edges (blur, Canny)", lambda: cv2.Canny(cv2.GaussianBlur(gray, (3, 3), 0), f.CANNY_LOW, f.CANNY_HIGH)),
        ("colour (shrunk, casts)", lambda: f._colour(f.shrunk(bgr))),
        ("Laplacian", lambda: cv2.Laplacian(gray, cv2.CV_32F)),
        ("signature (thumb, cells, probes)", lambda: f.make_signature(gray, edges, cast, laplacian, side, luma)),
        ("global stats (hist, entropy, means)", lambda: _globals(gray, edges, laplacian)),
        ("block std", lambda: f._block_std(gray)),
        ("OSD (find)", lambda: f.Osd.find(edges, blocks.shape)),
        ("sharpness (Sobel ×3, edge_sharp, crisp)", lambda: f.Sharpness(luma, signature.cells, osd.cells)),
        ("**steady stage (Features)**", lambda: f.Features(image, width, height)),
        ("day one: block mean, OSD scene blocks/hist", lambda: _osd(gray, blocks, osd)),
        ("day one: edge_aniso, p01/p99", lambda: sharpness.alone(osd.scene_hist(gray, hist))),
        ("day one: veil", lambda: f.veil(small)),
        ("day one: coat_edge + coat_repeat", lambda: (f.coat_edge(scene), f.coat_repeat(scene))),
        ("day one: blotches (+ coat_free)", lambda: f._blotches(gray, scene, means)),
        ("day one: near_cover", lambda: f.near_cover(gray, blocks, edges, means, small)),
        ("day one: OSD bare features", lambda: osd.bare_features(edges, blocks, signature.cells)),
        ("**compute_features (all)**", lambda: f.compute_features(image, width, height)),
    ]


def _globals(gray: np.ndarray, edges: np.ndarray, laplacian: np.ndarray) -> None:
    hist = f._histogram(gray)
    f._entropy(hist, gray.size)
    float(gray.mean()), float(gray.std()), float(laplacian.var()), np.count_nonzero(edges)
    np.count_nonzero(gray >= f.CLIPPED), np.count_nonzero(gray <= f.DARK)


def _osd(gray: np.ndarray, blocks: np.ndarray, osd: f.Osd) -> None:
    f._block_mean(gray, blocks.shape)
    osd.scene_blocks(blocks), osd.scene_hist(gray, f._histogram(gray))


def features(jpeg: bytes) -> tuple[FrameStats, FrameSignature]:
    """``compute_features`` of a snapshot decoded as the workers decode it."""
    return f.compute_features(*decode_jpeg(jpeg))


def learned(size: tuple[int, int]) -> Baseline:
    """The camera's baseline: five healthy day and five healthy night pictures, both modes ready."""
    baseline = Baseline(samples=5)
    for k in range(5):
        for at in (NOON, MIDNIGHT):
            stats, signature = features(snapshot(size, at + 600 * (k + 1)))
            baseline.learn(stats, signature)
    return baseline


def stages(jpeg: bytes, baseline: Baseline, previous: FrameSignature, peers: PeerView | None) -> list[Row]:
    """Every figure of one snapshot: the decode, the feature groups, the verdict's stages, the whole call."""
    image, width, height = decode_jpeg(jpeg)
    stats, signature = f.compute_features(image, width, height)
    steady = judge(stats, baseline, previous, signature)
    return [
        ("decode ÷4 (floor)", lambda: cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_REDUCED_COLOR_4)),
        *feature_groups(image, width, height),
        ("judge (ready baseline)", lambda: judge(stats, baseline, previous, signature)),
        ("judge_alone (peers)", lambda: judge_alone(stats, signature, previous, peers)),
        ("blind_verdict", lambda: blind_verdict(stats, signature, baseline, steady)),
        ("analyze_jpeg, steady", lambda: analyze_jpeg(jpeg, baseline, previous)),
        ("analyze_jpeg, day one", lambda: analyze_jpeg(jpeg, None, previous, peers=peers)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40, help="calls per figure (min and median taken)")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    covered = frozenset({"covered"})
    scenes = {"day": (NOON, frozenset()), "IR night": (MIDNIGHT, frozenset()), "covered": (NOON, covered)}
    print("| frame | scene | stage | min ms | median ms | × decode |")
    print("| --- | --- | --- | --- | --- | --- |")
    for size in SIZES:
        frame = f"{size[0]}×{size[1]}"
        baseline = learned(size)
        others = [features(snapshot(size, at, seed=s))[0] for s in PEER_SEEDS for at in (NOON, MIDNIGHT)]
        peers = view_of(peer_group("sim", int(others[0].extra["analysis_width"])), others)
        for name, (at, kinds) in scenes.items():
            jpeg = snapshot(size, at + 30, kinds)
            previous = features(snapshot(size, at + 330, kinds))[1]
            floor = 0.0
            for label, fn in stages(jpeg, baseline, previous, peers):
                low, mid = cpu(fn, args.calls)
                floor = floor or mid
                print(f"| {frame} | {name} | {label} | {low:.2f} | {mid:.2f} | {mid / floor:.2f} |")
                if label.startswith("analyze_jpeg"):
                    print(f"| {frame} | {name} | ↳ after decode | | {mid - floor:.2f} | {(mid - floor) / floor:.2f} |")
            steady = analyze_jpeg(jpeg, baseline, previous)[1].status.value
            alone = analyze_jpeg(jpeg, None, previous, peers=peers)[1].status.value
            print(f"| {frame} | {name} | verdicts: steady {steady}, day one {alone} | | | |")


if __name__ == "__main__":
    main()
