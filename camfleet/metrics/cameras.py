"""Per-camera series: at most eight per camera here (the ninth, the baseline state, is in ``baselines.py``), plus
one static ``camfleet_camera_info``.

Static attributes (town, village, point, programme, vendor, model, firmware, serial, uplink, and for an NVR
channel its recorder's ``host:port`` and channel number, both empty for a standalone camera) live only in the
info series; everything else carries just ``camera`` and is joined in PromQL with
``* on(camera) group_left(town, village) camfleet_camera_info``.

A timestamp or measurement that does not exist yet (never ok, no clock reading) is left out rather than
written as 0 or NaN, so that ``time() - camfleet_camera_last_ok_timestamp_seconds`` never claims 1970.

The eight per-camera series are all taken, so the camera's own tamper events add no series: how the
camera's claim compares with camfleet's verdict is the ``agreement`` label of ``camfleet_camera_status``
(empty while the camera's events are not read), and ``camfleet_events_agreement_cameras`` counts cameras
per outcome (no camera label, every outcome present).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from camfleet.metrics.family import Family, gauge
from camfleet.model import UP_STATUSES, Agreement, CameraState, CameraTarget, PointRecord

#: The one image score exported per camera: sharpness relative to the camera's own baseline (1 = as sharp
#: as its reference, → 0 when defocused, fogged or sprayed). It drifts down for days before a camera is
#: called ``defocused``, which makes it the score worth an early-warning panel; vision writes it under
#: this key in ``CameraState.scores``.
SHARPNESS_SCORE_KEY = "sharpness_ratio"

#: ``camfleet_events_agreement_cameras`` outcomes: the five agreements, and cameras whose claim is not known.
AGREEMENT_OUTCOMES = (*(a.value for a in Agreement), "unknown")

#: ``firmware`` and ``serial`` change when a camera is re-flashed or swapped: alert CamfleetCameraIdentityChanged.
INFO_LABELS = (
    "camera", "town", "village", "point", "point_name", "program", "uplink", "recorder", "channel", "vendor", "model",
    "firmware", "serial",
)  # fmt: skip


def _column(family: Family, keys: list[tuple[str, ...]], values: Sequence[float | None]) -> Family:
    """Fill ``family`` with the series whose value exists (None: left out)."""
    for key, value in zip(keys, values, strict=True):
        if value is not None:
            family.keys.append(key)
            family.values.append(value)
    return family


def _nonzero(value: float) -> float | None:
    """A unix time of 0 means "never": no series."""
    return value or None


def camera_families(
    targets: Mapping[str, CameraTarget], states: Mapping[str, CameraState], points: Sequence[PointRecord]
) -> list[Family]:
    """The per-camera families for every target, in camera id order.

    Built column by column with comprehensions: 5,500 cameras × 9 families is on the scrape's hot path.
    """
    point_names = {p.point_id: p.point_name for p in points}
    ids = sorted(targets)
    unknown = CameraState(camera_id="")
    sts = [states.get(camera_id, unknown) for camera_id in ids]
    keys: list[tuple[str, ...]] = [(camera_id,) for camera_id in ids]

    up = gauge("camfleet_camera_up", "1 when the camera answered and accepted our credentials.", "camera")
    up.keys = keys
    up.values = [1.0 if st.status in UP_STATUSES else 0.0 for st in sts]
    status = gauge(
        "camfleet_camera_status",
        "Current status of the camera: one series per camera, value 1, labelled with its status and reason.",
        "camera",
        "status",
        "reason",
        "agreement",
    )
    agreements = [_agreement(st) for st in sts]
    status.keys = [
        (camera_id, st.status.value, st.reason.value, agreement)
        for camera_id, st, agreement in zip(ids, sts, agreements, strict=True)
    ]
    status.values = [1.0] * len(ids)
    info = gauge("camfleet_camera_info", "Static attributes of the camera (value 1); join on camera.", *INFO_LABELS)
    info.keys = [_info_labels(targets[camera_id], st, point_names) for camera_id, st in zip(ids, sts, strict=True)]
    info.values = [1.0] * len(ids)
    totals = gauge(
        "camfleet_events_agreement_cameras",
        "Cameras by how their own tamper events compare with camfleet's picture verdict (unknown: not read).",
        "agreement",
    )
    counted = Counter(agreements)
    for outcome in AGREEMENT_OUTCOMES:
        totals.add((outcome,), float(counted[outcome if outcome != "unknown" else ""]))
    return [
        up,
        status,
        info,
        totals,
        _column(
            gauge("camfleet_camera_clock_offset_seconds", "Camera clock minus poller clock, seconds.", "camera"),
            keys,
            [st.clock_offset_s for st in sts],
        ),
        _column(
            gauge(
                "camfleet_camera_last_ok_timestamp_seconds",
                "Unix time of the camera's last fully good check.",
                "camera",
            ),
            keys,
            [_nonzero(st.last_ok_at) for st in sts],
        ),
        _column(
            gauge("camfleet_camera_last_frame_timestamp_seconds", "Unix time of the last picture fetched.", "camera"),
            keys,
            [_nonzero(st.last_frame_at) for st in sts],
        ),
        _column(
            gauge("camfleet_camera_probe_latency_seconds", "Duration of the camera's last check, seconds.", "camera"),
            keys,
            [st.latency_s if st.last_probe_at else None for st in sts],
        ),
        _column(
            gauge(
                "camfleet_camera_status_since_timestamp_seconds",
                "Unix time the camera's current status began.",
                "camera",
            ),
            keys,
            [_nonzero(st.since) for st in sts],
        ),
        _column(
            gauge(
                "camfleet_camera_sharpness_ratio",
                "Picture sharpness relative to the camera's own baseline (1 = as sharp as its reference).",
                "camera",
            ),
            keys,
            [st.scores.get(SHARPNESS_SCORE_KEY) for st in sts],
        ),
    ]


def _agreement(state: CameraState) -> str:
    claim = state.camera_events
    return claim.agreement.value if claim is not None and claim.agreement is not None else ""


def _info_labels(target: CameraTarget, state: CameraState, point_names: Mapping[str, str]) -> tuple[str, ...]:
    ident = state.identity
    return (
        target.camera_id,
        target.town,
        target.village,
        target.point_id,
        point_names.get(target.point_id, ""),
        target.program,
        target.uplink,
        target.recorder,
        "" if target.channel is None else str(target.channel),
        ident.vendor if ident else "",
        ident.model if ident else "",
        ident.firmware if ident else "",
        ident.serial if ident else "",
    )
