"""The phone message of every alert kind the shipped routes send to the duty room's phones: each rule fired by
`promtool test rules` on example series, `camfleet.phone` rendered by the real `amtool template render`, the relay's
lines for the same webhook body, and docs/alerting.md's "On the phone" as `deploy/alertmanager/render_docs.py`
writes it."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from datetime import timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from system_helpers import missing

from camfleet.model import Reason, Status
from camfleet.relay.message import Payload, render

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "deploy" / "alertmanager" / "render_docs.py"
TEMPLATE = REPO / "deploy" / "alertmanager" / "templates" / "camfleet.tmpl"
BEIJING = timezone(timedelta(hours=8))


def _generator() -> ModuleType:
    """deploy/alertmanager/render_docs.py, loaded as a module."""
    spec = importlib.util.spec_from_file_location("camfleet_render_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


GEN = _generator()
#: What the seven alerts added last must say on the phone, besides a Chinese title.
NEW_KINDS = {
    "CamfleetCameraProtocolError": ("【告警】摄像机协议错误（应答格式错误）", "状态：协议错误（应答格式错误）"),
    "CamfleetCameraSnapshotFailed": ("【告警】摄像机抓图失败（非 JPEG 图片）", "状态：协议错误（非 JPEG 图片）"),
    "CamfleetCameraDegraded": ("【告警】摄像机响应慢", "状态：响应慢"),
    "CamfleetCameraCannotJudge": ("【告警】摄像机画面长期无法判断", "状态：无法判断，已 3 天 2 小时"),
    "CamfleetCameraIdentityChanged": ("【告警】摄像机固件或序列号变更", "现为：固件 V5.8.0，序列号 DS0412"),
}
#: Machine words a phone line must not show where Chinese belongs (状态 lines).
MACHINE_WORDS = {s.value for s in Status} | {r.value for r in Reason if r.value}


@pytest.fixture(scope="module")
def routed() -> dict[str, str]:
    """Alert → receiver, as `amtool config routes test` routes each rule's labels through alertmanager.yml."""
    for name in ("amtool", "promtool"):
        if shutil.which(name) is None:
            missing(f"{name} not found: install Debian's prometheus and prometheus-alertmanager packages")
    result: dict[str, str] = GEN.routes()
    return result


@pytest.fixture(scope="module")
def messages(routed: dict[str, str]) -> dict[str, Any]:
    """Each phone alert kind's message (webhook body and amtool's text)."""
    return {m.alert: m for m in GEN.messages(routed)}


def test_every_phone_alert_has_an_example(routed: dict[str, str]) -> None:
    """The alerts whose route reaches 企业微信 or the 钉钉 relay are exactly those with example series, so a new
    alert routed to the phones fails here until its message is rendered; the town and poller alerts go to email."""
    phone = GEN.phone_alerts(routed)
    assert set(phone) == set(GEN.EXAMPLES)
    assert set(NEW_KINDS) | {"CamfleetCameraOffline", "CamfleetUplinkDown"} <= set(phone)
    receivers = GEN.phone_receivers()
    assert receivers == {"command-centre", "command-centre-urgent"}
    for name in ("CamfleetTownWorkingRateLow", "CamfleetPollerMemoryHigh", "CamfleetPollerFileDescriptorsHigh"):
        assert routed[name] not in receivers, name


@pytest.mark.parametrize("alert", list(GEN.EXAMPLES))
def test_phone_message_is_chinese_and_the_relay_says_the_same(alert: str, messages: dict[str, Any]) -> None:
    """As the shipped rule fires it: the template's first line is 【告警】 (or 【告警·紧急】) and Chinese, not the
    alert's name; no 状态 line shows a machine word (offline, malformed, …); the relay renders exactly the same
    lines for the same webhook body; the new kinds say their reason, how long, or the new firmware and serial."""
    m = messages[alert]
    text: str = m.text
    lines = text.split("\n")
    assert re.match(r"【告警(·紧急)?】[\u4e00-\u9fff]", lines[0]), lines[0]
    assert alert not in lines[0] and "Camfleet" not in lines[0], lines[0]
    for line in lines:
        if line.startswith("状态："):
            assert not set(re.findall(r"[a-z_]+", line)) & MACHINE_WORDS, line
    web_url = re.search(r'define "camfleet.web_url" }}(.*?){{ end', TEMPLATE.read_text(encoding="utf-8"))
    assert web_url
    title, blocks = render(Payload.model_validate(m.data), BEIJING, web_url.group(1))
    assert "\n".join([title, *(line for b in blocks for line in b)]) == text
    if alert in NEW_KINDS:
        first, fact = NEW_KINDS[alert]
        assert lines[0] == first and fact in lines, text


def test_docs_show_what_the_template_renders(routed: dict[str, str], messages: dict[str, Any]) -> None:
    """`render_docs.py --check` passes: docs/alerting.md's phone messages are what the shipped rules, routes and
    template render today. The comparison has teeth: a copy with one message changed is rewritten."""
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    doc = GEN.DOC.read_text(encoding="utf-8")
    body = GEN.section(list(messages.values()), routed)
    assert GEN.render_doc(doc, body) == doc
    stale = doc.replace("状态：无法判断，已 3 天 2 小时", "状态：无法判断", 1)
    assert stale != doc and GEN.render_doc(stale, body) == doc
