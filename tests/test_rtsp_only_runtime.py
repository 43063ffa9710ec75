"""RTSP-only cameras in the runtime, against the loopback RTSP camera: no camera events are tried for them (no
schedule, no pull, no count, no log line, no wait for a claim), and `camfleet check` walks OPTIONS → DESCRIBE
and says in plain words where it stopped."""

from __future__ import annotations

import logging
import socket
import time

import pytest
from rtsp_helpers import GROUP, PASSWORD, FakeCamera, fake_camera, target

from camfleet.config import CamfleetConfig, Credential, CredentialStore
from camfleet.model import CameraTarget, Reason, Status
from camfleet.runtime.diagnose import diagnose
from camfleet.runtime.poller import Poller
from camfleet.runtime.sink import MemorySink

ONVIF = CameraTarget("O-01", "127.0.0.1", 9, "up-o", GROUP)


def _store(password: str = PASSWORD) -> CredentialStore:
    return CredentialStore(groups={GROUP: Credential(GROUP, "admin", password)}, source="/etc/camfleet/creds.toml")


async def test_camera_events_are_not_tried_for_an_rtsp_only_camera(caplog: pytest.LogCaptureFixture) -> None:
    """Beside an ONVIF camera, an RTSP-only one is never scheduled for event pulls; a round asked for it anyway
    (a one-off sweep's) returns at once with nothing counted, no claim, no error and no log line; and its first
    picture does not wait for a claim that will never come, while the ONVIF camera's does."""
    caplog.set_level(logging.DEBUG)
    rtsp = target(9)
    poller = Poller(CamfleetConfig(), [ONVIF, rtsp], _store(), MemorySink())
    events = poller.events
    assert events is not None
    for t in (ONVIF, rtsp):
        poller.health.add_camera(t.camera_id, t.uplink)
    events.add_cameras([ONVIF.camera_id, rtsp.camera_id], time.time())
    assert set(events.due) == {ONVIF.camera_id}
    assert await events.poll(rtsp) is None
    await events.sweep([rtsp])
    assert not any(kind == "events" for kind, _status in poller.fleet.counters.probes)
    assert poller.health.states[rtsp.camera_id].camera_events is None
    assert poller.frames is not None
    assert poller.frames.claim_pending(rtsp.camera_id) is False
    assert poller.frames.claim_pending(ONVIF.camera_id) is True
    assert caplog.text == ""


@pytest.mark.parametrize(
    ("camera", "password", "step", "status", "verdict"),
    [
        (None, PASSWORD, "rtsp options", (Status.OFFLINE, Reason.REFUSED), "connection refused"),
        (FakeCamera(), "wrong-Pw-1", "rtsp describe", (Status.AUTH_FAILED, Reason.PASSWORD), "password refused"),
        (FakeCamera(reply=lambda r: b"RTSP/1.0 404 Not Found\r\nCSeq: 1\r\n\r\n" if "DESCRIBE" in r[:9]
                    else b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n"), PASSWORD, "rtsp describe",
         (Status.PROTOCOL_ERROR, Reason.HTTP_ERROR), "no stream at that path"),
    ],
)  # fmt: skip
async def test_check_walks_options_then_describe_and_names_the_failure(
    camera: FakeCamera | None, password: str, step: str, status: tuple[Status, Reason], verdict: str
) -> None:
    """`camfleet check` on an RTSP-only camera: nothing listening stops at "rtsp options" (connection refused),
    a refused password at "rtsp describe" (password refused, naming the credential group, never the password), a
    404 at "rtsp describe" (no stream at that path: check rtsp_path). No ONVIF step is tried."""
    cfg = CamfleetConfig.model_validate({"poller": {"call_timeout_s": 1.0, "connect_timeout_s": 0.5}})
    if camera is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        result = await diagnose(target(port), cfg, _store(password))
    else:
        async with fake_camera(camera) as port:
            result = await diagnose(target(port), cfg, _store(password))
    names = [s.name for s in result.steps]
    assert names[-1] == step and not result.steps[-1].ok and all(s.ok for s in result.steps[:-1]), result.steps
    assert "clock" not in names and "tcp connect" not in names
    assert (result.status, result.reason) == status and result.verdict == verdict, result
    assert password not in repr(result)
    if status[0] is Status.AUTH_FAILED:
        assert repr(GROUP) in result.hint


async def test_check_reports_codec_and_size_before_the_keyframe() -> None:
    """When OPTIONS and DESCRIBE pass, the check lists what the camera offers and what its stream is (codec, size
    and where the size came from), then the stream URI without credentials, then tries the keyframe (which this
    loopback camera, with no SETUP/PLAY, cannot give: a picture failure, not a device one)."""
    cfg = CamfleetConfig.model_validate({"poller": {"call_timeout_s": 1.0, "frame_timeout_s": 2.0}})
    async with fake_camera(FakeCamera()) as port:
        result = await diagnose(target(port), cfg, _store())
    steps = {s.name: s for s in result.steps}
    assert list(steps)[:3] == ["rtsp options", "rtsp describe", "stream uri"], result.steps
    assert "OPTIONS, DESCRIBE" in steps["rtsp options"].detail
    assert steps["rtsp describe"].detail == "credentials accepted; H264, 1920x1080 (from framesize)"
    assert steps["stream uri"].detail.endswith(f"rtsp://127.0.0.1:{port}/Streaming/Channels/101")
    assert "stream keyframe" in steps and not steps["stream keyframe"].ok
    assert PASSWORD not in repr(result) and result.status is not Status.OK
