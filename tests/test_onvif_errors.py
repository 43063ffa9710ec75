# zeep's exception classes are untyped; building them is the point of this module.
# mypy: disable-error-code="no-untyped-call"
"""Every library and transport error maps into the camfleet DeviceError tree, with a reason word."""

from __future__ import annotations

import errno
import ssl
from typing import Any

import aiohttp
import pytest
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
from camfleet.model import Reason
from camfleet.onvif.clock import parse_reply
from camfleet.onvif.errors import HANDLED, to_device_error


def _conn_key() -> Any:
    from aiohttp.client_reqrep import ConnectionKey

    return ConnectionKey("127.30.9.9", 80, False, True, None, None, None)


def _request_info() -> aiohttp.RequestInfo:
    from yarl import URL

    return aiohttp.RequestInfo(URL("http://127.30.9.9/"), "POST", {}, URL("http://127.30.9.9/"))  # type: ignore[arg-type]


def _fault(code: str, message: str, subcodes: list[Any] | None = None) -> zx.Fault:
    return zx.Fault(message=message, code=code, subcodes=subcodes)


def _lxml_syntax_error() -> etree.XMLSyntaxError:
    try:
        etree.fromstring(b"<a><b></a>")
    except etree.XMLSyntaxError as exc:
        return exc
    raise AssertionError("lxml accepted broken XML")


#: One instance of every class in HANDLED (and a few variants), with the class and reason it must map to.
CASES: list[tuple[BaseException, type[DeviceError], str]] = [
    (DeviceTimeout("x"), DeviceTimeout, "timeout"),
    (aiohttp.ConnectionTimeoutError("connect"), DeviceTimeout, "timeout"),
    (aiohttp.SocketTimeoutError("read"), DeviceTimeout, "timeout"),
    (aiohttp.ServerTimeoutError("t"), DeviceTimeout, "timeout"),
    (TimeoutError(), DeviceTimeout, "timeout"),
    (TimeoutError(), DeviceTimeout, "timeout"),
    (aiohttp.ClientConnectorDNSError(_conn_key(), OSError(errno.ENOENT, "nodename")), DeviceUnreachable, "unreachable"),
    (
        aiohttp.ClientConnectorError(_conn_key(), ConnectionRefusedError(errno.ECONNREFUSED, "refused")),
        DeviceUnreachable,
        "refused",
    ),
    (
        aiohttp.ClientConnectorError(_conn_key(), OSError(errno.EHOSTUNREACH, "no route")),
        DeviceUnreachable,
        "unreachable",
    ),
    (aiohttp.ServerDisconnectedError(), DeviceUnreachable, "unreachable"),
    (aiohttp.ClientPayloadError("cut"), DeviceProtocolError, "malformed"),
    (aiohttp.ClientResponseError(_request_info(), (), status=401), DeviceAuthError, "password"),
    (aiohttp.ClientResponseError(_request_info(), (), status=503), DeviceProtocolError, "http_error"),
    (aiohttp.ClientOSError(errno.ECONNRESET, "reset"), DeviceUnreachable, "refused"),
    (aiohttp.InvalidURL("http://["), DeviceUnreachable, "unreachable"),
    (aiohttp.ClientError("other"), DeviceUnreachable, "unreachable"),
    (ssl.SSLError("handshake"), DeviceProtocolError, "malformed"),
    (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), DeviceUnreachable, "refused"),
    (ConnectionResetError(errno.ECONNRESET, "reset"), DeviceUnreachable, "refused"),
    (OSError(errno.ENETUNREACH, "unreachable"), DeviceUnreachable, "unreachable"),
    (_fault("env:Sender", "Sender not Authorized", ["ter:NotAuthorized"]), DeviceAuthError, "password"),
    (_fault("env:Sender", "The Created time is out of range", ["ter:NotAuthorized"]), DeviceAuthError, "clock"),
    # A missing optional operation (no snapshot service) is its own class: discovery then uses the stream.
    (
        _fault("env:Receiver", "Optional Action Not Implemented", ["ter:ActionNotSupported"]),
        DeviceNotSupported,
        "http_error",
    ),
    (
        _fault(
            "env:Receiver",
            "Optional Action Not Implemented",
            [etree.QName("http://www.onvif.org/ver10/error", "ActionNotSupported")],
        ),
        DeviceNotSupported,
        "http_error",
    ),
    (
        _fault("env:Sender", "Invalid argument", ["ter:InvalidArgVal", "ter:NoProfile"]),
        DeviceProtocolError,
        "http_error",
    ),
    (zx.TransportError("401", status_code=401), DeviceAuthError, "password"),
    (zx.TransportError("bad xml", status_code=200, content=b"<a"), DeviceProtocolError, "malformed"),
    (zx.TransportError("500", status_code=500), DeviceProtocolError, "http_error"),
    (zx.DTDForbidden("n", "s", "p"), DeviceProtocolError, "malformed"),
    (zx.EntitiesForbidden("n", "c"), DeviceProtocolError, "malformed"),
    (zx.ExternalReferenceForbidden("http://x/"), DeviceProtocolError, "malformed"),
    (zx.XMLSyntaxError("syntax"), DeviceProtocolError, "malformed"),
    (zx.XMLParseError("parse"), DeviceProtocolError, "malformed"),
    (zx.ValidationError("invalid"), DeviceProtocolError, "malformed"),
    (zx.Error("zeep"), DeviceProtocolError, "malformed"),
    (_lxml_syntax_error(), DeviceProtocolError, "malformed"),
    (etree.LxmlError("lxml"), DeviceProtocolError, "malformed"),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), DeviceProtocolError, "malformed"),
    (ValueError("bad value"), DeviceProtocolError, "malformed"),
]


