"""The poller's own health: probe counters and durations, scheduling lag, loop lag, database backlog.

Histograms carry no camera label (5,500 cameras × 13 buckets would dwarf everything else); per-camera
latency is the ``camfleet_camera_probe_latency_seconds`` gauge instead.
"""

from __future__ import annotations

from camfleet.metrics.family import AnyFamily, HistogramFamily, counter, gauge
from camfleet.metrics.snapshot import PollerMetric, PollerStats, poller_metrics

_SNAPSHOT_TAKEN = PollerMetric(
    "gauge", "camfleet_snapshot_timestamp_seconds", "Unix time the state shown here was taken."
)


def poller_families(stats: PollerStats, taken_at: float) -> list[AnyFamily]:
    """Families built from ``PollerStats``: its declared gauges and counters, the labelled families and histograms
    (keys sorted so the output is stable)."""
    probes = counter("camfleet_probes_total", "Checks run, by check kind and observed result.", "kind", "result")
    for (kind, result), n in sorted(stats.probes.items()):
        probes.add((kind, result), n)
    durations = HistogramFamily("camfleet_probe_duration_seconds", "Duration of checks, by kind.", ("kind",))
    for kind, hist in sorted(stats.probe_duration.items()):
        durations.add((kind,), hist)

    families: list[AnyFamily] = [probes, durations]
    gauges = [(m, getattr(stats, name)) for name, m in poller_metrics("gauge")]
    for m, value in [*gauges, (_SNAPSHOT_TAKEN, taken_at)]:
        fam = gauge(m.name, m.help)
        fam.add((), float(value))
        families.append(fam)

    db = HistogramFamily("camfleet_db_write_duration_seconds", "Duration of batched database writes.", ())
    db.add((), stats.db_write)
    reloads = counter("camfleet_config_reloads_total", "Configuration reloads, by result.", "result")
    reloads.add(("success",), stats.config_reloads_ok)
    reloads.add(("failure",), stats.config_reloads_failed)
    counters: list[AnyFamily] = []
    for name, m in poller_metrics("counter"):
        fam = counter(m.name, m.help)
        fam.add((), getattr(stats, name))
        counters.append(fam)
    web_refused = counter(
        "camfleet_web_write_refused_total",
        "Web write actions (approving baselines) refused, by reason: method, disabled, no_credentials, "
        "wrong_credentials, cross_site, token, invalid.",
        "reason",
    )
    for reason, n in sorted(stats.web_write_refused.items()):
        web_refused.add((reason,), n)
    build = gauge("camfleet_build_info", "Version of camfleet and Python (value 1).", "version", "python")
    build.add((stats.version, stats.python), 1.0)
    return [*families, db, reloads, *counters, web_refused, build]
