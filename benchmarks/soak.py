"""Soak: a bounded long run of the poller against the simulated district with evolving faults.

Run: .venv/bin/python benchmarks/soak.py [--minutes 30] [--cameras 300] [--out soak.json] [--trace 10,60,120]

The simulator runs in a child process (``SimulatorProcess``) with a scenario whose faults come and go every
minute (offline, blackhole, malformed XML, oversized replies, wrong password, reboot, a village uplink).
The poller runs with shortened intervals (liveness 10 s; identity 15 s, so a 40 s wrong-password window is
always checked) and writes to SQLite. Every minute it samples RSS, open file descriptors, asyncio tasks and
the write backlog, and over the minute the full (generation-2) garbage collections, the longest of them, the
loop's longest lag and the size of the collector's oldest generation. At the end it checks that (a) every
transition the poller announced is in the database exactly once and (b) every injected fault produced its
transition into the expected status, and back out of it.

``--trace M1,M2,...``: tracemalloc (3 frames) from the start, a snapshot at each of those minutes; the result lists
the 15 source lines whose live memory grew most from the first snapshot to each later one (tracemalloc's own
bookkeeping is in the RSS figures then; run without it for RSS alone).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from camfleet.config import CamfleetConfig, load_credentials
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import validate_file
from camfleet.model import Transition
from camfleet.runtime.poller import Poller
from camfleet.simulator.district import generate_district, write_district
from camfleet.simulator.process import SimulatorProcess

#: fault kind → the status the poller must show while it lasts.
EXPECTED = {
    "offline": "offline", "blackhole": "offline", "malformed_xml": "protocol_error", "oversized": "protocol_error",
    "auth": "auth_failed", "reboot": "offline",
}  # fmt: skip
KINDS = tuple(EXPECTED)
NET = 61  # the district's cameras move to 127.61.x.y, away from other simulated fleets


@dataclass
class Injected:
    """One injected fault on one camera, with its window in seconds from the simulator's start."""

    camera_id: str
    kind: str
    start: float
    end: float


