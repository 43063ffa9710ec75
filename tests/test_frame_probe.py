"""The frame probe against real peers on loopback: an aiohttp camera with HTTP Digest, a GStreamer RTSP server."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import socketserver
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import aiohttp
import frames_helpers
import numpy as np
import pytest
import vision_helpers as vh
from aiohttp import web
from system_helpers import missing

from camfleet.errors import FrameError
from camfleet.model import CameraTarget, CheckKind, Reason, Status
from camfleet.probe.frame import FrameMemory, FrameSettings, fetch_snapshot, grab_rtsp_frame, probe_frame
from camfleet.probe.pool import WORKER_NICENESS, VisionPool
from camfleet.vision import Baseline, decode_jpeg

USER, PASSWORD, REALM = "admin", "s3cret-摄像机", "IP Camera"


@dataclass
class Camera:
    """A snapshot endpoint: Digest (RFC 7616, MD5, qop=auth) or Basic, and a few broken routes."""

    scheme: str = "digest"
    frames: list[bytes] = field(default_factory=list)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (URL, Authorization) of every request
    nonces: set[str] = field(default_factory=set)

    def authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if self.scheme == "basic":
            return header == aiohttp.encode_basic_auth(USER, PASSWORD, "utf-8")
        if not header.startswith("Digest "):
            return False
        f = vh.parse_auth_fields(header[7:])
        if f.get("nonce") not in self.nonces or f.get("qop") != "auth" or f.get("uri") != request.path_qs:
            return False
        return f.get("response") == vh.digest_response(USER, PASSWORD, REALM, request.method, f)

    def challenge(self) -> web.Response:
        if self.scheme == "basic":
            return web.Response(status=401, headers={"WWW-Authenticate": f'Basic realm="{REALM}"'})
        nonce = secrets.token_hex(16)
        self.nonces.add(nonce)
        value = f'Digest realm="{REALM}", qop="auth", algorithm=MD5, nonce="{nonce}", opaque="abc"'
        return web.Response(status=401, headers={"WWW-Authenticate": value})

    async def snapshot(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((str(request.url), request.headers.get("Authorization", "")))
        if not self.authorised(request):
            return self.challenge()
        kind = request.match_info["kind"]
        frame = self.frames[len(self.seen) % len(self.frames)]
        if kind == "html":
            return web.Response(text="<html>login</html>", content_type="text/html")
        if kind == "error":
            return web.Response(status=500, text="busy")
        if kind == "slow":
            await asyncio.sleep(3)  # longer than the client's 0.5 s deadline; short for teardown
        if kind == "huge":
            resp = web.StreamResponse(headers={"Content-Type": "image/jpeg"})  # no Content-Length: chunked
            await resp.prepare(request)
            for _ in range(64):
                await resp.write(b"\xff" * 65536)
            return resp
        return web.Response(body=frame, content_type="image/jpeg" if kind != "octet" else "application/octet-stream")


@pytest.fixture
async def camera() -> AsyncIterator[tuple[Camera, str]]:
    """A real aiohttp camera on 127.0.0.1; yields it and its base URL."""
    cam = Camera(frames=[vh.camera_jpeg(vh.scene("coffee"), seed) for seed in range(8)])
    app = web.Application()
    app.router.add_get("/snap/{kind}", cam.snapshot)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield cam, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def fetch(url: str, password: str = PASSWORD, **kw: object) -> bytes:
    """fetch_snapshot with this module's defaults."""
    opts: dict[str, object] = {"max_bytes": 2 * 1024 * 1024, "timeout_s": 5.0, "allow_foreign_host": False}
    opts.update(kw)
    async with aiohttp.ClientSession() as session:
        return await fetch_snapshot(session, url, "127.0.0.1", USER, password, **opts)  # type: ignore[arg-type]


async def test_digest_snapshot(camera: tuple[Camera, str]) -> None:
    """A Digest-protected snapshot is fetched; the password never appears in a URL or in Basic form."""
    cam, base = camera
    data = await fetch(f"{base}/snap/jpeg?channel=1")
    image, width, _ = decode_jpeg(data)
    assert width == 1280 and image.size
    assert any(auth.startswith("Digest ") for _, auth in cam.seen)
    assert all(PASSWORD not in url and not auth.startswith("Basic") for url, auth in cam.seen)


async def test_basic_only_when_asked(camera: tuple[Camera, str]) -> None:
    """A camera that challenges with Basic gets Basic — after its challenge, not before."""
    cam, base = camera
    cam.scheme = "basic"
    data = await fetch(f"{base}/snap/octet")
    assert data.startswith(b"\xff\xd8")
    assert cam.seen[0][1] == "" and cam.seen[-1][1].startswith("Basic ")


