"""deploy/grafana: committed dashboards equal the builder's output; every PromQL in them is valid and real."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from metrics_helpers import exposed_metric_names, recorded_metric_names, referenced_metric_names
from system_helpers import missing

ROOT = Path(__file__).resolve().parent.parent
GRAFANA = ROOT / "deploy" / "grafana"
BOARDS = {p.name: json.loads(p.read_text("utf-8")) for p in sorted((GRAFANA / "dashboards").glob("*.json"))}
RULES = (ROOT / "deploy" / "prometheus" / "camfleet.rules.yml").read_text("utf-8")

#: Grafana's own variables, replaced by what Grafana would send, so promtool sees plain PromQL.
GRAFANA_VARS = {"$__rate_interval": "2m", "$__interval": "30s", "$town": "城关镇", "$village": "东村", "$camera": "C1"}


def _load_builder(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    pytest.importorskip("grafana_foundation_sdk", reason="grafana-foundation-sdk is not installed (dev extra)")
    monkeypatch.syspath_prepend(str(GRAFANA))  # build.py imports panels.py from beside itself
    spec = importlib.util.spec_from_file_location("camfleet_grafana_build", GRAFANA / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _expressions(node: Any) -> list[str]:
    """Every panel query and every variable's metric selector in a dashboard."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                found.append(value)
            elif key == "query" and isinstance(value, str) and value.startswith("label_values("):
                found.append(value.removeprefix("label_values(").rsplit(",", 1)[0])
            else:
                found.extend(_expressions(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_expressions(item))
    return found


def _plain(expr: str) -> str:
    for var, value in GRAFANA_VARS.items():
        expr = expr.replace(var, value)
    return expr


def test_committed_json_equals_the_builder_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """deploy/grafana/dashboards/*.json are exactly what deploy/grafana/build.py generates today."""
    rendered = _load_builder(monkeypatch).render_all()
    assert sorted(rendered) == sorted(BOARDS)
    for name, text in rendered.items():
        assert (GRAFANA / "dashboards" / name).read_text("utf-8") == text, f"{name}: run python deploy/grafana/build.py"


def test_every_expression_is_valid_promql(tmp_path: Path) -> None:
    """All dashboard PromQL (variables substituted) passes `promtool check rules` as recording rules."""
    promtool = shutil.which("promtool")
    if promtool is None:
        missing("promtool not found: install Debian's `prometheus` package to check dashboard PromQL")
    exprs = [_plain(e) for board in BOARDS.values() for e in _expressions(board)]
    assert len(exprs) >= 30
    lines = ["groups:", "  - name: dashboards", "    rules:"]
    for number, expr in enumerate(exprs):
        lines += [f"      - record: dashboard_expr_{number}", f"        expr: {json.dumps(expr, ensure_ascii=False)}"]
    (tmp_path / "dashboards.rules.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run(
        [promtool, "check", "rules", str(tmp_path / "dashboards.rules.yml")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in result.stdout


def test_every_metric_named_exists() -> None:
    """Each camfleet metric or recording rule a dashboard queries is exported by /metrics or recorded."""
    known = exposed_metric_names() | recorded_metric_names(RULES)
    used = {name for board in BOARDS.values() for e in _expressions(board) for name in referenced_metric_names(e)}
    assert len(used) >= 25
    assert used - known == set()


def test_the_four_dashboards_and_their_kpis() -> None:
    """District overview shows 在线率/完好率/覆盖率, the uncovered villages and the recorders down (town, village,
    recorder, channels dark); the drill-down chains town and village variables; panel ids and refIds are unique."""
    uids = {"camfleet-district", "camfleet-camera", "camfleet-poller", "camfleet-village"}
    assert {b["uid"] for b in BOARDS.values()} == uids
    drill = next(b for b in BOARDS.values() if b["uid"] == "camfleet-village")
    assert [v["name"] for v in drill["templating"]["list"]] == ["datasource", "town", "village"]
    district = next(b for b in BOARDS.values() if b["uid"] == "camfleet-district")
    titles = " ".join(p["title"] for p in district["panels"])
    for word in ("在线率", "完好率", "覆盖率", "Villages without a working camera", "Cameras by status", "by town"):
        assert word in titles
    recorders = next(p for p in district["panels"] if p["title"] == "录像机离线 Recorders down")
    assert "camfleet_recorder_channels" in recorders["targets"][0]["expr"] and "camfleet_recorder_up == 0" in str(
        recorders["targets"][0]["expr"]
    )
    assert recorders["transformations"][0]["options"]["indexByName"] == {
        "town": 0,
        "village": 1,
        "recorder": 2,
        "Value": 3,
    }
    for board in BOARDS.values():
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids))
        for panel in board["panels"]:
            refs = [t["refId"] for t in panel.get("targets", [])]
            assert len(refs) == len(set(refs)) and "" not in refs


def _links(panel: dict[str, Any]) -> tuple[list[str], list[str]]:
    """A panel's panel-link URLs and data-link URLs."""
    data = ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("links") or []
    return [lk["url"] for lk in panel.get("links") or []], [lk["url"] for lk in data]


def test_every_panel_links_down_the_drill_down() -> None:
    """Every panel links where it leads: district panels to the town and village view (with the town chosen), its
    panels to the camera view (town and village), a camera's panels back to its village, the poller's to the runbook;
    tables naming a village or camera and the town bars link each row to it; every variable a link uses exists in the
    dashboard it is on (data fields aside), and every dashboard linked exists."""
    import re

    expected = {
        "camfleet-district": "/d/camfleet-village/?${town:queryparam}&",
        "camfleet-village": "/d/camfleet-camera/?${town:queryparam}&${village:queryparam}&",
        "camfleet-camera": "/d/camfleet-village/?${town:queryparam}&${village:queryparam}&",
        "camfleet-poller": "${camfleet_url}/runbook",
    }
    uids = {b["uid"] for b in BOARDS.values()}
    row_links: dict[str, list[str]] = {}
    for board in BOARDS.values():
        names = {v["name"] for v in board["templating"]["list"]}
        for panel in board["panels"]:
            if panel["type"] == "row":
                continue
            panel_links, data_links = _links(panel)
            assert panel_links and all(u.startswith(expected[board["uid"]]) for u in panel_links), panel["title"]
            for url in panel_links + data_links:
                assert set(re.findall(r"/d/([\w-]+)/", url)) <= uids, url
                used = {m for m in re.findall(r"\$\{(\w+)", url) if not m.startswith("__")}
                assert used <= names, f"{board['uid']} {panel['title']}: {url} uses {used - names}"
            row_links[f"{board['uid']} {panel['title']}"] = data_links
    for title in ("上联中断 Uplinks down", "录像机离线 Recorders down"):
        assert any("var-village=${__data.fields.village}" in u for u in row_links[f"camfleet-district {title}"]), title
    cameras = row_links["camfleet-village 故障摄像机 Cameras not ok"]
    assert cameras and "/d/camfleet-camera/" in cameras[0] and "var-camera=${__data.fields.camera}" in cameras[0]
    bars = [u for k, v in row_links.items() if "by town" in k for u in v]
    assert len(bars) == 3 and all("var-town=${__field.labels.town}" in u for u in bars)


def test_poller_links_reach_runbook_sections_that_exist() -> None:
    """The poller panels' runbook links name sections docs/runbook.md has (the same anchors as the alerts')."""
    import re

    from camfleet.web.runbook import anchor

    runbook = (ROOT / "docs" / "runbook.md").read_text("utf-8")
    sections = {anchor(h) for h in re.findall(r"^## (\S+)$", runbook, re.M)}
    poller = next(b for b in BOARDS.values() if b["uid"] == "camfleet-poller")
    fragments = {u.split("#", 1)[1] for p in poller["panels"] for u in _links(p)[0] if "#" in u}
    assert {"camfleetpollermemoryhigh", "camfleetpollerfiledescriptorshigh", "camfleetsweepsbehind"} <= fragments
    assert fragments <= sections


def test_camera_dashboard_shows_the_latest_evidence_picture() -> None:
    """The camera dashboard has an HTML text panel showing the camera's evidence picture from the route camfleet's web
    service serves (/cameras/<id>/evidence.jpg), at the camfleet_url the dashboard asks for."""
    from camfleet.web import WebDeps, make_app

    camera = next(b for b in BOARDS.values() if b["uid"] == "camfleet-camera")
    assert "camfleet_url" in {v["name"] for v in camera["templating"]["list"]}
    shown = [p for p in camera["panels"] if p["type"] == "text" and p["options"]["mode"] == "html"]
    assert len(shown) == 1
    content = shown[0]["options"]["content"]
    src = "${camfleet_url}/cameras/${camera:percentencode}/evidence.jpg"
    assert f'<img src="{src}"' in content

    async def unused(_: object = None) -> Any:
        return None

    app = make_app(WebDeps(unused, unused, unused, list, lambda _: None, lambda: True))
    routes = {r.resource.canonical for r in app.router.routes() if r.resource is not None}
    assert src.removeprefix("${camfleet_url}").replace("${camera:percentencode}", "{camera_id}") in routes
