"""The same families through prometheus_client's own collector path.

The product serves ``render.py``'s output; this collector exists to prove that output right (the tests
compare both renderings sample by sample) and to measure the speed-up against the library in the same
run (``benchmarks/metrics_render.py``). It also lets an embedding program register camfleet's metrics in
its own ``CollectorRegistry``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from camfleet.metrics.collect import collect
from camfleet.metrics.family import HistogramFamily
from camfleet.metrics.render import format_value
from camfleet.metrics.snapshot import MetricsSnapshot


class SnapshotCollector(Collector):
    """A custom collector that builds metric families from a fresh snapshot at each ``collect()``."""

    def __init__(self, source: Callable[[], MetricsSnapshot]) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        """Yield one prometheus_client metric family per camfleet family."""
        for fam in collect(self._source()):
            if isinstance(fam, HistogramFamily):
                hist = HistogramMetricFamily(fam.name, fam.help, labels=list(fam.labelnames))
                for values, h in fam.rows:
                    buckets = [(format_value(b), float(c)) for b, c in zip(h.bounds, h.counts, strict=True)]
                    buckets.append(("+Inf", float(h.count)))
                    hist.add_metric(list(values), buckets, h.sum)
                yield hist
            elif fam.type == "counter":
                ctr = CounterMetricFamily(fam.name, fam.help, labels=list(fam.labelnames))
                for values, value in fam.rows:
                    ctr.add_metric(list(values), value)
                yield ctr
            else:
                gauge = GaugeMetricFamily(fam.name, fam.help, labels=list(fam.labelnames))
                for values, value in fam.rows:
                    gauge.add_metric(list(values), value)
                yield gauge
