"""`camfleet relay dingtalk`: Alertmanager's webhook in, a signed 钉钉 (DingTalk) robot message out.

DingTalk robots with 加签 (signing) take ``&timestamp=<ms>&sign=<base64 HMAC-SHA256 of "<ms>\\n<secret>">``
on the robot URL and a JSON body ``{"msgtype": "markdown", "markdown": {"title", "text"}}``; Alertmanager's
generic webhook can send neither. The robot URL (its access token) and the secret come from files and never
appear in a log line, an error or a reply: errors name the robot's host only.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

import aiohttp
from aiohttp import web
from pydantic import ValidationError

from camfleet.errors import ConfigError
from camfleet.relay.message import Payload, markdown

log = logging.getLogger("camfleet.relay")

#: Alertmanager's bodies are a few KiB per alert; max_alerts in the shipped config keeps them well under this.
MAX_BODY = 1024 * 1024
#: Tries per message, and the pause before each retry (Alertmanager retries a failed notification itself).
ATTEMPTS = 3
BACKOFF_S = (1.0, 3.0)
#: DingTalk's answers that a later try may cure: 130101 sending too fast (20 messages a minute per robot).
_TRANSIENT = {130101}


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature of ``timestamp_ms`` with ``secret``, URL-encoded for the query string."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def signed_url(webhook: str, secret: str, timestamp_ms: int) -> str:
    """The robot URL with ``timestamp`` and ``sign`` appended."""
    return f"{webhook}&timestamp={timestamp_ms}&sign={sign(secret, timestamp_ms)}"


def read_secret_file(path: str, what: str) -> str:
    """A one-line secret from ``path``; a clear error naming the option (never the content) otherwise."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what} {path}: cannot be read ({type(exc).__name__})") from None
    if not text or "\n" in text:
        raise ConfigError(f"{what} {path}: expected one line")
    if file.stat().st_mode & 0o077:
        raise ConfigError(f"{what} {path}: readable by others; chmod 600 {path}")
    return text


@dataclass(frozen=True)
class Robot:
    """Where and how to post: the robot URL (with its access token) and its signing secret."""

    webhook: str
    secret: str

    def __post_init__(self) -> None:
        parts = urlsplit(self.webhook)
        if parts.scheme not in ("http", "https") or not parts.hostname or "access_token=" not in parts.query:
            raise ConfigError("--webhook-file: expected the robot's URL, https://…/robot/send?access_token=…")

    @property
    def host(self) -> str:
        """The robot's host: all an error may say about where it posted."""
        return urlsplit(self.webhook).hostname or "?"

    def __repr__(self) -> str:
        return f"Robot(host={self.host!r})"


class DeliveryError(Exception):
    """The robot refused or could not be reached after every try (message names the host, never the token)."""


async def deliver(
    session: aiohttp.ClientSession,
    robot: Robot,
    body: dict[str, object],
    *,
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Post ``body`` to the robot, signing each try afresh; at most ``ATTEMPTS`` tries."""
    problem = ""
    for attempt in range(ATTEMPTS):
        if attempt:
            await sleep(BACKOFF_S[min(attempt - 1, len(BACKOFF_S) - 1)])
        try:
            async with session.post(signed_url(robot.webhook, robot.secret, now_ms()), json=body) as reply:
                raw = await reply.content.read(64 * 1024)
                if reply.status >= 500:
                    problem = f"HTTP {reply.status}"
                    continue
                if reply.status != 200:
                    raise DeliveryError(f"dingtalk robot at {robot.host}: HTTP {reply.status}")
                answer = json.loads(raw or b"{}")
        except (aiohttp.ClientError, TimeoutError, json.JSONDecodeError) as exc:
            problem = type(exc).__name__  # str(exc) may carry the URL, and with it the token
            continue
        code = answer.get("errcode", -1) if isinstance(answer, dict) else -1
        if code == 0:
            return
        problem = f"errcode {code}: {str(answer.get('errmsg', ''))[:200] if isinstance(answer, dict) else ''}"
        if code not in _TRANSIENT:
            break
    raise DeliveryError(f"dingtalk robot at {robot.host}: {problem}")


_SESSION: web.AppKey[aiohttp.ClientSession] = web.AppKey("session")


def make_app(
    robot: Robot, zone: tzinfo, web_url: str, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
) -> web.Application:
    """The relay: ``POST /alert`` takes Alertmanager's webhook JSON; ``GET /-/healthy``. ``sleep`` is the pause
    between tries (tests pass one that does not wait)."""
    app = web.Application(client_max_size=MAX_BODY)
    timeout = aiohttp.ClientTimeout(total=10, connect=3)

    async def session_ctx(app: web.Application) -> AsyncIterator[None]:
        app[_SESSION] = aiohttp.ClientSession(timeout=timeout)
        yield
        await app[_SESSION].close()

    async def alert(request: web.Request) -> web.Response:
        try:
            payload = Payload.model_validate(await request.json())
        except (ValueError, ValidationError) as exc:
            # ValidationError lists fields and types only: the body may be anything but holds no secret of ours
            detail = f"{len(exc.errors())} problem(s)" if isinstance(exc, ValidationError) else "not JSON"
            return web.json_response({"error": f"not an Alertmanager webhook body: {detail}"}, status=400)
        title, text = markdown(payload, zone, web_url)
        body: dict[str, object] = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
        try:
            await deliver(request.app[_SESSION], robot, body, sleep=sleep)
        except DeliveryError as exc:
            log.error("dingtalk delivery failed", extra={"error": str(exc), "alerts": len(payload.alerts)})
            return web.json_response({"error": str(exc)}, status=502)  # 5xx: Alertmanager tries again later
        log.info("dingtalk delivered", extra={"title": title, "alerts": len(payload.alerts)})
        return web.json_response({"delivered": len(payload.alerts)})

    async def healthy(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    app.cleanup_ctx.append(session_ctx)
    app.router.add_post("/alert", alert)
    app.router.add_get("/-/healthy", healthy)
    return app
