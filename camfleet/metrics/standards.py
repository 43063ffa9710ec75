"""Coverage standards as series: per standard and town, and per standard and village.

Judged now with ``camfleet.coverage.standards.judge_now`` (site types and working rate; the availability
condition needs history, so Prometheus judges that itself, e.g. ``avg_over_time(…[7d])``). Like coverage,
the verdict is three-valued; ``…_met`` is 1 only when known met and ``…_known`` is 0 while unchecked
cameras decide it, so that an alert never reads "unknown" as "stopped meeting". No standard configured:
no series at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from camfleet.config.coverage import StandardConfig
from camfleet.coverage.standards import judge_now
from camfleet.metrics.family import Family, gauge
from camfleet.model import CameraRecord, CameraState, PointRecord


def standard_families(
    standards: Sequence[StandardConfig],
    points: Sequence[PointRecord],
    cameras: Sequence[CameraRecord],
    states: Mapping[str, CameraState],
) -> list[Family]:
    """``camfleet_standard_met``/``_known`` per standard and town, ``camfleet_village_standard_met``/``_known``."""
    if not standards:
        return []
    town_met = gauge(
        "camfleet_standard_met", "1 when every village of the town meets the standard.", "standard", "town"
    )
    town_known = gauge(
        "camfleet_standard_known", "0 while the town's verdict waits for unchecked cameras.", "standard", "town"
    )
    village_met = gauge(
        "camfleet_village_standard_met",
        "1 when the village meets the standard (required site types covered, working rate reached).",
        "standard",
        "town",
        "village",
    )
    village_known = gauge(
        "camfleet_village_standard_known",
        "0 while the village's verdict waits for unchecked cameras.",
        "standard",
        "town",
        "village",
    )
    for name, towns in judge_now(standards, points, cameras, states).items():
        for town in sorted(towns):
            verdict, villages = towns[town]
            town_met.add((name, town), 1.0 if verdict is True else 0.0)
            town_known.add((name, town), 0.0 if verdict is None else 1.0)
            for v in villages:
                village_met.add((name, town, v.village), 1.0 if v.met is True else 0.0)
                village_known.add((name, town, v.village), 0.0 if v.met is None else 1.0)
    return [town_met, town_known, village_met, village_known]
