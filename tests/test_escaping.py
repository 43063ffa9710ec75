"""Markup, quotes and Chinese in every inventory field and every camera-supplied string stay text.

Each field gets its own value: a Chinese label (so each field can be found, and is percent-encoded in URLs)
followed by one payload that breaks out of text and of both kinds of attribute quotes. The inventory goes
through the real importer into SQLite; the coverage page, the /review page and the JSON API are served by
the real views over a socket on 127.0.0.1. A page is inert when an HTML parser finds no script element and
no event-handler attribute, and finds every field's value whole, as text or as an attribute value.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import cv2
import numpy as np
from aiohttp.test_utils import TestServer
from escaping_helpers import Parsed, assert_inert, hostile
from service_helpers import GROUP, write_inventory

from camfleet.inventory.importer import import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import validate_file
from camfleet.model import (
    BaselineReview,
    BaselineState,
    CameraClaim,
    CameraState,
    DeviceIdentity,
    Evidence,
    Reason,
    Status,
    Transition,
)
from camfleet.runtime.camera_json import camera_json
from camfleet.service.review import ReviewViews
from camfleet.service.views import CoverageViews, Inventory
from camfleet.web import WebDeps, make_app

#: Inventory fields, as the planners' spreadsheet gives them.
TOWN, VILLAGE, POINT, POINT_NAME, CAMERA, PROGRAM, UPLINK = (
    hostile(x) for x in ("甲镇", "乙村", "丙点", "丁名", "戊机", "己项", "庚联")
)
#: What the camera (or the poller about the camera) says: verdict detail, identity, events error, review reason.
DETAIL, VENDOR, MODEL, FIRMWARE, SERIAL, EVENTS_ERROR, REVIEW_REASON = (
    hostile(x) for x in ("辛详", "壬商", "癸型", "子固", "丑序", "寅错", "卯因")
)
INVENTORY = {"town": TOWN, "village": VILLAGE, "point": POINT, "point name": POINT_NAME, "camera": CAMERA,
             "program": PROGRAM}  # fmt: skip


def _setup(tmp_path: Path) -> tuple[Store, Inventory, dict[str, CameraState]]:
    """The hostile inventory imported for real, a history, a doubtful baseline, and the camera's live state."""
    row = {
        "town": TOWN, "village": VILLAGE, "point_id": POINT, "point_name": POINT_NAME, "lat": "30.1", "lon": "120.1",
        "program": PROGRAM, "point_status": "accepted", "installed_on": "2025-05-01", "camera_id": CAMERA,
        "host": "127.40.250.1", "port": "8080", "credential": GROUP, "uplink": UPLINK,
    }  # fmt: skip
    url = f"sqlite:///{tmp_path / 'c.db'}"
    import_inventory(url, validate_file(write_inventory(tmp_path / "district.csv", [row])))
    now = time.time()
    store = Store(url)
    store.append_transitions([
        Transition(CAMERA, now - 7200, Status.UNKNOWN, Status.OK),
        Transition(CAMERA, now - 3600, Status.OK, Status.COVERED, Reason.NONE, DETAIL),
    ])  # fmt: skip
    # With its doubtful picture, so the camera id is also written into an attribute (the picture's alt text).
    picture = cv2.imencode(".jpg", np.full((90, 160, 3), 128, np.uint8))[1].tobytes()
    store.put_reviews([BaselineReview(CAMERA, BaselineState.DOUBTFUL, REVIEW_REASON, now - 600, picture, now)])
    # ... and the evidence of its fault: the written report shows it in the repair list, the camera id as alt text.
    store.put_evidence([Evidence(CAMERA, now - 3600, Status.COVERED, thumbnail=picture)])
    points, cameras, _ = store.load_inventory()
    state = CameraState(
        CAMERA, Status.COVERED, Reason.NONE, DETAIL, since=now - 3600, last_probe_at=now - 5,
        identity=DeviceIdentity(VENDOR, MODEL, FIRMWARE, SERIAL), camera_events=CameraClaim(error=EVENTS_ERROR),
    )  # fmt: skip
    store.save_states([state])
    return store, Inventory(points, cameras), {CAMERA: state}


