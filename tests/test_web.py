"""The web app: health and readiness, Basic auth, the JSON API and the coverage page, over real loopback HTTP."""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from camfleet.web import WebDeps, make_app, parse_listen


def _deps(ready: bool = True, auth: tuple[str, str] | None = None) -> WebDeps:
    async def metrics(_: web.Request) -> web.Response:
        return web.Response(text='camfleet_camera_up{camera="C1"} 1\n')

    async def coverage_html(town: str | None) -> str:
        if town == "nowhere":
            raise KeyError(town)
        return f"<html><body>覆盖率 {town or 'all'}</body></html>"

    async def coverage_json(town: str | None) -> dict[str, Any]:
        return {"district": {"coverage_rate": 1.0}, "town": town}

    cams = {"C1": {"id": "C1", "status": "ok"}}

    async def villages(town: str | None) -> list[dict[str, Any]]:
        if town == "nowhere":
            raise KeyError(town)
        return [{"town": "城关镇", "village": "东村", "covered": True}]

    return WebDeps(
        metrics=metrics,
        coverage_html=coverage_html,
        coverage_json=coverage_json,
        cameras=lambda: list(cams.values()),
        camera=cams.get,
        ready=lambda: ready,
        basic_auth=auth,
        villages=villages,
    )


async def test_endpoints_answer() -> None:
    """/-/healthy, /-/ready, /metrics, /coverage (with a town filter) and the camera API all answer as promised."""
    async with TestClient(TestServer(make_app(_deps()), host="127.0.0.1")) as client:
        assert (await client.get("/-/healthy")).status == 200
        assert (await client.get("/-/ready")).status == 200
        assert "camfleet_camera_up" in await (await client.get("/metrics")).text()
        page = await client.get("/coverage", params={"town": "城关镇"})
        assert page.status == 200 and "覆盖率 城关镇" in await page.text()
        assert (await client.get("/coverage", params={"town": "nowhere"})).status == 404
        assert (await (await client.get("/api/cameras")).json())["cameras"][0]["id"] == "C1"
        assert (await client.get("/api/cameras/C9")).status == 404
        assert (await (await client.get("/api/coverage")).json())["district"]["coverage_rate"] == 1.0
        assert (await (await client.get("/api/villages")).json())["villages"][0]["village"] == "东村"
        assert (await client.get("/api/villages", params={"town": "nowhere"})).status == 404


async def test_not_ready_is_503() -> None:
    """Before the inventory is loaded and the poller runs, /-/ready says 503 while /-/healthy stays 200."""
    async with TestClient(TestServer(make_app(_deps(ready=False)), host="127.0.0.1")) as client:
        assert (await client.get("/-/ready")).status == 503
        assert (await client.get("/-/healthy")).status == 200


async def test_basic_auth_protects_all_but_liveness() -> None:
    """With Basic auth configured, /metrics needs the right password; /-/healthy stays open."""
    deps = _deps(auth=("prom", "s3cret-scrape"))
    async with TestClient(TestServer(make_app(deps), host="127.0.0.1")) as client:
        assert (await client.get("/metrics")).status == 401
        assert (await client.get("/api/villages")).status == 401
        bad = base64.b64encode(b"prom:wrong").decode()
        assert (await client.get("/metrics", headers={"Authorization": f"Basic {bad}"})).status == 401
        good = base64.b64encode(b"prom:s3cret-scrape").decode()
        assert (await client.get("/metrics", headers={"Authorization": f"Basic {good}"})).status == 200
        assert (await client.get("/-/healthy")).status == 200


