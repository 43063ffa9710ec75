"""Approving baselines on /review, and the guard of that write, over real sockets on 127.0.0.1.

A running service (SQLite store, Basic auth, no simulated fleet: the poller only finds its cameras offline)
is asked to approve without credentials, with wrong ones, with GET, from another site and without or with a
wrong form token: each is refused with its status, logged at warning with the user presented, the remote
address and the reason, counted on /metrics, and nothing reaches the database. The right request stores the
approval as ``camfleet baseline approve`` does, with the authenticated user as who. Without Basic auth the
page shows the buttons disabled and every write is refused. Hostile camera, town and village names stay
inert in the forms and round-trip exactly.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from escaping_helpers import Parsed, assert_inert, hostile
from service_helpers import GROUP, camera_rows, free_port, write_inventory
from system_helpers import need

from camfleet.config import CamfleetConfig
from camfleet.config.load import check_files
from camfleet.errors import ConfigError
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import validate_file
from camfleet.model import BaselineReview, BaselineState, CameraState, Status
from camfleet.service.app import Service
from camfleet.service.review import ReviewViews
from camfleet.service.views import Inventory
from camfleet.web import WebDeps, make_app
from camfleet.web.guard import origin_of

NET = 197  # cameras C197-0..5 on 127.40.197.x (nothing listens there): 东岭村 has the even ones, 西河村 the odd
USER, PASSWORD = "ops", "web-Pass-7xq"
TIMEOUT = aiohttp.ClientTimeout(total=15)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def basic(user: str, password: str) -> str:
    """An ``Authorization`` header value for Basic auth."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def fill(url: str) -> None:
    """C197-0 and -2 doubtful, -1 and -4 provisional, -3 approved, -5 without a review."""
    now = time.time()
    with Store(url) as store:
        store.put_reviews([
            BaselineReview("C197-0", BaselineState.DOUBTFUL, "covered", now - 3600, None, now),
            BaselineReview("C197-2", BaselineState.DOUBTFUL, "spray", now - 1800, None, now),
            BaselineReview("C197-1", BaselineState.PROVISIONAL, "learned from 3 pictures", now - 600, None, now),
            BaselineReview("C197-4", BaselineState.PROVISIONAL, "learned from 3 pictures", now - 600, None, now),
            BaselineReview("C197-3", BaselineState.APPROVED, "approved by 李工", now - 600, None, now),
        ])  # fmt: skip


@dataclass
class Running:
    """A started service and what a test needs of it."""

    svc: Service
    base: str
    url: str  # the database

    def approvals(self) -> list[tuple[str, str, str]]:
        """(camera, by, note) of every approval stored."""
        with Store(self.url) as store:
            return [(a.camera_id, a.by, a.note) for a in store.approvals()]


@contextlib.asynccontextmanager
async def running(tmp_path: Path, *, auth: bool) -> AsyncIterator[Running]:
    """The service over a filled SQLite store, with or without Basic auth."""
    inventory = write_inventory(tmp_path / "district.csv", camera_rows(6, NET))
    url = f"sqlite:///{tmp_path / 'c.db'}"
    import_inventory(url, validate_file(inventory))
    fill(url)
    web: dict[str, str] = {}
    if auth:
        (tmp_path / "web.pass").write_text(PASSWORD + "\n", encoding="utf-8")
        web = {"basic_auth_user": USER, "basic_auth_password_file": str(tmp_path / "web.pass")}
    cfg = CamfleetConfig.model_validate({
        "database": {"url": url, "write_interval_s": 0.5},
        "credentials": {"file": str(tmp_path / "district.credentials.toml")},
        "poller": {"liveness_interval_s": 30.0, "call_timeout_s": 1.0, "connect_timeout_s": 0.5},
        "vision": {"enabled": False},
        "web": web,
    })  # fmt: skip
    svc = Service(cfg, listen=f"127.0.0.1:{free_port()}", configure_logging=False)
    try:
        await svc.start()
        assert svc.bound is not None
        yield Running(svc, f"http://{svc.bound[0]}:{svc.bound[1]}", url)
    finally:
        await svc.stop()


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Running]:
    """The service with Basic auth (user ``ops``)."""
    async with running(tmp_path, auth=True) as svc:
        yield svc


@pytest.fixture
async def open_service(tmp_path: Path) -> AsyncIterator[Running]:
    """The service with no Basic auth configured."""
    async with running(tmp_path, auth=False) as svc:
        yield svc


