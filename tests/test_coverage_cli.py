"""``camfleet coverage`` end to end: a real database (SQLite and PostgreSQL) filled through the store."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from coverage_helpers import DAY, HOUR, district, tr
from typer.testing import CliRunner

from camfleet.cli import app
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import Inventory
from camfleet.model import BaselineReview, BaselineState, CameraState, Status


def _fill(url: str) -> float:
    """Import the hand-built district, save its states (shifted to the real clock) and c1's history:
    ok for two days, offline from 10 h ago to 4 h ago. Returns the clock used."""
    points, cams, states = district()
    import_inventory(url, Inventory("test", points, cams))
    now = time.time()
    shift = now - 1_795_708_800.0  # the helpers' NOW
    with Store(url) as store:
        store.save_states(
            [CameraState(s.camera_id, s.status, s.reason, s.detail, since=s.since + shift) for s in states.values()]
        )
        store.append_transitions(
            [
                tr("c1", now - 2 * DAY, Status.UNKNOWN, Status.OK),
                tr("c1", now - 10 * HOUR, Status.OK, Status.OFFLINE),
                tr("c1", now - 4 * HOUR, Status.OFFLINE, Status.OK),
            ]
        )
    return now


def _run(url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("CAMFLEET_DATABASE_URL", url)
    monkeypatch.delenv("CAMFLEET_CONFIG", raising=False)
    result = CliRunner().invoke(app, ["coverage", *args], terminal_width=200)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def filled(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database holding the hand-built district, and a working directory without a config file."""
    monkeypatch.chdir(tmp_path)
    _fill(db_url)
    return db_url


