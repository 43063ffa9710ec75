"""Acceptance pictures (验收照片) of a simulated fleet: each camera's healthy daytime view, as a file.

The picture is exactly what the simulated camera serves when nothing is wrong: the same camera seed
(``camera_seed(fleet seed, camera id)``), the size of the profile the poller fetches (the 640×360 sub
stream, or 1920×1080 for a ``--main-only`` fleet), the camera's local noon, no fault, and the usual movers,
noise and OSD. Drawing costs ~10 ms per 640×360 camera, so a district of 5,500 is drawn in a process pool,
each worker writing its own files (only names and counts cross the process boundary).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from camfleet.simulator.device_ops import TZ_OFFSET_S
from camfleet.simulator.frame import FrameRequest, render_frame
from camfleet.simulator.media_ops import PROFILES, StreamProfile
from camfleet.simulator.scene import BaseCache
from camfleet.simulator.spec import camera_seed

#: Cameras per task: large enough that process start-up and pickling are noise, small enough to balance.
CHUNK = 64
_NOON_S = 12 * 3600


@dataclass(frozen=True, slots=True)
class AcceptanceJob:
    """One chunk of cameras to draw into ``out_dir``."""

    camera_ids: tuple[str, ...]
    fleet_seed: int
    out_dir: str
    local_time: float
    profile: StreamProfile


def local_noon(now: float | None = None) -> float:
    """The cameras' local noon of today (China Standard Time), as the camera's local epoch seconds."""
    local = (time.time() if now is None else now) + TZ_OFFSET_S
    return local - (local % 86400) + _NOON_S


def snapshot_profile(main_only: bool) -> StreamProfile:
    """The profile whose snapshot the poller fetches: the sub stream, or the main one when it is all there is."""
    return PROFILES[0] if main_only else PROFILES[1]


def healthy_view(camera_id: str, fleet_seed: int, local_time: float, profile: StreamProfile,
                 cache: BaseCache | None = None) -> bytes:  # fmt: skip
    """The JPEG the simulated camera serves at ``local_time`` when no fault is in force."""
    request = FrameRequest(
        camera_seed(fleet_seed, camera_id), profile.width, profile.height, local_time, camera_id, frozenset(),
        profile.quality,
    )  # fmt: skip
    # One scene per camera: a cache would only hold pictures that are never asked for again.
    return render_frame(request, cache or BaseCache(max_bytes=0))


def _draw_chunk(job: AcceptanceJob) -> int:
    """Worker: draw and write every camera of the chunk; returns how many files were written."""
    import cv2

    cv2.setNumThreads(1)  # one process per core already; OpenCV's own threads would only contend
    out = Path(job.out_dir)
    for camera_id in job.camera_ids:
        data = healthy_view(camera_id, job.fleet_seed, job.local_time, job.profile)
        tmp = out / f".{camera_id}.jpg.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, out / f"{camera_id}.jpg")
    return len(job.camera_ids)


def write_acceptance(
    camera_ids: Sequence[str],
    out_dir: str | os.PathLike[str],
    *,
    fleet_seed: int = 1,
    main_only: bool = False,
    workers: int | None = None,
    local_time: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write ``<camera_id>.jpg`` for every camera into ``out_dir`` (created); returns the count written.

    ``workers`` processes (default: the CPU count; 1 draws in this process); ``progress(done, total)`` is
    called as chunks finish.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    at = local_noon() if local_time is None else local_time
    profile = snapshot_profile(main_only)
    ids = list(camera_ids)
    jobs = [
        AcceptanceJob(tuple(ids[i : i + CHUNK]), fleet_seed, str(out), at, profile) for i in range(0, len(ids), CHUNK)
    ]
    n = max(1, workers if workers is not None else (os.cpu_count() or 1))
    done = 0
    if n == 1 or len(jobs) <= 1:
        for job in jobs:
            done += _draw_chunk(job)
            if progress is not None:
                progress(done, len(ids))
        return done
    with ProcessPoolExecutor(max_workers=min(n, len(jobs))) as pool:
        for future in as_completed([pool.submit(_draw_chunk, job) for job in jobs]):
            done += future.result()
            if progress is not None:
                progress(done, len(ids))
    return done
