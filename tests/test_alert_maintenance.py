"""The shipped alert rules hold what a maintenance window covers: every camera, village, uplink and recorder alert joins
its ``camfleet_*_in_maintenance`` series, and the promtool cases of ``maintenance.test.yml`` fail without those
joins."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

PROM_DIR = Path(__file__).resolve().parent.parent / "deploy" / "prometheus"
ALERTS = PROM_DIR / "camfleet.alerts.yml"
#: The alerts a window holds, and the series that holds each. Town KPIs, the poller's own alerts and the review
#: backlog are not held: planners want the truth, and the poller is not under works (docs/alerting.md).
HELD = {
    "CamfleetCameraOffline": "camfleet_camera_in_maintenance",
    "CamfleetCameraImageFault": "camfleet_camera_in_maintenance",
    "CamfleetCameraAuthFailed": "camfleet_camera_in_maintenance",
    "CamfleetCameraClockDrift": "camfleet_camera_in_maintenance",
    "CamfleetCameraFlapping": "camfleet_camera_in_maintenance",
    "CamfleetCameraTamperUnconfirmed": "camfleet_camera_in_maintenance",
    "CamfleetCameraProtocolError": "camfleet_camera_in_maintenance",
    "CamfleetCameraSnapshotFailed": "camfleet_camera_in_maintenance",
    "CamfleetCameraDegraded": "camfleet_camera_in_maintenance",
    "CamfleetCameraCannotJudge": "camfleet_camera_in_maintenance",
    "CamfleetCameraIdentityChanged": "camfleet_camera_in_maintenance",
    "CamfleetUplinkDown": "camfleet_uplink_in_maintenance",
    "CamfleetRecorderDown": "camfleet_recorder_in_maintenance",
    "CamfleetVillageWithoutWorkingCamera": "camfleet_village_in_maintenance",
}
_HOLD = re.compile(r"\s*unless on \([^)]*\) camfleet_\w+_in_maintenance == 1")


def _rules() -> dict[str, str]:
    """Alert name → its expression text."""
    text = ALERTS.read_text(encoding="utf-8")
    return dict(re.findall(r"- alert: (\w+)\n(?:\s+#[^\n]*\n)*\s+expr: (.*?)\n\s+(?:for|labels):", text, re.S))


def test_every_held_alert_joins_its_maintenance_series_and_no_other_does() -> None:
    """Each camera, village and uplink alert ends with ``unless on (…) <its series> == 1`` on the labels of that
    series; the other alerts (towns, the poller, the review backlog) name no maintenance series; and every alert
    of scope ``camera`` but the review backlog is among the held ones (a new camera alert must be held too)."""
    rules = _rules()
    assert set(HELD) <= set(rules)
    text = ALERTS.read_text(encoding="utf-8")
    camera_scoped = set(re.findall(r"- alert: (\w+)\n(?:(?!- alert:).)*?scope: camera\n", text, re.S))
    assert camera_scoped - {"CamfleetBaselineReviewOverdue"} <= set(HELD), camera_scoped - set(HELD)
    labels = {"camfleet_camera_in_maintenance": "camera", "camfleet_village_in_maintenance": "town, village",
              "camfleet_uplink_in_maintenance": "uplink, town, village",
              "camfleet_recorder_in_maintenance": "recorder"}  # fmt: skip
    for alert, series in HELD.items():
        assert f"unless on ({labels[series]}) {series} == 1" in rules[alert], alert
    for alert in set(rules) - set(HELD):
        assert "_in_maintenance" not in rules[alert], alert


def test_the_maintenance_cases_fail_without_the_holds(promtool: str, tmp_path: Path) -> None:
    """Against a copy of the alert rules with every hold removed, ``maintenance.test.yml`` fails: its cases see the
    held alerts fire during the window, so a passing run shows the holds at work."""
    stripped = _HOLD.sub("", ALERTS.read_text(encoding="utf-8"))
    assert "_in_maintenance" not in stripped
    (tmp_path / "camfleet.alerts.yml").write_text(stripped, encoding="utf-8")
    (tmp_path / "camfleet.rules.yml").write_text((PROM_DIR / "camfleet.rules.yml").read_text("utf-8"), "utf-8")
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "maintenance.test.yml").write_text(
        (PROM_DIR / "tests" / "maintenance.test.yml").read_text("utf-8"), encoding="utf-8"
    )
    run = subprocess.run(
        [promtool, "test", "rules", "tests/maintenance.test.yml"], capture_output=True, text=True, timeout=120,
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode != 0
    failed = set(re.findall(r"alertname: (\w+), time:", run.stdout + run.stderr))
    assert failed == set(HELD), failed
    good = subprocess.run(
        [promtool, "test", "rules", "tests/maintenance.test.yml"], capture_output=True, text=True, timeout=120,
        cwd=PROM_DIR,
    )  # fmt: skip
    assert good.returncode == 0, good.stdout + good.stderr
