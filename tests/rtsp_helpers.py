"""A tiny RTSP/1.0 camera on loopback for the RTSP-only probe tests: its Digest check is written here again from
RFC 2617, apart from the product's, so the two must agree for a test to pass."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import urllib.request
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from camfleet.config import CamfleetConfig, Credential, CredentialStore
from camfleet.model import Access, CameraTarget
from camfleet.onvif.client import OnvifClientFactory
from camfleet.probe.context import ProbeContext

USER, PASSWORD, GROUP = "admin", "Rtsp-秘密-Pw7!", "old-dvr"
REALM, NONCE = "IP Camera(23515)", "a1b2c3d4e5f6"
PATH = "/Streaming/Channels/101"
SDP = (
    "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=Media Presentation\r\nt=0 0\r\n"
    "m=audio 0 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=framesize:96 1920-1080\r\n"
    "a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LAFtoCgL/lwFqDAwNSgAAAAwCAAAAKR4sXUA==,aM48gA==\r\n"
)


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


@dataclass
class FakeCamera:
    """How the camera answers. ``auth``: "digest", "digest-qop", "basic", "both" (Basic and Digest offered) or
    "none"; ``reply``: replaces the whole answer (bytes, or a callable of the request) and then closes the
    connection; ``delay_s``: wait before answering; ``silent``: never answer."""

    auth: str = "digest-qop"
    sdp: str = SDP
    reply: bytes | Callable[[str], bytes] | None = None
    delay_s: float = 0.0
    silent: bool = False
    after_401: str = ""  # "close": close the connection after a 401; "announce": say so (Connection: close) too
    requests: list[str] = field(default_factory=list)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def authorized(self, request: str, method: str, uri: str) -> bool:
        header = next((line.split(":", 1)[1].strip() for line in request.split("\r\n")
                       if line.lower().startswith("authorization:")), "")  # fmt: skip
        if header.startswith("Basic ") and self.auth in ("basic", "both"):
            return base64.b64decode(header[6:]).decode() == f"{USER}:{PASSWORD}"
        if not header.startswith("Digest ") or self.auth not in ("digest", "digest-qop", "both"):
            return False
        f = urllib.request.parse_keqv_list(urllib.request.parse_http_list(header[7:]))
        ha1, ha2 = md5(f"{USER}:{REALM}:{PASSWORD}"), md5(f"{method}:{uri}")
        if self.auth == "digest-qop":
            expected = md5(f"{ha1}:{NONCE}:{f.get('nc')}:{f.get('cnonce')}:auth:{ha2}")
        else:
            expected = md5(f"{ha1}:{NONCE}:{ha2}")
        return f.get("username") == USER and f.get("uri") == uri and f.get("response") == expected

    def answer(self, request: str) -> bytes:
        first = request.split("\r\n", 1)[0].split(" ")
        method, uri = first[0], first[1] if len(first) > 1 else ""
        cseq = next((line.split(":", 1)[1].strip() for line in request.split("\r\n")
                     if line.lower().startswith("cseq:")), "0")  # fmt: skip
        if self.reply is not None:
            return self.reply(request) if callable(self.reply) else self.reply
        if method == "OPTIONS":
            return f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY\r\n\r\n".encode()
        if self.auth != "none" and not self.authorized(request, method, uri):
            challenges = []
            if self.auth in ("digest", "digest-qop", "both"):
                qop = ', qop="auth"' if self.auth == "digest-qop" else ""
                challenges.append(f'WWW-Authenticate: Digest realm="{REALM}", nonce="{NONCE}"{qop}\r\n')
            if self.auth in ("basic", "both"):
                challenges.insert(0, f'WWW-Authenticate: Basic realm="{REALM}"\r\n')
            if self.after_401 == "announce":
                challenges.append("Connection: close\r\n")
            return f"RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\n{''.join(challenges)}\r\n".encode()
        body = self.sdp.encode()
        head = f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Type: application/sdp\r\n"
        head += f"Content-Length: {len(body)}\r\n\r\n"
        return head.encode() + body

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                request = head.decode("utf-8")
                self.requests.append(request)
                if self.silent:
                    await self.stopping.wait()
                    return
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)
                answer = self.answer(request)
                writer.write(answer)
                await writer.drain()
                if self.reply is not None:
                    return  # a scripted reply ends the conversation (a body cut short stays cut short)
                if self.after_401 and answer.startswith(b"RTSP/1.0 401"):
                    return
        finally:
            writer.close()


@asynccontextmanager
async def fake_camera(camera: FakeCamera) -> AsyncIterator[int]:
    """Serve ``camera`` on 127.0.0.1; yields its port."""
    server = await asyncio.start_server(camera.serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        camera.stopping.set()
        server.close()
        await asyncio.sleep(0)  # let the handlers see it


def target(port: int, path: str = PATH, group: str = GROUP, host: str = "127.0.0.1") -> CameraTarget:
    """An RTSP-only inventory row."""
    return CameraTarget("R-01", host, port, "up-r", group, access=Access.RTSP, rtsp_path=path)


def context(password: str = PASSWORD, **poller: Any) -> ProbeContext:
    """A probe context with short deadlines and the camera's group (``password`` may be a wrong one)."""
    values = {"call_timeout_s": 1.0, "connect_timeout_s": 0.5, "degraded_latency_s": 1.0, **poller}
    cfg = CamfleetConfig.model_validate({"poller": values})
    store = CredentialStore(groups={GROUP: Credential(GROUP, USER, password)}, source="/etc/camfleet/credentials.toml")
    return ProbeContext(cfg.poller, OnvifClientFactory(cfg.poller), store)
