"""The naive way (one onvif-zeep-async ``ONVIFCamera`` per camera) against camfleet's client, same cameras, same run.

Run: .venv/bin/python benchmarks/poller_naive.py [SAMPLE]
Simulator in another process. Each approach does, per camera and one camera at a time: set up, read the
clock (GetSystemDateAndTime), GetDeviceInformation (authenticated, signed with the camera's time), and keeps
its per-camera objects alive (a poller holds one per camera). Reported per camera: wall and CPU milliseconds,
RSS growth, file descriptors still open afterwards; and the naive/camfleet ratios. One camera of each
approach runs first, unmeasured, so the one-off WSDL parse of each is not counted.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time
from typing import Any

from poller_common import config, rss_mib, start_simulator, stop_simulator, targets
from poller_simrunner import PASSWORD, USER

import camfleet.onvif._lib  # noqa: F401  (imports onvif without its logging.basicConfig side effect)
from camfleet.config import Credential
from camfleet.model import CameraTarget
from camfleet.onvif.client import CameraClient, OnvifClientFactory, tune_gc

NET_BASE = 49


async def naive(t: CameraTarget) -> Any:
    """What the library's README suggests: ONVIFCamera, update_xaddrs, a devicemgmt service, two calls."""
    from onvif import ONVIFCamera

    cam = ONVIFCamera(t.host, t.port, USER, PASSWORD, adjust_time=True)
    await cam.update_xaddrs()
    device = await cam.create_devicemgmt_service()
    await device.GetSystemDateAndTime()
    info = await device.GetDeviceInformation()
    assert info.SerialNumber
    return cam


async def ours(factory: OnvifClientFactory, t: CameraTarget) -> CameraClient:
    """camfleet's client: a light handle, clock read, then the signed call through the shared document."""
    client = factory.camera(t.host, t.port, Credential("bench", USER, PASSWORD))
    await client.get_system_date_and_time()
    info = await client.call("devicemgmt", "GetDeviceInformation")
    assert info.SerialNumber
    return client


async def measure(label: str, one: Any, sample: list[CameraTarget], kept: list[Any]) -> tuple[float, float, float]:
    """Per camera: wall s, CPU s, RSS MiB; the per-camera objects stay alive in ``kept``."""
    gc.collect()
    fds0 = len(os.listdir("/proc/self/fd"))
    rss0, c0, t0 = rss_mib(), time.process_time(), time.perf_counter()
    kept.extend([await one(t) for t in sample])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    gc.collect()
    rss = rss_mib() - rss0
    fds = len(os.listdir("/proc/self/fd")) - fds0
    n = len(sample)
    print(f"{label}: {wall / n * 1000:.1f} ms wall, {cpu / n * 1000:.1f} ms CPU, {rss * 1024 / n:.0f} KiB RSS, "
          f"{fds / n:.2f} open sockets per camera afterwards")  # fmt: skip
    return wall / n, cpu / n, rss / n


async def main() -> None:
    sample_n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    tune_gc()
    tgts = targets(sample_n + 2, NET_BASE)
    sim = await start_simulator(sample_n + 2, NET_BASE)
    naive_cams: list[Any] = []
    try:
        async with OnvifClientFactory(config().poller) as factory:
            await ours(factory, tgts[0])  # warm-up: the shared WSDL parse is a once-per-process cost
            mine = await measure("camfleet CameraClient", lambda t: ours(factory, t), tgts[2:], [])
        naive_cams.append(await naive(tgts[1]))  # warm-up: the library's own document cache fills
        theirs = await measure("naive ONVIFCamera", naive, tgts[2:], naive_cams)
    finally:
        for cam in naive_cams:
            await cam.close()
        await stop_simulator(sim)
    print(f"sample: {sample_n} cameras, one at a time")
    print(f"naive / camfleet: wall {theirs[0] / mine[0]:.1f}×, CPU {theirs[1] / mine[1]:.1f}×, "
          f"RSS {theirs[2] / max(mine[2], 1e-9):.1f}×")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
