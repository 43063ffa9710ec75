"""Shared pieces of the poller benchmarks: the simulator child process, a loop-lag ticker, RSS."""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from poller_simrunner import PASSWORD, USER, bench_specs

from camfleet.config import CamfleetConfig, Credential, CredentialStore
from camfleet.model import CameraTarget

GROUP = "bench"


async def start_simulator(n: int, net_base: int, *extra: str) -> asyncio.subprocess.Process:
    """The simulator in another process; returns once every camera listens."""
    runner = Path(__file__).with_name("poller_simrunner.py")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(runner), str(n), str(net_base), *extra,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout=600)
    if line.strip() != b"ready":
        raise RuntimeError(f"simulator did not start: {line!r}")
    return proc


async def simulator_command(proc: asyncio.subprocess.Process, command: str) -> None:
    """Send one command (``blackhole 0.3``, ``clear``) and wait for its "ok"."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(command.encode() + b"\n")
    await proc.stdin.drain()
    line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
    if line.strip() != b"ok":
        raise RuntimeError(f"simulator did not take {command!r}: {line!r}")


async def stop_simulator(proc: asyncio.subprocess.Process) -> None:
    """Close its stdin (its stop signal) and wait for it."""
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        await asyncio.wait_for(proc.wait(), timeout=60)
    except TimeoutError:
        proc.kill()
        await proc.wait()


def targets(n: int, net_base: int) -> list[CameraTarget]:
    """The poller's targets for the benchmark fleet."""
    return [
        CameraTarget(s.camera_id, s.host, s.port, s.uplink, GROUP, s.town, s.village) for s in bench_specs(n, net_base)
    ]


def credentials() -> CredentialStore:
    """The benchmark fleet's credential group."""
    return CredentialStore(groups={GROUP: Credential(GROUP, USER, PASSWORD)})


def config(**poller: object) -> CamfleetConfig:
    """Production defaults except what the benchmark sets; no picture checks (their own benchmark is
    full_sweep.py): a scheduled frame tier would otherwise add picture fetches to liveness figures."""
    return CamfleetConfig.model_validate({"poller": poller, "vision": {"enabled": False}})


class LagTicker:
    """Measures event-loop lag two ways while running.

    ``max_lag``: a task asks to sleep 10 ms and records how late it wakes (wall clock). On a shared machine
    this includes time the OS gave our core to other processes. ``max_own``: the most CPU time this thread
    spent in one pass of the loop (every callback that was ready at once); nothing waiting on the loop can be
    served sooner than that even on an idle machine, so it is the part of the lag the code controls.
    """

    def __init__(self) -> None:
        self.max_lag = 0.0
        self.max_own = 0.0
        self._task: asyncio.Task[None] | None = None
        self._loop: Any = None

    async def _run(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            self.max_lag = max(self.max_lag, time.perf_counter() - t0 - 0.01)

    def start(self) -> None:
        self.max_lag = self.max_own = 0.0
        self._loop = loop = asyncio.get_running_loop()
        run_once = loop._run_once  # type: ignore[attr-defined]

        def measured_run_once() -> None:
            c0 = time.thread_time()
            run_once()
            self.max_own = max(self.max_own, time.thread_time() - c0)

        # The loop's private per-pass step, wrapped on this one loop object for the measurement only.
        loop._run_once = measured_run_once  # type: ignore[attr-defined]
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._loop is not None:
            del self._loop._run_once
            self._loop = None
        return self.max_lag


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc), seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Meter:
    """Wall seconds, this process's CPU seconds and the simulator's CPU seconds over a ``with`` block."""

    def __init__(self, sim_pid: int) -> None:
        self.sim_pid = sim_pid

    def __enter__(self) -> Meter:
        self.t0, self.c0, self.s0 = time.perf_counter(), time.process_time(), cpu_seconds(self.sim_pid)
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.c0
        self.sim_cpu = cpu_seconds(self.sim_pid) - self.s0


def median_range(values: list[float], fmt: str = "{:.0f}") -> str:
    """``median (min–max)`` of repeated measurements."""
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def rss_mib() -> float:
    """Current resident set size of this process (MiB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