@pytest.mark.parametrize(("exc", "cls", "reason"), CASES, ids=[type(c[0]).__name__ for c in CASES])
def test_each_error_maps_to_its_class_and_reason(exc: BaseException, cls: type[DeviceError], reason: str) -> None:
    """The mapped error has the expected class and a reason word that exists in ``model.Reason``."""
    mapped = to_device_error(exc, "GetDeviceInformation", clock_offset_s=0.5, skew_limit_s=300.0)
    assert type(mapped) is cls and mapped.reason == reason
    assert mapped.reason in {r.value for r in Reason}


def test_every_handled_class_has_a_case() -> None:
    """No class in HANDLED escapes the table above (so adding one without a test fails here)."""
    covered = {type(exc) for exc, _cls, _reason in CASES}
    assert set(HANDLED) - covered - {DeviceError} == set()


def test_unknown_exceptions_become_protocol_errors() -> None:
    """Anything unforeseen still becomes a DeviceError (never escapes to crash the poller)."""

    class Weird(Exception):
        pass

    for exc in (Weird("?"), RuntimeError("session closed"), KeyError("x")):
        mapped = to_device_error(exc, "call")
        assert isinstance(mapped, DeviceProtocolError) and mapped.reason == "malformed"
        assert type(exc).__name__ in str(mapped)


def test_auth_refusal_is_blamed_on_a_clock_beyond_the_limit() -> None:
    """Same fault text: password when the offset is small, clock when it exceeds clock_skew_limit_s."""
    fault = _fault("env:Sender", "Sender not Authorized", ["ter:NotAuthorized"])
    assert to_device_error(fault, "x", clock_offset_s=-7200.0, skew_limit_s=300.0).reason == "clock"
    assert to_device_error(fault, "x", clock_offset_s=12.0, skew_limit_s=300.0).reason == "password"


def test_clock_reply_parsing_refuses_bad_replies() -> None:
    """Not XML, a DTD, a wrong element or a broken date are protocol errors; a good reply gives the offset."""
    env = '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body>{}</e:Body></e:Envelope>'
    tt = 'xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"'
    utc = (
        "<tt:UTCDateTime><tt:Time><tt:Hour>{h}</tt:Hour><tt:Minute>0</tt:Minute><tt:Second>0</tt:Second>"
        "</tt:Time><tt:Date><tt:Year>2026</tt:Year><tt:Month>11</tt:Month><tt:Day>27</tt:Day></tt:Date>"
        "</tt:UTCDateTime>"
    )
    good = env.format(
        f"<tds:GetSystemDateAndTimeResponse {tt}><tds:SystemDateAndTime>{utc.format(h=10)}"
        "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
    ).encode()
    t = 1795773600.0  # 2026-11-27T10:00:00Z
    assert parse_reply(good, t - 3600.2, t - 3599.8).offset_s == pytest.approx(3600.5, abs=0.01)
    bad = [
        b"not xml",
        b'<!DOCTYPE x [<!ENTITY a "b">]>' + good[good.index(b"<e:") :],
        env.format("<x/>").encode(),
        good.replace(b"<tt:Hour>10</tt:Hour>", b"<tt:Hour>ten</tt:Hour>"),
    ]
    for content in bad:
        with pytest.raises(DeviceProtocolError):
            parse_reply(content, t, t)