def test_json_from_the_database(filled: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The JSON report read through the store has the hand-computed KPIs, and 东村 was covered 18 of the
    last 24 h (its c2 is offline and c1 was down 6 h)."""
    code, out, err = _run(filled, monkeypatch, "--format", "json", "--window", "24h")
    assert code == 0, err
    data = json.loads(out)
    assert data["district"]["coverage_rate"] == 0.5 and data["district"]["villages"] == 4
    assert data["district"]["online_rate"] == round(3 / 7, 4) and data["district"]["working_rate"] == round(2 / 7, 4)
    village = {v["village"]: v for v in data["villages"]}
    assert village["东村"]["covered"] is True and village["西村"]["covered"] is None
    assert village["东村"]["availability"] == pytest.approx(0.75, abs=0.001)
    assert [v["village"] for v in data["uncovered_villages"]] == ["北村"]
    assert data["window"]["label"] == "24h"


def test_csv_html_and_table_outputs(filled: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """--output writes a BOM-prefixed CSV and a self-contained HTML file; the default table goes to stdout."""
    assert _run(filled, monkeypatch, "--format", "csv", "--output", "v.csv")[0] == 0
    raw = (tmp_path / "v.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {r[1] for r in rows[1:]} == {"东村", "西村", "南村", "北村"}
    assert _run(filled, monkeypatch, "--format", "html", "--output", "v.html")[0] == 0
    page = (tmp_path / "v.html").read_text(encoding="utf-8")
    assert "北村" in page and "https://" not in page and "<script" not in page
    code, out, _ = _run(filled, monkeypatch)
    assert code == 0 and "城关镇" in out and "北村" in out


def test_town_filter_and_unknown_town(filled: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """--town keeps that town; an unknown town is a usage error (exit 2) naming the known towns; so are a bad
    window and format."""
    code, out, _ = _run(filled, monkeypatch, "--format", "json", "--town", "河口镇")
    assert code == 0
    data = json.loads(out)
    assert {v["town"] for v in data["villages"]} == {"河口镇"} and [t["name"] for t in data["towns"]] == ["河口镇"]
    code, _, err = _run(filled, monkeypatch, "--town", "不存在镇")
    assert code == 2 and "不存在镇" in err and "城关镇, 河口镇" in err
    code, _, err = _run(filled, monkeypatch, "--window", "7y")
    assert code == 2 and "7y" in err
    code, _, err = _run(filled, monkeypatch, "--format", "pdf")
    assert code == 2 and "pdf" in err


def test_unreviewed_doubtful_cameras_in_every_format(filled: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """c3's baseline is doubtful (stored by the poller), c5's provisional: JSON says 1 unreviewed camera in
    the district, 城关镇 and 西村 (keeping every older key), CSV adds a 待审核 column, the table and the HTML say
    it in a line, and c3 still counts as not working."""
    now = time.time()
    with Store(filled) as store:
        store.put_reviews([
            BaselineReview("c3", BaselineState.DOUBTFUL, "covered", now - 3600, None, now),
            BaselineReview("c5", BaselineState.PROVISIONAL, "", now - 3600, None, now),
        ])  # fmt: skip
    code, out, err = _run(filled, monkeypatch, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["district"]["unreviewed_cameras"] == 1 and data["district"]["working_rate"] == round(2 / 7, 4)
    assert {t["name"]: t["unreviewed_cameras"] for t in data["towns"]} == {"城关镇": 1, "河口镇": 0}
    assert {v["village"]: v["unreviewed_cameras"] for v in data["villages"]}["西村"] == 1
    assert {"coverage_rate", "online_rate", "cameras_unknown", "cameras_by_status"} <= set(data["district"])
    rows = list(csv.reader(io.StringIO(_run(filled, monkeypatch, "--format", "csv")[1])))
    col = rows[0].index("待审核")
    assert {r[1]: r[col] for r in rows[1:]}["西村"] == "1"
    code, out, _ = _run(filled, monkeypatch)
    assert code == 0 and "待审核 unreviewed: 1 台" in out and "1 of 7 cameras" in out
    page = _run(filled, monkeypatch, "--format", "html")[1]
    assert "待审核 unreviewed: 1 台" in page


def test_report_files_are_readable_by_others_unless_told(
    filled: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """--output files are 0644 by default (a web server or a colleague reads them; the temporary file they are
    written through was 0600), --mode 0640 gives the group only, and a bad --mode is a usage error (exit 2)."""
    assert _run(filled, monkeypatch, "--format", "html", "--output", "v.html")[0] == 0
    assert (tmp_path / "v.html").stat().st_mode & 0o777 == 0o644
    assert _run(filled, monkeypatch, "--format", "csv", "--output", "v.csv", "--mode", "0640")[0] == 0
    assert (tmp_path / "v.csv").stat().st_mode & 0o777 == 0o640
    code, _, err = _run(filled, monkeypatch, "--format", "csv", "--output", "w.csv", "--mode", "rw-r--r--")
    assert code == 2 and "--mode 'rw-r--r--'" in err and not (tmp_path / "w.csv").exists()


def test_provisional_working_cameras_in_every_format(filled: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Of two ok cameras, one provisional and one approved, and a broken camera also provisional: JSON says 1
    provisional camera (only a working camera counts), the CSV's last column 待确认 says it for its village, the
    table and the HTML say it in a line, and 完好率 is unchanged (provisional cameras count as working)."""
    now = time.time()
    with Store(filled) as store:
        states = store.load_states()
        ok, broken = ["c1", "c5"], ["c3"]  # the two ok cameras at planned points (c8's point is retired)
        assert [states[c].status for c in (*ok, *broken)] == [Status.OK, Status.OK, Status.COVERED]
        store.put_reviews([
            BaselineReview(ok[0], BaselineState.PROVISIONAL, "", now - 3600, None, now),
            BaselineReview(ok[1], BaselineState.APPROVED, "", now - 3600, None, now),
            BaselineReview(broken[0], BaselineState.PROVISIONAL, "", now - 3600, None, now),
        ])  # fmt: skip
        points, cameras, _targets = store.load_inventory()
        point = next(c.point_id for c in cameras if c.camera_id == ok[0])
        village = next(p.village for p in points if p.point_id == point)
    code, out, err = _run(filled, monkeypatch, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["district"]["provisional_cameras"] == 1 and data["district"]["working_rate"] == round(2 / 7, 4)
    assert {v["village"]: v["provisional_cameras"] for v in data["villages"]}[village] == 1
    rows = list(csv.reader(io.StringIO(_run(filled, monkeypatch, "--format", "csv")[1])))
    assert rows[0][-1] == "待确认" and {r[1]: r[-1] for r in rows[1:]}[village] == "1"
    code, out, _ = _run(filled, monkeypatch)
    assert code == 0 and "待确认 provisional: 1 台" in out and "1 of 2 working cameras" in out
    page = _run(filled, monkeypatch, "--format", "html")[1]
    assert "待确认 provisional: 1 台" in page and "mild defocus" in page
