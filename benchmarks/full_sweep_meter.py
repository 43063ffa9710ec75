"""Measurements for full_sweep.py: event-loop passes, where the loop's CPU goes, CPU per process, GC pauses.

``LoopMeter`` wraps one loop's private per-pass step (as ``poller_common.LagTicker`` does) and records, per
phase: the worst wall-clock lag of a 10 ms sleeper, the most CPU one pass of the loop took, the loop's total
CPU, and (``trace=True``) the CPU of every callback, attributed to what the task was doing — the probe whose
coroutine chain the step resumed (liveness, identity, discovery, snapshot fetch, picture bookkeeping), else
the callback's name (transport reads, executor results). Tracing costs ~2 µs per callback; the figures in the
docs are from untraced runs.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Coroutine names that identify what a task step was doing (first match from the innermost frame wins).
_KINDS = (
    ("_read_jpeg", "frame: snapshot fetch"),
    ("fetch_snapshot", "frame: snapshot fetch"),
    ("_keep_pictures", "frame: evidence"),
    ("probe_frame", "frame: hand-over, verdict, learning"),
    ("discover", "discovery (SOAP)"),
    ("probe_identity", "identity (SOAP)"),
    ("probe_liveness", "liveness (SOAP)"),
    ("bare_loop", "floor loop"),
    ("one", "floor loop"),
)


def _chain(coro: Any) -> list[str]:
    names = []
    while coro is not None and hasattr(coro, "cr_code"):
        names.append(coro.cr_code.co_name)
        coro = coro.cr_await
    return names


def _task_of(handle: asyncio.Handle) -> asyncio.Task[Any] | None:
    task = getattr(handle._callback, "__self__", None)  # type: ignore[attr-defined]
    return task if isinstance(task, asyncio.Task) else None


def _what(handle: asyncio.Handle, task: asyncio.Task[Any] | None) -> str:
    """What a callback does: for a task step, the probe in its coroutine chain (else its outer coroutine)."""
    if task is not None:
        names = _chain(task.get_coro())
        for name in reversed(names):
            for key, label in _KINDS:
                if name == key:
                    return label
        return f"task {names[0] if names else '?'}"
    callback = handle._callback  # type: ignore[attr-defined]
    inner = getattr(callback, "__func__", callback)
    return f"callback {getattr(inner, '__qualname__', type(callback).__name__)}"


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    wall_s: float = 0.0
    max_lag_s: float = 0.0
    max_pass_cpu_s: float = 0.0
    max_pass_ready: int = 0  # callbacks ready at the start of the worst pass
    loop_cpu_s: float = 0.0
    passes: int = 0
    passes_over_100ms: int = 0
    gc_s: float = 0.0
    gc_max_s: float = 0.0
    gc_max_gen: int = 0
    gc_runs: list[int] = field(default_factory=lambda: [0, 0, 0])  # collections per generation
    gc_objects: int = 0  # objects the collector tracks at the end of the phase
    gc_full_s: float = 0.0  # CPU of one full collection at the end of the phase (what a gen-2 pass costs)
    cpu: dict[str, float] = field(default_factory=dict)  # process group → CPU seconds
    load: str = ""
    rss_mib: float = 0.0
    #: Peak, sampled every ~0.25 s: the poller process and its picture workers (groups "poller process" and
    #: "picture workers"), and the poller process's own
    peak_rss_mib: float = 0.0
    peak_poller_rss_mib: float = 0.0
    by_what: collections.Counter[str] = field(default_factory=collections.Counter)
    slowest: list[tuple[float, str]] = field(default_factory=list)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int | None = None) -> float:
    """Resident set size of a process (MiB)."""
    for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class LoopMeter:
    """Measures one phase at a time on the running loop: ``start(name)``, ``await stop()``."""

    def __init__(self, trace: bool = False) -> None:
        self.trace = trace
        self.phase = Phase("")
        self._task: asyncio.Task[None] | None = None
        self._loop: Any = None
        self._gc_t0 = 0.0
        self._t0 = 0.0
        self._cpu0: dict[str, float] = {}
        self._pids: dict[str, list[int]] = {}
        self._seen: dict[int, float] = {}  # pid → last CPU seconds read
        self._orig_run: Any = None
        #: Called every ~0.25 s during a phase: processes to add to a group (pool workers start lazily).
        self.watch: Callable[[], dict[str, list[int]]] | None = None

    def _gc(self, event: str, info: dict[str, Any]) -> None:
        if event == "start":
            self._gc_t0 = time.thread_time()
        else:
            spent = time.thread_time() - self._gc_t0
            self.phase.gc_s += spent
            self.phase.gc_runs[info["generation"]] += 1
            if spent > self.phase.gc_max_s:
                self.phase.gc_max_s, self.phase.gc_max_gen = spent, info["generation"]

    async def _sleeper(self) -> None:
        last_sample = 0.0
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            self.phase.max_lag_s = max(self.phase.max_lag_s, time.perf_counter() - t0 - 0.01)
            if t0 - last_sample > 0.25:  # processes that end with the phase (the pool) are read while alive
                last_sample = t0
                if self.watch is not None:
                    for group, pids in self.watch().items():
                        self.add_pids(group, pids)
                self._cpu()
                self._rss()

    def _rss(self) -> None:
        own = [p for g in ("poller process", "picture workers") for p in self._pids.get(g, [])]
        total = sum(rss_mib(p) for p in own if Path(f"/proc/{p}").exists())
        self.phase.peak_rss_mib = max(self.phase.peak_rss_mib, total)
        self.phase.peak_poller_rss_mib = max(self.phase.peak_poller_rss_mib, rss_mib())

    def _cpu(self) -> dict[str, float]:
        out = {}
        for group, pids in self._pids.items():
            for pid in pids:
                now = cpu_seconds(pid)
                if now:
                    self._seen[pid] = now
            out[group] = sum(self._seen.get(p, 0.0) for p in pids)
        return out

    def start(self, name: str, pids: dict[str, list[int]]) -> None:
        """Begin a phase; ``pids`` groups the processes whose CPU is counted (e.g. poller, workers, simulator)."""
        self.phase = phase = Phase(name)
        self._pids = pids
        self._cpu0 = self._cpu()
        self._loop = loop = asyncio.get_running_loop()
        run_once = loop._run_once

        def measured_run_once() -> None:
            ready = len(loop._ready)
            c0 = time.thread_time()
            run_once()
            spent = time.thread_time() - c0
            phase.loop_cpu_s += spent
            phase.passes += 1
            if spent > 0.1:
                phase.passes_over_100ms += 1
            if spent > phase.max_pass_cpu_s:
                phase.max_pass_cpu_s, phase.max_pass_ready = spent, ready

        loop._run_once = measured_run_once
        if self.trace:
            self._orig_run = original = asyncio.Handle._run

            def traced_run(handle: asyncio.Handle) -> None:
                task = _task_of(handle)
                what = _what(handle, task)
                c0 = time.thread_time()
                original(handle)
                spent = time.thread_time() - c0
                if what.startswith("task ") and task is not None and not task.done():
                    # A step resumed from a semaphore or a sleep ran into a probe: name it by where it stopped.
                    what = _what(handle, task)
                phase.by_what[what] += spent
                if spent > 0.02:
                    phase.slowest.append((spent, what))

            asyncio.Handle._run = traced_run  # type: ignore[method-assign]
        gc.callbacks.append(self._gc)
        self._task = asyncio.create_task(self._sleeper())
        phase.load = Path("/proc/loadavg").read_text().split()[0]
        self._t0 = time.perf_counter()

    def add_pids(self, group: str, pids: list[int]) -> None:
        """Count processes that started during the phase (pool workers start lazily), from zero."""
        known = self._pids.setdefault(group, [])
        for pid in pids:
            if pid not in known:
                known.append(pid)

    async def stop(self) -> Phase:
        """End the phase and return its figures."""
        phase = self.phase
        phase.wall_s = time.perf_counter() - self._t0
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._loop is not None:
            del self._loop._run_once
        if self._orig_run is not None:
            asyncio.Handle._run = self._orig_run  # type: ignore[method-assign]
            self._orig_run = None
        gc.callbacks.remove(self._gc)
        phase.gc_objects = len(gc.get_objects())
        c0 = time.thread_time()
        gc.collect()
        phase.gc_full_s = time.thread_time() - c0
        end = self._cpu()
        phase.cpu = {g: end[g] - self._cpu0.get(g, 0.0) for g in end}
        phase.load += "→" + Path("/proc/loadavg").read_text().split()[0]
        phase.rss_mib = rss_mib()
        phase.slowest.sort(reverse=True)
        return phase


def report(phase: Phase, floor: Phase | None = None) -> str:
    """Human-readable lines for one phase."""
    ratio = f" (floor ×{phase.wall_s / floor.wall_s:.2f})" if floor is not None and floor.wall_s else ""
    cpu = ", ".join(f"{g} {s:.1f}" for g, s in phase.cpu.items())
    lines = [
        f"{phase.name}: {phase.wall_s:.1f} s{ratio}; load {phase.load}",
        f"  loop: max lag {phase.max_lag_s * 1000:.0f} ms, worst pass {phase.max_pass_cpu_s * 1000:.0f} ms CPU "
        f"({phase.max_pass_ready} callbacks ready), {phase.passes_over_100ms} passes > 100 ms, "
        f"loop CPU {phase.loop_cpu_s:.1f} s in {phase.passes} passes; GC {phase.gc_s:.2f} s (max "
        f"{phase.gc_max_s * 1000:.0f} ms, generation {phase.gc_max_gen}; runs per generation {phase.gc_runs}; "
        f"{phase.gc_objects:,} objects tracked, a full collection "
        f"{phase.gc_full_s * 1000:.0f} ms)",
        f"  CPU seconds: {cpu}; poller RSS {phase.rss_mib:.0f} MiB at the end, peak {phase.peak_poller_rss_mib:.0f} "
        f"MiB, with its picture workers {phase.peak_rss_mib:.0f} MiB",
    ]
    if phase.by_what:
        total = sum(phase.by_what.values())
        top = ", ".join(f"{w} {s:.1f}" for w, s in phase.by_what.most_common(12))
        lines.append(f"  loop CPU by activity (traced, {total:.1f} s): {top}")
        slow = collections.Counter(w for _s, w in phase.slowest)
        worst = [(round(s * 1000), w) for s, w in phase.slowest[:5]]
        lines.append(
            f"  callbacks > 20 ms: {len(phase.slowest)}; slowest {worst}; by activity {dict(slow.most_common(6))}"
        )
    return "\n".join(lines)
