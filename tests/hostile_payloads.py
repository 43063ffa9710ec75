"""What hostile cameras send: SOAP replies (healthy and poisoned), real and forged JPEGs, a gzip bomb, TLS."""

from __future__ import annotations

import ssl
import struct
import subprocess
import time
import zlib
from pathlib import Path

import cv2
import numpy as np

GROUP = "hostile"
USER, PASSWORD = "admin", "Hostile-pass-9"
_ENV = (
    '<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema" '
    'xmlns:trt="http://www.onvif.org/ver10/media/wsdl">'
    "<env:Body>{}</env:Body></env:Envelope>"
)
SOAP = "application/soap+xml; charset=utf-8"
HUGE = 100 * 1024 * 1024
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>'
    b'<tds:GetSystemDateAndTimeResponse xmlns:tds="http://www.onvif.org/ver10/device/wsdl">&x;'
    b"</tds:GetSystemDateAndTimeResponse></env:Body></env:Envelope>"
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b']><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><x>&lol9;</x>'
    b"</env:Body></env:Envelope>"
)


def clock_reply(at: float | None = None) -> bytes:
    """A healthy GetSystemDateAndTime answer carrying ``at`` (default: now) as UTC."""
    t = time.gmtime(time.time() if at is None else at)
    utc = (
        f"<tt:UTCDateTime><tt:Time><tt:Hour>{t.tm_hour}</tt:Hour><tt:Minute>{t.tm_min}</tt:Minute>"
        f"<tt:Second>{t.tm_sec}</tt:Second></tt:Time><tt:Date><tt:Year>{t.tm_year}</tt:Year>"
        f"<tt:Month>{t.tm_mon}</tt:Month><tt:Day>{t.tm_mday}</tt:Day></tt:Date></tt:UTCDateTime>"
    )
    return _ENV.format(
        "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>"
        f"<tt:DaylightSavings>false</tt:DaylightSavings>{utc}</tds:SystemDateAndTime>"
        "</tds:GetSystemDateAndTimeResponse>"
    ).encode()


def identity_reply() -> bytes:
    """A healthy GetDeviceInformation answer."""
    return _ENV.format(
        "<tds:GetDeviceInformationResponse><tds:Manufacturer>Hostile</tds:Manufacturer><tds:Model>H-1</tds:Model>"
        "<tds:FirmwareVersion>6.6.6</tds:FirmwareVersion><tds:SerialNumber>HX-1</tds:SerialNumber>"
        "<tds:HardwareId>1</tds:HardwareId></tds:GetDeviceInformationResponse>"
    ).encode()


def media_reply(operation: bytes, base_url: str) -> bytes:
    """Healthy discovery answers: GetCapabilities, GetProfiles, GetSnapshotUri, GetStreamUri."""
    if operation == b"GetCapabilities":
        return _ENV.format(
            f"<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Media><tt:XAddr>{base_url}/onvif/media_service"
            "</tt:XAddr></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>"
        ).encode()
    if operation == b"GetProfiles":
        return _ENV.format(
            '<trt:GetProfilesResponse><trt:Profiles token="P1" fixed="true"><tt:Name>main</tt:Name>'
            '<tt:VideoEncoderConfiguration token="V1"><tt:Name>v</tt:Name><tt:UseCount>1</tt:UseCount>'
            "<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>640</tt:Width><tt:Height>360</tt:Height>"
            "</tt:Resolution><tt:Quality>5</tt:Quality></tt:VideoEncoderConfiguration></trt:Profiles>"
            "</trt:GetProfilesResponse>"
        ).encode()
    uri = f"{base_url}/snap" if operation == b"GetSnapshotUri" else f"rtsp://{base_url.split('//')[1]}/P1"
    name = operation.decode()
    return _ENV.format(
        f"<trt:{name}Response><trt:MediaUri><tt:Uri>{uri}</tt:Uri><tt:InvalidAfterConnect>false"
        "</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S"
        f"</tt:Timeout></trt:MediaUri></trt:{name}Response>"
    ).encode()


def real_jpeg(width: int = 640, height: int = 360) -> bytes:
    """A real JPEG of a textured scene (gradients and noise), as a camera would send."""
    rng = np.random.default_rng(3)
    x = np.linspace(0, 255, width, dtype=np.float32)
    base = np.tile(x, (height, 1))[..., None] * np.array([0.4, 0.7, 1.0], np.float32)
    image = np.clip(base + rng.normal(0, 25, (height, width, 3)), 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return bytes(buf.tobytes())


def jpeg_claiming(width: int, height: int) -> bytes:
    """A tiny, valid JPEG whose frame header is rewritten to claim ``width``×``height`` (a decompression bomb)."""
    data = bytearray(real_jpeg(16, 16))
    sof = next(i for i in range(2, len(data) - 9) if data[i] == 0xFF and data[i + 1] in (0xC0, 0xC2))
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


_GZIP_BOMB: bytes | None = None


def gzip_bomb() -> bytes:
    """~100 KB of gzip that inflates to 100 MB of XML-looking whitespace (built once, in 1 MB steps)."""
    global _GZIP_BOMB
    if _GZIP_BOMB is None:
        block = b" " * (1024 * 1024)
        z = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip member, as Content-Encoding: gzip wants
        parts = [z.compress(b"<a>")] + [z.compress(block) for _ in range(HUGE // len(block))]
        _GZIP_BOMB = b"".join(parts) + z.flush()
    return _GZIP_BOMB


def self_signed_context(directory: Path, host: str) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for ``host`` (made with the openssl CLI)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={host}",
         "-addext", f"subjectAltName=IP:{host}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx
