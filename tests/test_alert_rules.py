"""deploy/prometheus: the config, recording and alert rules pass promtool, and the rule unit tests pass."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest
from metrics_helpers import exposed_metric_names, recorded_metric_names, referenced_metric_names
from system_helpers import missing

PROM_DIR = Path(__file__).resolve().parent.parent / "deploy" / "prometheus"
ALERTMANAGER = PROM_DIR.parent / "alertmanager" / "alertmanager.yml"
RULE_TESTS = sorted((PROM_DIR / "tests").glob("*.yml"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=PROM_DIR)


def test_rules_are_valid(promtool: str) -> None:
    """`promtool check rules` accepts the recording and alert rules without a lint warning."""
    result = _run(promtool, "check", "rules", "camfleet.rules.yml", "camfleet.alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "WARNING" not in result.stdout + result.stderr


def test_prometheus_config_is_valid(promtool: str) -> None:
    """`promtool check config` accepts prometheus.yml (and finds both rule files from it)."""
    result = _run(promtool, "check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rule files found" in result.stdout


def test_scrape_config_targets_the_default_listen_address() -> None:
    """The example scrapes job camfleet every 30 s at camfleet's default 127.0.0.1:9870."""
    text = (PROM_DIR / "prometheus.yml").read_text(encoding="utf-8")
    assert re.search(r"job_name: camfleet\n\s+#.*\n(\s+#.*\n)*\s+scrape_interval: 30s", text)
    assert '"127.0.0.1:9870"' in text


@pytest.mark.parametrize("test_file", RULE_TESTS, ids=lambda p: p.name)
def test_rule_unit_tests_pass(promtool: str, test_file: Path) -> None:
    """`promtool test rules` passes: each alert fires after its `for:` and stays quiet when it should."""
    result = _run(promtool, "test", "rules", str(test_file))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_have_teeth(promtool: str, tmp_path: Path) -> None:
    """A rule unit test expecting a wrong annotation fails, so a passing run means something."""
    source = (PROM_DIR / "tests" / "cameras.test.yml").read_text(encoding="utf-8")
    broken = source.replace("离线已超过 15 分钟", "离线已超过 5 分钟", 1).replace("../camfleet", f"{PROM_DIR}/camfleet")
    (tmp_path / "broken.test.yml").write_text(broken, encoding="utf-8")
    result = _run(promtool, "test", "rules", str(tmp_path / "broken.test.yml"))
    assert result.returncode != 0


def test_every_alert_is_tested_firing_and_quiet() -> None:
    """Every alert in camfleet.alerts.yml has a unit test where it fires and one where it must not."""
    alerts = set(re.findall(r"^\s+- alert: (\w+)$", (PROM_DIR / "camfleet.alerts.yml").read_text("utf-8"), re.M))
    tests = "\n".join(p.read_text(encoding="utf-8") for p in RULE_TESTS)
    firing = set(re.findall(r"alertname: (\w+)\n\s+exp_alerts:\n\s+- exp_labels", tests))
    quiet = set(re.findall(r"alertname: (\w+)\n\s+exp_alerts: \[\]", tests))
    assert len(alerts) >= 13
    assert alerts - firing == set(), "alerts never shown to fire"
    assert alerts - quiet == set(), "alerts never shown to stay quiet"


def test_alerts_are_bilingual_and_classified() -> None:
    """Every alert has severity and scope labels and a summary and description in Chinese and English."""
    text = (PROM_DIR / "camfleet.alerts.yml").read_text(encoding="utf-8")
    blocks = re.split(r"\n\s+- alert: ", text)[1:]
    assert blocks
    for block in blocks:
        name = block.split("\n", 1)[0]
        assert re.search(r"severity: (critical|warning)\n", block), name
        assert re.search(r"scope: (camera|village|town|poller)\n", block), name
        summary = re.search(r'summary: "(.*)"', block)
        assert summary and " / " in summary.group(1), name
        assert re.search(r"[\u4e00-\u9fff]", summary.group(1)) and re.search(r"[A-Za-z]{4}", summary.group(1)), name
        description = block.split("description: |-\n", 1)[1]
        zh, en = description.strip().split("\n")[:2]
        assert re.search(r"[\u4e00-\u9fff]", zh) and en.strip()[0].isascii(), name