@pytest.mark.parametrize(
    ("path", "reason", "kw"),
    [
        ("/snap/html", Reason.NOT_A_JPEG, {}),
        ("/snap/error", Reason.SNAPSHOT_ERROR, {}),
        ("/snap/huge", Reason.OVERSIZED, {}),
        ("/snap/jpeg", Reason.OVERSIZED, {"max_bytes": 10_000}),
        ("/snap/slow", Reason.TIMEOUT, {"timeout_s": 0.5}),
    ],
    ids=["html", "http-500", "chunked-over-cap", "content-length-over-cap", "timeout"],
)
async def test_bad_snapshots_are_frame_errors(
    camera: tuple[Camera, str], path: str, reason: Reason, kw: dict[str, object]
) -> None:
    """Each way a snapshot goes wrong is a FrameError with its reason, and the message carries no secret."""
    _, base = camera
    with pytest.raises(FrameError) as info:
        await fetch(f"{base}{path}?pwd={PASSWORD}", **kw)
    assert info.value.reason == reason
    assert PASSWORD not in str(info.value) and "pwd" not in str(info.value)


async def test_wrong_password(camera: tuple[Camera, str]) -> None:
    """Refused credentials are reason password."""
    _, base = camera
    with pytest.raises(FrameError) as info:
        await fetch(f"{base}/snap/jpeg", password="wrong")
    assert info.value.reason == Reason.PASSWORD


async def test_foreign_host_and_embedded_credentials(camera: tuple[Camera, str]) -> None:
    """A URI pointing at another host is refused unless allowed; user:password inside a URI is dropped."""
    cam, base = camera
    port = base.rsplit(":", 1)[1]
    with pytest.raises(FrameError) as info:
        await fetch(f"http://evil:{PASSWORD}@127.0.0.2:{port}/snap/jpeg")
    assert info.value.reason == Reason.SNAPSHOT_ERROR and PASSWORD not in str(info.value)
    data = await fetch(f"http://evil:{PASSWORD}@127.0.0.1:{port}/snap/jpeg")
    assert data.startswith(b"\xff\xd8") and all("evil" not in url for url, _ in cam.seen)


