"""Metric families as plain arrays: the one intermediate form both renderers read.

``collect(snapshot)`` (in ``collect.py``) builds a list of these; ``render.py`` writes them as Prometheus
text quickly, and ``client.py`` hands the same families to prometheus_client, which proves the fast writer
right in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from camfleet.metrics.snapshot import Histogram

MetricType = Literal["gauge", "counter"]


@dataclass(slots=True)
class Family:
    """A gauge or counter as two columns: the label values of each series and its value.

    Columns rather than rows so the writer can format a whole family with C-level ``map`` calls.
    A counter's ``name`` ends in ``_total``, exactly as its samples are written in text format 0.0.4.
    """

    name: str
    type: MetricType
    help: str
    labelnames: tuple[str, ...]
    keys: list[tuple[str, ...]] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def add(self, labels: tuple[str, ...], value: float) -> None:
        """Append one series (``labels`` in the order of ``labelnames``)."""
        self.keys.append(labels)
        self.values.append(float(value))

    @property
    def rows(self) -> list[tuple[tuple[str, ...], float]]:
        """``(label values, value)`` per series."""
        return list(zip(self.keys, self.values, strict=True))


@dataclass(slots=True)
class HistogramFamily:
    """A histogram family: one cumulative ``Histogram`` per series."""

    name: str
    help: str
    labelnames: tuple[str, ...]
    rows: list[tuple[tuple[str, ...], Histogram]] = field(default_factory=list)
    type: Literal["histogram"] = "histogram"

    def add(self, values: tuple[str, ...], hist: Histogram) -> None:
        """Append one series."""
        self.rows.append((values, hist))


AnyFamily = Family | HistogramFamily


def gauge(name: str, help_text: str, *labelnames: str) -> Family:
    """An empty gauge family."""
    return Family(name, "gauge", help_text, labelnames)


def counter(name: str, help_text: str, *labelnames: str) -> Family:
    """An empty counter family; ``name`` must end in ``_total``."""
    if not name.endswith("_total"):
        raise ValueError(f"counter {name} must end in _total")
    return Family(name, "counter", help_text, labelnames)
