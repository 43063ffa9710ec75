"""The vision evaluation: confusion matrix, per-kind recall and false alarms per normal sample.

Builds the evaluation set from real photographs and video shipped in PyPI packages (see
tests/vision_scene_helpers.py, vision_eval_helpers.py, vision_fault_helpers.py): per scene a baseline
from healthy frames, then normal samples and faults at graded strengths, each judged with
``analyze_jpeg`` at decode reduction 4 against the baseline and the sample before it.
Thresholds were tuned on the ``tuning``, ``held-out`` and (since the second round, 2026-11-27) ``unseen``
scenes; the ``fresh`` ones were chosen before that round and judged twice since (seen, not tuned on); the
``fresh2`` ones were chosen before the third round and judged once at its end; the ``fresh3`` ones were chosen
before the fourth round and judged once at its end (pictures: ``pip install --no-deps -r
benchmarks/fresh3-pictures.txt``); the ``fresh4`` ones were chosen before the fifth round and judged once at its
end (``pip install --no-deps -r benchmarks/fresh4-pictures.txt``); the ``fresh5`` ones were chosen before the sixth
round and judged once at its end (pictures: see benchmarks/fresh5-pictures.txt), and once in day-one mode at the
seventh's; the ``fresh6`` ones were chosen before the eighth round changed any rule and are judged once at its end,
in both modes (pictures: see benchmarks/fresh6-pictures.txt); the ``fresh7`` ones were chosen before the ninth round
changed any rule and judged once at its end, in both modes (pictures: see benchmarks/fresh7-pictures.txt); the
``fresh8`` ones before the tenth round changed any rule (judged once at its end, seen since); ``fresh9`` ones
before the eleventh round changed any rule, judged once at its end (pictures: opencv-doc, as fresh7's; seen since);
``fresh10`` ones after the twelfth round's one rule change, before any other, judged once at its end (pictures:
KDE's wallpapers, benchmarks/fresh10-pictures.txt; seen since); ``fresh11`` ones before the thirteenth round changed
any day-one rule, judged once at its end (the honest figure; pictures: MATE's backgrounds,
benchmarks/fresh11-pictures.txt; seen since); ``fresh12`` ones before the fifteenth round changed any day-one rule,
judged once at its end (the honest figure; pictures: Ubuntu Touch's wallpapers, benchmarks/fresh12-pictures.txt).
``all`` leaves fresh12 out until then: it runs only when named.

Day one (``--day-one``, docs/day-one.md): every sample judged with no baseline (``judge_alone``), each scene a
different camera, the healthy first pictures (one day, one IR night) of the other scenes of the split and of the
tuning and held-out splits, at the same analysis width, as its peers; healthy kinds include rain.

Run: .venv/bin/python benchmarks/vision_eval.py [--split tuning|held-out|unseen|fresh|fresh2|…|fresh12|all]
     [--normal 12] [--repeats 3] [--day-one]
     [--scenes a,b]  (a subset of the split's scenes)  [--seed 0]  (another seed: other samples, to look at
     without touching the recorded figures)
     [--generator default|alt|both]  (whose faults: the tuning generator, tests/vision_fault_helpers.py, or the
     second one, tests/vision_fault_alt.py, never tuned on; both: the same normal samples, each generator's
     faults, and the two side by side — docs/vision-generators.md)
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from scipy.stats import beta

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import vision_eval_helpers as ve
import vision_fault_alt as va
import vision_fault_helpers as vf
import vision_scene_helpers as vs

from camfleet.model import FrameStats
from camfleet.vision import PeerBook, PeerView, peer_group

Row = tuple[str, str, str, str, str]  # scene, truth, case, strength, verdict


def run_scene(args: tuple[str, int, int, int]) -> list[Row]:
    """Every sample of one scene with its verdict (one worker process per scene)."""
    name, normal, repeats, seed = args
    judged = vf.judge_scene(name, normal, repeats, seed)
    return [(s.scene, s.truth, s.case, s.strength, v.status.value) for s, v in judged]


def run_scene_alone(args: tuple[str, int, int, int, PeerView | None, str]) -> list[tuple[str, Row]]:
    """Day one: every sample of one scene judged with no baseline, against its peers; rows tagged by the
    generator of their fault ("" for a healthy sample), as ``run_generators``."""
    name, normal, repeats, seed, peers, which = args
    chosen = va.GENERATORS if which == "both" else (which,)
    judged = vf.judge_scene_alone(name, normal, repeats, peers, seed, tuple(chosen))
    return [(g, (s.scene, s.truth, s.case, s.strength, v.status.value)) for g, s, v in judged]


def first_pictures(args: tuple[str, int]) -> tuple[str, list[FrameStats]]:
    """A scene's healthy first pictures, which its peers see."""
    return args[0], vf.first_pictures(*args)