def test_rules_only_use_metrics_camfleet_exports() -> None:
    """Every camfleet metric named in the recording and alert rules is exported by /metrics or recorded."""
    rules = (PROM_DIR / "camfleet.rules.yml").read_text("utf-8")
    alerts = (PROM_DIR / "camfleet.alerts.yml").read_text("utf-8")
    exprs = re.findall(r"expr: (.*(?:\n {10,}\S.*)*)", rules + "\n" + alerts)
    used = {name for expr in exprs for name in referenced_metric_names(expr)}
    assert len(used) >= 20
    assert used - (exposed_metric_names() | recorded_metric_names(rules)) == set()


def test_every_status_has_its_words_and_every_image_fault_its_alert_name() -> None:
    """Every status and reason has its Chinese words (status_words would fail on one without), and the image-fault
    alert's summary names each image fault with exactly the words the reports use (it said 红外滤片卡滞 where the
    reports said 红外滤片故障)."""
    from camfleet.model import IMAGE_FAULTS, REASON_ZH, STATUS_ZH, STATUSES, Reason, Status

    assert set(STATUSES) == set(Status) and set(STATUS_ZH) == set(Status) and all(STATUS_ZH.values())
    assert set(REASON_ZH) == set(Reason)
    text = (PROM_DIR / "camfleet.alerts.yml").read_text(encoding="utf-8")
    named = dict(re.findall(r'eq \$labels\.status \\"(\w+)\\" }}([^{]+){{', text))
    assert named == {s.value: STATUS_ZH[s] for s in IMAGE_FAULTS}, named


