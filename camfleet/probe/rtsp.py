"""RTSP/1.0 OPTIONS and DESCRIBE over asyncio streams: the wire of RTSP-only cameras (ONVIF switched off).

Hand-written on purpose. The one maintained asyncio RTSP client on PyPI (aiortsp 1.4) logs every request it
sends at debug level — the Authorization header with it, a Basic password in base64 — logs the raw bytes of a
reply it cannot parse, prints tracebacks to stderr, checks the reply's first line with ``assert``, caps no
header line, and answers Basic when a camera offers both Basic and Digest. Two requests with deadlines, caps
and the Digest answer of ``rtsp_auth`` (one computation for the picture worker and for this) are ~200 lines.

Failures are the ``DeviceError`` tree, so ``probe/outcome.failed`` words them as for ONVIF:

| what happened | error | status/reason |
| --- | --- | --- |
| nothing listens / no route / closed at once | ``DeviceUnreachable`` | ``offline/refused``, ``offline/unreachable`` |
| no complete reply in time | ``DeviceTimeout`` | ``offline/timeout`` |
| 401 (or 403) to our answer of its challenge | ``DeviceAuthError`` | ``auth_failed/password`` |
| not an RTSP reply, wrong CSeq, bad header | ``DeviceProtocolError`` | ``protocol_error/malformed`` |
| header over ``MAX_HEADER``, SDP over ``MAX_SDP`` | ``DeviceProtocolError`` | ``protocol_error/oversized`` |
| DESCRIBE answered with a body that is not SDP | ``DeviceProtocolError`` | ``protocol_error/wrong_type`` |
| another RTSP status (404: no stream at that path) | ``DeviceProtocolError`` | ``protocol_error/http_error`` |

Credentials go only into the Authorization header; messages name the camera by ``host:port`` and the stream
path without its query (``frame.redact``), never a user or a password.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass

from yarl import URL

from camfleet.config.poller import PollerConfig
from camfleet.errors import DeviceAuthError, DeviceProtocolError, DeviceTimeout, DeviceUnreachable
from camfleet.model import CameraTarget
from camfleet.probe.rtsp_auth import MAX_HEADER, answer_challenge, preferred_challenge

#: Largest SDP accepted: a camera's is 0.5-2 KiB (several streams and audio stay far below this).
MAX_SDP = 64 * 1024
#: Longest wait for a closed connection to finish closing (a hostile peer may never acknowledge).
CLOSE_WAIT_S = 1.0
_STATUS_LINE = re.compile(r"^RTSP/1\.\d (\d{3})(?: (.*))?$")


@dataclass(frozen=True, slots=True)
class RtspReply:
    """One reply: its status, header fields (names in lower case, in order) and body."""

    status: int
    phrase: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    def header(self, name: str) -> str:
        """The first value of header ``name`` ("" when absent)."""
        return next((v for n, v in self.headers if n == name), "")

    def every(self, name: str) -> list[str]:
        """Every value of header ``name`` (a camera may send one WWW-Authenticate per scheme)."""
        return [v for n, v in self.headers if n == name]


def stream_uri(target: CameraTarget) -> str:
    """``rtsp://host:port/path`` of an RTSP-only camera, without credentials (they go in a header)."""
    host = f"[{target.host}]" if ":" in target.host else target.host
    path = target.rtsp_path if target.rtsp_path.startswith("/") else "/" + target.rtsp_path
    return f"rtsp://{host}:{target.port}{path}"


def shown(uri: str) -> str:
    """The URI as messages may show it: scheme, host, port and path (a query may carry secrets)."""
    try:
        return str(URL(uri).with_user(None).with_query(None).with_fragment(None))
    except ValueError:
        return "<unusable URI>"


