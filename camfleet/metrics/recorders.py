"""Recorder (NVR/DVR) series: one per recorder with a channel among this instance's cameras.

A channel is a camera whose target has a ``channel``; its recorder is the ``host:port`` it shares with the
recorder's other channels (``CameraTarget.recorder``). A recorder that does not answer is one fault: the poller
then reads every channel ``offline`` with reason ``nvr``, and ``camfleet_recorder_up`` turns 0 so that one alert
(``CamfleetRecorderDown``) names the recorder while the channels' own alerts are inhibited by its ``recorder``
label (which ``camfleet_camera_info`` carries).

While the recorder's uplink is down its channels read ``uplink_down``, not ``nvr``: the uplink is the root
cause, nothing says the recorder is dead, so ``camfleet_recorder_up`` stays 1 and the uplink's alert is the only
page. ``video_loss`` (the recorder answers, one channel has no picture) is that camera's fault, not the
recorder's: the recorder stays 1.

Labels: a recorder's channels should sit in one village behind one uplink; when an inventory says otherwise, the
(town, village, uplink) most of its channels have is the recorder's (ties: the first in sort order), so it still
has exactly one series and one alert.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping

from camfleet.metrics.family import Family, gauge
from camfleet.model import CameraState, CameraTarget, Reason, Status

RECORDER_LABELS = ("recorder", "town", "village", "uplink")


def recorder_families(targets: Mapping[str, CameraTarget], states: Mapping[str, CameraState]) -> list[Family]:
    """``camfleet_recorder_up`` and ``camfleet_recorder_channels``, in recorder order.

    ``up`` is 0 when every checked channel reads ``offline``/``nvr``, 1 otherwise, and left out while every
    channel is still unknown (as ``camfleet_uplink_up``); ``channels`` is always there.
    """
    places: dict[str, Counter[tuple[str, str, str]]] = defaultdict(Counter)
    verdicts: dict[str, list[bool]] = defaultdict(list)  # per checked channel: is it dark for the recorder's sake?
    for camera_id, target in targets.items():
        if target.channel is None:
            continue
        recorder = target.recorder
        places[recorder][(target.town, target.village, target.uplink)] += 1
        state = states.get(camera_id)
        if state is not None and state.status is not Status.UNKNOWN:
            verdicts[recorder].append(state.status is Status.OFFLINE and state.reason is Reason.NVR)
    up = gauge(
        "camfleet_recorder_up",
        "0 when the NVR/DVR does not answer (every channel offline, reason nvr), else 1; absent while unchecked.",
        *RECORDER_LABELS,
    )
    channels = gauge(
        "camfleet_recorder_channels", "Channels (cameras) of the NVR/DVR that camfleet checks.", *RECORDER_LABELS
    )
    for recorder in sorted(places):
        counted = places[recorder]
        place = min(counted, key=lambda p: (-counted[p], p))
        key = (recorder, *place)
        channels.add(key, float(sum(counted.values())))
        dark = verdicts.get(recorder)
        if dark:
            up.add(key, 0.0 if all(dark) else 1.0)
    return [up, channels]
