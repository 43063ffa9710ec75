"""One camera's HTTP side: its listening socket, network faults, SOAP endpoints and the snapshot URL.

aiohttp's low-level ``web.Server`` (no router, no middlewares) serves each camera's socket; the camera is
known from the server object, so a request never needs a lookup. Measured on the 2-core box: ~2,000
GetSystemDateAndTime answers/s for the whole process (see docs/simulator.md), enough for the target.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from concurrent.futures import Executor
from typing import TYPE_CHECKING

from aiohttp import web

from camfleet.simulator.auth import DigestAuth
from camfleet.simulator.device_ops import TZ_OFFSET_S
from camfleet.simulator.dispatch import handle_soap
from camfleet.simulator.events import hold_pull
from camfleet.simulator.frame import FrameRequest, render_frame
from camfleet.simulator.frame_pool import FramePool
from camfleet.simulator.media_ops import BY_TOKEN, PROFILES, StreamProfile
from camfleet.simulator.nvr import NO_SIGNAL_KINDS, no_video_jpeg
from camfleet.simulator.nvr_media import channel_profile
from camfleet.simulator.scene import BaseCache
from camfleet.simulator.soap import MAX_REQUEST_BYTES, SOAP_CONTENT_TYPE
from camfleet.sockets import bind_error

if TYPE_CHECKING:
    from camfleet.simulator.camera import SimCamera

_SOAP_PATHS = ("/onvif/device_service", "/onvif/media_service", "/onvif/event_service")
_CHUNK = 256 * 1024
_PADDING: dict[int, bytes] = {}


class Shared:
    """What every camera's server shares: the frame cache, the render threads and the digest secret."""

    def __init__(self, executor: Executor, cache: BaseCache, digest: DigestAuth, pool: FramePool | None = None) -> None:
        self.executor = executor
        self.cache = cache
        self.digest = digest
        self.pool = pool  # benchmark mode: pre-drawn pictures (see frame_pool)