async def _serve(store: Store, inventory: Inventory, states: dict[str, CameraState]) -> TestServer:
    """The web app with the service's real coverage, review and camera views, on 127.0.0.1."""
    coverage, review = CoverageViews(store), ReviewViews(store)
    targets = {t.camera_id: t for t in store.load_targets()}

    async def metrics(_: object) -> aiohttp.web.Response:
        return aiohttp.web.Response(text="")

    async def villages(town: str | None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (await coverage.json(lambda: states, inventory, town))["villages"]
        return found

    deps = WebDeps(
        metrics=metrics,
        coverage_html=lambda town: coverage.html(lambda: states, inventory, town, hostile("辰题")),
        coverage_json=lambda town: coverage.json(lambda: states, inventory, town),
        cameras=lambda: [camera_json(t, states.get(cid)) for cid, t in sorted(targets.items())],
        camera=lambda cid: camera_json(targets[cid], states.get(cid)) if cid in targets else None,
        ready=lambda: True,
        villages=villages,
        review_html=lambda token: review.html(lambda: states, inventory, hostile("巳题"), token),
        review_picture=review.picture,
    )
    server = TestServer(make_app(deps), host="127.0.0.1")
    await server.start_server()
    return server


async def _get(session: aiohttp.ClientSession, server: TestServer, path: str, **params: str) -> tuple[str, str]:
    async with session.get(server.make_url(path), params=params) as reply:
        assert reply.status == 200, (path, reply.status, await reply.text())
        return reply.content_type, await reply.text()


async def test_coverage_and_review_pages_show_hostile_names_as_text(tmp_path: Path) -> None:
    """The coverage page (whole district, and filtered by the hostile town) shows town, village, point, point
    name, camera, programme, the camera's detail and the page title as text; an unknown hostile town is named
    back as plain text and as JSON; the /review page shows camera, town, village, point, the review reason, the
    camera's detail and its title as text, the camera id also as its picture's alt text. Nothing runs."""
    store, inventory, states = _setup(tmp_path)
    server = await _serve(store, inventory, states)
    try:
        async with aiohttp.ClientSession() as session:
            for params in ({}, {"town": TOWN}):
                kind, page = await _get(session, server, "/coverage", **params)
                assert kind == "text/html"
                assert_inert(page, {**INVENTORY, "detail": DETAIL, "title": hostile("辰题")})
            # An unknown town is named back in plain text (never as HTML) and in JSON, unchanged.
            nowhere = hostile("午镇")
            async with session.get(server.make_url("/coverage"), params={"town": nowhere}) as reply:
                assert (reply.status, reply.content_type) == (404, "text/plain")
                assert await reply.text() == f"unknown town: {nowhere}"
            async with session.get(server.make_url("/api/coverage"), params={"town": nowhere}) as reply:
                assert (reply.status, reply.content_type) == (404, "application/json")
                assert json.loads(await reply.text()) == {"error": f"unknown town: {nowhere}"}
            kind, page = await _get(session, server, "/review")
            assert kind == "text/html"
            shown = {k: INVENTORY[k] for k in ("town", "village", "point", "camera")}
            assert_inert(page, {**shown, "review reason": REVIEW_REASON, "detail": DETAIL, "title": hostile("巳题")})
            alts = [value for tag, name, value in Parsed(page).attrs if (tag, name) == ("img", "alt")]
            assert alts == [f"{CAMERA} latest"]
    finally:
        await server.close()
        store.close()


async def test_json_api_round_trips_hostile_text_exactly(tmp_path: Path) -> None:
    """/api/cameras, /api/cameras/{id} (the id percent-encoded), /api/coverage (also filtered by the hostile
    town) and /api/villages answer valid JSON whose strings are exactly what the inventory and the camera
    said: town, village, point, point name, camera, programme, uplink, detail, vendor, model, firmware,
    serial and the events error."""
    store, inventory, states = _setup(tmp_path)
    server = await _serve(store, inventory, states)
    expected = {
        "id": CAMERA, "town": TOWN, "village": VILLAGE, "point": POINT, "program": PROGRAM, "uplink": UPLINK,
        "detail": DETAIL, "vendor": VENDOR, "model": MODEL, "firmware": FIRMWARE, "serial": SERIAL,
    }  # fmt: skip
    try:
        async with aiohttp.ClientSession() as session:
            kind, body = await _get(session, server, "/api/cameras")
            assert kind == "application/json"
            (listed,) = json.loads(body)["cameras"]
            _, body = await _get(session, server, "/api/cameras/" + quote(CAMERA, safe=""))
            one = json.loads(body)
            for camera in (listed, one):
                assert {k: camera[k] for k in expected} == expected
                assert camera["camera_events"]["error"] == EVENTS_ERROR
            for params in ({}, {"town": TOWN}):
                kind, body = await _get(session, server, "/api/coverage", **params)
                assert kind == "application/json"
                doc = json.loads(body)
                assert [(v["town"], v["village"]) for v in doc["villages"]] == [(TOWN, VILLAGE)]
                assert [t["name"] for t in doc["towns"]] == [TOWN]
                (point,) = doc["points"]
                assert (point["point_id"], point["point_name"]) == (POINT, POINT_NAME)
                assert [c["camera_id"] for c in point["cameras"]] == [CAMERA]
                assert PROGRAM in doc["district"]["by_program"]
            _, body = await _get(session, server, "/api/villages", town=TOWN)
            assert [(v["town"], v["village"]) for v in json.loads(body)["villages"]] == [(TOWN, VILLAGE)]
    finally:
        await server.close()
        store.close()


def test_written_reports_keep_hostile_text_inert(tmp_path: Path) -> None:
    """``camfleet coverage`` from the stored data: the HTML file (repair list with the evidence picture, whose
    alt text is the camera id) shows every inventory field and the detail as text; the JSON and the CSV give the
    town and village back exactly."""
    store, _inventory, _states = _setup(tmp_path)
    store.close()
    url = f"sqlite:///{tmp_path / 'c.db'}"
    env = {**os.environ, "CAMFLEET_DATABASE_URL": url, "CAMFLEET_CONFIG": str(tmp_path / "none.toml")}
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    out: dict[str, bytes] = {}
    for fmt in ("html", "json", "csv"):
        target = tmp_path / f"report.{fmt}"
        done = subprocess.run(
            [sys.executable, "-m", "camfleet.cli", "coverage", "--format", fmt, "--output", str(target)],
            capture_output=True, text=True, timeout=120, env=env,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        out[fmt] = target.read_bytes()
    page = out["html"].decode("utf-8")
    assert_inert(page, {**INVENTORY, "detail": DETAIL})
    alts = [value for tag, name, value in Parsed(page).attrs if (tag, name) == ("img", "alt")]
    assert alts == [CAMERA]
    doc = json.loads(out["json"])
    assert [(v["town"], v["village"]) for v in doc["villages"]] == [(TOWN, VILLAGE)]
    rows = list(csv.reader(io.StringIO(out["csv"].decode("utf-8-sig"))))
    assert [r[:2] for r in rows[1:]] == [[TOWN, VILLAGE]]
