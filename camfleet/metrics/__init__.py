"""camfleet.metrics: Prometheus metrics of the fleet, rendered fast and off the event loop.

``MetricsSnapshot`` (what the service hands over) → ``collect`` (metric families as arrays) →
``render_snapshot`` (text format 0.0.4) → ``MetricsCache`` (worker thread, per-scrape cache, single
flight, gzip) → ``make_metrics_handler`` (the aiohttp handler the web app mounts at ``/metrics``).
"""

from camfleet.metrics.cache import MetricsCache, Rendering
from camfleet.metrics.collect import collect
from camfleet.metrics.handler import make_metrics_handler
from camfleet.metrics.render import CONTENT_TYPE, render_snapshot
from camfleet.metrics.snapshot import Histogram, MetricsSnapshot, PollerStats
from camfleet.runtime.fleet import DB_BUCKETS, PROBE_BUCKETS

__all__ = [
    "CONTENT_TYPE",
    "DB_BUCKETS",
    "PROBE_BUCKETS",
    "Histogram",
    "MetricsCache",
    "MetricsSnapshot",
    "PollerStats",
    "Rendering",
    "collect",
    "make_metrics_handler",
    "render_snapshot",
]
