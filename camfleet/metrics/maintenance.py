"""Maintenance series: what the active windows hold now, in the shapes the shipped alert rules join with ``unless``.

Each family has the labels of the alerts it holds, so a rule needs one ``unless on (…)`` and no arithmetic:

* ``camfleet_camera_in_maintenance{camera}``: the camera alerts (``unless on (camera)``);
* ``camfleet_village_in_maintenance{town,village}``: ``CamfleetVillageWithoutWorkingCamera``;
* ``camfleet_uplink_in_maintenance{uplink,town,village}``: ``CamfleetUplinkDown`` (the keys of ``camfleet_uplink_up``);
* ``camfleet_recorder_in_maintenance{recorder}``: ``CamfleetRecorderDown`` (held when every channel is: a window on
  the recorder's uplink or village, or on each of its channels).

Only what is held has a series (value 1): a fleet with no window active exports none, so the per-camera series
stay as few as before. ``camfleet_maintenance_window_end_timestamp_seconds`` lists the active windows themselves
(for a dashboard: what is held, until when). Which window holds what is ``camfleet.maintenance.held``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from camfleet.maintenance import MaintenanceWindow, held
from camfleet.metrics.family import Family, gauge
from camfleet.model import CameraRecord, CameraTarget, PointRecord, PointStatus


def maintenance_families(
    windows: Sequence[MaintenanceWindow],
    targets: Mapping[str, CameraTarget],
    points: Sequence[PointRecord],
    cameras: Sequence[CameraRecord],
    now: float,
) -> list[Family]:
    """The five families at ``now``. Cameras, uplinks and recorders follow ``targets`` (this instance's cameras);
    villages and the window list follow the inventory (``points``/``cameras``: empty on a cluster member that is not
    the leader, like the other village series)."""
    cam = gauge("camfleet_camera_in_maintenance", "1 while a maintenance window holds the camera's alerts.", "camera")
    village = gauge(
        "camfleet_village_in_maintenance",
        "1 while a maintenance window holds the village's alerts (a village window, or every camera held).",
        "town",
        "village",
    )
    uplink = gauge(
        "camfleet_uplink_in_maintenance",
        "1 while a maintenance window holds the uplink's alerts in the village (uplink or village window, or every "
        "camera behind it held).",
        "uplink",
        "town",
        "village",
    )
    recorder = gauge(
        "camfleet_recorder_in_maintenance",
        "1 while a maintenance window holds the NVR/DVR's alert (every one of its channels held).",
        "recorder",
    )
    ends = gauge(
        "camfleet_maintenance_window_end_timestamp_seconds",
        "Unix time an active maintenance window ends (one series per active window).",
        "window",
        "scope",
        "target",
    )
    families = [cam, village, uplink, recorder, ends]
    active = [w for w in windows if w.active(now)]
    if not active:
        return families
    here = held(active, targets, now)
    for camera_id in sorted(here.cameras):
        cam.add((camera_id,), 1.0)
    for link in sorted(here.uplinks):
        uplink.add(link, 1.0)
    for rec in sorted(here.recorders):
        recorder.add((rec,), 1.0)
    if points:
        planned = {p.point_id: p for p in points if p.status is not PointStatus.RETIRED}
        mine = [c for c in cameras if c.point_id in planned]
        # Alone, this instance polls the whole inventory: its expansion already has the villages. A cluster
        # leader owns only some uplinks, so it expands the windows over every camera of the inventory.
        if len(mine) != len(targets) or any(c.camera_id not in targets for c in mine):
            here = held(active, {c.camera_id: c.target(planned[c.point_id]) for c in mine}, now)
        for key in sorted(here.villages):
            village.add(key, 1.0)
        for w in sorted(active, key=lambda w: w.id):
            ends.add((str(w.id), w.scope.value, w.target), w.until)
    return families
