"""Shared pieces of the poller benchmarks: the simulator child process, a loop-lag ticker, RSS."""

from __future__ import annotations

import asyncio
import resource
import sys
import time
from pathlib import Path

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
    """Production defaults except what the benchmark sets."""
    return CamfleetConfig.model_validate({"poller": poller})


class LagTicker:
    """Measures event-loop lag: a task that asks to sleep 10 ms and records how late it wakes."""

    def __init__(self) -> None:
        self.max_lag = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            self.max_lag = max(self.max_lag, time.perf_counter() - t0 - 0.01)

    def start(self) -> None:
        self.max_lag = 0.0
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        return self.max_lag


def rss_mib() -> float:
    """Current resident set size of this process (MiB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