def district(directory: Path, cameras: int) -> tuple[Path, list[dict[str, str]]]:
    """A small synthetic district (a tenth new points, the rest legacy), re-addressed to 127.61.x.y."""
    villages = max(4, cameras // 12)
    new = min(cameras // 4, 3 * villages)  # at most 3 cameras a point (1,000 cameras: 249 on 83 points)
    d = generate_district(towns=max(2, villages // 6), villages=villages, points=villages,
                          cameras=new, legacy=cameras - new, seed=11)  # fmt: skip
    for row in d.rows:
        if row["host"]:
            parts = row["host"].split(".")
            row["host"] = f"127.{NET}.{parts[2]}.{parts[3]}"
    path, _cred = write_district(d, directory / "district.csv")
    return path, [r for r in d.rows if r["camera_id"]]


def scenario(rows: list[dict[str, str]], minutes: int, directory: Path) -> tuple[Path, list[Injected]]:
    """Every minute after the first, two cameras get a fault for 40 s; every fifth minute a whole village
    loses its uplink. Faults never overlap on one camera; the last two minutes are quiet (recovery)."""
    lines, injected = [], []
    ids = [r["camera_id"] for r in rows]
    cursor = 0
    for minute in range(1, max(1, minutes - 2)):
        start, end = minute * 60 + 10, minute * 60 + 50
        for k in range(2):
            kind = KINDS[(2 * minute + k) % len(KINDS)]
            camera = ids[cursor % len(ids)]
            cursor += 7
            extra = 'down = "40s"\n' if kind == "reboot" else ('size = "3MB"\n' if kind == "oversized" else "")
            lines.append(
                f'[[fault]]\nkind = "{kind}"\ncameras = ["{camera}"]\nstart = "{start}s"\nend = "{end}s"\n{extra}'
            )
            injected.append(Injected(camera, kind, start, end if kind != "reboot" else start + 40))
    path = directory / "soak-scenario.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path, injected


class Watch:
    """Full (generation-2) garbage collections — how many, the longest in wall milliseconds — and the loop's
    lag (how late a 100 ms sleep wakes, at most), each since the last ``take()``."""

    def __init__(self) -> None:
        self.full = 0
        self.full_max_ms = 0.0
        self.lag_max_ms = 0.0
        self._t0 = 0.0
        self._task: asyncio.Task[None] | None = None

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.full += 1
            self.full_max_ms = max(self.full_max_ms, (time.perf_counter() - self._t0) * 1000)

    async def _tick(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.1)
            self.lag_max_ms = max(self.lag_max_ms, (time.perf_counter() - t0 - 0.1) * 1000)

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._task = asyncio.create_task(self._tick())

    async def stop(self) -> None:
        gc.callbacks.remove(self._on_gc)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def take(self) -> dict[str, float]:
        out = {"gc_full": self.full, "gc_full_max_ms": round(self.full_max_ms, 1), "lag_max_ms": round(self.lag_max_ms)}
        self.full, self.full_max_ms, self.lag_max_ms = 0, 0.0, 0.0
        return out


def sample(poller: Poller, started: float, watch: Watch) -> dict[str, float]:
    """RSS (MiB), open fds, asyncio tasks, write backlog and transitions so far; full collections, their longest
    pause and the loop's longest lag over the minute; objects in the collector's oldest generation (not frozen);
    the 1-minute load average."""
    rss = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
               if line.startswith("VmRSS:"))  # fmt: skip
    c = poller.fleet.counters
    return {"minute": round((time.monotonic() - started) / 60, 1), "rss_mib": round(rss / 1024, 1),
            "fds": len(os.listdir("/proc/self/fd")), "tasks": len(asyncio.all_tasks()),
            "backlog": c.write_backlog, "transitions": c.transitions, "failures": c.write_failures,
            **watch.take(), "old_gen_objects": len(gc.get_objects(2)),
            "load1": round(os.getloadavg()[0], 2)}  # fmt: skip


def soak_config(url: str) -> CamfleetConfig:
    """The soak's poller settings: shortened intervals, SQLite at ``url``, pictures off."""
    return CamfleetConfig.model_validate({
        "poller": {"liveness_interval_s": 10, "identity_interval_s": 15, "discovery_interval_s": 300,
                   "recheck_delay_s": 2, "call_timeout_s": 3, "connect_timeout_s": 2, "concurrency": 64},
        "database": {"url": url, "write_interval_s": 2}, "vision": {"enabled": False},
    })  # fmt: skip


def check_injected(injected: list[Injected], stored: list[Transition], sim_start: float) -> list[str]:
    """The injected faults *not* seen: each must show a transition into the expected status inside its
    window (plus detection slack) and a transition out of it afterwards."""
    missed = []
    for fault in injected:
        lo, hi = sim_start + fault.start, sim_start + fault.end + 45
        mine = [t for t in stored if t.camera_id == fault.camera_id and lo <= t.at <= hi + 60]
        into = [t for t in mine if str(t.to_status) == EXPECTED[fault.kind] and t.at <= hi]
        out = [t for t in mine if into and str(t.from_status) == EXPECTED[fault.kind] and t.at > into[0].at]
        if not (into and out):
            missed.append(f"{fault.camera_id}:{fault.kind}@{fault.start:.0f}s")
    return missed


def growth(first: tracemalloc.Snapshot, later: tracemalloc.Snapshot, top: int = 15) -> list[dict[str, object]]:
    """The ``top`` source lines (their innermost frame) whose live memory grew most between the snapshots."""
    keep = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap>")]
    diffs = later.filter_traces(keep).compare_to(first.filter_traces(keep), "lineno")
    stats = sorted(diffs, key=lambda d: -d.size_diff)
    return [{"where": str(d.traceback[0]), "grew_kib": round(d.size_diff / 1024, 1), "now_kib": round(d.size / 1024, 1),
             "blocks_grew": d.count_diff} for d in stats[:top]]  # fmt: skip


async def soak(minutes: int, cameras: int, out: Path | None, trace: tuple[int, ...] = ()) -> int:
    """The run; returns the exit status (0 when every check passed)."""
    if trace:
        tracemalloc.start(3)
    snapshots: dict[int, Path] = {}  # on disk: a snapshot kept in memory is itself ~60 MiB of RSS at 1,000 cameras
    work = Path(tempfile.mkdtemp(prefix="camfleet-soak-"))
    inventory, rows = district(work, cameras)
    scen, injected = scenario(rows, minutes, work)
    url = f"sqlite:///{work}/soak.db"
    import_inventory(url, validate_file(inventory))
    sim = SimulatorProcess(inventory, scenario=scen, control=("127.0.0.1", 19871), log_file=work / "sim.log")
    sim_start = time.time()
    sim.start()
    cfg = soak_config(url)
    store = Store(url)
    poller = Poller(cfg, store.load_targets(), load_credentials("", inventory), store)
    announced: list[Transition] = []
    poller.subscribe(announced.append)
    samples = []
    started = time.monotonic()
    watch = Watch()
    watch.start()
    try:
        await poller.start()
        for minute in range(1, minutes + 1):
            await asyncio.sleep(60)
            samples.append(sample(poller, started, watch))
            print(json.dumps(samples[-1]), flush=True)
            if minute in trace:
                snapshots[minute] = work / f"memory-{minute}.snapshot"
                tracemalloc.take_snapshot().dump(str(snapshots[minute]))
    finally:
        await watch.stop()
        await poller.stop()
        sim.stop()
    stored = await asyncio.to_thread(store.load_transitions, 0.0)
    store.close()
    keys = Counter((t.camera_id, t.at, str(t.from_status), str(t.to_status)) for t in stored)
    announced_keys = Counter((t.camera_id, t.at, str(t.from_status), str(t.to_status)) for t in announced)
    missed = check_injected(injected, stored, sim_start)
    result = {
        "minutes": minutes, "cameras": len(rows), "samples": samples,
        "announced": len(announced), "stored": len(stored), "duplicates": sum(n - 1 for n in keys.values() if n > 1),
        "missing": sum((announced_keys - keys).values()), "dropped": poller.fleet.counters.write_dropped,
        "injected_expected": len(injected), "injected_seen": len(injected) - len(missed), "missed": missed,
        "workdir": str(work),
    }  # fmt: skip
    if len(samples) > 10:  # from minute 10 (warm: every camera polled, pools and caches full) to the end
        warm, end = samples[9], samples[-1]
        result["drift_from_minute_10"] = {k: f"{warm[k]} -> {end[k]} ({(end[k] - warm[k]) / max(warm[k], 1):+.1%})"
                                          for k in ("rss_mib", "fds", "tasks")}  # fmt: skip
    if len(snapshots) > 1:
        first = min(snapshots)
        later = sorted(snapshots)[1:]
        start = tracemalloc.Snapshot.load(str(snapshots[first]))
        result["memory_growth"] = {
            f"{first}->{m}": growth(start, tracemalloc.Snapshot.load(str(snapshots[m]))) for m in later
        }
    print(json.dumps({k: v for k, v in result.items() if k not in ("samples", "memory_growth")}), flush=True)
    if out is not None:
        out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    ok = result["missing"] == 0 and result["duplicates"] == 0 and result["dropped"] == 0 and not missed
    return 0 if ok else 1


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--cameras", type=int, default=300)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--trace", default="", help="minutes to snapshot tracemalloc at, comma-separated")
    args = parser.parse_args()
    trace = tuple(int(m) for m in args.trace.split(",") if m.strip())
    sys.exit(asyncio.run(soak(args.minutes, args.cameras, args.out, trace)))


if __name__ == "__main__":
    main()
