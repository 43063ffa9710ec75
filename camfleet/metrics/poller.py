"""The poller's own health: probe counters and durations, scheduling lag, loop lag, database backlog.

Histograms carry no camera label (5,500 cameras × 13 buckets would dwarf everything else); per-camera
latency is the ``camfleet_camera_probe_latency_seconds`` gauge instead.
"""

from __future__ import annotations

from camfleet.metrics.family import AnyFamily, HistogramFamily, counter, gauge
from camfleet.metrics.snapshot import PollerStats


def poller_families(stats: PollerStats, taken_at: float) -> list[AnyFamily]:
    """Families built from ``PollerStats`` (keys sorted so the output is stable)."""
    probes = counter("camfleet_probes_total", "Checks run, by check kind and observed result.", "kind", "result")
    for (kind, result), n in sorted(stats.probes.items()):
        probes.add((kind, result), n)
    durations = HistogramFamily("camfleet_probe_duration_seconds", "Duration of checks, by kind.", ("kind",))
    for kind, hist in sorted(stats.probe_duration.items()):
        durations.add((kind,), hist)

    singles = [
        ("camfleet_sweep_duration_seconds", "Time the last full pass over the fleet took.", stats.sweep_duration_s),
        (
            "camfleet_schedule_lag_seconds",
            "How late the last dispatched check started, behind its due time.",
            stats.schedule_lag_s,
        ),
        ("camfleet_scheduler_queue_depth", "Checks due and waiting for a free slot.", stats.queue_depth),
        ("camfleet_probes_in_flight", "Checks running now.", stats.in_flight),
        ("camfleet_event_loop_lag_seconds", "Last measured delay of the event loop.", stats.loop_lag_s),
        ("camfleet_db_write_backlog", "Rows waiting to be written to the database.", stats.db_backlog),
        (
            "camfleet_config_last_reload_successful",
            "1 when the last configuration (re)load succeeded.",
            1.0 if stats.config_last_reload_ok else 0.0,
        ),
        (
            "camfleet_config_last_reload_success_timestamp_seconds",
            "Unix time of the last successful configuration (re)load.",
            stats.config_last_reload_at,
        ),
        ("camfleet_start_time_seconds", "Unix time the poller started.", stats.started_at),
        ("camfleet_snapshot_timestamp_seconds", "Unix time the state shown here was taken.", taken_at),
    ]
    families: list[AnyFamily] = [probes, durations]
    for name, help_text, value in singles:
        fam = gauge(name, help_text)
        fam.add((), float(value))
        families.append(fam)

    db = HistogramFamily("camfleet_db_write_duration_seconds", "Duration of batched database writes.", ())
    db.add((), stats.db_write)
    reloads = counter("camfleet_config_reloads_total", "Configuration reloads, by result.", "result")
    reloads.add(("success",), stats.config_reloads_ok)
    reloads.add(("failure",), stats.config_reloads_failed)
    transitions = counter("camfleet_transitions_total", "Camera status changes.")
    transitions.add((), stats.transitions)
    failures = counter("camfleet_db_write_failures_total", "Batched database writes that failed.")
    failures.add((), stats.db_write_failures)
    dropped = counter("camfleet_db_write_dropped_total", "Rows dropped because the write buffer was full.")
    dropped.add((), stats.db_write_dropped)
    refused = counter(
        "camfleet_db_write_refused_total",
        "Camera states the database refused to store because their lease had moved to another instance.",
    )
    refused.add((), stats.db_write_refused)
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
    return [*families, db, reloads, transitions, failures, dropped, refused, web_refused, build]
