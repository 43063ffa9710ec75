"""One capped, deadline-bound HTTP transport over the fleet's single ``aiohttp.ClientSession``.

zeep calls ``post_xml``; the liveness fast path calls ``post_bytes`` directly. Every reply is read in chunks
up to ``max_reply_bytes`` (a lying or missing Content-Length cannot make us buffer more), every call has a
whole-call deadline, and every failure leaves as a ``DeviceError``. No library caps reply size on its own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp
from lxml import etree
from multidict import CIMultiDictProxy
from zeep.wsdl.utils import etree_to_string

from camfleet.errors import DeviceAuthError, DeviceError, DeviceProtocolError
from camfleet.onvif.errors import to_device_error

_CHUNK = 64 * 1024
#: Idle keep-alive connections live this long. A camera's checks in one round (identity, discovery, then the
#: snapshot request) follow each other within a second or two, so they still share one
#: connection; its next round comes a minute or more later, past any keep-alive worth holding. aiohttp closes
#: expired connections in one callback per ``keepalive_timeout``, and each close costs one more callback: at
#: 30 s a full sweep of 5,500 cameras left ~5,500 idle connections, and that pass and the closing of the
#: session each stalled the loop ~100 ms; at 3 s each pass holds only the last few seconds' cameras.
KEEPALIVE_S = 3.0
_UNKNOWN_OP = "SOAP call"
#: No DTD, no entities, no network, no huge trees, and no *recovery*: broken XML is an error here.
_STRICT_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, recover=False, remove_comments=True
)


@dataclass(slots=True)
class Reply:
    """The parts of an HTTP reply zeep's SOAP binding reads (duck-typed like ``requests.Response``)."""

    status_code: int
    headers: CIMultiDictProxy[str]
    content: bytes
    encoding: str | None = None


def make_session(concurrency: int, connect_timeout_s: float, call_timeout_s: float) -> aiohttp.ClientSession:
    """The one session for the whole fleet: bounded connection pool, keep-alive, no cookies, no proxy env."""
    connector = aiohttp.TCPConnector(
        limit=concurrency,
        limit_per_host=0,
        keepalive_timeout=KEEPALIVE_S,
        ttl_dns_cache=300,
        enable_cleanup_closed=False,
    )
    timeout = aiohttp.ClientTimeout(total=call_timeout_s, sock_connect=connect_timeout_s)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        auto_decompress=True,
        skip_auto_headers=("User-Agent",),
    )


class CappedTransport:
    """A zeep-compatible async transport: size cap, deadline, error mapping."""

    def __init__(self, session: aiohttp.ClientSession, *, max_reply_bytes: int, call_timeout_s: float) -> None:
        self.session = session
        self.max_reply_bytes = max_reply_bytes
        self.call_timeout_s = call_timeout_s

    async def _read_capped(self, response: aiohttp.ClientResponse, where: str) -> bytes:
        declared = response.content_length
        if declared is not None and declared > self.max_reply_bytes:
            raise DeviceProtocolError(f"{where}: reply of {declared} bytes exceeds the cap", reason="oversized")
        parts: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > self.max_reply_bytes:
                raise DeviceProtocolError(f"{where}: reply exceeds {self.max_reply_bytes} bytes", reason="oversized")
            parts.append(chunk)
        return b"".join(parts)

    async def post_bytes(self, address: str, body: bytes, headers: dict[str, str], where: str) -> Reply:
        """POST ``body`` and return the capped reply; raises ``DeviceError`` (never a library error)."""
        try:
            async with asyncio.timeout(self.call_timeout_s):
                # Camera quirk: a web UI in front of the SOAP service answers 302 to a login page, and a
                # hostile one could send us to any host. A device service never redirects: refuse it.
                async with self.session.post(address, data=body, headers=headers, allow_redirects=False) as response:
                    if 300 <= response.status < 400:
                        raise DeviceProtocolError(
                            f"{where}: HTTP {response.status} redirect (not followed)", reason="http_error"
                        )
                    content = await self._read_capped(response, where)
                    _check_type(response, content, where)
                    return Reply(response.status, response.headers, content, response.charset)
        except DeviceError:
            raise
        except Exception as exc:  # every failure leaves mapped: the poller never sees a library error
            raise to_device_error(exc, where) from exc

    async def post_xml(self, address: str, envelope: Any, headers: dict[str, str]) -> Reply:
        """zeep's entry point for every SOAP call: the reply is checked before zeep sees it."""
        body = etree_to_string(envelope)  # type: ignore[no-untyped-call]
        where = _operation(headers)
        reply = await self.post_bytes(address, body, headers, where=where)
        if reply.status_code == 401:
            # Camera quirk: HTTP Digest demanded at the transport level (symptom: a bare 401, often with a
            # text body that zeep's forgiving parser turns into None and then crashes on).
            raise DeviceAuthError(f"{where}: HTTP 401 unauthorized", reason="password")
        check_envelope(reply.content, where)
        return reply

    def load(self, url: str) -> bytes:
        """zeep may try to fetch a schema a reply references: never from a camera."""
        raise DeviceProtocolError("reply references an external schema (refused)", reason="malformed")


def check_envelope(content: bytes, where: str) -> None:
    """Refuse a reply that is not a well-formed SOAP envelope answering ``where`` (or a fault).

    zeep runs with ``strict=False`` (firmware puts elements out of schema order), which also makes its lxml
    parser *recover*: a reply cut mid-element was accepted with whatever fields came before the cut, and a
    well-formed answer to another question (GetSystemDateAndTimeResponse to GetDeviceInformation) came back
    as an empty, "successful" result. Parsing the reply once more costs 0.013–0.016 ms (measured 2026-11-27
    on GetDeviceInformation/GetProfiles answers); identity and discovery calls are hourly per camera, and
    liveness skips zeep entirely, so this is off the hot path.
    """
    try:
        root = etree.fromstring(content, _STRICT_PARSER)
    except etree.XMLSyntaxError:
        raise DeviceProtocolError(f"{where}: reply is not well-formed XML", reason="malformed") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise DeviceProtocolError(f"{where}: reply carries a DTD (refused)", reason="malformed")
    body = next((c for c in root if isinstance(c.tag, str) and etree.QName(c).localname == "Body"), None)
    answer = next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
    if etree.QName(root).localname != "Envelope" or answer is None:
        raise DeviceProtocolError(f"{where}: reply is not a SOAP envelope with a body", reason="malformed")
    name = etree.QName(answer).localname
    # ONVIF names every answer "<operation>Response"; case is ignored for firmware that capitalises oddly.
    if name != "Fault" and where != _UNKNOWN_OP and name.lower() != f"{where}Response".lower():
        raise DeviceProtocolError(f"{where}: answered with {name[:80]}, not {where}Response", reason="wrong_type")


def _operation(headers: dict[str, str]) -> str:
    action = headers.get("Content-Type", "").rpartition("/")[2].strip('"; ')
    return action or _UNKNOWN_OP


def _check_type(response: aiohttp.ClientResponse, content: bytes, where: str) -> None:
    """Refuse replies that are not XML at all (a web login page, a JPEG, a plain-text error)."""
    if response.status == 401 and not content.lstrip().startswith(b"<"):
        return  # the clock read treats it as "alive, wants credentials"; post_xml as an auth refusal
    media = response.content_type.lower()
    looks_xml = content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
    # Camera quirk: some firmware labels SOAP as text/plain; accept anything that is XML, refuse HTML.
    if "html" in media or (content and not looks_xml):
        raise DeviceProtocolError(f"{where}: reply is {media or 'untyped'}, not SOAP XML", reason="wrong_type")
