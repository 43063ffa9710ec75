"""All of ``/metrics`` as metric families, from one snapshot (pure, no I/O)."""

from __future__ import annotations

from camfleet.metrics.baselines import baseline_families, judging_families
from camfleet.metrics.cameras import camera_families
from camfleet.metrics.family import AnyFamily
from camfleet.metrics.maintenance import maintenance_families
from camfleet.metrics.ownership import ownership_families
from camfleet.metrics.poller import poller_families
from camfleet.metrics.process import process_families
from camfleet.metrics.recorders import recorder_families
from camfleet.metrics.snapshot import MetricsSnapshot
from camfleet.metrics.standards import standard_families
from camfleet.metrics.villages import uplink_families, village_families


def collect(snapshot: MetricsSnapshot) -> list[AnyFamily]:
    """Every family in exposition order: cameras, villages, uplinks, recorders, maintenance, the poller's own metrics
    and process, its cluster share."""
    families: list[AnyFamily] = []
    families.extend(camera_families(snapshot.targets, snapshot.states, snapshot.points))
    families.extend(baseline_families(snapshot.targets, snapshot.states, snapshot.taken_at, snapshot.review_within_s))
    families.extend(judging_families(snapshot.cannot_judge_alert_s))
    families.extend(village_families(snapshot.points, snapshot.cameras, snapshot.states))
    families.extend(standard_families(snapshot.standards, snapshot.points, snapshot.cameras, snapshot.states))
    families.extend(uplink_families(snapshot.targets, snapshot.states))
    families.extend(recorder_families(snapshot.targets, snapshot.states))
    families.extend(
        maintenance_families(
            snapshot.maintenance, snapshot.targets, snapshot.points, snapshot.cameras, snapshot.taken_at
        )
    )
    families.extend(poller_families(snapshot.poller, snapshot.taken_at))
    families.extend(process_families(snapshot.process))
    families.extend(ownership_families(snapshot.cluster))
    return families