def peer_views(pool: ProcessPoolExecutor, names: tuple[str, ...], seed: int) -> dict[str, PeerView | None]:
    """Per scene of ``names``, a view of the other cameras: the other scenes of ``names`` and of the tuning and
    held-out splits, grouped by analysis width (one camera per scene, its latest day and IR picture)."""
    fleet = tuple(dict.fromkeys((*names, *vs.TUNING, *vs.HELD_OUT)))
    book = PeerBook()
    groups: dict[str, str] = {}
    for name, pictures in pool.map(first_pictures, [(n, seed) for n in fleet]):
        for stats in pictures:
            groups[name] = peer_group("eval", int(stats.extra["analysis_width"]))
            book.add(groups[name], name, stats)
    return {name: book.view(groups[name], name) for name in names}


def run_generators(args: tuple[str, int, int, int, str]) -> list[tuple[str, Row]]:
    """As ``run_scene``, with the faults of ``alt`` or ``both`` generators, each row tagged by its generator
    ("" for a normal sample: the same samples whichever generator's faults are judged)."""
    name, normal, repeats, seed, which = args
    chosen = va.GENERATORS if which == "both" else (which,)
    judged = va.judge_generators(name, normal, repeats, seed, chosen)
    return [(g, (s.scene, s.truth, s.case, s.strength, v.status.value)) for g, s, v in judged]


def side_by_side(tagged: list[tuple[str, Row]], title: str) -> None:
    """Each generator's confusion matrix (``report``), then per fault kind the two generators' recall."""
    normal = [r for g, r in tagged if not g]
    found = sorted({g for g, _ in tagged if g}, key=va.GENERATORS.index)
    for generator in found:
        report(normal + [r for g, r in tagged if g == generator], f"{title}, {generator} generator")
    if len(found) < 2:
        return
    print(f"\n## {title}: the generators side by side\n")
    heads = " | ".join(f"{g}: named right | {g}: any fault" for g in found)
    print(f"| fault | {heads} |\n| --- |" + " --- |" * (2 * len(found)))
    for kind in vf.KINDS:
        cells = []
        for generator in found:
            got = [r[4] for g, r in tagged if g == generator and r[1] == kind]
            right = sum(v == kind for v in got)
            faulty = sum(v not in ("ok", "cannot_judge") for v in got)
            cells.append(f"{right}/{len(got)} = {right / max(1, len(got)):.2f} | {faulty / max(1, len(got)):.2f}")
        print(f"| {kind} | " + " | ".join(cells) + " |")
    alarms = sum(r[4] != "ok" for r in normal)
    print(f"\nFalse alarms (the same normal samples for both): {alarms}/{len(normal)}")


def upper_bound(alarms: int, samples: int, confidence: float = 0.95) -> float:
    """One-sided Clopper–Pearson upper bound of the false-alarm rate (0 of n gives about 3/n)."""
    if samples == 0 or alarms >= samples:
        return 1.0
    return float(beta.ppf(confidence, alarms + 1, samples - alarms))