class RtspConnection:
    """One TCP connection to a camera's RTSP port; requests are sent one at a time, CSeq counting from 1."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, where: str) -> None:
        self.reader, self.writer, self.where = reader, writer, where
        self.cseq = 0

    @classmethod
    async def open(cls, host: str, port: int, connect_timeout_s: float) -> RtspConnection:
        """Connect within ``connect_timeout_s``; raises ``DeviceUnreachable`` or ``DeviceTimeout``."""
        where = f"RTSP {host}:{port}"
        try:
            async with asyncio.timeout(connect_timeout_s):
                # The reader's limit caps the header: readuntil() refuses a longer one (LimitOverrunError).
                reader, writer = await asyncio.open_connection(host, port, limit=MAX_HEADER)
        except TimeoutError:
            raise DeviceTimeout(f"{where}: no connection within {connect_timeout_s:g} s") from None
        except ConnectionRefusedError:
            raise DeviceUnreachable(f"{where}: connection refused", reason="refused") from None
        except OSError as exc:
            raise DeviceUnreachable(f"{where}: {exc.strerror or type(exc).__name__}", "unreachable") from None
        return cls(reader, writer, where)

    async def close(self) -> None:
        """Close the connection; a camera that already left, or never acknowledges, is no error."""
        self.writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(CLOSE_WAIT_S):
                await self.writer.wait_closed()

    async def request(self, method: str, uri: str, authorization: str = "") -> RtspReply:
        """Send one request and read its reply (header ≤ ``MAX_HEADER``, body ≤ ``MAX_SDP``)."""
        self.cseq += 1
        lines = [f"{method} {uri} RTSP/1.0", f"CSeq: {self.cseq}", "User-Agent: camfleet"]
        if method == "DESCRIBE":
            lines.append("Accept: application/sdp")
        if authorization:
            lines.append(f"Authorization: {authorization}")
        try:
            self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
            await self.writer.drain()
            reply = await self._read_reply(method)
        except OSError as exc:  # reset mid-exchange: the camera went away
            raise DeviceUnreachable(f"{self.where}: connection lost ({type(exc).__name__})", "unreachable") from None
        cseq = reply.header("cseq")
        # RFC 2326 §12.17 makes CSeq mandatory. A reply to another number is not the answer to this request;
        # a missing one is tolerated (one request in flight on our own connection: it can be no other's).
        if cseq and cseq.strip() != str(self.cseq):
            raise DeviceProtocolError(f"{self.where}: {method} answered with CSeq {cseq[:16]!r}", "malformed")
        return reply

    async def _read_reply(self, method: str) -> RtspReply:
        where = f"{self.where}: {method}"
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            raise DeviceProtocolError(f"{where}: reply header over {MAX_HEADER} bytes", "oversized") from None
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise DeviceUnreachable(f"{where}: connection closed without a reply", "unreachable") from None
            raise DeviceProtocolError(f"{where}: reply cut short or not RTSP", "malformed") from None
        status, phrase, headers = _parse_head(head.decode("latin-1"), where)
        length_text = next((v for n, v in headers if n == "content-length"), "0").strip() or "0"
        if not length_text.isdigit() or len(length_text) > 12:
            raise DeviceProtocolError(f"{where}: Content-Length is not a number", "malformed")
        length = int(length_text)
        if length > MAX_SDP:
            raise DeviceProtocolError(f"{where}: announced a {length}-byte body (cap {MAX_SDP})", "oversized")
        try:
            body = await self.reader.readexactly(length) if length else b""
        except asyncio.IncompleteReadError:
            raise DeviceProtocolError(f"{where}: body cut short", "malformed") from None
        return RtspReply(status, phrase, tuple(headers), body)


def _parse_head(text: str, where: str) -> tuple[int, str, list[tuple[str, str]]]:
    lines = text.split("\r\n")
    while lines and not lines[0]:
        lines.pop(0)  # blank keep-alive lines some servers send between messages
    match = _STATUS_LINE.match(lines[0]) if lines else None
    if match is None:
        raise DeviceProtocolError(f"{where}: the reply is not RTSP/1.0", "malformed")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in " \t" and headers:  # folded continuation of the previous field
            name, value = headers.pop()
            headers.append((name, f"{value} {line.strip()}"))
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or " " in name.strip():
            raise DeviceProtocolError(f"{where}: a header line has no field name", "malformed")
        headers.append((name.strip().lower(), value.strip()))
    return int(match.group(1)), (match.group(2) or "").strip()[:64], headers


async def options(target: CameraTarget, cfg: PollerConfig) -> tuple[RtspReply, float]:
    """One OPTIONS (no credentials) and the seconds it took, connect included; raises ``DeviceError``."""
    t0 = time.perf_counter()
    uri = stream_uri(target)
    try:
        async with asyncio.timeout(cfg.call_timeout_s):
            conn = await RtspConnection.open(target.host, target.port, cfg.connect_timeout_s)
            try:
                reply = await conn.request("OPTIONS", uri)
            finally:
                await conn.close()
    except TimeoutError:
        raise DeviceTimeout(f"RTSP OPTIONS {shown(uri)}: no reply within {cfg.call_timeout_s:g} s") from None
    return reply, time.perf_counter() - t0


async def describe(target: CameraTarget, cfg: PollerConfig, username: str, password: str) -> RtspReply:
    """DESCRIBE the camera's stream, answering its challenge (Digest; Basic when that is all it offers).

    Returns the 200 reply with its SDP body; raises ``DeviceError`` otherwise (see the table above)."""
    uri = stream_uri(target)
    where = f"RTSP DESCRIBE {shown(uri)}"
    try:
        async with asyncio.timeout(cfg.call_timeout_s):
            conn = await RtspConnection.open(target.host, target.port, cfg.connect_timeout_s)
            try:
                reply = await conn.request("DESCRIBE", uri)
                if reply.status == 401:
                    authorization = _answer(reply, uri, username, password, where)
                    try:
                        if reply.header("connection").lower() == "close":
                            raise DeviceUnreachable("closed after its challenge", "unreachable")
                        reply = await conn.request("DESCRIBE", uri, authorization)
                    except DeviceUnreachable:
                        # Camera quirk: some firmware closes the connection after its 401, saying so or not
                        # (symptom: the answer meets a closed connection). Ask again on a new one.
                        await conn.close()
                        conn = await RtspConnection.open(target.host, target.port, cfg.connect_timeout_s)
                        reply = await conn.request("DESCRIBE", uri, authorization)
                    if reply.status in (401, 403):
                        raise DeviceAuthError(f"{where}: credentials refused (RTSP {reply.status})", "password")
            finally:
                await conn.close()
    except TimeoutError:
        raise DeviceTimeout(f"{where}: no reply within {cfg.call_timeout_s:g} s") from None
    return _sdp_reply(reply, where)


def _answer(reply: RtspReply, uri: str, username: str, password: str, where: str) -> str:
    challenge = preferred_challenge(reply.every("www-authenticate"))
    if not challenge:
        raise DeviceAuthError(f"{where}: RTSP 401 without a challenge to answer", "password")
    try:
        return answer_challenge(challenge, "DESCRIBE", uri, username, password)
    except ValueError as exc:  # another scheme, algorithm, or a challenge we cannot read
        scheme = challenge.split(" ", 1)[0][:16]
        raise DeviceProtocolError(f"{where}: cannot answer its {scheme!r} challenge ({exc})", "malformed") from None


def _sdp_reply(reply: RtspReply, where: str) -> RtspReply:
    if reply.status == 403:
        raise DeviceAuthError(f"{where}: RTSP 403 forbidden", "password")
    if reply.status != 200:
        phrase = f" {reply.phrase}" if reply.phrase else ""
        raise DeviceProtocolError(f"{where}: RTSP {reply.status}{phrase}", "http_error")
    ctype = reply.header("content-type").split(";")[0].strip().lower()
    if (ctype and ctype != "application/sdp") or not reply.body.lstrip().startswith(b"v="):
        raise DeviceProtocolError(f"{where}: the reply is not an SDP description", "wrong_type")
    return reply
