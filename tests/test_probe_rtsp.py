"""RTSP-only cameras (access rtsp) through the poller's probes, against a tiny RTSP camera on loopback: the words
each answer gets (ok, auth_failed/password, protocol_error/malformed or oversized, offline/timeout or refused,
degraded/slow), and credentials that never leave the Authorization header."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket

import pytest
from rtsp_helpers import GROUP, PASSWORD, PATH, USER, FakeCamera, context, fake_camera, target

from camfleet.model import CheckKind, Reason, Status
from camfleet.probe.discovery import probe_discovery
from camfleet.probe.identity import probe_identity
from camfleet.probe.liveness import probe_liveness
from camfleet.probe.rtsp_checks import MODEL_PREFIX

WRONG = "not-the-Pw-9%"


def _secret_free(*texts: str) -> None:
    b64 = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    for text in texts:
        assert PASSWORD not in text and WRONG not in text and b64 not in text, text


@pytest.mark.parametrize("auth", ["digest-qop", "digest", "basic", "both"])
async def test_describe_answers_the_challenge_and_names_the_stream(auth: str, caplog: pytest.LogCaptureFixture) -> None:
    """A 401 challenge then 200: Digest with and without qop, Basic when that is all the camera offers, and
    Digest when it offers both (the password then never crosses the wire). The identity is the stream's:
    model "RTSP H264 1920x1080" (a=framesize wins over the SPS's 640x360), no vendor; the password is in no
    request line, no result and no log line."""
    caplog.set_level(logging.DEBUG)
    camera = FakeCamera(auth=auth)
    async with fake_camera(camera) as port:
        result = await probe_identity(target(port), context())
    assert result.status is Status.OK, result
    assert result.identity is not None and result.identity.model == f"{MODEL_PREFIX} H264 1920x1080"
    assert result.identity.vendor == "" and result.identity.serial == ""
    assert [r.split(" ", 2)[:2] for r in camera.requests] == [["DESCRIBE", f"rtsp://127.0.0.1:{port}{PATH}"]] * 2
    answer = camera.requests[1]
    assert ("Authorization: Basic " in answer) is (auth == "basic")
    assert "CSeq: 1\r\n" in camera.requests[0] and "CSeq: 2\r\n" in answer
    _secret_free(camera.requests[0], result.detail, repr(result), caplog.text)
    if auth != "basic":
        _secret_free(answer)


@pytest.mark.parametrize("after_401", ["close", "announce"])
async def test_a_camera_that_hangs_up_after_its_challenge_is_asked_again(after_401: str) -> None:
    """Camera quirk: some firmware closes the connection after its 401, with "Connection: close" or without a
    word. The answer is sent on a new connection, and the camera is ok (not offline)."""
    camera = FakeCamera(after_401=after_401)
    async with fake_camera(camera) as port:
        result = await probe_identity(target(port), context())
    assert result.status is Status.OK, result
    assert len(camera.requests) == 2 and "Authorization: Digest " in camera.requests[1]


async def test_a_refused_password_is_auth_failed_password(caplog: pytest.LogCaptureFixture) -> None:
    """A 401 to the answer of the challenge is auth_failed/password, as for ONVIF; neither the wrong password nor
    the right one shows in the result or the logs. A group the credentials file lacks is auth_failed/
    no_credentials, without a connection."""
    caplog.set_level(logging.DEBUG)
    camera = FakeCamera()
    async with fake_camera(camera) as port:
        refused = await probe_identity(target(port), context(WRONG))
        discovery = await probe_discovery(target(port), context(WRONG))
        asked = len(camera.requests)
        missing = await probe_identity(target(port, group="no-such-group"), context())
    assert (refused.status, refused.reason) == (Status.AUTH_FAILED, Reason.PASSWORD), refused
    assert (discovery.status, discovery.reason) == (Status.AUTH_FAILED, Reason.PASSWORD), discovery
    assert "credentials refused" in refused.detail and f"127.0.0.1:{port}{PATH}" in refused.detail
    assert (missing.status, missing.reason) == (Status.AUTH_FAILED, Reason.NO_CREDENTIALS), missing
    assert "no-such-group" in missing.detail and len(camera.requests) == asked
    _secret_free(refused.detail, repr(refused), discovery.detail, caplog.text)


async def test_options_any_rtsp_reply_is_reachable_and_slow_is_degraded() -> None:
    """Liveness is one OPTIONS without credentials: a 200, or a 401 from a camera that guards even OPTIONS, is
    ok (the camera is there), with no clock offset; an answer slower than degraded_latency_s is degraded/slow."""
    guarded = FakeCamera(reply=lambda req: b"RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\n\r\n")
    async with fake_camera(FakeCamera()) as open_port, fake_camera(guarded) as guarded_port:
        ok = await probe_liveness(target(open_port), context())
        needs = await probe_liveness(target(guarded_port), context())
    async with fake_camera(FakeCamera(delay_s=0.4)) as slow_port:
        slow = await probe_liveness(target(slow_port), context(degraded_latency_s=0.1))
    assert (ok.kind, ok.status, ok.reason, ok.clock_offset_s) == (CheckKind.LIVENESS, Status.OK, Reason.NONE, None)
    assert needs.status is Status.OK and "needs credentials" in needs.detail
    assert (slow.status, slow.reason) == (Status.DEGRADED, Reason.SLOW) and "limit 0.1 s" in slow.detail


async def test_no_answer_is_offline_timeout_and_nothing_listening_is_refused() -> None:
    """A camera that accepts the connection and never answers is offline/timeout (within call_timeout_s); a port
    nobody listens on is offline/refused; both for liveness and identity."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    async with fake_camera(FakeCamera(silent=True)) as port:
        silent = await asyncio.wait_for(probe_liveness(target(port), context(call_timeout_s=0.3)), 5)
        silent_id = await asyncio.wait_for(probe_identity(target(port), context(call_timeout_s=0.3)), 5)
    refused = await probe_liveness(target(closed_port), context())
    refused_id = await probe_identity(target(closed_port), context())
    for result in (silent, silent_id):
        assert (result.status, result.reason) == (Status.OFFLINE, Reason.TIMEOUT), result
    for result in (refused, refused_id):
        assert (result.status, result.reason) == (Status.OFFLINE, Reason.REFUSED), result


BIG = 200 * 1024


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", Reason.MALFORMED),  # a web server, not RTSP
        (b"\x16\x03\x01\x02\x00garbage\r\n\r\n", Reason.MALFORMED),  # TLS hello bytes
        (b"RTSP/1.0 200 OK\r\nCSeq: 7\r\n\r\n", Reason.MALFORMED),  # the answer to another request
        (b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nno colon here\r\n\r\n", Reason.MALFORMED),
        (b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: -4\r\n\r\n", Reason.MALFORMED),
        (b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 99\r\n\r\nv=0\r\n", Reason.MALFORMED),  # cut short
        (b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nX-Pad: " + b"a" * BIG + b"\r\n\r\n", Reason.OVERSIZED),
        (b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 10485760\r\n\r\n" + b"v" * 1024, Reason.OVERSIZED),
        (b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\n<>", Reason.WRONG_TYPE),
        (b"RTSP/1.0 404 Not Found\r\nCSeq: 1\r\n\r\n", Reason.HTTP_ERROR),  # no stream at that path
    ],
)
async def test_hostile_or_broken_describe_replies_are_protocol_errors(reply: bytes, reason: Reason) -> None:
    """What is not a proper RTSP answer is protocol_error with a reason saying why: malformed (not RTSP, wrong
    CSeq, a header line without a name, a bad or unkept Content-Length), oversized (a header over 16 KiB, an SDP
    announced at 10 MiB: refused before it is read), wrong_type (not SDP), http_error (404)."""
    async with fake_camera(FakeCamera(reply=reply)) as port:
        result = await probe_identity(target(port), context())
    assert (result.status, result.reason) == (Status.PROTOCOL_ERROR, reason), result
    assert len(result.detail) < 300


async def test_garbage_to_options_is_malformed_and_a_closed_connection_unreachable() -> None:
    """Liveness words a non-RTSP answer protocol_error/malformed (something answers, but not RTSP) and a connection
    closed without a word offline/unreachable."""
    async with fake_camera(FakeCamera(reply=b"SSH-2.0-dropbear\r\n\r\n")) as port:
        garbage = await probe_liveness(target(port), context())
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    async with server:
        closed = await probe_liveness(target(server.sockets[0].getsockname()[1]), context())
    assert (garbage.status, garbage.reason) == (Status.PROTOCOL_ERROR, Reason.MALFORMED), garbage
    assert (closed.status, closed.reason) == (Status.OFFLINE, Reason.UNREACHABLE), closed


async def test_discovery_gives_the_frame_check_a_credential_free_stream_uri() -> None:
    """Discovery of an RTSP-only camera is its stream: one profile whose stream URI is rtsp://host:port/path from
    the inventory (no user, no password), no snapshot URI (the frame check then takes one keyframe), and the
    SDP's size; it is cached in the context for the frame check. A query in the path is kept for the camera and
    left out of messages."""
    path = "/cam/realmonitor?channel=1&subtype=0"
    async with fake_camera(FakeCamera(auth="digest")) as port:
        ctx = context()
        result = await probe_discovery(target(port, path=path), ctx)
        missing = await probe_discovery(target(port, path=path, group=GROUP + "-gone"), context())
    assert result.status is Status.OK, result
    (profile,) = result.profiles
    assert profile.stream_uri == f"rtsp://127.0.0.1:{port}{path}" and profile.snapshot_uri == ""
    assert (profile.name, profile.width, profile.height) == ("H264", 1920, 1080)
    assert ctx.media["R-01"].chosen == profile
    assert missing.reason is Reason.NO_CREDENTIALS


async def test_a_changed_stream_is_reported_on_the_identity() -> None:
    """Between two identity checks the stream's codec or size changed (a re-configured or swapped encoder): the
    second result says so in its detail, as a changed serial is reported for ONVIF cameras."""
    camera = FakeCamera(auth="none")
    async with fake_camera(camera) as port:
        ctx = context()
        first = await probe_identity(target(port), ctx)
        camera.sdp = camera.sdp.replace("H264/90000", "H265/90000").replace("1920-1080", "2560-1440")
        second = await probe_identity(target(port), ctx)
    assert first.detail == "" and first.identity is not None and first.identity.model == "RTSP H264 1920x1080"
    assert second.detail == "stream changed RTSP H264 1920x1080 → RTSP H265 2560x1440", second.detail