def report(rows: list[Row], title: str) -> None:
    """Print the confusion matrix, recall per kind and per strength, and false alarms per normal kind."""
    normal = [r for r in rows if r[1] == "ok"]
    alarms = [r for r in normal if r[4] != "ok"]
    print(f"\n## {title}: {len({r[0] for r in rows})} scenes, {len(rows)} samples\n")
    verdicts = sorted({r[4] for r in rows})
    matrix: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        matrix[r[1]][r[4]] += 1
    print("| truth \\ verdict | " + " | ".join(verdicts) + " | named right | any fault |")
    print("| --- |" + " --- |" * (len(verdicts) + 2))
    for truth in ["ok", *vf.KINDS]:
        counts = matrix[truth]
        total = sum(counts.values())
        faulty = total - counts["ok"] - counts["cannot_judge"]
        right = counts[truth]
        cells = " | ".join(str(counts.get(v, "")) for v in verdicts)
        if truth == "ok":
            print(f"| ok | {cells} | {right}/{total} | {total - right} false alarms |")
        else:
            shares = f"{right}/{total} = {right / max(1, total):.2f} | {faulty}/{total} = {faulty / max(1, total):.2f}"
            print(f"| {truth} | {cells} | {shares} |")
    n, k = len(normal), len(alarms)
    print(f"\nFalse alarms: {k}/{n} normal samples = {k / max(1, n):.4f}; {upper_bound(k, n):.4f} at most (95 %)")
    unsure = sum(r[4] == "cannot_judge" for r in alarms)
    print(f"of which cannot_judge: {unsure}/{n} = {unsure / max(1, n):.4f}; faults named: {k - unsure}")
    by_scene = Counter(r[0] for r in normal)
    bad_scene = Counter(r[0] for r in alarms)
    print("\n| scene | normal samples | false alarms |\n| --- | --- | --- |")
    for scene, count in by_scene.items():
        print(f"| {scene} | {count} | {bad_scene[scene]} |")
    by_case = Counter(r[2] for r in normal)
    bad_case = Counter((r[2], r[4]) for r in alarms)
    print("\n| normal kind | samples | false alarms |\n| --- | --- | --- |")
    for case, n in sorted(by_case.items()):
        found = ", ".join(f"{v} {c}" for (k, v), c in sorted(bad_case.items()) if k == case)
        print(f"| {case} | {n} | {found or 0} |")
    print("\n| fault | strength | named right | any fault |\n| --- | --- | --- | --- |")
    per: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in rows:
        if r[1] != "ok":
            per[(r[1], r[3])].append(r[4])
    for (truth, strength), got in per.items():
        right = sum(v == truth for v in got)
        faulty = sum(v not in ("ok", "cannot_judge") for v in got)
        print(f"| {truth} | {strength} | {right}/{len(got)} | {faulty}/{len(got)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    splits = {
        "tuning": vs.TUNING,
        "held-out": vs.HELD_OUT,
        "unseen": vs.UNSEEN,
        "fresh": vs.FRESH,
        "fresh2": vs.FRESH2,
        "fresh3": vs.FRESH3,
        "fresh4": vs.FRESH4,
        "fresh5": vs.FRESH5,
        "fresh6": vs.FRESH6,
        "fresh7": vs.FRESH7,
        "fresh8": vs.FRESH8,
        "fresh9": vs.FRESH9,
        "fresh10": vs.FRESH10,
        "fresh11": vs.FRESH11,
        "fresh12": vs.FRESH12,
    }
    parser.add_argument("--split", choices=(*splits, "all"), default="all")
    parser.add_argument("--scenes", default="", help="comma-separated subset of the split's scenes")
    parser.add_argument("--normal", type=int, default=12, help="normal samples per scene and kind")
    parser.add_argument("--repeats", type=int, default=3, help="samples per fault kind and strength")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="other seeds give other samples (0: the recorded figures)")
    parser.add_argument("--day-one", action="store_true", help="judge every sample with no baseline, against peers")
    parser.add_argument("--generator", choices=("default", *va.GENERATORS[1:], "both"), default="default")
    parser.add_argument(
        "--osd", nargs="?", const="latin", choices=("latin", "zh"),
        help="every picture carries a camera's OSD (clock, name): Latin letters, or in Chinese (--osd zh)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.osd:
        # read by the workers' shoot(): they inherit the environment
        os.environ[ve.OSD_ENV] = "zh" if args.osd == "zh" else "1"
    everyday = {k: v for k, v in splits.items() if k != "fresh12"}  # the honest split runs only when named
    chosen = everyday if args.split == "all" else {args.split: splits[args.split]}
    subset = {s for s in args.scenes.split(",") if s}
    unknown = subset - {n for names in chosen.values() for n in names}
    if unknown:
        parser.error(f"--scenes: not in the chosen split: {', '.join(sorted(unknown))}")
    for title, names in chosen.items():
        names = tuple(n for n in names if not subset or n in subset)
        if not names:
            continue
        if args.day_one:
            with ProcessPoolExecutor(args.workers) as pool:
                views = peer_views(pool, names, args.seed)
                alone = [(n, args.normal, args.repeats, args.seed, views[n], args.generator) for n in names]
                tagged = [t for part in pool.map(run_scene_alone, alone) for t in part]
            side_by_side(tagged, f"{title}, day one")
            continue
        if args.generator != "default":
            with ProcessPoolExecutor(args.workers) as pool:
                jobs_g = [(n, args.normal, args.repeats, args.seed, args.generator) for n in names]
                side_by_side([t for part in pool.map(run_generators, jobs_g) for t in part], title)
            continue
        with ProcessPoolExecutor(args.workers) as pool:
            jobs = [(n, args.normal, args.repeats, args.seed) for n in names]
            rows = [r for part in pool.map(run_scene, jobs) for r in part]
        report(rows, title)


if __name__ == "__main__":
    main()
