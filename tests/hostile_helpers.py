"""A hostile camera: a real asyncio HTTP server on 127.60.x.y answering as a broken or malicious camera would.

Each ``HostileCamera`` listens on its own loopback address (ephemeral port) and answers every request with
its ``behaviour`` (only for the operations in ``ops`` when given; the others get a healthy answer). It counts
requests and the bytes it managed to send, so tests can prove the client hung up early. HTTP is written by
hand here: drip-feeding, endless chunking, lying lengths and connection resets are not things a web
framework lets a server do.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hostile_payloads import (
    GROUP,
    HUGE,
    LAUGHS,
    PASSWORD,
    SOAP,
    USER,
    XXE,
    clock_reply,
    gzip_bomb,
    identity_reply,
    jpeg_claiming,
    media_reply,
    real_jpeg,
    self_signed_context,
)

from camfleet.model import CameraTarget

__all__ = ["GROUP", "HUGE", "PASSWORD", "USER", "clock_reply", "identity_reply", "self_signed_context"]

Behaviour = Callable[["HostileCamera", asyncio.StreamWriter, bytes], Coroutine[Any, Any, None]]


@dataclass
class HostileCamera:
    """One hostile camera; ``behaviour`` names an entry of ``BEHAVIOURS``."""

    camera_id: str
    host: str
    behaviour: str
    ops: tuple[bytes, ...] = ()  # empty: every request is answered with the behaviour
    tls: ssl.SSLContext | None = None
    port: int = 0
    requests: int = 0
    bytes_sent: int = 0
    redirect_to: str = ""
    jpeg: bytes = b""
    server: asyncio.Server | None = field(default=None, repr=False)
    writers: set[asyncio.StreamWriter] = field(default_factory=set, repr=False)

    def target(self, uplink: str = "") -> CameraTarget:
        """The poller's view of this camera (each camera its own uplink unless told)."""
        return CameraTarget(self.camera_id, self.host, self.port, uplink or f"up-{self.camera_id}", GROUP, "镇", "村")

    @property
    def base_url(self) -> str:
        """``http(s)://host:port``."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen on the camera's own loopback address, on an ephemeral port."""
        self.server = await asyncio.start_server(self._serve, self.host, 0, ssl=self.tls, limit=256 * 1024)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listener and every open connection."""
        if self.server is not None:
            self.server.close()
            for writer in list(self.writers):  # Python 3.11 has no Server.close_clients()
                writer.transport.abort()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length) if length else b""
            self.requests += 1
            request = head.split(b"\r\n", 1)[0] + b"\n" + body
            hostile = not self.ops or any(op in body for op in self.ops)
            await BEHAVIOURS[self.behaviour if hostile else "healthy"](self, writer, request)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ssl.SSLError):
            pass  # the client hung up: exactly what a capped, deadline-bound client should do
        except asyncio.CancelledError:
            pass  # the listener is being shut down mid-reply (a drip-feed, an endless stream)
        finally:
            self.writers.discard(writer)
            writer.close()

    async def send(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        """Write and count; raises ConnectionError once the client is gone."""
        if writer.is_closing():
            raise ConnectionResetError("client gone")
        writer.write(data)
        await writer.drain()
        self.bytes_sent += len(data)

    async def reply(self, writer: asyncio.StreamWriter, status: str, ctype: str, body: bytes, *extra: str) -> None:
        """A complete HTTP/1.1 reply with a true Content-Length."""
        lines = [f"HTTP/1.1 {status}", f"Content-Type: {ctype}", f"Content-Length: {len(body)}", "Connection: close"]
        await self.send(writer, ("\r\n".join([*lines, *extra]) + "\r\n\r\n").encode() + body)


_MEDIA_OPS = (b"GetCapabilities", b"GetProfiles", b"GetSnapshotUri", b"GetStreamUri")


def _healthy_body(request: bytes, base_url: str = "") -> bytes:
    if b"GetDeviceInformation" in request:
        return identity_reply()
    operation = next((op for op in _MEDIA_OPS if op in request), None)
    return clock_reply() if operation is None else media_reply(operation, base_url)


def _is_snapshot(request: bytes) -> bool:
    return request.startswith(b"GET ")


async def _healthy(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    if _is_snapshot(request):
        await cam.reply(w, "200 OK", "image/jpeg", cam.jpeg or real_jpeg())
    else:
        await cam.reply(w, "200 OK", SOAP, _healthy_body(request, cam.base_url))


async def _malformed(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    body = _healthy_body(request)
    await cam.reply(w, "200 OK", SOAP, body[: len(body) * 2 // 3])  # cut mid-element: not well-formed


async def _truncated(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    body = real_jpeg() if _is_snapshot(request) else _healthy_body(request)
    ctype = "image/jpeg" if _is_snapshot(request) else SOAP
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    await cam.send(w, head + body[: len(body) // 2])  # promises more than it sends, then hangs up


async def _xxe(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    await cam.reply(w, "200 OK", SOAP, XXE)


async def _laughs(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    await cam.reply(w, "200 OK", SOAP, LAUGHS)


async def _stream(cam: HostileCamera, w: asyncio.StreamWriter, ctype: str, declared: bool, total: int) -> None:
    length = f"Content-Length: {total}" if declared else "Transfer-Encoding: chunked"
    await cam.send(w, f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\n{length}\r\n\r\n".encode())
    chunk = b"<pad>" + b" " * (64 * 1024 - 11) + b"</pad>"
    first = b"\xff\xd8" + chunk[2:] if ctype == "image/jpeg" else b"<?xml version='1.0'?><e>" + chunk[24:]
    sent = 0
    while sent < total:  # bounded: at most ``total`` bytes, and it stops as soon as the client hangs up
        data = first if sent == 0 else chunk
        await cam.send(w, data if declared else b"%x\r\n%s\r\n" % (len(data), data))
        sent += len(data)


async def _huge(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    await _stream(cam, w, "image/jpeg" if _is_snapshot(request) else SOAP, False, HUGE)


async def _huge_declared(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    await _stream(cam, w, "image/jpeg" if _is_snapshot(request) else SOAP, True, HUGE)


async def _endless_chunked(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    await cam.send(w, f"HTTP/1.1 200 OK\r\nContent-Type: {SOAP}\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
    for _ in range(1_000_000):  # "endless" for any client with a deadline; still a bounded loop
        await cam.send(w, b"400\r\n" + b" " * 1024 + b"\r\n")


async def _drip(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    body = real_jpeg() if _is_snapshot(request) else _healthy_body(request)
    ctype = "image/jpeg" if _is_snapshot(request) else SOAP
    await cam.send(w, f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    for byte in body[:120]:  # one byte a second: two minutes at most, far past any deadline
        await cam.send(w, bytes([byte]))
        await asyncio.sleep(1.0)


async def _gzip_bomb(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    await cam.reply(w, "200 OK", SOAP, gzip_bomb(), "Content-Encoding: gzip")


async def _html(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    page = "<html><body><form>登录 Login</form></body></html>".encode()
    # A login page labelled as a picture on the snapshot URL; labelled honestly on SOAP calls.
    await cam.reply(w, "200 OK", "image/jpeg" if _is_snapshot(request) else "text/html", page)


async def _jpeg_body(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    await cam.reply(w, "200 OK", "image/jpeg", real_jpeg(64, 48))


async def _json(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    await cam.reply(w, "200 OK", "application/json", b'{"error": "use the app"}')


async def _wrong_soap(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    # Well-formed SOAP answering a different question than the one asked.
    body = clock_reply() if b"GetDeviceInformation" in request else identity_reply()
    await cam.reply(w, "200 OK", SOAP, body)


async def _unauthorized(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    nonce = f"{cam.requests:032x}"
    challenge = f'WWW-Authenticate: Digest realm="cam", qop="auth", algorithm=MD5, nonce="{nonce}"'
    await cam.reply(w, "401 Unauthorized", "text/plain", b"401", challenge)


async def _redirect(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    await cam.reply(w, "302 Found", "text/plain", b"moved", f"Location: {cam.redirect_to}")


async def _reset(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    body = real_jpeg() if _is_snapshot(request) else _healthy_body(request)
    ctype = "image/jpeg" if _is_snapshot(request) else SOAP
    await cam.send(w, f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    await cam.send(w, body[: len(body) // 3])
    await asyncio.sleep(0.05)
    sock = w.get_extra_info("socket")
    if sock is not None:  # linger 0: close() sends a TCP RST instead of a FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    w.transport.abort()


async def _not_jpeg(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    await cam.reply(w, "200 OK", "image/jpeg", b"GIF89a" + b"\x00" * 500)


async def _bomb(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    await cam.reply(w, "200 OK", "image/jpeg", jpeg_claiming(60000, 60000))


async def _truncated_jpeg(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    data = real_jpeg()
    await cam.reply(w, "200 OK", "image/jpeg", data[: len(data) // 2])  # honest length, half a picture


async def _blackhole(cam: HostileCamera, w: asyncio.StreamWriter, request: bytes) -> None:
    await asyncio.sleep(120)  # accepts, reads the request, never answers (ended by stop() or the client)


BEHAVIOURS: dict[str, Behaviour] = {
    "healthy": _healthy, "malformed": _malformed, "truncated": _truncated, "xxe": _xxe,
    "billion_laughs": _laughs, "huge": _huge, "huge_declared": _huge_declared,
    "endless_chunked": _endless_chunked, "drip": _drip, "gzip_bomb": _gzip_bomb, "html": _html,
    "jpeg_body": _jpeg_body, "json": _json, "wrong_soap": _wrong_soap, "unauthorized": _unauthorized,
    "redirect": _redirect, "reset": _reset, "not_jpeg": _not_jpeg, "bomb": _bomb,
    "truncated_jpeg": _truncated_jpeg, "blackhole": _blackhole,
}  # fmt: skip


class HostileFleet:
    """Hostile cameras on 127.60.``net``.1, .2, …; ``async with`` starts nothing, ``add`` starts each."""

    def __init__(self, net: int) -> None:
        self.net = net
        self.cameras: dict[str, HostileCamera] = {}

    async def add(self, behaviour: str, *, ops: tuple[bytes, ...] = (), tls: ssl.SSLContext | None = None,
                  camera_id: str = "") -> HostileCamera:  # fmt: skip
        """Start one more camera with ``behaviour``."""
        index = len(self.cameras) + 1
        cam = HostileCamera(camera_id or f"H{self.net:02d}-{index:02d}-{behaviour}", f"127.60.{self.net}.{index}",
                            behaviour, ops, tls)  # fmt: skip
        await cam.start()
        self.cameras[cam.camera_id] = cam
        return cam

    async def __aenter__(self) -> HostileFleet:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await asyncio.gather(*(c.stop() for c in self.cameras.values()), return_exceptions=True)


def peak_rss_reset() -> int:
    """Reset the kernel's peak-RSS mark for this process and return the current RSS (bytes)."""
    # Older kernels refuse: the peak then includes earlier tests, which only makes the check stricter.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return _status_kib("VmRSS") * 1024


def peak_rss() -> int:
    """Peak RSS (bytes) since the last ``peak_rss_reset``."""
    return _status_kib("VmHWM") * 1024


def _status_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0