def bind_socket(host: str, port: int, backlog: int = 128) -> socket.socket:
    """A listening TCP socket on host:port (bound directly: no getaddrinfo round per camera)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, bind_error(host, port, exc)) from None
    return sock


def trap_sockets(host: str, port: int) -> list[socket.socket]:
    """A backlog-0 listener on host:port with its one queue slot taken: further connects time out (see set_trap)."""
    sock = bind_socket(host, port, backlog=0)
    filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    filler.setblocking(False)
    with contextlib.suppress(BlockingIOError):
        filler.connect((host, port))
    return [sock, filler]


class CameraServer:
    """The HTTP server of one camera. ``open``/``close`` follow the camera's network faults."""

    def __init__(self, cam: SimCamera, shared: Shared) -> None:
        self.cam = cam
        self.shared = shared
        self.web = web.Server(self.handle, handler_cancellation=True, access_log=None)
        self.server: asyncio.Server | None = None
        self.trap: list[socket.socket] = []

    async def open(self) -> None:
        """Listen on the camera's address (again)."""
        if self.server is None:
            sock = bind_socket(self.cam.spec.host, self.cam.spec.port)
            self.server = await asyncio.get_running_loop().create_server(self.web, sock=sock)
        self._listening(True)

    def _listening(self, on: bool) -> None:
        self.cam.listening = on
        for channel in self.cam.channels.values():  # a recorder's channels are reached through its listener
            channel.listening = on

    async def close(self) -> None:
        """Stop listening and drop open connections: new connections are refused."""
        if self.server is not None:
            self.server.close()
            self.server = None
            await self.web.shutdown(0.1)
        self._listening(False)

    def set_trap(self, on: bool) -> None:
        """Uplink down: a listener whose accept queue is full, so SYNs are dropped and connects time out.

        A backlog-0 listener holds one queued connection; we make that one ourselves, and the kernel
        then drops every further SYN, which the client sees as a connect timeout, as when a village's
        fibre is cut. (Refusing would be wrong: a dead uplink sends no RST.)
        """
        if on and not self.trap:
            self.trap = trap_sockets(self.cam.spec.host, self.cam.spec.port)
        elif not on and self.trap:
            for s in self.trap:
                s.close()
            self.trap = []

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Every request of this camera: network faults first, then the endpoint."""
        cam = self.cam
        kinds = {f.kind for f in cam.active_faults()} if cam.faults else set()
        if kinds:
            await self._network_faults(request, kinds)
        path = request.path
        if request.method == "POST" and (path in _SOAP_PATHS or path.startswith("/onvif/pullpoint/")):
            return await self._soap(request, path, kinds)
        if request.method == "GET" and path == "/onvif/snapshot":
            return await self._snapshot(request, kinds)
        return web.Response(status=404, text="Not Found")

    async def _network_faults(self, request: web.BaseRequest, kinds: set[str]) -> None:
        if kinds & {"offline", "reboot", "uplink_down", "nvr_down"}:
            # A keep-alive connection opened before the fault: the camera is gone, so is the connection.
            await _drop(request)
        while "blackhole" in kinds:
            # Accepted, never answered: the client's read deadline is what ends this.
            await asyncio.sleep(0.25)
            kinds = {f.kind for f in self.cam.active_faults()}
            if "blackhole" not in kinds:
                await _drop(request)
        slow = self.cam.fault("slow")
        if slow is not None and slow.latency > 0:
            await asyncio.sleep(slow.latency)

    async def _soap(self, request: web.BaseRequest, path: str, kinds: set[str]) -> web.StreamResponse:
        if (request.content_length or 0) > MAX_REQUEST_BYTES:
            return web.Response(status=413, text="Request Entity Too Large")
        data = await request.read()
        if path.startswith("/onvif/pullpoint/"):
            await hold_pull(self.cam, data, path)  # PullMessages waits for news up to its Timeout
        status, body = handle_soap(self.cam, data, path)
        if "malformed_xml" in kinds:
            # Firmware that cuts its reply short: HTTP 200, SOAP content type, XML that never closes.
            body = body[: max(40, len(body) * 3 // 5)] + b"<tds:Broken <<"
        if "oversized" in kinds:
            fault = self.cam.fault("oversized")
            body = _oversized(body, fault.size if fault else 20 * 1024 * 1024)
        return await self._send(request, status, body, SOAP_CONTENT_TYPE)

    async def _send(self, request: web.BaseRequest, status: int, body: bytes, ctype: str) -> web.StreamResponse:
        slow = self.cam.fault("slow")
        if len(body) <= _CHUNK and (slow is None or slow.bandwidth <= 0):
            return web.Response(status=status, body=body, headers={"Content-Type": ctype})
        resp = web.StreamResponse(status=status, headers={"Content-Type": ctype})
        resp.content_length = len(body)
        await resp.prepare(request)
        rate = slow.bandwidth if slow is not None else 0
        step = max(1024, rate // 10) if rate > 0 else _CHUNK
        for i in range(0, len(body), step):
            await resp.write(body[i : i + step])
            if rate > 0:
                await asyncio.sleep(step / rate)
        await resp.write_eof()
        return resp

    async def _snapshot(self, request: web.BaseRequest, kinds: set[str]) -> web.StreamResponse:
        cam = self.cam
        if not cam.spec.snapshot:
            return web.Response(status=404, text="404 Not Found")
        token = request.query.get("profile", PROFILES[0].token)
        found = self._profile(token)  # a camera is its own channel; a recorder's profile names one of its channels
        err = (found[0].fault("snapshot_error") if found else None) or cam.fault("snapshot_error")
        if err is not None:
            return web.Response(status=err.status, text=f"{err.status} snapshot unavailable")
        digest = self.shared.digest
        refused = digest.verify(
            request.headers.get("Authorization", ""), request.method, cam.spec.username, cam.spec.password
        )
        if refused or "auth" in kinds:
            headers = {"WWW-Authenticate": digest.challenge(stale=refused == "stale")}
            return web.Response(status=401, text="401 Unauthorized", headers=headers)
        if found is None:
            return web.Response(status=404, text="no such profile")
        channel, profile = found
        ch_kinds = kinds if channel is cam else {f.kind for f in channel.active_faults()}
        loop = asyncio.get_running_loop()
        if channel is not cam and ch_kinds & NO_SIGNAL_KINDS:
            # A recorder whose channel lost its camera (or its cable) still answers, with its black "no video" frame.
            jpeg = await loop.run_in_executor(self.shared.executor, no_video_jpeg, profile.width, profile.height)
            return await self._send(request, 200, jpeg, "image/jpeg")
        if "frozen" not in ch_kinds:
            channel.frozen.clear()
        elif token in channel.frozen:
            # Frozen encoder: the same picture, byte for byte, OSD clock stopped.
            return await self._send(request, 200, channel.frozen[token], "image/jpeg")
        frame = FrameRequest(
            channel.seed,
            profile.width,
            profile.height,
            cam.clock() + TZ_OFFSET_S,
            channel.spec.camera_id,
            frozenset(ch_kinds),
            profile.quality,
            material=cov.material if (cov := channel.fault("covered")) else "",
            blur=blurred.blur if (blurred := channel.fault("defocus")) else "",
            paint=sprayed.paint if (sprayed := channel.fault("spray")) else "",
        )
        pool = self.shared.pool
        draw = pool.picture if pool is not None and not ch_kinds else render_frame
        jpeg = await loop.run_in_executor(self.shared.executor, draw, frame, self.shared.cache)
        if "frozen" in ch_kinds:
            channel.frozen[token] = jpeg
        return await self._send(request, 200, jpeg, "image/jpeg")

    def _profile(self, token: str) -> tuple[SimCamera, StreamProfile] | None:
        """The channel (the camera itself, or one of a recorder's) and the stream profile a token names."""
        cam = self.cam
        if cam.channels:
            return channel_profile(cam, token)
        if cam.spec.main_only and token != PROFILES[0].token:
            return None
        profile = BY_TOKEN.get(token)
        return None if profile is None else (cam, profile)


async def _drop(request: web.BaseRequest) -> None:
    """Abort the connection; the handler is then cancelled by aiohttp (handler_cancellation)."""
    if request.transport is not None:
        request.transport.abort()
    await asyncio.Future()


def _oversized(body: bytes, size: int) -> bytes:
    """The reply padded with an XML comment up to ``size`` bytes (still well-formed, just huge)."""
    pad = max(0, size - len(body) - 7)
    if pad not in _PADDING:
        _PADDING.clear()  # keep one padding alive, not one per size ever asked
        _PADDING[pad] = b" " * pad
    cut = body.rindex(b"</env:Envelope>")
    return body[:cut] + b"<!--" + _PADDING[pad] + b"-->" + body[cut:]
