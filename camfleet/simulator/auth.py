"""Authentication as cameras do it: WS-Security UsernameToken on SOAP, HTTP Digest on the snapshot URL.

The UsernameToken's ``Created`` is checked against the camera's own clock (skew included), so a client
that signs with its own clock fails on a camera whose clock is far off, as in the field.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time
from datetime import datetime

from camfleet.simulator.soap import UsernameToken

#: How far ``Created`` may be from the camera's clock, and how long a nonce is remembered.
CREATED_WINDOW_S = 300.0
_MAX_NONCES = 4096


class NonceCache:
    """Nonces seen within the window, to refuse a replayed token. Small and bounded per camera."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    def seen_before(self, nonce: str, now: float) -> bool:
        """Record ``nonce``; True when it was already used within the window."""
        if len(self._seen) >= _MAX_NONCES:
            self._seen = {n: t for n, t in self._seen.items() if now - t < CREATED_WINDOW_S}
            if len(self._seen) >= _MAX_NONCES:
                # Still full of fresh nonces: forget the oldest half rather than grow without bound.
                keep = sorted(self._seen.items(), key=lambda kv: kv[1])[_MAX_NONCES // 2 :]
                self._seen = dict(keep)
        last = self._seen.get(nonce)
        self._seen[nonce] = now
        return last is not None and now - last < CREATED_WINDOW_S


def check_username_token(
    token: UsernameToken | None, username: str, password: str, camera_now: float, nonces: NonceCache
) -> str:
    """Why the token is refused (``missing``, ``user``, ``password``, ``clock``, ``replay``), or ``""``."""
    if token is None:
        return "missing"
    if not hmac.compare_digest(token.username.encode(), username.encode()):
        return "user"
    if not token.digest:
        # PasswordText: cameras accept it (over plain HTTP, sadly); no clock involved.
        return "" if hmac.compare_digest(token.password.encode(), password.encode()) else "password"
    try:
        nonce = base64.b64decode(token.nonce, validate=True)
        created = datetime.fromisoformat(token.created).timestamp()
    except (binascii.Error, ValueError):
        return "password"
    expected = base64.b64encode(hashlib.sha1(nonce + token.created.encode() + password.encode()).digest())
    if not hmac.compare_digest(expected, token.password.encode()):
        return "password"
    if abs(created - camera_now) > CREATED_WINDOW_S:
        return "clock"
    if nonces.seen_before(token.nonce, camera_now):
        return "replay"
    return ""


class DigestAuth:
    """HTTP Digest (RFC 7616, MD5, qop=auth) with stateless nonces: HMAC(secret, issue time)."""

    realm = "IP Camera"

    def __init__(self, secret: bytes | None = None, lifetime: float = CREATED_WINDOW_S) -> None:
        self._secret = secret or os.urandom(16)
        self._lifetime = lifetime

    def _nonce(self, issued: int) -> str:
        mac = hmac.new(self._secret, str(issued).encode(), hashlib.sha256).hexdigest()[:24]
        return f"{issued:x}{mac}"

    def challenge(self, stale: bool = False) -> str:
        """The ``WWW-Authenticate`` header value of a 401."""
        nonce = self._nonce(int(time.time()))
        extra = ", stale=true" if stale else ""
        return f'Digest realm="{self.realm}", qop="auth", algorithm=MD5, nonce="{nonce}"{extra}'

    def verify(self, header: str, method: str, username: str, password: str) -> str:
        """Why the ``Authorization`` header is refused (``missing``, ``stale``, ``password``) or ``""``."""
        if not header.lower().startswith("digest "):
            return "missing"
        fields = parse_digest_fields(header[7:])
        nonce = fields.get("nonce", "")
        try:
            issued = int(nonce[:-24], 16)
        except ValueError:
            return "password"
        if not hmac.compare_digest(self._nonce(issued), nonce):
            return "password"
        if time.time() - issued > self._lifetime:
            return "stale"
        if fields.get("username") != username or fields.get("realm") != self.realm:
            return "password"
        ha1 = _md5(f"{username}:{self.realm}:{password}")
        ha2 = _md5(f"{method}:{fields.get('uri', '')}")
        if fields.get("qop") == "auth":
            raw = f"{ha1}:{nonce}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:auth:{ha2}"
        else:
            raw = f"{ha1}:{nonce}:{ha2}"
        return "" if hmac.compare_digest(_md5(raw), fields.get("response", "")) else "password"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def parse_digest_fields(text: str) -> dict[str, str]:
    """``k="v", k2=v2`` → dict (quoted values may contain commas)."""
    out: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " ,\t":
            i += 1
        eq = text.find("=", i)
        if eq < 0:
            break
        key = text[i:eq].strip().lower()
        i = eq + 1
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            out[key] = text[i + 1 : end]
            i = end + 1
        else:
            end = text.find(",", i)
            end = n if end < 0 else end
            out[key] = text[i:end].strip()
            i = end
    return out