async def test_refused_connection() -> None:
    """Nothing listening is reason refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FrameError) as info:
        await fetch(f"http://127.0.0.1:{port}/snap/jpeg")
    assert info.value.reason == Reason.REFUSED


@pytest.fixture(scope="module")
def pool() -> Iterator[VisionPool]:
    """One real worker process for the module."""
    p = VisionPool(1)
    yield p
    p.shutdown()


TARGET = CameraTarget("C00017", "127.0.0.1", 80, "村口", "batch-2022", village="东山村")


async def test_probe_frame_learns_then_judges(camera: tuple[Camera, str], pool: VisionPool) -> None:
    """probe_frame: judged by the day-one rules while the baseline learns (ok, saying why; before them
    cannot_judge/no_baseline), then against the baseline; frozen when the camera repeats itself."""
    cam, base = camera
    memory = FrameMemory(Baseline(samples=3))
    settings = FrameSettings(max_bytes=2 * 1024 * 1024, timeout_s=10.0, reduction=4)
    results = []
    async with aiohttp.ClientSession() as session:
        for _ in range(5):
            results.append(
                await probe_frame(
                    TARGET,
                    session=session,
                    pool=pool,
                    memory=memory,
                    username=USER,
                    password=PASSWORD,
                    snapshot_uri=f"{base}/snap/jpeg",
                    settings=settings,
                )
            )
        cam.frames = [cam.frames[0]]
        frozen = [
            await probe_frame(
                TARGET,
                session=session,
                pool=pool,
                memory=memory,
                username=USER,
                password=PASSWORD,
                snapshot_uri=f"{base}/snap/jpeg",
                settings=settings,
            )
            for _ in range(2)
        ]
    assert [r.status for r in results] == [Status.OK] * 5
    assert "no day baseline yet" in results[0].detail and results[0].kind is CheckKind.FRAME
    assert "baseline yet" not in results[3].detail  # judged against the learned baseline
    assert results[-1].frame is not None and results[-1].frame.width == 1280
    assert frozen[-1].status is Status.FROZEN
    assert memory.baseline.modes["day"].count == 6  # the frozen repeat was not learned


async def test_probe_frame_failures_are_values(camera: tuple[Camera, str], pool: VisionPool) -> None:
    """Fetch failures come back as ProbeResults with status and reason, never as exceptions."""
    _, base = camera
    memory = FrameMemory()
    async with aiohttp.ClientSession() as session:
        html = await probe_frame(
            TARGET,
            session=session,
            pool=pool,
            memory=memory,
            username=USER,
            password=PASSWORD,
            snapshot_uri=f"{base}/snap/html",
        )
        denied = await probe_frame(
            TARGET,
            session=session,
            pool=pool,
            memory=memory,
            username=USER,
            password="nope",
            snapshot_uri=f"{base}/snap/jpeg",
        )
        none = await probe_frame(TARGET, session=session, pool=pool, memory=memory, username=USER, password="")
    assert (html.status, html.reason) == (Status.PROTOCOL_ERROR, Reason.NOT_A_JPEG)
    assert (denied.status, denied.reason) == (Status.AUTH_FAILED, Reason.PASSWORD)
    assert (none.status, none.reason) == (Status.PROTOCOL_ERROR, Reason.NO_SNAPSHOT_URI)
    assert memory.previous is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def rtsp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real GStreamer RTSP server (Debian's python3 + gi) on 127.0.0.1, stopped by its PID."""
    probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    if not Path("/usr/bin/python3").exists() or subprocess.run(["/usr/bin/python3", "-c", probe]).returncode:
        missing("GStreamer RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0) not installed; see .ci/run")
    script = tmp_path_factory.mktemp("rtsp") / "server.py"
    script.write_text(vh.RTSP_SERVER_SCRIPT)
    port = _free_port()
    proc = subprocess.Popen(["/usr/bin/python3", str(script), str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ready", f"RTSP server did not start: {line!r}"
        yield f"rtsp://127.0.0.1:{port}/stream"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_grab_rtsp_frame(rtsp_server: str) -> None:
    """One keyframe from a real H.264 RTSP stream comes back as a 640×360 JPEG of the test pattern."""
    data = grab_rtsp_frame(rtsp_server, timeout_s=20.0, username=USER, password=PASSWORD)
    image, width, height = decode_jpeg(data, 1)
    assert (width, height) == (640, 360)
    assert float(np.std(image)) > 20  # SMPTE colour bars, not a blank picture


def test_grab_rtsp_frame_failure_hides_credentials() -> None:
    """A stream that cannot be opened is a FrameError whose message carries no credential."""
    with pytest.raises(FrameError) as info:
        grab_rtsp_frame(f"rtsp://127.0.0.1:{_free_port()}/none", timeout_s=3.0, username=USER, password=PASSWORD)
    assert PASSWORD not in str(info.value) and USER not in str(info.value)


class _RtspPeer(socketserver.BaseRequestHandler):
    """Answers every RTSP request with one reply: 401 with a Basic challenge unless the request carries the
    right Basic credentials, then 200 with no SDP (a stream FFmpeg cannot open). Records each request."""

    requests: ClassVar[list[str]] = []

    def handle(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            data += chunk
        text = data.decode()
        type(self).requests.append(text)
        cseq = next((ln.split(":", 1)[1].strip() for ln in text.split("\r\n") if ln.startswith("CSeq")), "1")
        if aiohttp.encode_basic_auth(USER, PASSWORD, "utf-8") in text:
            reply = f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
        else:
            reply = f'RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n'
        self.request.sendall(reply.encode())


def test_grab_rtsp_frame_names_refused_credentials() -> None:
    """A stream FFmpeg cannot open is ``password`` when the camera refuses the credentials to a DESCRIBE (here a
    Basic-only camera: answered in Basic, as it asked), and stays ``snapshot_error`` when it accepts them but the
    stream is unusable; neither message carries a credential."""
    _RtspPeer.requests = []
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _RtspPeer) as server:
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            uri = f"rtsp://127.0.0.1:{server.server_address[1]}/stream1"
            with pytest.raises(FrameError) as refused:
                grab_rtsp_frame(uri, timeout_s=5.0, username=USER, password="wrong-密码")
            with pytest.raises(FrameError) as failed:
                grab_rtsp_frame(uri, timeout_s=5.0, username=USER, password=PASSWORD)
        finally:
            server.shutdown()
            thread.join(timeout=5)
    assert refused.value.reason == Reason.PASSWORD and "refused the credentials" in str(refused.value)
    assert failed.value.reason == Reason.SNAPSHOT_ERROR and "could not be opened" in str(failed.value)
    assert not any(secret in str(e.value) for e in (refused, failed) for secret in ("wrong-密码", PASSWORD, USER))
    describes = [r for r in _RtspPeer.requests if r.startswith("DESCRIBE ") and "Authorization: Basic" in r]
    assert len(describes) >= 2  # each failure was followed by a DESCRIBE answering the Basic challenge


async def test_probe_falls_back_to_rtsp(camera: tuple[Camera, str], pool: VisionPool, rtsp_server: str) -> None:
    """When the snapshot URL serves an error page, the probe judges one RTSP keyframe instead (in the pool),
    without the JPEG-block probe (camfleet encoded that JPEG: its blocks are not the camera's); a snapshot
    keeps it."""
    _, base = camera
    memory = FrameMemory()
    async with aiohttp.ClientSession() as session:
        result = await probe_frame(
            TARGET,
            session=session,
            pool=pool,
            memory=memory,
            username=USER,
            password=PASSWORD,
            snapshot_uri=f"{base}/snap/error",
            stream_uri=rtsp_server,
            settings=FrameSettings(timeout_s=20.0),
        )
    # Judged with no baseline (the day-one rules; before them cannot_judge/no_baseline). The stream is colour
    # bars: flat bands beside sharp edges, which those rules read as paint blotches — its status is not asserted.
    assert "no day baseline yet" in result.detail, result.detail
    assert result.frame is not None and result.frame.width == 640
    assert memory.previous is not None and memory.previous.block_side == 0 and memory.previous.blocks.size == 0
    snapshot = FrameMemory()
    async with aiohttp.ClientSession() as session:
        await probe_frame(TARGET, session=session, pool=pool, memory=snapshot, username=USER, password=PASSWORD,
                          snapshot_uri=f"{base}/snap/jpeg", stream_uri=rtsp_server)  # fmt: skip
    assert snapshot.previous is not None and snapshot.previous.block_side > 0, snapshot.previous


async def test_pool_hands_over_at_most_its_limit() -> None:
    """VisionPool(limit=2): of six waiting calls only two are in the executor at once (the others wait on the
    loop, holding no executor queue entry), and every call still returns its own result."""
    pool = VisionPool(1, limit=2)
    try:
        calls = [asyncio.create_task(pool.run(frames_helpers.slow_echo, 0.3, i)) for i in range(6)]
        await asyncio.sleep(0.15)
        executor = pool._executor
        assert executor is not None
        assert pool.in_flight == 2
        assert len(executor._pending_work_items) == 2  # type: ignore[attr-defined]
        assert await asyncio.gather(*calls) == list(range(6))
        assert pool.max_in_flight == 2 and pool.in_flight == 0
    finally:
        pool.shutdown()
    with pytest.raises(ValueError, match="cannot be negative"):
        VisionPool(1, limit=-1)
    assert VisionPool(3).limit == 12  # default: CALLS_PER_WORKER per worker


async def test_pool_workers_run_nicer_than_the_loop(pool: VisionPool) -> None:
    """Picture workers run at a lower CPU priority than the process that awaits them (``WORKER_NICENESS``
    more, capped at 19), so a full sweep's pictures never keep the event loop waiting for a core."""
    here = os.nice(0)
    assert await pool.run(os.nice, 0) == min(19, here + WORKER_NICENESS)


async def test_kept_digest_answers_the_last_challenge(camera: tuple[Camera, str], pool: VisionPool) -> None:
    """A camera's Digest state is kept between samples: the second sample is one request (the last challenge
    answered at once, nonce count 2), a camera that forgot its nonces costs one 401 more and still works, and
    other credentials get a fresh state that never reuses the old one's answer."""
    cam, base = camera
    memory = FrameMemory(Baseline(samples=3))
    settings = FrameSettings(max_bytes=2 * 1024 * 1024, timeout_s=10.0, reduction=4)
    uri = f"{base}/snap/jpeg"

    async def sample(session: aiohttp.ClientSession, password: str = PASSWORD) -> Status:
        result = await probe_frame(
            TARGET, session=session, pool=pool, memory=memory, username=USER, password=password,
            snapshot_uri=uri, settings=settings,
        )  # fmt: skip
        return result.status

    async with aiohttp.ClientSession() as session:
        assert await sample(session) is Status.OK  # judged with no baseline yet
        assert [bool(auth) for _, auth in cam.seen] == [False, True]  # challenge, then the answer
        kept = memory.digest
        assert await sample(session) is Status.OK
        assert [bool(auth) for _, auth in cam.seen] == [False, True, True]  # one request: answered at once
        assert vh.parse_auth_fields(cam.seen[-1][1][7:])["nc"] == "00000002"
        assert memory.digest is kept
        cam.nonces.clear()  # the camera restarted: its old nonces are refused
        assert await sample(session) is Status.OK  # third learning sample: fetched, judged
        assert len(cam.seen) == 5  # refused answer, then a fresh challenge answered
        assert await sample(session, "wrong") is Status.AUTH_FAILED
        assert memory.digest is not kept
    assert PASSWORD not in repr(memory) and memory.digest_key != ""
