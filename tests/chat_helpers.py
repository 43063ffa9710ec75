"""Stand-ins for the two chat APIs the duty room's phones get alerts from, on 127.0.0.1, that check what they are
sent the way the real services do and keep every message they accept.

- 企业微信 (WeChat Work): ``GET …/cgi-bin/gettoken?corpid=&corpsecret=`` must name the test corp and secret and
  gets an access token; ``POST …/cgi-bin/message/send?access_token=`` must carry that token and a JSON body with
  ``msgtype`` text or markdown, its content, the application's ``agentid`` and ``touser`` or ``toparty``.
- 钉钉 (DingTalk) robot: ``POST /robot/send?access_token=&timestamp=&sign=`` must carry the robot's token, a
  timestamp within an hour of now and the HMAC-SHA256 signature of ``"<timestamp>\\n<secret>"`` (computed here
  independently of camfleet's code), and a JSON body ``{"msgtype": "markdown", "markdown": {title, text}}``.

A request that breaks a rule is answered with the service's error code and its problem is kept in ``problems``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CORP_ID = "wwtestcorp0001"
CORP_SECRET = "test-wechat-app-secret-not-real"
AGENT_ID = "1000002"
DING_TOKEN = "test-dingtalk-robot-token-not-real"
DING_SECRET = "SECtest-dingtalk-signing-secret-not-real"
#: WeChat Work's limit for a text message's content.
WECHAT_TEXT_LIMIT = 2048


@dataclass
class Inbox:
    """What a stand-in accepted and what it refused."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    token_calls: int = 0

    def refuse(self, problem: str, code: int) -> web.Response:
        self.problems.append(problem)
        return web.json_response({"errcode": code, "errmsg": problem})


def wechat_app(inbox: Inbox) -> web.Application:
    """The WeChat Work stand-in (API root ``/cgi-bin/``)."""
    token = "test-access-token-0001"

    async def gettoken(request: web.Request) -> web.Response:
        inbox.token_calls += 1
        q = request.query
        if q.get("corpid") != CORP_ID or q.get("corpsecret") != CORP_SECRET:
            return inbox.refuse("gettoken: wrong corpid or corpsecret", 40001)
        return web.json_response({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})

    async def send(request: web.Request) -> web.Response:
        if request.query.get("access_token") != token:
            return inbox.refuse("message/send: missing or wrong access_token", 40014)
        try:
            body = await request.json()
        except ValueError:
            return inbox.refuse("message/send: body is not JSON", 47001)
        kind = body.get("msgtype")
        content = (body.get(kind) or {}).get("content") if kind in ("text", "markdown") else None
        if not isinstance(content, str) or not content:
            return inbox.refuse(f"message/send: msgtype {kind!r} without its content", 44004)
        if kind == "text" and len(content.encode()) > WECHAT_TEXT_LIMIT:
            return inbox.refuse(f"message/send: text of {len(content.encode())} bytes", 45002)
        if str(body.get("agentid")) != AGENT_ID:
            return inbox.refuse("message/send: wrong agentid", 40056)
        if not (body.get("touser") or body.get("toparty") or body.get("totag")):
            return inbox.refuse("message/send: no touser, toparty or totag", 40031)
        inbox.messages.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "invaliduser": ""})

    app = web.Application()
    app.router.add_get("/cgi-bin/gettoken", gettoken)
    app.router.add_post("/cgi-bin/message/send", send)
    return app


def expected_sign(timestamp: str, secret: str = DING_SECRET) -> str:
    """DingTalk's signature, as its documentation computes it (base64 of HMAC-SHA256, key = secret)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), digestmod=hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def dingtalk_app(inbox: Inbox) -> web.Application:
    """The DingTalk robot stand-in (``/robot/send``)."""

    async def send(request: web.Request) -> web.Response:
        q = request.query  # aiohttp URL-decodes the query, so `sign` is compared decoded
        if q.get("access_token") != DING_TOKEN:
            return inbox.refuse("robot/send: wrong access_token", 300001)
        stamp = q.get("timestamp", "")
        if not stamp.isdigit() or abs(int(stamp) - time.time() * 1000) > 3600 * 1000:
            return inbox.refuse(f"robot/send: timestamp {stamp!r} not within an hour of now", 310000)
        if not hmac.compare_digest(q.get("sign", ""), expected_sign(stamp)):
            return inbox.refuse("robot/send: sign does not match", 310000)
        try:
            body = json.loads(await request.read())
        except ValueError:
            return inbox.refuse("robot/send: body is not JSON", 400105)
        md = body.get("markdown") if isinstance(body, dict) else None
        if body.get("msgtype") != "markdown" or not isinstance(md, dict):
            return inbox.refuse("robot/send: msgtype is not markdown", 400105)
        if not (isinstance(md.get("title"), str) and md["title"] and isinstance(md.get("text"), str) and md["text"]):
            return inbox.refuse("robot/send: markdown without title or text", 400105)
        inbox.messages.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    app = web.Application()
    app.router.add_post("/robot/send", send)
    return app


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """``app`` on a free 127.0.0.1 port for the block; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
