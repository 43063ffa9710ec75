"""The simulator's benchmark knobs: a camera offering only its 1080p profile, and pictures from a pool."""

from __future__ import annotations

import datetime as dt

from simulator_helpers import PASSWORD, USER, decode, envelope, post, running, snapshot, specs, wsse_header

from camfleet.simulator import Fault, SimulatedFleet

NET = 61


async def test_main_only_offers_one_1080p_profile() -> None:
    """GetProfiles lists only Profile_1 and the sub-stream snapshot is refused; the main one is 1920×1080."""
    cams = specs(1, NET)
    cams[0].main_only = True
    async with running(SimulatedFleet(cams)) as fleet:
        base = fleet.cameras[cams[0].camera_id].base_url
        signed = wsse_header(USER, PASSWORD, dt.datetime.now(dt.UTC))
        status, body = await post(f"{base}/onvif/media_service", envelope("<trt:GetProfiles/>", signed))
        assert status == 200 and b"Profile_1" in body and b"Profile_2" not in body
        assert (await snapshot(base, "Profile_2"))[0] == 404
        code, jpeg = await snapshot(base, "Profile_1")
        assert code == 200 and decode(jpeg).shape[:2] == (1080, 1920)


async def test_frame_pool_reuses_pictures_but_not_for_faults() -> None:
    """With a one-scene, one-variant pool, two cameras get byte-identical pictures (drawn once, then served);
    a camera with an image fault is still drawn with its fault."""
    cams = specs(3, NET + 1)
    fleet = SimulatedFleet(cams, frame_pool=1)
    assert fleet.pool is not None
    fleet.pool.variants = 1
    fleet.add_fault(Fault(kind="covered", cameras=(cams[2].camera_id,)))
    async with running(fleet):
        urls = [fleet.cameras[c.camera_id].base_url for c in cams]
        pictures = [(await snapshot(u))[1] for u in urls]
    assert pictures[0] == pictures[1]
    assert decode(pictures[2]).std() < decode(pictures[0]).std() / 2  # covered: drawn, dark and flat