def _builder() -> ModuleType:
    """deploy/prometheus/build.py, loaded as a module."""
    spec = importlib.util.spec_from_file_location("camfleet_prometheus_build", PROM_DIR / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_status_has_a_row_with_its_routing() -> None:
    """The status table has a row for every status, each with Chinese words and either an alert (rule, severity,
    scope, receiver) or a written reason for having none; every image fault goes to the one image-fault rule and
    is up; every status but uplink_down (the uplink rule's) has a root-cause rank."""
    from camfleet.model import STATUSES, Status

    assert list(STATUSES) == list(Status), "one row per status, in Status order"
    for status, info in STATUSES.items():
        assert info.zh and re.search(r"[\u4e00-\u9fff]", info.zh), status
        assert (info.alert is None) != (not info.quiet), f"{status}: an alert, or a reason for none (not both)"
        if info.alert is not None:
            assert info.alert.severity in ("critical", "warning") and info.alert.rule.startswith("Camfleet"), status
            assert info.alert.scope in ("camera", "village", "town", "poller"), status
        if info.image_fault:
            assert info.up and info.alert is not None and info.alert.rule == "CamfleetCameraImageFault", status
        assert (info.rank is None) == (status is Status.UPLINK_DOWN), status


def test_generated_alert_parts_match_the_status_table() -> None:
    """camfleet.alerts.yml's status selectors, Chinese name chains, severity and scope labels, and the image-fault
    names in docs/alerting.md are exactly what deploy/prometheus/build.py generates from the status table."""
    for path, (committed, generated) in _builder().outputs().items():
        assert committed == generated, f"{path.name}: run python deploy/prometheus/build.py"


def test_alert_generator_follows_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed row changes the generated rules: a new Chinese name reaches the summary chain, another severity the
    rule's label, a status leaving the image-fault rule its selector, so the check above can fail."""
    from camfleet.model import STATUSES, Status

    build = _builder()
    text = (PROM_DIR / "camfleet.alerts.yml").read_text("utf-8")
    monkeypatch.setitem(STATUSES, Status.FROZEN, replace(STATUSES[Status.FROZEN], zh="冻结"))
    assert '\\"frozen\\" }}冻结{{' in build.render_alerts(text)
    offline = STATUSES[Status.OFFLINE]
    assert offline.alert is not None
    monkeypatch.setitem(STATUSES, Status.OFFLINE, replace(offline, alert=replace(offline.alert, severity="critical")))
    block = build.render_alerts(text).split("alert: CamfleetCameraOffline", 1)[1].split("- alert:", 1)[0]
    assert "severity: critical" in block
    monkeypatch.setitem(STATUSES, Status.SPRAY, replace(STATUSES[Status.SPRAY], alert=None, quiet="test"))
    assert 'status=~"black|covered|defocused|' in build.render_alerts(text)
    assert build.render_alerts(text) != text


def test_each_status_alert_reaches_its_receiver() -> None:
    """amtool routes each status alert's labels (alertname, severity, scope) through alertmanager.yml to exactly the
    receiver the status table names."""
    from camfleet.model import STATUSES

    amtool = shutil.which("amtool")
    if amtool is None:
        missing("amtool not found: install Debian's `prometheus-alertmanager` package to check the routing")
    alerts = {info.alert for info in STATUSES.values() if info.alert is not None}
    assert len(alerts) >= 4
    for alert in sorted(alerts, key=lambda a: a.rule):
        labels = [f"alertname={alert.rule}", f"severity={alert.severity}", f"scope={alert.scope}"]
        config = [f"--config.file={ALERTMANAGER}", f"--verify.receivers={alert.receiver}"]
        result = subprocess.run(
            [amtool, "config", "routes", "test", *config, *labels], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, f"{alert.rule}: {result.stdout}{result.stderr}"


def _alert_blocks() -> dict[str, str]:
    """Each alert of camfleet.alerts.yml: its name and the text of its rule."""
    text = (PROM_DIR / "camfleet.alerts.yml").read_text(encoding="utf-8")
    blocks = re.split(r"\n\s+- alert: ", text)[1:]
    return {block.split("\n", 1)[0]: block for block in blocks}


def test_every_alert_links_its_runbook_section() -> None:
    """Every alert's runbook_url is camfleet's /runbook page at the external label camfleet_url, with the fragment of
    the alert's own section; docs/runbook.md has exactly one section per alert (no more, no fewer), each saying what it
    means, what to check first and who fixes it; prometheus.yml sets the label."""
    from camfleet.web.runbook import anchor

    runbook = (PROM_DIR.parent.parent / "docs" / "runbook.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (\S+)\n(.*?)(?=^## |\Z)", runbook, re.M | re.S))
    alerts = _alert_blocks()
    assert len(alerts) >= 23
    assert sorted(sections) == sorted(alerts)
    for name, block in alerts.items():
        url = re.search(r'^\s+runbook_url: "\{\{ \$externalLabels\.camfleet_url \}\}/runbook#(\S+)"$', block, re.M)
        assert url, f"{name}: no runbook_url"
        assert url.group(1) == anchor(name), f"{name}: links #{url.group(1)}, its section is #{anchor(name)}"
        for part in ("What it means.", "Check first.", "Who fixes it."):
            assert part in sections[name], f"{name}: runbook section lacks {part!r}"
    config = (PROM_DIR / "prometheus.yml").read_text(encoding="utf-8")
    labels = config.split("  external_labels:\n", 1)[1].split("\n\n", 1)[0]
    assert re.search(r'^    camfleet_url: "http://[^"/]+"$', labels, re.M), "prometheus.yml sets no camfleet_url"


def test_snapshot_and_protocol_rules_split_protocol_errors_by_reason() -> None:
    """protocol_error is two alerts: the snapshot reasons of the status table go to CamfleetCameraSnapshotFailed, every
    other reason to CamfleetCameraProtocolError, so one camera never raises both and none falls between."""
    from camfleet.model import SNAPSHOT_REASONS

    alerts = _alert_blocks()
    snapshot = re.search(r'status="protocol_error", reason=~"([^"]+)"', alerts["CamfleetCameraSnapshotFailed"])
    protocol = re.search(r'status="protocol_error", reason!~"([^"]+)"', alerts["CamfleetCameraProtocolError"])
    assert snapshot and protocol
    assert snapshot.group(1) == protocol.group(1) == "|".join(SNAPSHOT_REASONS)
