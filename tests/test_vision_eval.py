"""A small slice of the vision evaluation (benchmarks/vision_eval.py): real scenes, real video motion.

Three scenes — two photographs and a fixed-camera video shot with a cyclist and passing traffic — each
with a learned baseline, a few hundred healthy samples (motion, exposure drift, JPEG 30–95, noise, haze,
IR night, shake, passers-by) and every fault kind at every strength of the full evaluation.
"""

from __future__ import annotations

from collections import Counter

import pytest
import vision_fault_helpers as vf

SCENES = ("chelsea", "motorcycle", "bikes-cyclist")
NORMAL_PER_KIND = 8
Result = list[tuple[str, str, str, str]]  # scene, truth, strength, verdict


@pytest.fixture(scope="module")
def results() -> Result:
    """Every sample of the slice with its verdict (computed once: ~20 s)."""
    return [
        (sample.scene, sample.truth, sample.strength, verdict.status.value)
        for name in SCENES
        for sample, verdict in vf.judge_scene(name, NORMAL_PER_KIND, 1)
    ]


def test_no_false_alarm_on_normal_samples(results: Result) -> None:
    """Over 200 healthy samples across three real scenes raise no alarm at all (target: ≤ 1 per 1,000)."""
    normal = [r for r in results if r[1] == "ok"]
    alarms = [r for r in normal if r[3] != "ok"]
    assert len(normal) >= 200
    assert alarms == []


#: Least share of a kind's samples (all strengths, including those past the detection limit in
#: docs/vision.md) that must be named with exactly the right word.
NAMED_RIGHT = {
    "black": 1.0,
    "covered": 0.9,
    "frozen": 0.7,  # one of the four strengths (re-encoded at another quality) is past the limit
    "overexposed": 0.75,
    "too_dark": 0.9,
    "displaced": 0.9,  # shifts, turns and (since the zoom search) ×1.4 zoom
    "defocused": 0.7,  # per-cell detail: sigma 2 px is caught; 1.5 px only in part
    "ir_cut_stuck": 0.6,
    "spray": 0.6,  # local paint map; heavy (70 %) paint is often named displaced or covered
}


@pytest.mark.parametrize("kind", vf.KINDS)
def test_fault_kind_is_named(results: Result, kind: str) -> None:
    """Each fault kind is named right on most of its samples, and detected as some fault on more."""
    got = Counter(r[3] for r in results if r[1] == kind)
    total = sum(got.values())
    assert total >= 3 * vf.levels(kind) - 3  # every strength on every scene (ir_cut: colour scenes)
    assert got[kind] / total >= NAMED_RIGHT[kind], got
    assert (total - got["ok"] - got["cannot_judge"]) / total >= NAMED_RIGHT[kind], got


def test_obvious_strengths_always_caught(results: Result) -> None:
    """The clearest strength of every kind is detected as a fault on every scene."""
    clearest = {
        "black": "level 0",
        "covered": "bag",
        "spray": "50 %",
        "defocused": "sigma 8",
        "displaced": "shift 10 %",
        "frozen": "same bytes",
        "overexposed": "bloom 420",
        "too_dark": "IR light ×0.25",
        "ir_cut_stuck": "IR 0.7",
    }
    missed = [r for r in results if r[1] != "ok" and r[2] == clearest[r[1]] and r[3] in ("ok", "cannot_judge")]
    assert missed == []