async def test_every_response_forbids_sniffing_framing_and_referrers() -> None:
    """Pages, the API, metrics, a 404 that echoes a name, a 503 and a 401 all carry ``X-Content-Type-Options:
    nosniff``, ``X-Frame-Options: DENY`` and ``Referrer-Policy: same-origin``: a browser neither reads a reflected
    name in a text 404 as HTML, nor lets another site frame the pages, nor tells other sites their address (and
    still names this site as the origin of its own forms, which the write guard requires)."""
    expected = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}
    token = base64.b64encode(b"duty:pw").decode()
    cases = (
        (_deps(), {}, ("/coverage", 200), ("/api/cameras", 200), ("/metrics", 200), ("/-/healthy", 200)),
        (_deps(), {}, ("/api/cameras/<b>C9</b>", 404), ("/no/such/page", 404)),
        (_deps(ready=False, auth=("duty", "pw")), {}, ("/coverage", 401), ("/-/ready", 401)),
        (_deps(ready=False, auth=("duty", "pw")), {"Authorization": f"Basic {token}"}, ("/-/ready", 503)),
    )
    for deps, headers, *paths in cases:
        async with TestClient(TestServer(make_app(deps), host="127.0.0.1")) as client:
            for path, status in paths:
                response = await client.get(path, headers=headers)
                assert response.status == status, path
                assert {k: response.headers.get(k) for k in expected} == expected, (path, dict(response.headers))


def test_parse_listen() -> None:
    """HOST:PORT and [v6]:PORT parse; a missing or bad port is refused with the value named."""
    assert parse_listen("127.0.0.1:9870") == ("127.0.0.1", 9870)
    assert parse_listen("[::1]:9870") == ("::1", 9870)
    for bad in ("127.0.0.1", "127.0.0.1:70000", "host:http"):
        try:
            parse_listen(bad)
        except ValueError as exc:
            assert bad in str(exc)
        else:
            raise AssertionError(f"{bad} accepted")


async def test_runbook_page_has_a_section_per_alert() -> None:
    """/runbook serves docs/runbook.md as HTML with an anchor per alert heading (the alerts' runbook_url fragments),
    raw HTML in the Markdown escaped, behind the same Basic auth as the rest."""
    import re
    from pathlib import Path

    from camfleet.web.runbook import runbook_markdown

    doc = (Path(__file__).resolve().parent.parent / "docs" / "runbook.md").read_text("utf-8")
    assert runbook_markdown() == doc, "the packaged runbook is docs/runbook.md"
    headings = re.findall(r"^## (Camfleet\w+)$", doc, re.M)
    assert len(headings) >= 20
    async with TestClient(TestServer(make_app(_deps()), host="127.0.0.1")) as client:
        page = await client.get("/runbook")
        assert page.status == 200 and page.content_type == "text/html"
        text = await page.text()
        assert set(re.findall(r'<h2 id="([^"]+)">', text)) == {h.lower() for h in headings}
        assert "村网络运营商" in text and "<script" not in text
        assert "/runbook" in await (await client.get("/")).text()
    async with TestClient(TestServer(make_app(_deps(auth=("prom", "s3cret"))), host="127.0.0.1")) as client:
        assert (await client.get("/runbook")).status == 401


async def test_evidence_picture_route() -> None:
    """/cameras/<id>/evidence.jpg serves the camera's newest evidence thumbnail as a JPEG, 404 for a camera without
    one, and 404 when the service offers no evidence at all."""
    jpeg = b"\xff\xd8\xff\xe0evidence\xff\xd9"

    async def evidence(camera_id: str) -> bytes | None:
        return jpeg if camera_id == "C1" else None

    deps = _deps()
    async with TestClient(TestServer(make_app(deps), host="127.0.0.1")) as client:
        assert (await client.get("/cameras/C1/evidence.jpg")).status == 404
    deps.evidence_picture = evidence
    async with TestClient(TestServer(make_app(deps), host="127.0.0.1")) as client:
        found = await client.get("/cameras/C1/evidence.jpg")
        assert found.status == 200 and found.content_type == "image/jpeg" and await found.read() == jpeg
        assert (await client.get("/cameras/C2/evidence.jpg")).status == 404
