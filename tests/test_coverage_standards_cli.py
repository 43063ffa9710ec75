"""``camfleet coverage`` with a coverage standard in the config file: the real CLI entry point reads the
standard from a temporary config and the district from a SQLite database filled through the importer and
the store, and every format (JSON, CSV, table, HTML) carries the standard's hand-computed verdicts, lacks and
to-do list.

The district (the standard: 高标准全覆盖 in 殷汇镇 and 梅街镇, 村口 and 学校 working, 完好率 ≥ 50 %)::

    殷汇镇/甲村  P10 村口 c10 ok, P11 学校 c11 ok                 → met
    殷汇镇/乙村  P20 村口 c20 ok, P21 学校 c21 offline for 3 h    → not met: 学校 broken (完好率 1/2 = 50 %: met)
    梅街镇/丙村  P30 村口 c30 ok, P31 学校 planned, no camera     → not met: 学校 not built
    梅街镇/丁村  P40 村口 c40 never checked, P41 学校 c41 ok      → unknown: 村口 unknown (完好率 1 ok of 2)
    城关镇/戊村  P50 村口 c50 ok                                  → not judged (not one of the standard's towns)

殷汇镇 met it until c21 went offline 3 h ago: not met since then. 梅街镇 never met it in the window (丙村's
学校 was never built): not met "or earlier". To do: 殷汇镇 repair c21; 梅街镇 build P31, then check c40.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path

import pytest
from coverage_helpers import DAY, HOUR, tr
from standards_helpers import sp
from typer.testing import CliRunner

from camfleet.cli import app
from camfleet.coverage.fmt import iso, local
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import Inventory
from camfleet.model import CameraRecord, CameraState, PointStatus, Status

STANDARD = """
[[coverage.standard]]
name = "高标准全覆盖"
towns = ["殷汇镇", "梅街镇"]
require_site_types = ["村口", "学校"]
min_working_rate = 0.5
"""


def _fill(url: str) -> float:
    """Import the district above and store its states and c21's history; returns the clock used (whole
    seconds, so that times survive every database and format exactly)."""
    points = [
        sp("P10", "甲村", "村口"), sp("P11", "甲村", "学校"),
        sp("P20", "乙村", "村口"), sp("P21", "乙村", "学校"),
        sp("P30", "丙村", "村口", town="梅街镇"), sp("P31", "丙村", "学校", PointStatus.PLANNED, town="梅街镇"),
        sp("P40", "丁村", "村口", town="梅街镇"), sp("P41", "丁村", "学校", town="梅街镇"),
        sp("P50", "戊村", "村口", town="城关镇"),
    ]  # fmt: skip
    cams = [CameraRecord(f"c{p.point_id[1:]}", p.point_id, f"127.31.0.{i + 1}") for i, p in enumerate(points)]
    cams = [c for c in cams if c.point_id != "P31"]  # planned: no camera yet
    import_inventory(url, Inventory("test", points, cams))
    now = float(int(time.time()))
    states = [CameraState(c.camera_id, Status.OK, since=now - 2 * DAY) for c in cams if c.camera_id != "c40"]
    states = [s for s in states if s.camera_id != "c21"] + [CameraState("c21", Status.OFFLINE, since=now - 3 * HOUR)]
    with Store(url) as store:
        store.save_states(states)
        store.append_transitions(
            [tr("c21", now - 2 * DAY, Status.UNKNOWN, Status.OK), tr("c21", now - 3 * HOUR, Status.OK, Status.OFFLINE)]
        )
    return now


@pytest.fixture
def district(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, float]:
    """The filled SQLite database and a config file naming it and the standard; no other config around."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMFLEET_CONFIG", raising=False)
    monkeypatch.delenv("CAMFLEET_DATABASE_URL", raising=False)
    now = _fill(sqlite_url)
    config = tmp_path / "standards.toml"
    config.write_text(f'[database]\nurl = "{sqlite_url}"\n{STANDARD}', encoding="utf-8")
    return config, now


