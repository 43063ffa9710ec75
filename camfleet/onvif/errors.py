"""Map every library and transport error into the camfleet ``DeviceError`` tree.

``to_device_error`` is total: any exception becomes a ``DeviceError`` with a ``Reason`` word, so probes can
turn failures into values. ``HANDLED`` lists the exception classes mapped on purpose (a test walks it);
anything else lands in the "unexpected" branch as a protocol error, never as a crash of the poller.
"""

from __future__ import annotations

import asyncio
import errno
import ssl

import aiohttp
import zeep.exceptions as zx
from lxml import etree

from camfleet.errors import (
    DeviceAuthError,
    DeviceError,
    DeviceNotSupported,
    DeviceProtocolError,
    DeviceTimeout,
    DeviceUnreachable,
)

#: errno values that mean "nobody listens there" rather than "no route".
_REFUSED_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ECONNRESET})
#: words in a SOAP fault that say the signature's time was rejected, not the password.
_CLOCK_WORDS = ("time", "clock", "created", "expired", "stale", "timestamp")
#: SOAP fault (sub)codes cameras use to refuse credentials.
_AUTH_CODES = ("notauthorized", "failedauthentication", "invalidsecurity", "sender.notauthorized")

#: SOAP fault subcodes that say an optional operation is not implemented (ONVIF Core, 5.11.2.2).
_NOT_SUPPORTED = frozenset({"ActionNotSupported"})


def _local_name(code: object) -> str:
    """``ActionNotSupported`` from ``ter:ActionNotSupported`` or ``{http://...}ActionNotSupported``."""
    text = str(getattr(code, "localname", code))
    return text.rpartition("}")[2].rpartition(":")[2]


#: Exception classes that ``to_device_error`` maps on purpose, most specific first.
HANDLED: tuple[type[BaseException], ...] = (
    DeviceError,
    aiohttp.ConnectionTimeoutError,
    aiohttp.SocketTimeoutError,
    aiohttp.ServerTimeoutError,
    TimeoutError,
    asyncio.TimeoutError,
    aiohttp.ClientConnectorDNSError,
    aiohttp.ClientConnectorError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientPayloadError,
    aiohttp.ClientResponseError,
    aiohttp.ClientOSError,
    aiohttp.InvalidURL,
    aiohttp.ClientError,
    ssl.SSLError,
    ConnectionRefusedError,
    ConnectionResetError,
    OSError,
    zx.Fault,
    zx.TransportError,
    zx.DTDForbidden,
    zx.EntitiesForbidden,
    zx.ExternalReferenceForbidden,
    zx.XMLSyntaxError,
    zx.XMLParseError,
    zx.ValidationError,
    zx.Error,
    etree.XMLSyntaxError,
    etree.LxmlError,
    UnicodeDecodeError,
    ValueError,
)


def fault_is_auth(fault: zx.Fault) -> bool:
    """True when a SOAP fault refuses the credentials (ONVIF ``ter:NotAuthorized`` and friends)."""
    codes = [str(fault.code or "")] + [str(c) for c in (fault.subcodes or [])]
    text = " ".join(codes).lower() + " " + str(fault.message or "").lower()
    return any(code in text for code in _AUTH_CODES) or "not authorized" in text or "unauthori" in text


def fault_blames_clock(message: str) -> bool:
    """True when a refusal's text says the time was wrong (some firmware says so; most do not)."""
    lowered = message.lower()
    return any(word in lowered for word in _CLOCK_WORDS)


def auth_error(message: str, *, clock_offset_s: float | None, skew_limit_s: float) -> DeviceAuthError:
    """A credential refusal, blamed on the clock when the offset is beyond the limit or the camera says so."""
    too_far = clock_offset_s is not None and abs(clock_offset_s) > skew_limit_s
    reason = "clock" if too_far or fault_blames_clock(message) else "password"
    return DeviceAuthError(message, reason=reason)


def _os_error(exc: OSError, where: str) -> DeviceError:
    if exc.errno in _REFUSED_ERRNOS or isinstance(exc, ConnectionRefusedError):
        return DeviceUnreachable(f"{where}: connection refused", reason="refused")
    text = exc.strerror or exc.__class__.__name__
    return DeviceUnreachable(f"{where}: {text}", reason="unreachable")


