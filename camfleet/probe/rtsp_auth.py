"""Why did FFmpeg not open a stream? One RTSP DESCRIBE tells a refused password from anything else.

OpenCV's FFmpeg capture says only "could not be opened": a wrong password, a wrong path and a dead stream
look the same, and a camera whose stream refuses its credentials was reported as ``protocol_error`` instead
of ``auth_failed``. After a failed open the worker asks the camera itself (RFC 2326): a DESCRIBE without
credentials and, when challenged, one answering the challenge (Digest, or Basic when that is all the camera
offers). A 401 to the answer means the credentials are refused. Blocking, with a deadline: it runs in the
picture worker that ran FFmpeg. The asyncio client of RTSP-only cameras (``probe/rtsp.py``) answers challenges
with ``answer_challenge`` and ``preferred_challenge`` from here: one Digest computation in the code base.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
import urllib.request

import aiohttp
from yarl import URL

RTSP_DEFAULT_PORT = 554
#: Largest reply header read; a camera's 401 is a few hundred bytes.
MAX_HEADER = 16 * 1024


def refuses_credentials(uri: str, username: str, password: str, timeout_s: float) -> bool:
    """True when the camera answers 401 to a DESCRIBE that answers its own challenge with these credentials
    (or, without a username, challenges at all). Any other answer, or no answer, is False."""
    url = URL(uri).with_user(None)
    if url.scheme != "rtsp" or not url.host:
        return False  # rtsps would need TLS: left to FFmpeg's own message
    deadline = time.monotonic() + max(0.1, timeout_s)
    try:
        status, challenge = _describe(url, "", deadline)
        if status != 401:
            return False
        if not username or not challenge:
            return True
        status, _ = _describe(url, answer_challenge(challenge, "DESCRIBE", str(url), username, password), deadline)
    except (OSError, ValueError):
        return False
    return status == 401


def _describe(url: URL, authorization: str, deadline: float) -> tuple[int, str]:
    """Send one DESCRIBE; return the status code and the WWW-Authenticate header ("" when none)."""
    lines = [f"DESCRIBE {url} RTSP/1.0", "CSeq: 1", "Accept: application/sdp", "User-Agent: camfleet"]
    if authorization:
        lines.append(f"Authorization: {authorization}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    port = url.port or RTSP_DEFAULT_PORT
    with socket.create_connection((url.host or "", port), timeout=_left(deadline)) as sock:
        sock.sendall(request)
        reply = b""
        while b"\r\n\r\n" not in reply and len(reply) < MAX_HEADER:
            sock.settimeout(_left(deadline))
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    head = reply.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    parts = head[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("RTSP/") or not parts[1].isdigit():
        raise ValueError("not an RTSP reply")
    offered = []
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "www-authenticate":
            offered.append(value.strip())
    return int(parts[1]), preferred_challenge(offered)


def preferred_challenge(offered: list[str]) -> str:
    """The challenge to answer among a reply's WWW-Authenticate values: Digest when the camera offers it (the
    password then never crosses the wire), else the first one; "" when there is none."""
    return next((c for c in offered if c.lower().startswith("digest")), offered[0] if offered else "")


def answer_challenge(challenge: str, method: str, uri: str, username: str, password: str) -> str:
    """The Authorization header answering ``challenge`` for ``method`` on ``uri`` (RFC 2617 Digest with MD5, with
    or without qop=auth; Basic only because the camera asked for it). Raises ValueError for another scheme.
    The header is the only place the credentials go: callers never log or show it."""
    if any(c in username for c in '"\r\n'):
        raise ValueError("the username holds a quote or a line break")  # would break the header
    scheme, _, rest = challenge.partition(" ")
    if scheme.lower() == "basic":
        return aiohttp.encode_basic_auth(username, password, "utf-8")  # as the snapshot's Basic fallback
    if scheme.lower() != "digest":
        raise ValueError("unknown authentication scheme")
    fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(rest))
    if fields.get("algorithm", "MD5").upper() != "MD5":
        raise ValueError("unsupported digest algorithm")  # RFC 7616's SHA-256: no camera seen asks for it
    realm, nonce = fields.get("realm", ""), fields.get("nonce", "")
    ha1 = _md5(f"{username}:{realm}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    answer = f'Digest username="{username}", realm="{realm}", nonce="{nonce}", uri="{uri}"'
    if "auth" in [q.strip() for q in fields.get("qop", "").split(",")]:
        cnonce = os.urandom(8).hex()
        response = _md5(f"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}")
        answer += f', qop=auth, nc=00000001, cnonce="{cnonce}"'
    else:
        response = _md5(f"{ha1}:{nonce}:{ha2}")
    if "opaque" in fields:
        answer += f', opaque="{fields["opaque"]}"'
    return answer + f', response="{response}"'


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("no RTSP answer in time")
    return left
