"""MetricsCache and the /metrics handler: off-loop rendering, per-scrape reuse, single flight, gzip."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from metrics_helpers import small_snapshot

from camfleet.metrics import CONTENT_TYPE, MetricsCache, MetricsSnapshot, make_metrics_handler, render_snapshot
from camfleet.metrics.handler import accepts_gzip


class CountingSource:
    """A snapshot source that counts its calls and can fail on demand."""

    def __init__(self, fail_first: int = 0) -> None:
        self.calls = 0
        self.fail_first = fail_first

    def __call__(self) -> MetricsSnapshot:
        self.calls += 1
        if self.calls <= self.fail_first:
            raise RuntimeError("state not ready")
        return small_snapshot()


class RecordingExecutor(ThreadPoolExecutor):
    """A thread pool that remembers which functions were submitted to it."""

    def __init__(self) -> None:
        super().__init__(1)
        self.submitted: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted.append(fn.__name__)
        return super().submit(fn, *args, **kwargs)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_concurrent_scrapes_share_one_render() -> None:
    """Five scrapes arriving together cause one snapshot and one render, and all get the same bytes."""
    source = CountingSource()
    executor = RecordingExecutor()
    cache = MetricsCache(source, executor=executor)
    try:
        results = await asyncio.gather(*(cache.get() for _ in range(5)))
    finally:
        executor.shutdown()
    assert source.calls == 1 and cache.renders == 1
    assert executor.submitted == ["render_snapshot_gzip"]  # the rendering itself ran in the executor
    assert all(r is results[0] for r in results)
    assert results[0].plain == render_snapshot(small_snapshot())
    assert gzip.decompress(results[0].gzipped) == results[0].plain


async def test_rendering_reused_until_it_is_too_old() -> None:
    """A rendering younger than max_age_s is served again; an older one is replaced."""
    clock = FakeClock()
    source = CountingSource()
    cache = MetricsCache(source, max_age_s=2.0, clock=clock)
    try:
        first = await cache.get()
        clock.now += 1.9
        assert await cache.get() is first
        clock.now += 0.2
        second = await cache.get()
    finally:
        cache.close()
    assert second is not first
    assert source.calls == 2 and cache.renders == 2


async def test_invalidate_forgets_a_young_rendering() -> None:
    """After invalidate() (a reload changed the cameras) the next scrape renders anew even within max_age_s."""
    clock = FakeClock()
    source = CountingSource()
    cache = MetricsCache(source, max_age_s=60.0, clock=clock)
    try:
        first = await cache.get()
        assert await cache.get() is first
        cache.invalidate()
        second = await cache.get()
        assert await cache.get() is second
    finally:
        cache.close()
    assert second is not first
    assert source.calls == 2


async def test_failed_render_is_retried_by_the_next_scrape() -> None:
    """An error reaches the scrape that saw it, and the next scrape renders afresh."""
    cache = MetricsCache(CountingSource(fail_first=1))
    try:
        with pytest.raises(RuntimeError, match="state not ready"):
            await cache.get()
        rendering = await cache.get()
    finally:
        cache.close()
    assert rendering.plain.startswith(b"# HELP camfleet_camera_up")


async def test_process_pool_executor_renders_the_same() -> None:
    """The snapshot pickles to a worker process and comes back rendered identically."""
    with ProcessPoolExecutor(1) as pool:
        cache = MetricsCache(small_snapshot, executor=pool)
        rendering = await cache.get()
    assert rendering.plain == render_snapshot(small_snapshot())


@pytest.fixture
async def server() -> Any:
    """A real aiohttp server on 127.0.0.1 serving /metrics through a MetricsCache."""
    cache = MetricsCache(small_snapshot)
    app = web.Application()
    app.router.add_get("/metrics", make_metrics_handler(cache))
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    try:
        yield srv
    finally:
        await srv.close()
        cache.close()


async def test_handler_serves_gzip_to_prometheus(server: TestServer) -> None:
    """With Accept-Encoding: gzip the body is gzip of the text, with the 0.0.4 content type."""
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.get(server.make_url("/metrics"), headers={"Accept-Encoding": "gzip"}) as resp,
    ):
        body = await resp.read()
        assert resp.status == 200
        assert resp.headers["Content-Type"] == CONTENT_TYPE
        assert resp.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == render_snapshot(small_snapshot())


async def test_handler_serves_plain_text_otherwise(server: TestServer) -> None:
    """Without gzip in Accept-Encoding (or with gzip;q=0) the body is the plain UTF-8 text."""
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        for accept in ("identity", "gzip;q=0, identity"):
            async with session.get(server.make_url("/metrics"), headers={"Accept-Encoding": accept}) as resp:
                body = await resp.read()
                assert resp.status == 200 and "Content-Encoding" not in resp.headers
            assert body == render_snapshot(small_snapshot())
            assert "城关镇" in body.decode("utf-8")


async def test_handler_answers_500_when_rendering_fails() -> None:
    """A failing snapshot source gives a 500 with a short message, and the server keeps serving."""
    cache = MetricsCache(CountingSource(fail_first=1))
    app = web.Application()
    app.router.add_get("/metrics", make_metrics_handler(cache))
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(srv.make_url("/metrics")) as resp:
                assert resp.status == 500
                assert "failed" in await resp.text()
            async with session.get(srv.make_url("/metrics")) as resp:
                assert resp.status == 200
    finally:
        await srv.close()
        cache.close()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("deflate, gzip;q=0.5", True),
        ("GZIP", True),
        ("*", True),
        ("", False),
        ("identity", False),
        ("gzip;q=0", False),
        ("gzip;q=0.0, *", False),
        ("*;q=0", False),
        ("gzip;q=bogus", False),
    ],
)
def test_accepts_gzip(header: str, expected: bool) -> None:
    """Accept-Encoding is read with its q-values, the way RFC 9110 says."""
    assert accepts_gzip(header) is expected
