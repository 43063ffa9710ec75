"""Recorder (NVR/DVR) series from synthetic channels: down only when every checked channel reads offline/nvr."""

from __future__ import annotations

from camfleet.maintenance import MaintenanceWindow, Scope, held
from camfleet.metrics.family import Family
from camfleet.metrics.recorders import recorder_families
from camfleet.model import CameraState, CameraTarget, Reason, Status

NOW = 1_795_000_000.0


def _channel(
    camera_id: str, host: str, channel: int, village: str = "西河村", uplink: str = "西河村-光猫"
) -> CameraTarget:
    """Channel ``channel`` of the recorder at ``host``:80 in 青石镇."""
    return CameraTarget(camera_id, host, 80, uplink, "", town="青石镇", village=village, channel=channel)


def _values(family: Family) -> dict[str, float]:
    return {key[0]: value for key, value in zip(family.keys, family.values, strict=True)}


def _recorders(targets: list[CameraTarget], states: dict[str, CameraState]) -> tuple[dict[str, float], Family]:
    up, channels = recorder_families({t.camera_id: t for t in targets}, states)
    assert up.name == "camfleet_recorder_up" and channels.name == "camfleet_recorder_channels"
    return _values(up), channels


def test_a_dead_recorder_is_down_and_a_dark_channel_is_not() -> None:
    """Recorder A (every channel offline/nvr) is 0; recorder B with one channel offline/video_loss and one ok is 1
    (the recorder answers: the camera is at fault); C with channels still unknown has no up series; a standalone
    camera offline/timeout makes no recorder at all. channels counts every channel, checked or not."""
    targets = [
        _channel("A1", "10.0.0.1", 1), _channel("A2", "10.0.0.1", 2), _channel("A3", "10.0.0.1", 3),
        _channel("B1", "10.0.0.2", 1), _channel("B2", "10.0.0.2", 2),
        _channel("C1", "10.0.0.3", 1),
        CameraTarget("S1", "10.0.0.9", 80, "西河村-光猫", "", town="青石镇", village="西河村"),
    ]  # fmt: skip
    nvr = {f"A{i}": CameraState(f"A{i}", Status.OFFLINE, Reason.NVR) for i in (1, 2, 3)}
    states = {
        **nvr,
        "B1": CameraState("B1", Status.OFFLINE, Reason.VIDEO_LOSS),
        "B2": CameraState("B2", Status.OK),
        "C1": CameraState("C1"),
        "S1": CameraState("S1", Status.OFFLINE, Reason.TIMEOUT),
    }
    up, channels = _recorders(targets, states)
    assert up == {"10.0.0.1:80": 0.0, "10.0.0.2:80": 1.0}
    assert _values(channels) == {"10.0.0.1:80": 3.0, "10.0.0.2:80": 2.0, "10.0.0.3:80": 1.0}


def test_one_channel_still_answering_keeps_the_recorder_up() -> None:
    """A recorder with two channels offline/nvr and one ok is not down (the poller has not concluded it), nor one
    whose channels read uplink_down (the uplink is the root cause); unchecked channels do not block a verdict."""
    targets = [_channel(f"A{i}", "10.0.0.1", i) for i in (1, 2, 3)] + [_channel(f"U{i}", "10.0.0.5", i) for i in (1, 2)]
    states = {
        "A1": CameraState("A1", Status.OFFLINE, Reason.NVR),
        "A2": CameraState("A2", Status.OFFLINE, Reason.NVR),
        "A3": CameraState("A3", Status.OK),
        "U1": CameraState("U1", Status.UPLINK_DOWN, Reason.UPLINK),
        "U2": CameraState("U2", Status.UPLINK_DOWN, Reason.UPLINK),
    }
    up, _ = _recorders(targets, states)
    assert up == {"10.0.0.1:80": 1.0, "10.0.0.5:80": 1.0}
    del states["A3"]
    up, _ = _recorders(targets, states)
    assert up["10.0.0.1:80"] == 0.0


def test_a_recorder_spanning_villages_has_one_series_with_most_channels_place() -> None:
    """A recorder whose channels the inventory puts in two villages still has one series (one alert), labelled with
    the village and uplink most of its channels have."""
    targets = [
        _channel("A1", "10.0.0.1", 1, "东岭村", "东岭村-光猫"),
        _channel("A2", "10.0.0.1", 2),
        _channel("A3", "10.0.0.1", 3),
    ]
    _, channels = _recorders(targets, {})
    assert channels.keys == [("10.0.0.1:80", "青石镇", "西河村", "西河村-光猫")]


def test_a_recorder_is_held_when_every_channel_is() -> None:
    """A window on the recorder's uplink holds it; windows on only some of its channels do not, windows on all of
    them do; a standalone camera's window holds no recorder."""
    targets = {t.camera_id: t for t in [_channel("A1", "10.0.0.1", 1), _channel("A2", "10.0.0.1", 2)]}
    targets["S1"] = CameraTarget("S1", "10.0.0.9", 80, "other", "", town="青石镇", village="西河村")

    def window(scope: Scope, target: str) -> MaintenanceWindow:
        return MaintenanceWindow(scope, target, NOW - 60, NOW + 600, "换电源", "王工", NOW - 60)

    assert held([window(Scope.UPLINK, "西河村-光猫")], targets, NOW).recorders == {"10.0.0.1:80"}
    assert held([window(Scope.CAMERA, "A1"), window(Scope.CAMERA, "S1")], targets, NOW).recorders == set()
    both = [window(Scope.CAMERA, "A1"), window(Scope.CAMERA, "A2")]
    assert held(both, targets, NOW).recorders == {"10.0.0.1:80"}
