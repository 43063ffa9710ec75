"""``MetricsCache``: render ``/metrics`` off the event loop, once per scrape, shared by concurrent scrapes.

At 5,500 cameras even the fast writer costs tens of milliseconds of CPU, and a Prometheus pair in HA
scrapes twice per interval. So:

* the snapshot is taken on the loop (``source()`` must be cheap: copy the containers, not the cameras);
* rendering (text + gzip) runs in an executor, by default one dedicated thread;
* a rendering younger than ``max_age_s`` is served again as is;
* single flight: scrapes arriving while a render runs await that same render instead of starting another.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

from camfleet.metrics.render import render_snapshot_gzip
from camfleet.metrics.snapshot import MetricsSnapshot


@dataclass(frozen=True, slots=True)
class Rendering:
    """One rendering of ``/metrics``: plain and gzip bytes, and when and how fast it was made."""

    plain: bytes
    gzipped: bytes
    rendered_at: float  # the cache's clock (monotonic by default)
    render_seconds: float


class MetricsCache:
    """Serve renderings of ``source()`` at most ``max_age_s`` old, rendered in ``executor``.

    ``executor`` may be a ``ProcessPoolExecutor`` (the snapshot is then pickled to the worker); the
    default is a private one-thread pool, closed by ``close()``.
    """

    def __init__(
        self,
        source: Callable[[], MetricsSnapshot],
        *,
        max_age_s: float = 2.0,
        executor: Executor | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._max_age_s = max_age_s
        self._own_executor = executor is None
        self._executor: Executor = executor or ThreadPoolExecutor(1, thread_name_prefix="camfleet-metrics")
        self._clock = clock
        self._last: Rendering | None = None
        self._pending: asyncio.Future[Rendering] | None = None
        self._generation = 0  # bumped by invalidate(): older renders are neither cached nor shared
        self.renders = 0  # how many renders ran (for tests and the status page)

    async def get(self) -> Rendering:
        """A fresh enough rendering: the cached one, the one being made now, or a new one."""
        last = self._last
        if last is not None and self._clock() - last.rendered_at < self._max_age_s:
            return last
        if self._pending is None:
            self._pending = asyncio.ensure_future(self._render(self._generation))
        # shield: one scrape giving up (client gone) must not cancel the render others wait for
        return await asyncio.shield(self._pending)

    def invalidate(self) -> None:
        """Forget the cached rendering and any render in flight: the fleet changed shape (a reload added or
        removed cameras), and a scrape must not be served the series of cameras that are gone."""
        self._generation += 1
        self._last = None
        self._pending = None

    async def _render(self, generation: int) -> Rendering:
        try:
            snapshot = self._source()
            loop = asyncio.get_running_loop()
            started = time.perf_counter()
            plain, gzipped = await loop.run_in_executor(self._executor, render_snapshot_gzip, snapshot)
            rendering = Rendering(plain, gzipped, self._clock(), time.perf_counter() - started)
            self.renders += 1
            if generation == self._generation:
                self._last = rendering
            return rendering
        finally:
            if generation == self._generation:
                self._pending = None

    def close(self) -> None:
        """Stop the private render thread (no-op for an executor that was passed in)."""
        if self._own_executor:
            self._executor.shutdown(wait=True, cancel_futures=True)
