"""The instance's share of a fleet polled by several instances: ``camfleet_cluster_*`` series.

Absent when the instance runs alone. With several instances each exports only the cameras it owns, so
``sum(camfleet_cluster_owned_cameras)`` over instances is the fleet, and every per-camera series comes from
exactly one instance; ``camfleet_cluster_leader`` marks the one that exports the fleet-wide village series.
"""

from __future__ import annotations

from camfleet.metrics.family import AnyFamily, counter, gauge
from camfleet.runtime.ownership import OwnershipStats


def ownership_families(stats: OwnershipStats | None) -> list[AnyFamily]:
    """Gauges and counters of one instance's ownership; no family at all when ``stats`` is None."""
    if stats is None:
        return []
    gauges = [
        ("camfleet_cluster_owned_cameras", "Cameras this instance polls (its leases).", stats.owned_cameras),
        ("camfleet_cluster_owned_uplinks", "Uplink groups this instance holds leases on.", stats.owned_units),
        ("camfleet_cluster_instances", "Live instances this one saw at its last heartbeat.", stats.instances),
        ("camfleet_cluster_leader", "1 when this instance exports the fleet-wide village series.", stats.leader),
        ("camfleet_cluster_fenced", "1 while this instance polls nothing: its leases were not renewed.", stats.fenced),
        (
            "camfleet_cluster_last_heartbeat_timestamp_seconds",
            "Unix time of the last successful heartbeat.",
            stats.last_heartbeat_at,
        ),
        ("camfleet_cluster_heartbeat_seconds", "Duration of the last heartbeat cycle.", stats.heartbeat_seconds),
    ]
    families: list[AnyFamily] = []
    for name, help_text, value in gauges:
        fam = gauge(name, help_text)
        fam.add((), float(value))
        families.append(fam)
    beats = counter("camfleet_cluster_heartbeats_total", "Heartbeats to the shared database, by result.", "result")
    beats.add(("success",), stats.heartbeats_ok)
    beats.add(("failure",), stats.heartbeats_failed)
    moves = counter("camfleet_cluster_handovers_total", "Uplink leases that changed hands here.", "direction")
    moves.add(("acquired",), stats.acquired)
    moves.add(("released",), stats.released)
    moves.add(("lost",), stats.lost)
    return [*families, beats, moves]
