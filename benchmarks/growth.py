"""Growth: the liveness sweep and the full sweep at 1,000 to 50,000 simulated cameras, measured at each size.

Run (inside a network namespace, so the cameras' 127.x.y.z addresses touch nothing else on the machine):

    cd benchmarks && unshare --net sh -c 'ip link set lo up && exec nice -n 5 ../.venv/bin/python growth.py \\
        --sizes 1000,5500,20000,50000 --checks liveness,full [--full-max 20000] [--json out.json] [--trace]'

Per size: the simulator as several child processes (``--per-sim`` cameras each, 5,000 by default: every
camera is a listening socket and the hard limit on open files is per process), every camera offering only
its 1920×1080 profile and serving pictures from ``full_sweep.py``'s pool of 64 pre-drawn scenes (drawn
before anything is timed); then a fresh poller in a child process of its own, so its RSS is its own. In it,
one ``Poller`` held open (``Poller.opened()``) runs a liveness sweep, a first full sweep (learns every
baseline) and a steady full sweep, with ``full_sweep.py``'s settings (concurrency 256, 8 per uplink, 2
picture workers, camera events off). Each phase reports (``full_sweep_meter.LoopMeter``): wall time, CPU
seconds of the poller process, of its picture workers and of the simulator processes, per camera; the
poller's RSS after the phase (after a full collection) and its workers' RSS; the worst wall-clock loop lag
and the most CPU one pass of the loop took. The table ends with the RSS slope between sizes,
(RSS(N2) − RSS(N1)) / (N2 − N1): what one more camera costs, without the process's fixed part.

A size that does not fit is stopped and named by the resource that ran out: ``time`` (``--timeout-s`` per
size), ``memory`` (available memory below ``--min-free-mib``), ``files`` (a child failed with EMFILE).
``--full-max N``: sizes above N run the liveness sweep only (a full sweep that cannot finish in the time
there is). Every child is stopped by its process group; the simulators also stop when their stdin closes.

Compare replies per camera before CPU per camera: where the learning sweep outlasts the simulator's HTTP
Digest nonce lifetime (5 min), every snapshot of the steady sweep meets a stale nonce and pays a 401 and a
retry (4 replies per camera instead of 3 at 5,500 cameras on a loaded 2-core box; not at 1,000).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import math
import os
import resource
import signal
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NET = 130  # cameras on 127.130.x.y (and 127.131.x.y above 62,500)
FRAME_POOL = 64  # scenes in each simulator's picture pool (as full_sweep.py)
POOL_VARIANTS = 3


def raise_nofile() -> int:
    """Soft open-file limit up to the hard one (the poller's concurrency, not this limit, caps its sockets)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def proc_rss_mib(pid: int) -> float:
    """Resident set size of a process (MiB; 0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def mem_available_mib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ---------------------------------------------------------------------------------------------- simulator child
async def sim_child(start: int, end: int, n: int) -> None:
    """Serve cameras ``start``..``end`` of an ``n``-camera fleet; "ready" when all listen; stop when stdin closes."""
    sys.path.insert(0, str(HERE))
    from poller_simrunner import bench_specs

    from camfleet.simulator import SimulatedFleet

    specs = bench_specs(n, NET)[start:end]
    for spec in specs:
        spec.main_only = True  # only the 1920×1080 profile: the frame checks' worst case (as full_sweep.py)
    fleet = SimulatedFleet(specs, frame_pool=FRAME_POOL)
    await fleet.start()
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, sys.stdin.readline):
        pass
    await fleet.stop()


# ------------------------------------------------------------------------------------------------- poller child
class WireCounter:
    """HTTP replies read and TCP connections opened by this process (the poller's one session), counted by
    wrapping two aiohttp coroutine methods for the child's lifetime: whether a size costs more round trips or
    more connections per camera than another, which CPU per camera alone does not say."""

    def __init__(self) -> None:
        import aiohttp

        self.replies = self.connections = 0
        start, create = aiohttp.ClientResponse.start, aiohttp.TCPConnector._create_connection
        counter = self

        async def counted_start(response: Any, *args: Any, **kwargs: Any) -> Any:
            counter.replies += 1
            return await start(response, *args, **kwargs)

        async def counted_create(connector: Any, *args: Any, **kwargs: Any) -> Any:
            counter.connections += 1
            return await create(connector, *args, **kwargs)

        aiohttp.ClientResponse.start = counted_start  # type: ignore[method-assign]
        aiohttp.TCPConnector._create_connection = counted_create  # type: ignore[method-assign]


async def poller_child(n: int, checks: list[str], sim_pids: list[int], trace: bool = False) -> None:
    """One poller over the whole fleet: liveness, then (``full`` in checks) a learning and a steady full sweep.

    Prints one JSON object per phase on stdout.
    """
    sys.path.insert(0, str(HERE))
    from full_sweep import _pool_pids, poller_config
    from full_sweep_meter import LoopMeter, rss_mib
    from poller_common import credentials, targets

    from camfleet.onvif.wsdl import load_wsdls
    from camfleet.runtime.poller import Poller

    await asyncio.to_thread(load_wsdls)  # once per process at start-up, not part of a sweep
    fleet_targets = targets(n, NET)
    gc.collect()
    print(json.dumps({"phase": "start", "rss_mib": rss_mib()}), flush=True)
    poller = Poller(poller_config(workers=2, concurrency=256), fleet_targets, credentials(), None)
    meter = LoopMeter(trace=trace)
    wire = WireCounter()

    async def phase(name: str, kind: str) -> None:
        replies0, connections0 = wire.replies, wire.connections
        meter.watch = lambda: {"picture workers": _pool_pids(poller)}
        meter.start(name, {"poller": [os.getpid()], "picture workers": _pool_pids(poller), "simulator": sim_pids})
        states = await poller.sweep_once(kind)
        # Read the workers before the phase ends: the meter's last CPU sample must see them alive.
        workers_rss = sum(proc_rss_mib(p) for p in _pool_pids(poller))
        result = await meter.stop()
        meter.watch = None
        counts: dict[str, int] = {}  # counted after the phase: at 50,000 cameras this loop is a pass of its own
        for s in states.values():
            counts[str(s.status)] = counts.get(str(s.status), 0) + 1
        print(json.dumps({
            "phase": name, "wall_s": result.wall_s, "cpu_s": result.cpu, "max_lag_ms": result.max_lag_s * 1000,
            "max_pass_ms": result.max_pass_cpu_s * 1000, "rss_mib": result.rss_mib, "workers_rss_mib": workers_rss,
            "load": result.load, "gc_s": result.gc_s, "gc_max_ms": result.gc_max_s * 1000,
            "gc_max_gen": result.gc_max_gen, "gc_runs": result.gc_runs, "statuses": dict(sorted(counts.items())),
            "replies": wire.replies - replies0, "connections": wire.connections - connections0,
            "slowest": [(round(t * 1000), what) for t, what in result.slowest[:5]],
        }), flush=True)  # fmt: skip

    async with poller.opened():
        await phase("liveness", "liveness")
        if "full" in checks:
            await phase("full, learning", "full")
            await phase("full, steady", "full")


# -------------------------------------------------------------------------------------------------- orchestrator
class DoesNotFit(Exception):
    """A size stopped for want of a resource (``files``, ``memory``, ``time``) or by an error."""

    def __init__(self, resource_name: str, detail: str) -> None:
        super().__init__(f"{resource_name}: {detail}")
        self.resource = resource_name
        self.detail = detail


def _verdict(log: Path) -> tuple[str, str]:
    """What a failed child's stderr says ran out."""
    text = log.read_text(errors="replace") if log.exists() else ""
    last = next((line for line in reversed(text.splitlines()) if line.strip()), "no output")
    if "Too many open files" in text or "EMFILE" in text:
        return "files", last
    if "MemoryError" in text or "Cannot allocate memory" in text:
        return "memory", last
    return "error", last


async def _spawn(args: list[str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as err:
        return await asyncio.create_subprocess_exec(
            sys.executable, __file__, *args,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err, start_new_session=True,
        )  # fmt: skip


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """Close its stdin (its stop signal); its process group is killed if it has not ended within 60 s."""
    if proc.stdin is not None and not proc.stdin.is_closing():
        proc.stdin.close()
    try:
        await asyncio.wait_for(proc.wait(), timeout=60)
    except TimeoutError:
        _kill_group(proc)
        await proc.wait()
    _kill_group(proc)  # anything it left behind in its group


async def _warm(sim_targets: list[list[Any]]) -> None:
    """Have each simulator draw every picture of its pool before anything is timed (see full_sweep.warm_simulator)."""
    from full_sweep import warm_simulator

    await asyncio.gather(*(warm_simulator(t) for t in sim_targets))


async def _watch(proc: asyncio.subprocess.Process, deadline: float, min_free_mib: float, log: Path) -> None:
    """Wait for the poller child, killing its group when time or memory runs out."""
    while True:
        try:
            await asyncio.wait_for(proc.wait(), timeout=1.0)
            break
        except TimeoutError:
            pass
        if time.monotonic() > deadline:
            _kill_group(proc)
            await proc.wait()
            raise DoesNotFit("time", "the size's time limit passed (--timeout-s)")
        free = mem_available_mib()
        if free < min_free_mib:
            _kill_group(proc)
            await proc.wait()
            raise DoesNotFit("memory", f"available memory fell to {free:.0f} MiB")
    if proc.returncode != 0:
        raise DoesNotFit(*_verdict(log))


async def run_size(n: int, checks: list[str], args: argparse.Namespace, logdir: Path) -> dict[str, Any]:
    """One size: simulators, a poller child, its phases; ``{"n", "phases", "sim", "stopped"}``."""
    sys.path.insert(0, str(HERE))
    from poller_common import targets

    out: dict[str, Any] = {"n": n, "checks": checks, "phases": [], "stopped": None}
    k = math.ceil(n / args.per_sim)
    bounds = [(i * n // k, (i + 1) * n // k) for i in range(k)]
    sims: list[asyncio.subprocess.Process] = []
    poller: asyncio.subprocess.Process | None = None
    sim_log, poller_log = logdir / f"sim-{n}.log", logdir / f"poller-{n}.log"
    sim_log.unlink(missing_ok=True)
    poller_log.unlink(missing_ok=True)
    t0 = time.monotonic()
    try:
        sims = [await _spawn(["--sim", str(a), str(b), str(n)], sim_log) for a, b in bounds]

        async def ready(proc: asyncio.subprocess.Process) -> None:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=900)
            if line.strip() != b"ready":
                await proc.wait()
                raise DoesNotFit(*_verdict(sim_log))

        await asyncio.gather(*(ready(p) for p in sims))
        out["sim_start_s"] = time.monotonic() - t0
        out["sim_processes"] = k
        if "full" in checks:
            fleet = targets(n, NET)
            await _warm([fleet[a:b] for a, b in bounds])
        out["sim_rss_mib_idle"] = sum(proc_rss_mib(p.pid) for p in sims)
        what = ",".join(checks) + (",trace" if args.trace else "")
        poller = await _spawn(["--poller", str(n), what, *(str(p.pid) for p in sims)], poller_log)

        async def read_phases() -> None:
            assert poller is not None and poller.stdout is not None
            while line := await poller.stdout.readline():
                record = json.loads(line)
                if record["phase"] == "start":
                    out["rss_start_mib"] = record["rss_mib"]
                else:
                    out["phases"].append(record)
                    print(f"  {n}: {_phase_line(n, record)}", flush=True)

        reader = asyncio.create_task(read_phases())
        try:
            await _watch(poller, time.monotonic() + args.timeout_s, args.min_free_mib, poller_log)
        finally:
            await asyncio.wait_for(reader, timeout=10)
        out["sim_rss_mib"] = sum(proc_rss_mib(p.pid) for p in sims)
    except DoesNotFit as e:
        out["stopped"] = {"resource": e.resource, "detail": e.detail}
    except TimeoutError:
        out["stopped"] = {"resource": "time", "detail": "a simulator did not start within 900 s"}
    finally:
        if poller is not None:
            _kill_group(poller)
            await poller.wait()
        await asyncio.gather(*(_stop(p) for p in sims))
    return out


def _phase_line(n: int, p: dict[str, Any]) -> str:
    cpu = ", ".join(f"{g} {s / n * 1e6:.0f}" for g, s in p["cpu_s"].items())
    return (
        f"{p['phase']}: {p['wall_s']:.1f} s; CPU µs/camera {cpu}; poller RSS {p['rss_mib']:.0f} MiB, workers "
        f"{p['workers_rss_mib']:.0f} MiB; lag {p['max_lag_ms']:.0f} ms (worst pass {p['max_pass_ms']:.0f} ms CPU); "
        f"replies/camera {p.get('replies', 0) / n:.2f}, connections/camera {p.get('connections', 0) / n:.2f}; "
        f"GC {p['gc_s']:.1f} s (longest {p.get('gc_max_ms', 0):.0f} ms, generation {p.get('gc_max_gen', '?')}); "
        f"load {p['load']}; {p['statuses']}" + (f"; slowest callbacks {p['slowest']}" if p.get("slowest") else "")
    )


def table(results: list[dict[str, Any]]) -> str:
    """Markdown: one row per size and phase, then the RSS slopes between sizes."""
    rows = [
        "| cameras | check | wall s | CPU µs/camera: poller / workers / simulator | poller RSS MiB (KiB/camera) "
        "| workers RSS MiB | max loop lag ms (worst pass CPU) | replies / connections per camera | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        n = r["n"]
        for p in r["phases"]:
            c = p["cpu_s"]
            cpu = " / ".join(f"{c.get(g, 0.0) / n * 1e6:,.0f}" for g in ("poller", "picture workers", "simulator"))
            wire = f"{p['replies'] / n:.2f} / {p['connections'] / n:.2f}" if "replies" in p else "—"
            rows.append(
                f"| {n:,} | {p['phase']} | {p['wall_s']:.1f} | {cpu} | {p['rss_mib']:,.0f} "
                f"({p['rss_mib'] * 1024 / n:.1f}) | {p['workers_rss_mib']:.0f} | {p['max_lag_ms']:.0f} "
                f"({p['max_pass_ms']:.0f}) | {wire} | {p['load']} |"
            )
        if r["stopped"]:
            done = {p["phase"] for p in r["phases"]}
            rows.append(f"| {n:,} | stopped after {sorted(done) or 'nothing'} | | **{r['stopped']['resource']} ran "
                        f"out**: {r['stopped']['detail']} | | | | | |")  # fmt: skip
    slopes = ["", "RSS slope between sizes, (RSS(N2) − RSS(N1)) / (N2 − N1), KiB per camera:", ""]
    by_phase: dict[str, list[tuple[int, float]]] = {}
    for r in results:
        for p in r["phases"]:
            by_phase.setdefault(p["phase"], []).append((r["n"], p["rss_mib"]))
    for name, points in by_phase.items():
        steps = [f"{a:,}→{b:,}: {(rb - ra) * 1024 / (b - a):.1f}" for (a, ra), (b, rb) in itertools.pairwise(points)]
        slopes.append(f"- {name}: {'; '.join(steps) or 'one size only'}")
    return "\n".join(rows + slopes)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5500,20000,50000")
    parser.add_argument("--checks", default="liveness,full")
    parser.add_argument("--per-sim", type=int, default=5000, help="cameras per simulator process")
    parser.add_argument("--full-max", type=int, default=0, help="sizes above this run the liveness sweep only")
    parser.add_argument("--timeout-s", type=float, default=1800.0, help="per size, from the poller's start")
    parser.add_argument("--min-free-mib", type=float, default=1024.0)
    parser.add_argument("--json", type=Path, default=None, help="also write every figure here")
    parser.add_argument("--logs", type=Path, default=Path("growth-logs"), help="children's stderr")
    parser.add_argument("--trace", action="store_true", help="name the slowest loop callbacks (slows the loop)")
    args = parser.parse_args()
    limit = raise_nofile()
    args.logs.mkdir(parents=True, exist_ok=True)
    checks = [c for c in args.checks.split(",") if c]
    print(f"open-file limit {limit}; {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M %Z')}", flush=True)
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        size_checks = [c for c in checks if c != "full" or not args.full_max or n <= args.full_max]
        print(f"{n} cameras: {', '.join(size_checks)} (load {os.getloadavg()[0]:.1f})", flush=True)
        results.append(await run_size(n, size_checks, args, args.logs))
        if results[-1]["stopped"]:
            print(f"  {n}: stopped, {results[-1]['stopped']}", flush=True)
        if args.json is not None:
            args.json.write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    raise_nofile()
    if len(sys.argv) > 1 and sys.argv[1] == "--sim":
        asyncio.run(sim_child(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
    elif len(sys.argv) > 1 and sys.argv[1] == "--poller":
        pids = [int(p) for p in sys.argv[4:]]
        what = sys.argv[3].split(",")
        asyncio.run(poller_child(int(sys.argv[2]), [w for w in what if w != "trace"], pids, "trace" in what))
    else:
        asyncio.run(main())