async def page_token(session: aiohttp.ClientSession, base: str) -> str:
    """The form token of the /review page, as a browser would read it."""
    async with session.get(f"{base}/review", headers={"Authorization": basic(USER, PASSWORD)}) as reply:
        assert reply.status == 200
        html = await reply.text()
    found = re.search(r'name="token" value="([0-9a-f]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def refusals(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The warnings the web app logged about refused writes: user, remote, reason, origin, referer, status."""
    keys = ("user", "remote", "reason", "origin", "referer", "status", "method")
    return [
        {k: getattr(r, k, None) for k in keys}
        for r in caplog.records
        if r.name == "camfleet.web" and r.levelno == logging.WARNING
    ]


async def test_every_guarded_write_is_refused_logged_counted_and_changes_nothing(
    service: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """GET (405), no credentials and wrong ones (401), a foreign or ``null`` Origin, a foreign Referer, neither,
    another port (403 cross_site), no token and a wrong one (403 token) and an unknown camera (400): each is
    refused with that status, logged at warning with the user presented (``anonymous`` without credentials),
    the remote address 127.0.0.1, the Origin or Referer and the reason; /metrics counts each reason; no
    approval is stored; neither the password nor the form token shows in a log record or on /metrics."""
    caplog.set_level(logging.INFO, logger="camfleet")
    base, own = service.base, service.base
    other_port = origin_of(base.rsplit(":", 1)[0] + ":1")
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        token = await page_token(session, base)
        good = {"Authorization": basic(USER, PASSWORD), "Origin": own}
        form = {"token": token, "camera": "C197-0", "note": "looks right"}
        cases: list[tuple[str, str, dict[str, str], dict[str, str], int, str, str]] = [
            # (what, method, headers, form, status, reason, user logged)
            ("GET", "GET", good, {}, 405, "method", USER),
            ("no credentials", "POST", {"Origin": own}, form, 401, "no_credentials", "anonymous"),
            ("wrong password", "POST", {**good, "Authorization": basic(USER, "guess-1234")}, form, 401,
             "wrong_credentials", USER),
            ("wrong user", "POST", {**good, "Authorization": basic("mallory", PASSWORD)}, form, 401,
             "wrong_credentials", "mallory"),
            ("not Basic auth", "POST", {**good, "Authorization": "Basic %%%"}, form, 401, "wrong_credentials",
             "anonymous"),
            ("foreign Origin", "POST", {**good, "Origin": "http://evil.example"}, form, 403, "cross_site", USER),
            ("null Origin", "POST", {**good, "Origin": "null"}, form, 403, "cross_site", USER),
            ("another port", "POST", {**good, "Origin": str(other_port)}, form, 403, "cross_site", USER),
            ("foreign Referer", "POST", {"Authorization": good["Authorization"],
             "Referer": "http://evil.example/review"}, form, 403, "cross_site", USER),
            ("neither Origin nor Referer", "POST", {"Authorization": good["Authorization"]}, form, 403, "cross_site",
             USER),
            ("no token", "POST", good, {"camera": "C197-0"}, 403, "token", USER),
            ("wrong token", "POST", good, {**form, "token": token[:-1] + ("0" if token[-1] != "0" else "1")}, 403,
             "token", USER),
            ("unknown camera", "POST", good, {**form, "camera": "C999"}, 400, "invalid", USER),
            ("unknown village", "POST", good, {"token": token, "town": "青石镇", "village": "无名村"}, 400, "invalid",
             USER),
        ]  # fmt: skip
        for what, method, headers, data, status, reason, user in cases:
            caplog.clear()
            async with session.request(
                method, f"{base}/review/approve", headers=headers, data=data or None, allow_redirects=False
            ) as reply:
                assert reply.status == status, (what, reply.status, await reply.text())
                if status == 401:
                    assert reply.headers.get("WWW-Authenticate") == 'Basic realm="camfleet"', what
            logged = refusals(caplog)
            assert len(logged) == 1, (what, logged)
            assert logged[0]["reason"] == reason and logged[0]["user"] == user, (what, logged)
            assert logged[0]["remote"] == "127.0.0.1" and logged[0]["status"] == status, (what, logged)
            assert logged[0]["method"] == method, (what, logged)
            assert logged[0]["origin"] == headers.get("Origin", ""), (what, logged)
            assert logged[0]["referer"] == headers.get("Referer", ""), (what, logged)
            for record in caplog.records:
                text = record.getMessage() + repr(vars(record))
                assert PASSWORD not in text and token not in text, what
        assert service.approvals() == []
        async with session.get(f"{base}/metrics", headers={"Authorization": basic(USER, PASSWORD)}) as reply:
            metrics = await reply.text()
    want = {"method": 1, "no_credentials": 1, "wrong_credentials": 3, "cross_site": 5, "token": 2, "invalid": 2,
            "disabled": 0}  # fmt: skip
    for reason, n in want.items():
        assert f'camfleet_web_write_refused_total{{reason="{reason}"}} {n}.0' in metrics, reason
    assert PASSWORD not in metrics and token not in metrics


async def test_the_right_request_approves_as_the_cli_does(service: Running, caplog: pytest.LogCaptureFixture) -> None:
    """With the password, the page's own Origin and its token, approving one camera stores it with the
    authenticated user as who and the note, answers 303 back to /review, and is logged with who and where;
    a village's button (posted with a same-site Referer and no Origin, as some browsers do) approves every
    camera of that village awaiting review and nothing else (approved C197-3 and other villages stay out);
    behind a TLS proxy (``X-Forwarded-Proto: https``) the https Origin of the proxy's host is accepted. The
    page then marks the approved cameras as waiting for the poller."""
    caplog.set_level(logging.INFO, logger="camfleet")
    base = service.base
    auth = {"Authorization": basic(USER, PASSWORD)}
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        token = await page_token(session, base)
        async with session.post(
            f"{base}/review/approve", headers={**auth, "Origin": base},
            data={"token": token, "camera": "C197-1", "note": "村委会确认: 朝向正确"}, allow_redirects=False,
        ) as reply:  # fmt: skip
            assert reply.status == 303 and reply.headers["Location"] == "/review"
        assert service.approvals() == [("C197-1", USER, "村委会确认: 朝向正确")]
        done = [r for r in caplog.records if r.name == "camfleet.web" and r.levelno == logging.INFO]
        assert len(done) == 1 and done[0].user == USER and done[0].remote == "127.0.0.1"  # type: ignore[attr-defined]
        assert done[0].cameras == "C197-1"  # type: ignore[attr-defined]
        async with session.post(
            f"{base}/review/approve", headers={**auth, "Referer": f"{base}/review"},
            data={"token": token, "town": "青石镇", "village": "东岭村"}, allow_redirects=False,
        ) as reply:  # fmt: skip
            assert reply.status == 303
        # 东岭村 holds the even cameras: C197-0 and -2 doubtful, -4 provisional (ordered doubtful first).
        assert service.approvals()[1:] == [("C197-0", USER, ""), ("C197-2", USER, ""), ("C197-4", USER, "")]
        async with session.post(
            f"{base}/review/approve",
            headers={**auth, "Host": "camfleet.example", "X-Forwarded-Proto": "https",
                     "Origin": "https://camfleet.example"},
            data={"token": token, "camera": "C197-5"}, allow_redirects=False,
        ) as reply:  # fmt: skip
            assert reply.status == 303, await reply.text()
        async with session.post(
            f"{base}/review/approve", headers={**auth, "Host": "camfleet.example", "Origin": "https://camfleet.example"},
            data={"token": token, "camera": "C197-5"}, allow_redirects=False,
        ) as reply:  # fmt: skip
            assert reply.status == 403  # the same Origin without the proxy's word on the scheme
        assert [a[0] for a in service.approvals()] == ["C197-1", "C197-0", "C197-2", "C197-4", "C197-5"]
        async with session.get(f"{base}/review", headers=auth) as reply:
            html = await reply.text()
    assert html.count("已批准, 待生效 approved, waiting for the poller") == 4  # C197-5 has no review: not shown


async def test_without_basic_auth_writing_is_off(open_service: Running, caplog: pytest.LogCaptureFixture) -> None:
    """With no Basic auth configured the read-only pages stay open, the page shows its approve buttons
    disabled, carries no token and says in one line how to enable them; a POST, even with credentials, the
    page's Origin and a made-up token, is refused 403 (reason ``disabled``), logged, and stores nothing."""
    caplog.set_level(logging.INFO, logger="camfleet")
    base = open_service.base
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        async with session.get(f"{base}/review") as reply:
            assert reply.status == 200
            html = await reply.text()
        page = Parsed(html)
        buttons = [a for a in page.attrs if a[0] == "button"]
        assert ("button", "disabled", "") in buttons and 'name="token"' not in html
        assert "configure [web] basic_auth_user and basic_auth_password_file" in html
        async with session.post(
            f"{base}/review/approve", headers={"Authorization": basic(USER, PASSWORD), "Origin": base},
            data={"token": "0" * 64, "camera": "C197-0"}, allow_redirects=False,
        ) as reply:  # fmt: skip
            assert reply.status == 403 and "basic_auth_user" in await reply.text()
    logged = refusals(caplog)
    assert [(x["reason"], x["user"], x["remote"]) for x in logged] == [("disabled", USER, "127.0.0.1")]
    assert open_service.approvals() == []


async def test_hostile_names_stay_inert_in_the_forms_and_round_trip(tmp_path: Path) -> None:
    """A camera, town and village whose names carry markup and quotes: the /review page with its approve forms
    has no script and no event attribute, shows each name whole, puts each whole into its form's hidden field;
    posting the camera's form and the village's form back as a browser would approves exactly that camera
    (stored under its hostile id, twice: once by id, once as the village's only camera awaiting review)."""
    town, village, camera = hostile("甲镇"), hostile("乙村"), hostile("戊机")
    row = {
        "town": town, "village": village, "point_id": "P1", "point_name": "村口", "lat": "30.1", "lon": "120.1",
        "program": "一村一探头", "point_status": "accepted", "installed_on": "2025-05-01", "camera_id": camera,
        "host": "127.40.197.100", "port": "8080", "credential": GROUP, "uplink": "",
    }  # fmt: skip
    url = f"sqlite:///{tmp_path / 'c.db'}"
    import_inventory(url, validate_file(write_inventory(tmp_path / "district.csv", [row])))
    now = time.time()
    store = Store(url)
    store.put_reviews([BaselineReview(camera, BaselineState.DOUBTFUL, "covered", now - 60, None, now)])
    points, cameras, _ = store.load_inventory()
    views = ReviewViews(store)
    states = {camera: CameraState(camera, Status.CANNOT_JUDGE)}

    async def unused(_: object = None) -> dict[str, object]:
        return {}

    deps = WebDeps(
        metrics=unused, coverage_html=unused, coverage_json=unused, cameras=list, camera=lambda _: None,  # type: ignore[arg-type]
        ready=lambda: True, basic_auth=(USER, PASSWORD),
        review_html=lambda token: views.html(lambda: states, Inventory(points, cameras), "审核", token),
        review_picture=views.picture, review_approve=views.approve,
    )  # fmt: skip
    server = TestServer(make_app(deps), host="127.0.0.1")
    await server.start_server()
    auth = {"Authorization": basic(USER, PASSWORD)}
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT, headers=auth) as session:
            async with session.get(server.make_url("/review")) as reply:
                html = await reply.text()
            assert_inert(html, {"town": town, "village": village, "camera": camera})
            forms = _forms(html)
            assert [f for f in forms if f.get("camera") == camera], forms
            assert [f for f in forms if f.get("town") == town and f.get("village") == village], forms
            origin = str(server.make_url("/")).rstrip("/")
            for form in forms:
                async with session.post(
                    server.make_url("/review/approve"), headers={"Origin": origin}, data=form, allow_redirects=False
                ) as reply:
                    assert reply.status == 303, await reply.text()
        assert [(a.camera_id, a.by) for a in store.approvals()] == [(camera, USER), (camera, USER)]
    finally:
        await server.close()
        store.close()


class _Forms(HTMLParser):
    """The hidden fields of each form of a page, character references decoded, as a browser posts them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, str]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({})
        elif tag == "input" and self.forms and found.get("type") == "hidden":
            self.forms[-1][found["name"]] = found.get("value", "")


def _forms(html: str) -> list[dict[str, str]]:
    """The hidden fields of each form of a page."""
    return _Forms(html).forms


class Browser:
    """Headless Chromium driven over the DevTools protocol (a websocket on 127.0.0.1): one page, with Basic
    auth sent as an extra header, as a browser does once the person has typed the password."""

    def __init__(self, proc: asyncio.subprocess.Process, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.proc, self.ws, self.next_id = proc, ws, 0
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command; its result (events that arrive meanwhile are kept)."""
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            message = await asyncio.wait_for(self.ws.receive_json(), 30)
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    async def loaded(self, action: Any) -> None:
        """Run ``action`` (a coroutine) and wait for the page it leads to to finish loading."""
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        await action
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(await asyncio.wait_for(self.ws.receive_json(), 30))

    async def text(self) -> str:
        """The text of the page shown now."""
        found = await self.call("Runtime.evaluate", expression="document.body.innerText", returnByValue=True)
        return str(found["result"]["value"])


@contextlib.asynccontextmanager
async def chromium(tmp_path: Path, session: aiohttp.ClientSession) -> AsyncIterator[Browser]:
    """Start headless Chromium with a DevTools port and attach to its page."""
    need(CHROMIUM, "Debian package chromium is not installed")
    profile = tmp_path / "chromium"
    proc = await asyncio.create_subprocess_exec(
        CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
        "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (profile / "DevToolsActivePort").exists():
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port"
            await asyncio.sleep(0.2)
        port = (profile / "DevToolsActivePort").read_text().split()[0]
        async with session.get(f"http://127.0.0.1:{port}/json/list") as reply:
            page = next(t for t in await reply.json() if t["type"] == "page")
        async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            browser = Browser(proc, ws)
            await browser.call("Page.enable")
            await browser.call("Network.enable")
            await browser.call("Network.setExtraHTTPHeaders", headers={"Authorization": basic(USER, PASSWORD)})
            yield browser
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


@pytest.mark.timeout(240)
async def test_a_real_browser_approves_from_the_page_and_is_refused_from_another_site(
    service: Running, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Headless Chromium opens /review, types a note and presses C197-1's approve button: the approval is
    stored with the user and note and the browser lands on /review again, showing it as waiting for the poller
    (so the page's own form passes the guard as a browser really posts it: Origin from the same-origin
    referrer policy, token from the page). A page of another origin (another port) that posts the same form,
    even with the real token and the browser's credentials, is refused as cross_site and nothing is stored."""
    caplog.set_level(logging.INFO, logger="camfleet")
    base = service.base
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session, chromium(tmp_path, session) as browser:
        await browser.loaded(browser.call("Page.navigate", url=f"{base}/review"))
        press = """(() => { const form = [...document.querySelectorAll('form.approve')]
              .find(f => f.querySelector('input[name=camera]')?.value === 'C197-1');
            form.querySelector('input[name=note]').value = '浏览器批准';
            form.querySelector('button').click(); })()"""
        await browser.loaded(browser.call("Runtime.evaluate", expression=press))
        assert service.approvals() == [("C197-1", USER, "浏览器批准")]
        assert "已批准, 待生效" in await browser.text()
        token = await page_token(session, base)

        async def evil(_: web.Request) -> web.Response:
            form = (f'<form method="post" action="{base}/review/approve"><input type="hidden" name="token" '
                    f'value="{token}"><input type="hidden" name="camera" value="C197-4"></form>'
                    "<script>document.forms[0].submit()</script>")  # fmt: skip
            return web.Response(text=form, content_type="text/html")

        other = web.Application()
        other.router.add_get("/", evil)
        server = TestServer(other, host="127.0.0.1")
        await server.start_server()
        elsewhere = str(server.make_url("/")).rstrip("/")
        try:
            caplog.clear()
            await browser.loaded(browser.call("Page.navigate", url=f"{elsewhere}/"))
            deadline = time.monotonic() + 30
            while not refusals(caplog) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
        finally:
            await server.close()
    logged = refusals(caplog)
    assert [(x["reason"], x["user"], x["origin"]) for x in logged] == [("cross_site", USER, elsewhere)]
    assert service.approvals() == [("C197-1", USER, "浏览器批准")]


async def test_an_empty_web_password_file_is_refused(tmp_path: Path) -> None:
    """A Basic auth password file holding only white space would let anyone who knows the user name write:
    ``config check`` names it, and the service refuses to start with the key named (nothing listens)."""
    (tmp_path / "web.pass").write_text(" \n", encoding="utf-8")
    cfg = CamfleetConfig.model_validate({
        "database": {"url": f"sqlite:///{tmp_path / 'c.db'}"},
        "web": {"basic_auth_user": USER, "basic_auth_password_file": str(tmp_path / "web.pass")},
    })  # fmt: skip
    problems, _ = check_files(cfg)
    assert problems == [f"web.basic_auth_password_file: {tmp_path / 'web.pass'}: empty (an empty password would "
                        "let anyone write)"]  # fmt: skip
    svc = Service(cfg, listen=f"127.0.0.1:{free_port()}", configure_logging=False)
    with pytest.raises(ConfigError, match=re.escape("web.basic_auth_password_file: empty")):
        await svc.start()
    assert svc.bound is None
    await svc.stop()
