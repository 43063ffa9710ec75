"""``WriteGuard``: what every write action of the web app (approving baselines on /review) must pass.

The checks, in order; the first that fails refuses the request with its status and reason word:

===========================================================  ======  =====================
check                                                        status  reason
===========================================================  ======  =====================
the method is POST                                           405     ``method``
Basic auth is configured (``[web] basic_auth_user``)          403     ``disabled``
credentials are presented                                    401     ``no_credentials``
they are right                                               401     ``wrong_credentials``
``Origin`` (else ``Referer``) is this server's scheme://host  403     ``cross_site``
the form's ``token`` is HMAC(per-process secret, user)       403     ``token``
the form names known cameras, town or village                400     ``invalid``
===========================================================  ======  =====================

A write always needs authentication: with no Basic auth configured, writes are off (the read-only pages stay
open). The token is a second, independent proof that the form came from a page this server rendered for this
user; the secret lives only in this process (a restart asks for the page to be loaded again).

Behind a TLS proxy the request reaches camfleet as plain HTTP: ``X-Forwarded-Proto`` (``http`` or ``https``)
names the scheme the browser used. A browser's cross-site form cannot set that header, so honouring it lets
no other site through.

Every refusal is logged at WARNING with who (the user name presented, or ``anonymous``; never a password),
where (remote address, Origin, Referer) and why, and counted in ``refused[reason]``
(``camfleet_web_write_refused_total{reason}``). The password and the token secret are never logged, counted
or put into an exception.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
from collections import Counter
from typing import Any, NoReturn
from urllib.parse import urlsplit

from aiohttp import web

log = logging.getLogger("camfleet.web")

#: Every reason a write is refused for, in the order the checks run (the counter exports each, from 0).
REASONS = ("method", "disabled", "no_credentials", "wrong_credentials", "cross_site", "token", "invalid")
#: What the page and a refused request say to enable writing.
HOW_TO_ENABLE = "configure [web] basic_auth_user and basic_auth_password_file"
_MAX_NAME = 64  # a user name presented is logged at most this long
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _printable(text: str, limit: int = _MAX_NAME) -> str:
    """``text`` cut to ``limit`` characters, control characters shown as ``?`` (it goes into a log line)."""
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


def _presented(request: web.BaseRequest) -> tuple[bool, str | None, str]:
    """Whether Basic credentials were sent, the user name and password presented (None when they cannot be
    read)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False, None, ""
    try:
        user, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return True, None, ""
    return True, (user if sep else None), password


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, lower case, the scheme's default port left out; None when ``url`` has
    no http(s) scheme and host (``null``, ``about:blank``, garbage)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else "")


def own_origin(request: web.BaseRequest) -> str | None:
    """This server's origin as the browser sees it: the request's scheme (or ``X-Forwarded-Proto``) and its
    ``Host``."""
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    scheme = forwarded if forwarded in _DEFAULT_PORTS else request.scheme
    return origin_of(f"{scheme}://{request.host}")


class WriteGuard:
    """Checks write requests; ``refused`` counts refusals by reason (every reason present, from 0)."""

    def __init__(self, basic_auth: tuple[str, str] | None, refused: Counter[str] | None = None) -> None:
        self._auth = basic_auth
        self._secret = secrets.token_bytes(32)
        self.refused: Counter[str] = refused if refused is not None else Counter()
        for reason in REASONS:
            self.refused.setdefault(reason, 0)

    def __repr__(self) -> str:
        return f"WriteGuard(enabled={self.enabled})"

    @property
    def enabled(self) -> bool:
        """True when writes are possible at all (Basic auth is configured)."""
        return self._auth is not None

    def token(self) -> str | None:
        """The form token of the configured user; None when writes are off."""
        if self._auth is None:
            return None
        return self._token_of(self._auth[0])

    def _token_of(self, user: str) -> str:
        return hmac.new(self._secret, b"camfleet-write\0" + user.encode("utf-8"), hashlib.sha256).hexdigest()

    async def check(self, request: web.Request) -> tuple[str, Any]:
        """The authenticated user and the posted form, or an ``HTTPException`` after logging and counting why."""
        sent, presented, password = _presented(request)
        user = presented or "anonymous"  # who, for the log
        if request.method != "POST":
            self._refuse(request, user, "method", web.HTTPMethodNotAllowed(request.method, ["POST"],
                         text="writes are POST only\n"))  # fmt: skip
        if self._auth is None:
            self._refuse(request, user, "disabled", web.HTTPForbidden(text=f"writing is off: {HOW_TO_ENABLE}\n"))
        challenge = {"WWW-Authenticate": 'Basic realm="camfleet"'}
        if not sent:
            self._refuse(request, user, "no_credentials", web.HTTPUnauthorized(headers=challenge))
        given = f"{presented}:{password}".encode()
        expected = f"{self._auth[0]}:{self._auth[1]}".encode()
        if presented is None or not hmac.compare_digest(given, expected):
            self._refuse(request, user, "wrong_credentials", web.HTTPUnauthorized(headers=challenge))
        claimed = request.headers.get("Origin")
        if claimed is None:
            claimed = request.headers.get("Referer")
        own = own_origin(request)
        if claimed is None or own is None or origin_of(claimed) != own:
            self._refuse(request, user, "cross_site", web.HTTPForbidden(text="cross-site request refused\n"))
        form = await request.post()
        token = form.get("token")
        if not isinstance(token, str) or not hmac.compare_digest(token.encode(), self._token_of(user).encode()):
            self._refuse(
                request, user, "token", web.HTTPForbidden(text="form token missing or stale: reload the page\n")
            )
        return user, form

    def refuse(self, request: web.BaseRequest, user: str, reason: str, exc: web.HTTPException) -> NoReturn:
        """Log and count a refusal for ``reason`` (one of ``REASONS``), then raise ``exc``."""
        self._refuse(request, user, reason, exc)

    def _refuse(self, request: web.BaseRequest, user: str, reason: str, exc: web.HTTPException) -> NoReturn:
        self.refused[reason] += 1
        who, remote = _printable(user), request.remote or "unknown"
        log.warning(
            f"refused a web write by {who} from {remote}: {reason}",
            extra={
                "user": who, "remote": remote, "method": request.method, "path": _printable(request.path, 200),
                "origin": _printable(request.headers.get("Origin", ""), 200),
                "referer": _printable(request.headers.get("Referer", ""), 200), "reason": reason,
                "status": exc.status,
            },
        )  # fmt: skip
        raise exc