def _connector_error(exc: aiohttp.ClientConnectorError, where: str) -> DeviceError:
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        # Camera quirk: https device services ship self-signed certificates. The camera answered, so it is
        # not offline; we do not trust it, so it is not ONVIF we can use (verification stays on).
        return DeviceProtocolError(f"{where}: TLS certificate not trusted (self-signed or expired)", "malformed")
    if isinstance(exc, aiohttp.ClientSSLError):
        return DeviceProtocolError(f"{where}: TLS handshake failed", reason="malformed")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return DeviceUnreachable(f"{where}: name not resolved", reason="unreachable")
    return _os_error(exc.os_error, where)


def _zeep_error(exc: zx.Error, where: str) -> DeviceError:
    if isinstance(exc, zx.TransportError):
        status = exc.status_code or 0
        if status == 401:
            # Camera quirk: some firmware wants HTTP Digest at the transport level and answers a bare 401.
            return DeviceAuthError(f"{where}: HTTP 401 unauthorized", reason="password")
        if status == 200 or exc.content:
            return DeviceProtocolError(f"{where}: reply is not valid XML", reason="malformed")
        return DeviceProtocolError(f"{where}: HTTP {status} without a SOAP reply", reason="http_error")
    if isinstance(exc, zx.Fault):
        message = f"{where}: SOAP fault {exc.code or ''} {exc.message or ''}".strip()
        if any(_local_name(code) in _NOT_SUPPORTED for code in exc.subcodes or []):
            return DeviceNotSupported(message, "http_error")
        return DeviceProtocolError(message, "http_error")
    forbidden = (zx.DTDForbidden, zx.EntitiesForbidden, zx.ExternalReferenceForbidden)
    if isinstance(exc, forbidden):
        return DeviceProtocolError(f"{where}: reply uses a DTD or entities (refused)", reason="malformed")
    return DeviceProtocolError(f"{where}: reply is not proper ONVIF ({exc.__class__.__name__})", reason="malformed")


def to_device_error(
    exc: BaseException, where: str, *, clock_offset_s: float | None = None, skew_limit_s: float = 300.0
) -> DeviceError:
    """The ``DeviceError`` for ``exc``; ``where`` names the call (never a credential or URL with userinfo)."""
    if isinstance(exc, DeviceError):
        return exc
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):  # includes aiohttp's ServerTimeoutError
        return DeviceTimeout(f"{where}: no answer within the deadline", reason="timeout")
    if isinstance(exc, zx.Fault) and fault_is_auth(exc):
        return auth_error(
            f"{where}: credentials refused ({exc.message or exc.code})",
            clock_offset_s=clock_offset_s,
            skew_limit_s=skew_limit_s,
        )
    if isinstance(exc, zx.Error):
        return _zeep_error(exc, where)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _connector_error(exc, where)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        # The camera accepted the connection and closed it without a reply: nothing answered.
        return DeviceUnreachable(f"{where}: connection closed without a reply", reason="unreachable")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return DeviceProtocolError(f"{where}: reply body cut short or badly encoded", reason="malformed")
    if isinstance(exc, aiohttp.ClientResponseError):
        if exc.status == 401:
            return DeviceAuthError(f"{where}: HTTP 401 unauthorized", reason="password")
        return DeviceProtocolError(f"{where}: HTTP {exc.status}", reason="http_error")
    if isinstance(exc, aiohttp.ClientOSError):
        return _os_error(exc, where)
    if isinstance(exc, (aiohttp.InvalidURL, aiohttp.ClientError)):
        return DeviceUnreachable(f"{where}: {exc.__class__.__name__}", reason="unreachable")
    if isinstance(exc, ssl.SSLError):
        return DeviceProtocolError(f"{where}: TLS handshake failed", reason="malformed")
    if isinstance(exc, OSError):
        return _os_error(exc, where)
    if isinstance(exc, (etree.LxmlError, UnicodeDecodeError, ValueError)):
        return DeviceProtocolError(f"{where}: reply is not proper ONVIF ({exc.__class__.__name__})", "malformed")
    return DeviceProtocolError(f"{where}: unexpected {exc.__class__.__name__}", reason="malformed")
