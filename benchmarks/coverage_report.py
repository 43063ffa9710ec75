"""Coverage report at district scale: build + each renderer, against a baseline measured in the same run.

The district is the synthetic one (20 towns, 128 villages, 336 new points with 500 cameras, 5,000 legacy
cameras) with 30 days of synthetic history: each camera has a random number of outages (offline, uplink,
auth, image faults), about 50,000 transitions in all. The baseline is the least any report must do: one
pass grouping the transitions by camera.

Run: .venv/bin/python benchmarks/coverage_report.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from camfleet.coverage import build_report, parse_window, render_csv, render_html, render_table, report_to_json
from camfleet.coverage.report import CoverageReport
from camfleet.inventory.files import InventoryFile, InventoryRow
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import Inventory, validate_file, validate_rows
from camfleet.model import CameraRecord, CameraState, PointRecord, Status, Transition
from camfleet.simulator.district import generate_district, write_district

DAY = 86400.0
FAULTS = (
    Status.OFFLINE,
    Status.OFFLINE,
    Status.OFFLINE,
    Status.UPLINK_DOWN,
    Status.AUTH_FAILED,
    Status.COVERED,
    Status.DEFOCUSED,
    Status.FROZEN,
)


def district() -> tuple[list[PointRecord], list[CameraRecord]]:
    """The synthetic district as validated inventory records."""
    rows = generate_district(seed=7).rows
    inv = validate_rows(InventoryFile("synthetic", "utf-8", [InventoryRow(i + 2, r) for i, r in enumerate(rows)]))
    return inv.points, inv.cameras


def history(
    cameras: list[CameraRecord], now: float, target: int, seed: int = 7
) -> tuple[list[Transition], dict[str, CameraState]]:
    """~``target`` transitions over the last 30 days and the resulting current states."""
    rng = random.Random(seed)
    start = now - 30 * DAY
    per_camera = target / 2 / len(cameras)  # two transitions per outage
    transitions: list[Transition] = []
    states: dict[str, CameraState] = {}
    for cam in cameras:
        first = start - rng.uniform(0, 5 * DAY) if rng.random() > 0.02 else start + rng.uniform(0, 10 * DAY)
        transitions.append(Transition(cam.camera_id, first, Status.UNKNOWN, Status.OK))
        status, since = Status.OK, first
        t = max(first, start)
        while True:
            t += rng.expovariate(per_camera / (30 * DAY))
            if t >= now:
                break
            fault = rng.choice(FAULTS)
            transitions.append(Transition(cam.camera_id, t, Status.OK, fault))
            status, since = fault, t
            t += rng.expovariate(1 / (6 * 3600))
            if t >= now:
                break
            transitions.append(Transition(cam.camera_id, t, fault, Status.OK))
            status, since = Status.OK, t
        states[cam.camera_id] = CameraState(cam.camera_id, status, since=since)
    transitions.sort(key=lambda tr: tr.at)
    return transitions, states


def district_db(tmp: Path, transitions: int) -> tuple[str, Inventory, list[Transition]]:
    """The synthetic district (seed 7) imported into a SQLite database in ``tmp`` through the real importer, with
    ``transitions`` transitions of history over 30 days and the states they end in: (its URL, the inventory, the
    transitions)."""
    csv, _cred = write_district(generate_district(seed=7), tmp / "district.csv")
    url = f"sqlite:///{tmp}/c.db"
    inventory = validate_file(csv)
    import_inventory(url, inventory)
    made, states = history(inventory.cameras, time.time(), transitions)
    with Store(url) as store:
        store.append_transitions(made)
        store.save_states(states.values())
    return url, inventory, made


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    """The median of ``repeat`` timed runs, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--transitions", type=int, default=50_000)
    args = parser.parse_args()
    now = time.time()
    points, cameras = district()
    transitions, states = history(cameras, now, args.transitions)
    window = parse_window("30d", now=now)
    print(f"points {len(points)}, cameras {len(cameras)}, transitions {len(transitions)}, window 30d")

    def baseline() -> None:
        grouped: dict[str, list[Transition]] = defaultdict(list)
        for tr in transitions:
            grouped[tr.camera_id].append(tr)

    def build() -> CoverageReport:
        return build_report(points, cameras, states, transitions, now=now, window=window)

    report = build()

    def table() -> None:
        render_table(report, Console(file=io.StringIO(), width=160, color_system=None))

    results = {
        "baseline: group transitions by camera": best_of(args.repeat, baseline),
        "build_report (30d)": best_of(args.repeat, build),
        "report_to_json + json.dumps": best_of(
            args.repeat, lambda: json.dumps(report_to_json(report), ensure_ascii=False)
        ),
        "render_csv": best_of(args.repeat, lambda: render_csv(report)),
        "render_table": best_of(args.repeat, table),
        "render_html": best_of(args.repeat, lambda: render_html(report, title="coverage", generated_at=now)),
    }
    base = results["baseline: group transitions by camera"]
    html_bytes = len(render_html(report, title="coverage", generated_at=now).encode())
    print(f"{'step':40} {'median ms':>10} {'× baseline':>11}")
    for name, seconds in results.items():
        print(f"{name:40} {seconds * 1000:10.1f} {seconds / base:11.1f}")
    print(f"HTML size {html_bytes / 1024:.0f} KiB; villages {len(report.villages)}, repairs {len(report.repairs)}")


if __name__ == "__main__":
    main()
