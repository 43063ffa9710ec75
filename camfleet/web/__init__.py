"""The aiohttp web application: /metrics, /coverage, /review, /runbook, /-/healthy, /-/ready and the JSON API.

The app knows nothing of the poller's internals: the service hands it a ``WebDeps`` of callables.
Everything that costs CPU at fleet scale (metrics rendering, coverage building) is done by those callables
off the event loop.

Every endpoint reads, except the write actions in ``WRITE_PATHS`` (``POST /review/approve``): those pass the
``WriteGuard`` (``guard.py``: authentication always, same origin, form token), which logs and counts every
refusal.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from camfleet.config.web import parse_listen
from camfleet.errors import UsageError
from camfleet.web.guard import WriteGuard
from camfleet.web.runbook import runbook_html

__all__ = ["ApproveRequest", "WebDeps", "WriteGuard", "make_app", "parse_listen"]

log = logging.getLogger("camfleet.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PICTURE_KINDS = frozenset({"latest", "reference", "learned"})
#: The write actions: the Basic auth middleware leaves them to the ``WriteGuard``, which logs who was refused.
APPROVE_PATH = "/review/approve"
WRITE_PATHS = frozenset({APPROVE_PATH})
MAX_NOTE = 500  # characters of an approval's note
MAX_NAME = 200  # characters of a camera, town or village name in a form (the database allows 64 for an id)


@dataclass(frozen=True, slots=True)
class ApproveRequest:
    """A person approving baselines on /review: these cameras, or every camera awaiting review in the village
    (of the town); ``by`` is the authenticated user."""

    cameras: tuple[str, ...]
    town: str | None
    village: str | None
    by: str
    note: str


@dataclass
class WebDeps:
    """What the web app serves, as callables provided by the service."""

    metrics: Handler
    coverage_html: Callable[[str | None], Awaitable[str]]
    coverage_json: Callable[[str | None], Awaitable[dict[str, Any]]]
    cameras: Callable[[], list[dict[str, Any]]]
    camera: Callable[[str], dict[str, Any] | None]
    ready: Callable[[], bool]
    status: Callable[[], dict[str, Any]] = field(default=lambda: {})
    villages: Callable[[str | None], Awaitable[list[dict[str, Any]]]] | None = None
    basic_auth: tuple[str, str] | None = None  # (user, password); None: open
    #: the /review page given the form token of its user (None: writing is off, the buttons are disabled)
    review_html: Callable[[str | None], Awaitable[str]] | None = None
    #: (camera id, "latest" | "reference" | "learned") -> JPEG bytes, None when there is no such picture
    review_picture: Callable[[str, str], Awaitable[bytes | None]] | None = None
    #: camera id -> its newest evidence thumbnail (JPEG, kept when a fault was confirmed), None when it has none
    evidence_picture: Callable[[str], Awaitable[bytes | None]] | None = None
    #: store an approval; returns the camera ids approved; ``UsageError`` for unknown cameras or area
    review_approve: Callable[[ApproveRequest], Awaitable[list[str]]] | None = None
    #: the guard of the write actions (None: one is made from ``basic_auth``)
    guard: WriteGuard | None = None


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(data, ensure_ascii=False, default=str),
        status=status,
        content_type="application/json",
        charset="utf-8",
    )


def _auth_middleware(user: str, password: str) -> Any:
    expected = base64.b64encode(f"{user}:{password}".encode()).decode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        # Liveness stays open so that systemd/probes need no secret (it reveals nothing). The write actions check
        # the credentials themselves, so that a refusal is logged with who and where.
        if request.path != "/-/healthy" and request.path not in WRITE_PATHS:
            header = request.headers.get("Authorization", "")
            given = header[6:] if header.startswith("Basic ") else ""
            if not hmac.compare_digest(given.encode(), expected.encode()):
                raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Basic realm="camfleet"'})
        return await handler(request)

    return middleware


#: Sent with every response, errors included: no content-type sniffing (a reflected name in a text/plain 404 stays
#: text), no framing by another site (the pages show camera pictures and names), no address of these pages sent to
#: another site. ``same-origin``, not ``no-referrer``: under ``no-referrer`` a browser posts the page's own forms
#: with ``Origin: null``, which the write guard must refuse as it refuses any other unknown origin.
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}


async def _safe_headers(_: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SAFE_HEADERS)


def make_app(deps: WebDeps) -> web.Application:
    """Build the aiohttp application serving every endpoint of camfleet."""
    middlewares = [_auth_middleware(*deps.basic_auth)] if deps.basic_auth else []
    guard = deps.guard if deps.guard is not None else WriteGuard(deps.basic_auth)
    app = web.Application(middlewares=middlewares, client_max_size=64 * 1024)
    app.on_response_prepare.append(_safe_headers)

    async def healthy(_: web.Request) -> web.Response:
        return web.Response(text="camfleet is healthy\n")

    async def ready(_: web.Request) -> web.Response:
        if deps.ready():
            return web.Response(text="camfleet is ready\n")
        return web.Response(text="camfleet is starting\n", status=503)

    async def coverage(request: web.Request) -> web.Response:
        town = request.query.get("town") or None
        try:
            html = await deps.coverage_html(town)
        except KeyError as exc:
            raise web.HTTPNotFound(text=f"unknown town: {exc.args[0] if exc.args else town}") from None
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def coverage_json(request: web.Request) -> web.Response:
        town = request.query.get("town") or None
        try:
            return _json(await deps.coverage_json(town))
        except KeyError:
            return _json({"error": f"unknown town: {town}"}, status=404)

    async def cameras(_: web.Request) -> web.Response:
        return _json({"cameras": deps.cameras()})

    async def camera(request: web.Request) -> web.Response:
        found = deps.camera(request.match_info["camera_id"])
        if found is None:
            return _json({"error": "unknown camera"}, status=404)
        return _json(found)

    async def villages(request: web.Request) -> web.Response:
        if deps.villages is None:
            return _json({"villages": []})
        town = request.query.get("town") or None
        try:
            return _json({"villages": await deps.villages(town)})
        except KeyError:
            return _json({"error": f"unknown town: {town}"}, status=404)

    async def status(_: web.Request) -> web.Response:
        return _json(deps.status())

    async def review(_: web.Request) -> web.Response:
        if deps.review_html is None:
            raise web.HTTPNotFound(text="no review page here")
        # With Basic auth on, the middleware let only the configured user this far: the token is theirs.
        html = await deps.review_html(guard.token())
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def review_approve(request: web.Request) -> web.Response:
        user, form = await guard.check(request)
        if deps.review_approve is None:
            raise web.HTTPNotFound(text="no review page here")
        cameras = tuple(v.strip() for v in form.getall("camera", []) if isinstance(v, str) and v.strip())
        town, village, note = (str(form.get(k, "")).strip() for k in ("town", "village", "note"))
        wanted = ApproveRequest(cameras, town or None, village or None, user, note)
        try:
            if len(note) > MAX_NOTE or any(len(x) > MAX_NAME for x in (*cameras, town, village)):
                raise UsageError(f"a note is at most {MAX_NOTE} characters, a name at most {MAX_NAME}")
            approved = await deps.review_approve(wanted)
        except UsageError as exc:
            guard.refuse(request, user, "invalid", web.HTTPBadRequest(text=f"nothing approved: {exc}\n"))
        log.info(
            f"approved {len(approved)} baseline(s) on the web as {user}",
            extra={"user": user, "remote": request.remote or "unknown", "cameras": ",".join(approved[:20]),
                   "count": len(approved), "town": town, "village": village, "note": note},
        )  # fmt: skip
        raise web.HTTPSeeOther("/review")

    async def review_picture(request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        if deps.review_picture is None or kind not in PICTURE_KINDS:
            raise web.HTTPNotFound(text="no such picture")
        data = await deps.review_picture(request.match_info["camera_id"], kind)
        if data is None:
            raise web.HTTPNotFound(text="no such picture")
        # Pictures change when the poller writes or a person imports: a short private cache only.
        return web.Response(body=data, content_type="image/jpeg", headers={"Cache-Control": "private, max-age=60"})

    async def evidence_picture(request: web.Request) -> web.Response:
        data = await deps.evidence_picture(request.match_info["camera_id"]) if deps.evidence_picture else None
        if data is None:
            raise web.HTTPNotFound(text="no evidence picture for this camera")
        # The camera detail dashboard shows it: a new fault's picture should appear within a minute.
        return web.Response(body=data, content_type="image/jpeg", headers={"Cache-Control": "private, max-age=60"})

    async def runbook(_: web.Request) -> web.Response:
        return web.Response(text=runbook_html(), content_type="text/html", charset="utf-8")

    async def index(_: web.Request) -> web.Response:
        links = [
            "/coverage",
            "/review",
            "/runbook",
            "/metrics",
            "/api/cameras",
            "/api/villages",
            "/api/status",
            "/-/healthy",
            "/-/ready",
        ]
        body = "".join(f'<li><a href="{link}">{link}</a></li>' for link in links)
        return web.Response(
            text=f"<!doctype html><meta charset=utf-8><title>camfleet</title><h1>camfleet</h1><ul>{body}</ul>",
            content_type="text/html",
        )

    app.router.add_get("/", index)
    app.router.add_get("/metrics", deps.metrics)
    app.router.add_get("/coverage", coverage)
    app.router.add_get("/review", review)
    app.router.add_route("*", APPROVE_PATH, review_approve)  # any method: the guard refuses and logs the rest
    app.router.add_get("/review/{camera_id}/{kind}.jpg", review_picture)
    app.router.add_get("/runbook", runbook)
    app.router.add_get("/cameras/{camera_id}/evidence.jpg", evidence_picture)
    app.router.add_get("/api/coverage", coverage_json)
    app.router.add_get("/api/cameras", cameras)
    app.router.add_get("/api/cameras/{camera_id}", camera)
    app.router.add_get("/api/villages", villages)
    app.router.add_get("/api/status", status)
    app.router.add_get("/-/healthy", healthy)
    app.router.add_get("/-/ready", ready)
    return app
