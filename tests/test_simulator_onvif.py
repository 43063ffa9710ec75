"""The simulator as an unmodified onvif-zeep-async client sees it, plus the wire details of auth and SOAP."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import zeep.exceptions
from lxml import etree
from onvif import ONVIFCamera
from onvif.exceptions import ONVIFAuthError
from simulator_helpers import (
    ENV_NS,
    PASSWORD,
    USER,
    decode,
    device_info,
    envelope,
    post,
    running,
    specs,
    wsse_header,
)

from camfleet.simulator import Fault, SimulatedFleet

pytestmark = pytest.mark.timeout(120)


def _subcodes(body: bytes) -> list[str]:
    root = etree.fromstring(body)
    return [v.text or "" for v in root.iter(f"{{{ENV_NS}}}Value")]


async def test_onvif_camera_full_flow() -> None:
    """ONVIFCamera discovers the services at the camera's own host:port, reads identity and both profiles,
    gets the snapshot URI and fetches a JPEG (HTTP Digest) at the sub profile's resolution."""
    fleet = SimulatedFleet(specs(2, 1))
    async with running(fleet):
        cam = ONVIFCamera("127.20.1.2", 8080, USER, PASSWORD)
        try:
            await cam.update_xaddrs()
            assert set(cam.xaddrs.values()) == {
                f"http://127.20.1.2:8080/onvif/{s}" for s in ("device_service", "media_service", "event_service")
            }
            info = await (await cam.create_devicemgmt_service()).GetDeviceInformation()
            spec = fleet.cameras["T001-1"].spec
            assert (info.Manufacturer, info.Model, info.SerialNumber) == (spec.vendor, spec.model, spec.serial)
            profiles = await (await cam.create_media_service()).GetProfiles()
            sizes = {
                p.token: (p.VideoEncoderConfiguration.Resolution.Width, p.VideoEncoderConfiguration.Resolution.Height)
                for p in profiles
            }
            assert sizes == {"Profile_1": (1920, 1080), "Profile_2": (640, 360)}
            uri = await cam.get_snapshot_uri("Profile_2")
            assert uri == "http://127.20.1.2:8080/onvif/snapshot?profile=Profile_2"
            jpeg = await cam.get_snapshot("Profile_2")
            assert jpeg is not None
            assert decode(jpeg).shape == (360, 640, 3)
        finally:
            await cam.close()


async def test_wrong_password_is_refused_on_soap_and_snapshot() -> None:
    """A wrong password gets ter:NotAuthorized from SOAP and a 401 (ONVIFAuthError) from the snapshot URL."""
    async with running(SimulatedFleet(specs(1, 2))):
        cam = ONVIFCamera("127.20.2.1", 8080, USER, "wrong")
        # GetServices is pre-auth, but a token that is sent is checked; the GetCapabilities fallback too.
        with pytest.raises(zeep.exceptions.Fault, match="not Authorized"):
            await cam.update_xaddrs()
        status, body = await device_info("http://127.20.2.1:8080", password="wrong")
        assert status == 400
        assert _subcodes(body) == ["env:Sender", "ter:NotAuthorized"]
        cam.xaddrs["http://www.onvif.org/ver10/media/wsdl"] = "http://127.20.2.1:8080/onvif/media_service"
        cam._snapshot_uris["Profile_2"] = "http://127.20.2.1:8080/onvif/snapshot?profile=Profile_2"
        with pytest.raises(ONVIFAuthError):
            await cam.get_snapshot("Profile_2")
        await cam.close()


