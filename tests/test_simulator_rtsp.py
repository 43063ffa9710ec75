"""RTSP in the simulator: cameras with streams answer GetStreamUri with a real H.264 RTSP URL on their own
address that FFmpeg (through OpenCV) opens; a camera without a snapshot service says so on the wire."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from simulator_helpers import PASSWORD, USER, decode, envelope, post, running, snapshot, specs, wsse_header

from camfleet.probe.frame import grab_rtsp_frame
from camfleet.simulator import SimulatedFleet
from camfleet.simulator.rtsp import RTSP_PORT, available

pytestmark = pytest.mark.skipif(not available(), reason="GStreamer RTSP server for /usr/bin/python3 not installed")
NET = 60


async def _media_call(base: str, body: str) -> tuple[int, str]:
    signed = wsse_header(USER, PASSWORD, dt.datetime.now(dt.UTC))
    status, reply = await post(f"{base}/onvif/media_service", envelope(body, signed))
    return status, reply.decode()


@pytest.mark.timeout(180)
async def test_stream_uri_serves_h264_and_snapshotless_camera_refuses_snapshots() -> None:
    """Camera 0 streams and has snapshots; camera 1 streams only: its GetSnapshotUri is ActionNotSupported and
    its snapshot URL 404, while its RTSP URL (on its own address) gives a decodable 640×360 frame."""
    cams = specs(2, NET)
    for spec in cams:
        spec.rtsp = True
    cams[1].snapshot = False
    fleet = SimulatedFleet(cams)
    async with running(fleet):
        both = fleet.cameras[cams[0].camera_id].base_url, fleet.cameras[cams[1].camera_id].base_url
        status, reply = await _media_call(
            both[1], "<trt:GetStreamUri><trt:ProfileToken>Profile_2</trt:ProfileToken></trt:GetStreamUri>"
        )
        assert status == 200, reply
        uri = re.search(r"<tt:Uri>([^<]+)</tt:Uri>", reply)
        assert uri is not None and uri.group(1) == f"rtsp://{cams[1].host}:{RTSP_PORT}/Profile_2"
        status, reply = await _media_call(
            both[1], "<trt:GetSnapshotUri><trt:ProfileToken>Profile_2</trt:ProfileToken></trt:GetSnapshotUri>"
        )
        assert status == 500 and "ter:ActionNotSupported" in reply
        assert (await snapshot(both[1]))[0] == 404
        assert (await snapshot(both[0]))[0] == 200
        frame = decode(grab_rtsp_frame(uri.group(1), timeout_s=30.0))
        assert frame.shape[:2] == (360, 640)
        assert frame.std() > 20  # colour bars, not a blank picture
