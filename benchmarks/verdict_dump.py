"""Every verdict of a fixed, seeded set of samples, one JSON line each: to prove a refactor of the rules changes none.

Per scene (a few of the tuning and held-out splits by default, each judged one of the three ways below),
``--normal`` healthy samples of every normal kind and
``--repeats`` samples per fault kind and strength of both generators (tests/vision_fault_helpers.py,
tests/vision_fault_alt.py), judged three ways:

- ``baseline``: against the scene's learned baseline, as ``vision_eval.py`` judges them (``judge_generators``);
- ``alone``: with no baseline, against the other scenes' first pictures as peers (``vision_eval.py --day-one``);
- ``alone-osd``: the same with every picture carrying a camera's OSD (``CAMFLEET_EVAL_OSD=1``, ``--osd``).

Each line: the sample's id (path, scene, index, generator, truth, case, strength), the verdict's status, reason,
detail, basis, mode and scores (as the Verdict rounds them). Run it before and after a change and diff the outputs:

    PYTHONPATH=. nice -n 5 .venv/bin/python benchmarks/verdict_dump.py > /tmp/before.jsonl
    ... change the rules ...
    PYTHONPATH=. nice -n 5 .venv/bin/python benchmarks/verdict_dump.py > /tmp/after.jsonl
    cmp /tmp/before.jsonl /tmp/after.jsonl

The figures themselves mean nothing here (too few samples): only their equality does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import vision_eval_helpers as ve
import vision_fault_alt as va
import vision_fault_helpers as vf
import vision_scene_helpers as vs

from camfleet.model import FrameStats
from camfleet.vision import PeerBook, PeerView, Verdict, peer_group

GENERATORS = ("default", "alt")
# Tuning and held-out scenes (colour and grey, stills and video, a night sky), each judged one way: about 1,000 samples,
# ~10 minutes with 2 workers on a busy 2-core box.
BASELINE = ("astronaut", "rocket", "bikes-cyclist", "china", "brick")
ALONE = ("coffee", "motorcycle", "ihc")
OSD = ("camera", "flower")


def _line(path: str, scene: str, index: int, generator: str, sample: ve.Sample, verdict: Verdict) -> str:
    """One sample's verdict as a JSON line (keys sorted: the same verdict gives the same bytes)."""
    record = {
        "id": f"{path}/{scene}/{index}/{generator or 'healthy'}/{sample.truth}/{sample.case}/{sample.strength}",
        "status": verdict.status.value,
        "reason": verdict.reason.value,
        "detail": verdict.detail,
        "basis": verdict.basis,
        "mode": verdict.mode,
        "scores": verdict.scores,
    }
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def _osd(on: bool) -> None:
    """Every picture the helpers shoot carries an OSD (``ve.OSD_ENV``), or none."""
    if on:
        os.environ[ve.OSD_ENV] = "1"
    else:
        os.environ.pop(ve.OSD_ENV, None)


def with_baseline(args: tuple[str, int, int, int]) -> list[str]:
    """One scene's samples judged against its learned baseline."""
    name, normal, repeats, seed = args
    _osd(False)
    judged = va.judge_generators(name, normal, repeats, seed, GENERATORS)
    return [_line("baseline", name, i, g, s, v) for i, (g, s, v) in enumerate(judged)]


def alone(args: tuple[str, int, int, int, PeerView | None, bool]) -> list[str]:
    """One scene's samples judged with no baseline, against its peers (with or without an OSD)."""
    name, normal, repeats, seed, peers, osd = args
    _osd(osd)
    judged = vf.judge_scene_alone(name, normal, repeats, peers, seed, GENERATORS)
    path = "alone-osd" if osd else "alone"
    return [_line(path, name, i, g, s, v) for i, (g, s, v) in enumerate(judged)]


def first_pictures(args: tuple[str, int, bool]) -> tuple[str, list[FrameStats]]:
    """A scene's healthy first pictures, which its peers see (with or without an OSD)."""
    name, seed, osd = args
    _osd(osd)
    return name, list(vf.first_pictures(name, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-scenes", default=",".join(BASELINE), help="judged against their baseline")
    parser.add_argument("--alone-scenes", default=",".join(ALONE), help="judged alone, without an OSD")
    parser.add_argument("--osd-scenes", default=",".join(OSD), help="judged alone, with an OSD")
    parser.add_argument("--normal", type=int, default=1, help="healthy samples per scene and kind")
    parser.add_argument("--repeats", type=int, default=1, help="samples per fault kind and strength")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    known = set(vs.TUNING + vs.HELD_OUT + vs.UNSEEN)

    def scenes(names: str) -> tuple[str, ...]:
        chosen = tuple(n for n in names.split(",") if n)
        if set(chosen) - known:
            parser.error(f"unknown scenes: {', '.join(sorted(set(chosen) - known))}")
        return chosen

    judged = (*scenes(args.baseline_scenes), *scenes(args.alone_scenes), *scenes(args.osd_scenes))
    fleet = tuple(dict.fromkeys((*judged, *vs.TUNING, *vs.HELD_OUT)))
    with ProcessPoolExecutor(args.workers) as pool:
        jobs_b = [(n, args.normal, args.repeats, args.seed) for n in scenes(args.baseline_scenes)]
        for lines in pool.map(with_baseline, jobs_b):
            print("\n".join(lines), flush=True)
        for osd, names in ((False, scenes(args.alone_scenes)), (True, scenes(args.osd_scenes))):
            if not names:
                continue
            book = PeerBook()
            groups: dict[str, str] = {}
            for name, pictures in pool.map(first_pictures, [(n, args.seed, osd) for n in fleet]):
                for stats in pictures:
                    groups[name] = peer_group("eval", int(stats.extra["analysis_width"]))
                    book.add(groups[name], name, stats)
            jobs = [(n, args.normal, args.repeats, args.seed, book.view(groups[n], n), osd) for n in names]
            for lines in pool.map(alone, jobs):
                print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