async def test_skewed_clock_needs_adjust_time() -> None:
    """With the camera's clock 2 h behind, adjust_time=True authenticates and a client that signs with
    its own clock is refused (ter:NotAuthorized), as real cameras do."""
    fleet = SimulatedFleet(specs(1, 3))
    fleet.add_fault(Fault("clock_skew", cameras=("T003-0",), skew=-7200))
    async with running(fleet):
        good = ONVIFCamera("127.20.3.1", 8080, USER, PASSWORD, adjust_time=True)
        bad = ONVIFCamera("127.20.3.1", 8080, USER, PASSWORD)
        try:
            await good.update_xaddrs()
            assert good.dt_diff is not None
            assert abs(good.dt_diff.total_seconds() + 7200) < 10
            info = await (await good.create_devicemgmt_service()).GetDeviceInformation()
            assert info.Model
            dm = await bad.create_devicemgmt_service()
            with pytest.raises(zeep.exceptions.Fault) as err:
                await dm.GetDeviceInformation()
            assert err.value.subcodes[0].localname == "NotAuthorized"
        finally:
            await good.close()
            await bad.close()


async def test_auth_rules_on_the_wire() -> None:
    """GetSystemDateAndTime answers without credentials; GetDeviceInformation without them is refused;
    a stale Created (10 min) and a replayed nonce are refused; a fresh token is accepted."""
    async with running(SimulatedFleet(specs(1, 4))):
        url = "http://127.20.4.1:8080/onvif/device_service"
        status, body = await post(url, envelope("<tds:GetSystemDateAndTime/>"))
        assert status == 200 and b"UTCDateTime" in body
        status, body = await post(url, envelope("<tds:GetDeviceInformation/>"))
        assert (status, _subcodes(body)) == (400, ["env:Sender", "ter:NotAuthorized"])
        status, _ = await device_info("http://127.20.4.1:8080", offset=-600)
        assert status == 400
        signed = envelope(
            "<tds:GetDeviceInformation/>", wsse_header(USER, PASSWORD, dt.datetime.now(dt.UTC), os.urandom(16))
        )
        assert (await post(url, signed))[0] == 200
        assert (await post(url, signed))[0] == 400  # same nonce again: replay


async def test_unknown_operation_and_hostile_xml() -> None:
    """An unknown operation gets env:Receiver/ter:ActionNotSupported (HTTP 500); a DTD with an entity is
    refused as not well-formed, never expanded; not-XML gets a Sender fault."""
    async with running(SimulatedFleet(specs(1, 5))):
        url = "http://127.20.5.1:8080/onvif/device_service"
        status, body = await post(url, envelope("<tds:SystemReboot/>"))
        assert (status, _subcodes(body)) == (500, ["env:Receiver", "ter:ActionNotSupported"])
        xxe = (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            + envelope("<tds:GetHostname>&e;</tds:GetHostname>").split(b"?>", 1)[1]
        )
        status, body = await post(url, xxe)
        assert status == 400 and b"root:" not in body
        status, body = await post(url, b"not xml at all")
        assert (status, _subcodes(body)[0]) == (400, "env:Sender")


async def test_pull_point_reports_tamper() -> None:
    """CreatePullPointSubscription + PullMessages: the first pull reports the tamper topic as true on a
    covered camera, and false on a healthy one."""
    fleet = SimulatedFleet(specs(2, 6))
    fleet.add_fault(Fault("covered", cameras=("T006-0",)))
    async with running(fleet):
        for host, expected in (("127.20.6.1", "true"), ("127.20.6.2", "false")):
            cam = ONVIFCamera(host, 8080, USER, PASSWORD)
            try:
                await cam.update_xaddrs()
                events = await cam.create_events_service()
                sub = await events.CreatePullPointSubscription({"InitialTerminationTime": "PT60S"})
                address = sub.SubscriptionReference.Address._value_1
                assert address.startswith(f"http://{host}:8080/onvif/pullpoint/")
                cam.xaddrs["http://www.onvif.org/ver10/events/wsdl/PullPointSubscription"] = address
                pullpoint = await cam.create_pullpoint_service()
                reply = await pullpoint.PullMessages({"Timeout": dt.timedelta(seconds=1), "MessageLimit": 10})
                states = {}
                for msg in reply.NotificationMessage:
                    topic = msg.Topic._value_1
                    data = msg.Message._value_1.Data.SimpleItem
                    states[topic] = data[0].Value
                assert states["tns1:RuleEngine/TamperDetector/Tamper"] == expected
            finally:
                await cam.close()
