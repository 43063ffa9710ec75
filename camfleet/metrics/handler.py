"""The aiohttp handler for ``GET /metrics`` (the web module mounts it; auth and TLS are the web layer's)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from camfleet.metrics.cache import MetricsCache
from camfleet.metrics.render import CONTENT_TYPE

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def accepts_gzip(header: str) -> bool:
    """True when ``Accept-Encoding`` allows gzip (``gzip;q=0`` refuses it; ``*`` allows it)."""
    allowed: dict[str, bool] = {}
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        coding = coding.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding:
            allowed[coding] = q > 0
    if "gzip" in allowed:
        return allowed["gzip"]
    return allowed.get("*", False)


def make_metrics_handler(cache: MetricsCache) -> Handler:
    """A handler serving ``cache``'s rendering, gzip-compressed when the client accepts it."""

    async def metrics(request: web.Request) -> web.StreamResponse:
        try:
            rendering = await cache.get()
        except Exception:
            # A failed render must not take the service down: Prometheus sees a 500 (up == 0) and the log says why.
            log.exception("metrics rendering failed")
            return web.Response(status=500, text="metrics rendering failed; see the service log\n")
        headers = {"Content-Type": CONTENT_TYPE, "Vary": "Accept-Encoding", "Cache-Control": "no-store"}
        if accepts_gzip(request.headers.get("Accept-Encoding", "")):
            headers["Content-Encoding"] = "gzip"
            return web.Response(body=rendering.gzipped, headers=headers)
        return web.Response(body=rendering.plain, headers=headers)

    return metrics
