"""Helpers for the simulator tests: small fleets on 127.20.x.y, hand-made SOAP calls, snapshot fetches."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import cv2
import numpy as np

from camfleet.simulator import Fault, SimCameraSpec, SimulatedFleet
from camfleet.simulator.device_ops import TZ_OFFSET_S

USER, PASSWORD = "admin", "Cam-pass-1"
ENV_NS = "http://www.w3.org/2003/05/soap-envelope"
TDS = "http://www.onvif.org/ver10/device/wsdl"
TIMEOUT = aiohttp.ClientTimeout(total=20)


def specs(n: int, net: int, village: str = "东山村") -> list[SimCameraSpec]:
    """``n`` cameras on 127.20.``net``.1.. port 8080, one village (``net`` keeps tests' addresses apart)."""
    return [
        SimCameraSpec(f"T{net:03d}-{i}", f"127.20.{net}.{i + 1}", 8080, USER, PASSWORD, town="东山镇", village=village)
        for i in range(n)
    ]


@asynccontextmanager
async def running(fleet: SimulatedFleet) -> AsyncIterator[SimulatedFleet]:
    """Start the fleet, stop it whatever happens."""
    await fleet.start()
    try:
        yield fleet
    finally:
        await fleet.stop()


def wsse_header(user: str, password: str, created: dt.datetime, nonce: bytes | None = None) -> str:
    """A WS-Security UsernameToken (PasswordDigest) header, built by hand as the spec describes."""
    nonce = nonce or os.urandom(16)
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = base64.b64encode(hashlib.sha1(nonce + stamp.encode() + password.encode()).digest()).decode()
    return (
        '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"'
        ' xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">'
        f"<wsse:UsernameToken><wsse:Username>{user}</wsse:Username><wsse:Password Type="
        '"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">'
        f"{digest}</wsse:Password><wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>"
        f"<wsu:Created>{stamp}</wsu:Created></wsse:UsernameToken></wsse:Security>"
    )


def envelope(body: str, header: str = "") -> bytes:
    """A SOAP 1.2 request."""
    return (
        f'<?xml version="1.0"?><s:Envelope xmlns:s="{ENV_NS}" xmlns:tds="{TDS}" '
        f'xmlns:trt="http://www.onvif.org/ver10/media/wsdl"><s:Header>{header}</s:Header>'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


async def post(url: str, data: bytes, timeout: float = 20) -> tuple[int, bytes]:
    """POST a SOAP request; (status, body)."""
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
        session.post(url, data=data, headers={"Content-Type": "application/soap+xml; charset=utf-8"}) as resp,
    ):
        return resp.status, await resp.read()


async def device_info(base: str, user: str = USER, password: str = PASSWORD, offset: float = 0) -> tuple[int, bytes]:
    """GetDeviceInformation signed with our clock shifted by ``offset`` seconds."""
    created = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset)
    return await post(
        f"{base}/onvif/device_service", envelope("<tds:GetDeviceInformation/>", wsse_header(user, password, created))
    )


async def snapshot(base: str, profile: str = "Profile_2", password: str = PASSWORD) -> tuple[int, bytes]:
    """Fetch a snapshot with HTTP Digest; (status, body)."""
    mw = (aiohttp.DigestAuthMiddleware(USER, password),)
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT, middlewares=mw) as session,
        session.get(f"{base}/onvif/snapshot?profile={profile}") as resp,
    ):
        return resp.status, await resp.read()


def decode(jpeg: bytes) -> np.ndarray:
    """JPEG → BGR array (asserts it decodes)."""
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None, "not a decodable JPEG"
    return img


def clock_fault(camera_id: str, local_hour: float) -> Fault:
    """A clock_skew fault that puts the camera's local time at ``local_hour`` today (day/night control)."""
    now = time.time()
    local = now + TZ_OFFSET_S
    target = local - (local % 86400) + local_hour * 3600
    return Fault("clock_skew", cameras=(camera_id,), skew=target - local)


def laplacian_var(img: np.ndarray) -> float:
    """Sharpness: variance of the Laplacian of the grey image."""
    return float(cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


GET_TIME_BODY = envelope("<tds:GetSystemDateAndTime/>")