def _run(config: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--config", str(config), "coverage", *args], terminal_width=200)
    assert result.exit_code == 0, result.stderr + result.stdout
    return result.stdout


def test_json_standards_key(district: tuple[Path, float]) -> None:
    """JSON `standards`: the definition from the config file, 1 of 4 villages met, and per town the verdict,
    since when, the villages short of it with what each lacks, the matrix and the ranked to-do list."""
    config, now = district
    data = json.loads(_run(config, "--format", "json"))
    (std,) = data["standards"]
    assert (std["name"], std["towns_configured"], std["require_site_types"]) == (
        "高标准全覆盖", ["殷汇镇", "梅街镇"], ["村口", "学校"],
    )  # fmt: skip
    assert (std["min_working_rate"], std["min_availability"], std["unknown_towns"]) == (0.5, None, [])
    assert std["site_types"] == ["村口", "学校", "主路口", "河塘", "村部", "集市", "其他"]
    assert (std["villages"], std["villages_met"], std["met_rate"]) == (4, 1, 0.25)
    towns = {t["town"]: t for t in std["towns"]}
    assert list(towns) == ["梅街镇", "殷汇镇"]  # 城关镇 is not the standard's

    yinhui = towns["殷汇镇"]
    assert (yinhui["met"], yinhui["since"], yinhui["since_known"]) == (False, iso(now - 3 * HOUR), True)
    assert (yinhui["villages"], yinhui["villages_met"], yinhui["villages_unknown"]) == (2, 1, 0)
    assert [(v["village"], v["met"], v["lacks"]) for v in yinhui["short"]] == [
        ("乙村", False, [{"lack": "broken", "site_type": "学校"}])
    ]
    assert yinhui["short"][0]["working_rate"] == 0.5
    assert yinhui["todo"] == [
        {"rank": 1, "action": "repair", "village": "乙村", "site_type": "学校", "point_id": "P21",
         "camera_id": "c21", "status": "offline", "since": iso(now - 3 * HOUR)},
    ]  # fmt: skip

    meijie = towns["梅街镇"]
    assert (meijie["met"], meijie["since_known"]) == (False, False)  # not met all window: "or earlier"
    assert (meijie["villages"], meijie["villages_met"], meijie["villages_unknown"]) == (2, 0, 1)
    assert [(v["village"], v["met"], v["lacks"]) for v in meijie["short"]] == [
        ("丁村", None, [{"lack": "unknown", "site_type": "村口"}]),
        ("丙村", False, [{"lack": "not_built", "site_type": "学校"}]),
    ]
    assert {v["village"]: (v["cells"]["村口"], v["cells"]["学校"], v["cells"]["河塘"]) for v in meijie["matrix"]} == {
        "丙村": ("working", "not_built", "unplanned"),
        "丁村": ("unknown", "working", "unplanned"),
    }
    assert [(t["rank"], t["action"], t["village"], t["point_id"], t["camera_id"]) for t in meijie["todo"]] == [
        (1, "build", "丙村", "P31", None),
        (2, "check", "丁村", "P40", "c40"),
    ]


def test_csv_table_and_html(district: tuple[Path, float]) -> None:
    """CSV: two columns per standard after the fixed ones (是/否/未知 and the lacks in Chinese, empty for a
    town the standard does not name). Table: a section per standard with its towns, short villages and to-do
    list. HTML: the matrix's 28 cells in their states, each town's verdict and since when."""
    config, now = district
    rows = list(csv.reader(io.StringIO(_run(config, "--format", "csv").removeprefix("\ufeff"))))
    assert rows[0][-2:] == ["高标准全覆盖·达标", "高标准全覆盖·缺项"]
    assert {r[1]: tuple(r[-2:]) for r in rows[1:]} == {
        "甲村": ("是", ""),
        "乙村": ("否", "学校故障"),
        "丙村": ("否", "学校未建设"),
        "丁村": ("未知", "村口未检测"),
        "戊村": ("", ""),
    }

    table = _run(config)
    assert "标准 standard 高标准全覆盖: 村口、学校 · 完好率 ≥ 50.0%" in table
    lines = table.splitlines()

    def line_with(*words: str) -> bool:
        return any(all(w in line for w in words) for line in lines)

    assert line_with("殷汇镇", "否", local(now - 3 * HOUR), "1/2")
    assert line_with("梅街镇", "否", "或更早", "0/2")  # since the window began, "or earlier"
    assert line_with("乙村", "学校故障") and line_with("丙村", "学校未建设") and line_with("丁村", "村口未检测")
    assert line_with("乙村", "维修 repair", "P21", "c21")
    assert line_with("丙村", "建设 build", "P31") and line_with("丁村", "确认 check", "P40", "c40")
    assert not line_with("戊村", "否") and not line_with("戊村", "未知")

    page = _run(config, "--format", "html")
    section = page[page.index('<section class="standards">') :]
    cells = re.findall(r'class="c cell-(\w+)"', section)
    # 4 villages × 7 columns: 村口 and 学校 as worked out above, the 5 other types unplanned everywhere.
    assert {s: cells.count(s) for s in set(cells)} == {
        "working": 5, "broken": 1, "not_built": 1, "unknown": 1, "unplanned": 20,
    }  # fmt: skip
    assert "<h3>殷汇镇 · " in section and "<h3>梅街镇 · " in section and "<h3>城关镇" not in section
    verdict = '<span class="std-no">否</span>'
    assert f"<td>殷汇镇</td><td>{verdict}</td><td>{local(now - 3 * HOUR)}</td>" in section
