"""A fast writer of metric families in the Prometheus text format 0.0.4.

Why hand-written: at 5,500 cameras prometheus_client's ``generate_latest`` takes ~0.5 s (OpenMetrics
~0.7 s), most of it building one ``Sample`` named tuple and one label dict per series and sorting label
names; the families here are already arrays, so writing them is string joins (see
``benchmarks/metrics_render.py`` for the measured ratio). The output is checked in the tests against
prometheus_client's own rendering of the same families, its parser, and ``promtool check metrics``.

Always text 0.0.4, never OpenMetrics: Prometheus accepts it from every version, it is what the exporters
it is usually scraped next to serve, and nothing here needs OpenMetrics' extras (exemplars, ``_created``).
"""

from __future__ import annotations

import gzip
import math
import threading
from collections.abc import Iterable

from camfleet.metrics.collect import collect
from camfleet.metrics.family import AnyFamily, Family, HistogramFamily
from camfleet.metrics.snapshot import MetricsSnapshot

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: gzip level 1: a fifth of level 6's CPU on this text for a ratio only a little worse (both about 20×).
GZIP_LEVEL = 1

_FAST_VALUES = {0.0: "0.0", 1.0: "1.0"}


def format_value(value: float) -> str:
    """A sample value as Prometheus writes it (``+Inf``, ``-Inf``, ``NaN``, else Python's shortest repr)."""
    fast = _FAST_VALUES.get(value)
    if fast is not None:
        return fast
    if math.isfinite(value):
        return repr(float(value))
    if math.isnan(value):
        return "NaN"
    return "+Inf" if value > 0 else "-Inf"


def escape_label_value(value: str) -> str:
    """Backslash, double quote and newline escaped; everything else (Chinese too) kept as UTF-8."""
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


class _Prefixes(dict[tuple[str, ...], str]):
    """``name{a="x",b="y"} `` per label-value tuple of one family, built on first use."""

    def __init__(self, name: str, labelnames: tuple[str, ...]) -> None:
        super().__init__()
        self._name = name
        self._labelnames = labelnames

    def __missing__(self, values: tuple[str, ...]) -> str:
        if self._labelnames:
            pairs = ",".join(f'{n}="{escape_label_value(v)}"' for n, v in zip(self._labelnames, values, strict=True))
            prefix = f"{self._name}{{{pairs}}} "
        else:
            prefix = f"{self._name} "
        self[values] = prefix
        return prefix


class TextRenderer:
    """Writes families as text format 0.0.4, keeping each series' escaped ``name{labels} `` prefix.

    Camera ids, villages and label sets barely change between scrapes, so after the first render a family
    is written with C-level ``map`` calls: one dict lookup for the prefix and one ``repr`` for the value
    per series. Not thread-safe: give each worker thread or process its own (``render_snapshot`` does).
    """

    def __init__(self, max_prefixes: int = 400_000) -> None:
        self._max_prefixes = max_prefixes
        self._prefixes: dict[tuple[str, tuple[str, ...]], _Prefixes] = {}

    def _family_prefixes(self, name: str, labelnames: tuple[str, ...]) -> _Prefixes:
        key = (name, labelnames)
        prefixes = self._prefixes.get(key)
        if prefixes is None or len(prefixes) > self._max_prefixes:  # churned past any sane fleet: start over
            prefixes = self._prefixes[key] = _Prefixes(name, labelnames)
        return prefixes

    def render(self, families: Iterable[AnyFamily]) -> str:
        """The families as one text document."""
        out: list[str] = []
        for fam in families:
            out.append(f"# HELP {fam.name} {_escape_help(fam.help)}\n# TYPE {fam.name} {fam.type}\n")
            if isinstance(fam, HistogramFamily):
                self._histogram(out, fam)
            elif fam.keys:
                self._family(out, fam)
        return "".join(out)

    def _family(self, out: list[str], fam: Family) -> None:
        prefixes = list(map(self._family_prefixes(fam.name, fam.labelnames).__getitem__, fam.keys))
        values = fam.values
        # repr() is Prometheus' own float syntax except for inf/nan, which are rare: check once per family
        texts = list(map(repr, values)) if all(map(math.isfinite, values)) else list(map(format_value, values))
        out.append("\n".join(map(str.__add__, prefixes, texts)))
        out.append("\n")

    def _histogram(self, out: list[str], fam: HistogramFamily) -> None:
        bucket = self._family_prefixes(fam.name + "_bucket", (*fam.labelnames, "le"))
        total = self._family_prefixes(fam.name + "_sum", fam.labelnames)
        count = self._family_prefixes(fam.name + "_count", fam.labelnames)
        for values, hist in fam.rows:
            for bound, n in zip(hist.bounds, hist.counts, strict=True):
                out.append(f"{bucket[(*values, format_value(bound))]}{float(n)!r}\n")
            out.append(f"{bucket[(*values, '+Inf')]}{float(hist.count)!r}\n")
            out.append(f"{total[values]}{format_value(hist.sum)}\n")
            out.append(f"{count[values]}{float(hist.count)!r}\n")


def render_families(families: Iterable[AnyFamily]) -> str:
    """The families as one text-format 0.0.4 document (a fresh renderer: no prefixes kept)."""
    return TextRenderer().render(families)


_local = threading.local()


def _thread_renderer() -> TextRenderer:
    renderer: TextRenderer | None = getattr(_local, "renderer", None)
    if renderer is None:
        renderer = _local.renderer = TextRenderer()
    return renderer


def render_snapshot(snapshot: MetricsSnapshot) -> bytes:
    """The whole of ``/metrics`` for ``snapshot``, UTF-8 encoded (CPU-bound: call it off the event loop).

    Each thread (or worker process) keeps its own ``TextRenderer``, so repeated renders reuse prefixes.
    """
    return _thread_renderer().render(collect(snapshot)).encode("utf-8")


def render_snapshot_gzip(snapshot: MetricsSnapshot) -> tuple[bytes, bytes]:
    """``(plain, gzipped)``: both forms in one call, so one worker job serves every kind of client."""
    plain = render_snapshot(snapshot)
    return plain, gzip.compress(plain, compresslevel=GZIP_LEVEL, mtime=0)
