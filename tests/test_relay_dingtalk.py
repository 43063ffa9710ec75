"""`camfleet relay dingtalk` and the phone message: Chinese, Beijing time, runbook link; signed the way DingTalk
checks it; secrets from private files and never in an error; the same lines as Alertmanager's template."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from chat_helpers import DING_SECRET, DING_TOKEN, Inbox, dingtalk_app, serving
from system_helpers import missing
from typer.testing import CliRunner

from camfleet.cli import app as cli_app
from camfleet.model import REASON_ZH, STATUS_ZH, Reason, Status
from camfleet.relay.dingtalk import MAX_BODY, Robot, make_app
from camfleet.relay.message import RULE_STATUS, Payload, markdown, render

TEMPLATES = Path(__file__).resolve().parents[1] / "deploy" / "alertmanager" / "templates"
BEIJING = timezone(timedelta(hours=8))
RUNBOOK = "http://10.0.0.5:9870/runbook#camfleetcameraoffline"


def offline(camera: str = "C42-1", state: str = "firing", **more: str) -> dict[str, Any]:
    """One CamfleetCameraOffline alert as Alertmanager's webhook carries it (nanosecond times, as it sends)."""
    return {
        "status": state,
        "labels": {"alertname": "CamfleetCameraOffline", "camera": camera, "town": "青石镇", "village": "西河村",
                   "point": "P42-1", "point_name": "村口", "severity": "warning", "scope": "camera", **more},
        "annotations": {"summary": f"摄像机离线 / Camera offline: {camera} (青石镇 西河村 村口)",
                        "description": "…", "runbook_url": RUNBOOK},
        "startsAt": "2026-12-06T07:09:00.123456789Z",
        "endsAt": "2026-12-06T08:30:00Z" if state == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=x",
    }  # fmt: skip


def payload(*alerts: dict[str, Any]) -> dict[str, Any]:
    common = {k: v for k, v in alerts[0]["labels"].items() if all(a["labels"].get(k) == v for a in alerts)}
    return {
        "version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "receiver": "command-centre",
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "alerts": list(alerts), "groupLabels": {}, "commonLabels": common, "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
    }  # fmt: skip


def test_offline_camera_message_is_chinese_with_beijing_time_and_runbook() -> None:
    """07:09 UTC reads 15:09 北京时间; town, village, point, camera and 离线 are named; evidence and runbook links
    are there; an auth alert says its reason in Chinese."""
    title, text = markdown(Payload.model_validate(payload(offline())), BEIJING, "http://10.0.0.5:9870")
    assert title == "【告警】摄像机离线"
    lines = text.split("  \n")
    assert "▶ 青石镇 西河村 村口（点位 P42-1）" in text and "摄像机：C42-1" in lines
    assert "状态：离线" in lines and "开始：2026-12-06 15:09 北京时间" in lines
    assert "证据：http://10.0.0.5:9870/api/cameras/C42-1" in lines and f"处置：{RUNBOOK}" in lines
    auth = offline(alertname="CamfleetCameraAuthFailed", reason="clock")
    _, blocks = render(Payload.model_validate(payload(auth)), BEIJING, "")
    assert "状态：认证失败（时钟偏差过大）" in blocks[0]


def test_a_channel_names_its_recorder_and_a_recorder_alert_the_recorder() -> None:
    """An NVR channel's camera line names its recorder and channel, and its video_loss in Chinese; the recorder's own
    alert names the recorder (not the uplink it also carries) and reads offline."""
    channel = offline("C0907", uplink="西河村-光猫", recorder="10.3.2.20:80", channel="3", reason="video_loss")
    _, blocks = render(Payload.model_validate(payload(channel)), BEIJING, "")
    assert "摄像机：C0907（录像机 10.3.2.20:80 通道 3）" in blocks[0] and "状态：离线（视频丢失）" in blocks[0]
    labels = {"alertname": "CamfleetRecorderDown", "town": "青石镇", "village": "西河村", "uplink": "西河村-光猫",
              "recorder": "10.3.2.20:80", "severity": "critical", "scope": "village"}  # fmt: skip
    title, blocks = render(Payload.model_validate(payload({**offline(), "labels": labels})), BEIJING, "")
    assert title.startswith("【告警·紧急】")
    assert blocks[0][1:3] == ["录像机：10.3.2.20:80", "状态：离线"], blocks[0]


def test_a_storm_lists_five_and_counts_the_rest() -> None:
    """Twelve cameras of one village in one group: one message, five listed, the total said, under 2,048 bytes
    (WeChat Work's text limit)."""
    p = Payload.model_validate(payload(*(offline(f"C42-{i}") for i in range(12))))
    title, blocks = render(p, BEIJING, "http://127.0.0.1:9870")
    assert title == "【告警】摄像机离线 共 12 条"
    assert sum(1 for b in blocks if b[0].startswith("▶")) == 5 and blocks[-1] == ["……共 12 条，仅列出前 5 条"]
    assert len("\n".join([title, *(line for b in blocks for line in b)]).encode()) < 2048


def _amtool() -> str:
    path = shutil.which("amtool")
    if path is None:
        missing("amtool not found: install Debian's `prometheus-alertmanager` package")
    return path


@pytest.mark.parametrize(
    "alerts",
    [
        [offline()],
        [offline("C1"), offline("C2", state="resolved")],
        [offline(alertname="CamfleetCameraImageFault", status="covered")],
        [
            {
                **offline(),
                "labels": {
                    "alertname": "CamfleetUplinkDown",
                    "town": "青石镇",
                    "village": "西河村",
                    "uplink": "西河村-光猫",
                    "severity": "critical",
                    "scope": "village",
                },
                "annotations": {"summary": "村级上联中断 / Village uplink down: 青石镇 西河村 (西河村-光猫)"},
            }
        ],
        [offline(f"C{i}") for i in range(7)],
        [offline("C0907", uplink="西河村-光猫", recorder="10.3.2.20:80", channel="3", reason="video_loss")],
        [
            {
                **offline(),
                "labels": {
                    "alertname": "CamfleetRecorderDown",
                    "town": "青石镇",
                    "village": "西河村",
                    "uplink": "西河村-光猫",
                    "recorder": "10.3.2.20:80",
                    "severity": "critical",
                    "scope": "village",
                },
                "annotations": {
                    "summary": "录像机离线（16 路通道无画面） / Recorder down, 16 channels dark: 青石镇 西河村"
                },
            }
        ],
        [offline(alertname="CamfleetCameraClockDrift")],
        [{**offline(), "labels": {"alertname": "CamfleetBaselineReviewOverdue", "instance": "127.0.0.1:9870"}}],
        [{**offline(), "annotations": {}}],
    ],
    ids=[
        "offline",
        "firing-and-resolved",
        "image-fault",
        "uplink-down",
        "storm",
        "nvr-channel",
        "recorder-down",
        "no-status",
        "review",
        "no-summary",
    ],
)
def test_relay_says_what_the_alertmanager_template_says(alerts: list[dict[str, Any]], tmp_path: Path) -> None:
    """The relay's lines for DingTalk equal the `camfleet.phone` template's text for WeChat Work, rendered by
    the real `amtool template render` (Beijing time computed by Go's time methods in the template)."""
    data = payload(*alerts)
    (tmp_path / "data.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run(
        [_amtool(), "template", "render", f"--template.glob={TEMPLATES}/*.tmpl",
         f"--template.data={tmp_path / 'data.json'}", '--template.text={{ template "camfleet.phone" . }}'],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    title, blocks = render(Payload.model_validate(data), BEIJING, "http://127.0.0.1:9870")
    assert result.stdout.rstrip("\n") == "\n".join([title, *(line for b in blocks for line in b)])


def test_template_names_every_status_in_chinese() -> None:
    """The template's status chain has each status of STATUS_ZH (camfleet/model.py) with its Chinese name."""
    text = (TEMPLATES / "camfleet.tmpl").read_text(encoding="utf-8")
    for status, zh in STATUS_ZH.items():
        if status not in (Status.OK, Status.UNKNOWN):
            assert f'eq $s "{status}" }}}}{zh}{{{{' in text, status


def test_template_names_every_reason_in_chinese() -> None:
    """The template's reason chain has each reason of REASON_ZH (camfleet/model.py) with its Chinese words."""
    text = (TEMPLATES / "camfleet.tmpl").read_text(encoding="utf-8")
    for reason, zh in REASON_ZH.items():
        if reason is not Reason.NONE:
            assert f'eq . "{reason}" }}}}{zh}{{{{' in text, reason


def test_template_and_relay_give_rules_the_same_status() -> None:
    """The statuses the template gives rules whose alerts carry no `status` label are the relay's RULE_STATUS
    (each status's own rule in STATUSES, and the snapshot rule's protocol_error)."""
    text = (TEMPLATES / "camfleet.tmpl").read_text(encoding="utf-8")
    chain = re.findall(r'eq \$a ((?:"\w+" ?)+)}}{{ \$s = "(\w+)" }}', text)
    in_template = {name: status for names, status in chain for name in re.findall(r'"(\w+)"', names)}
    assert in_template == RULE_STATUS
    assert RULE_STATUS["CamfleetCameraSnapshotFailed"] == RULE_STATUS["CamfleetCameraProtocolError"] == "protocol_error"


def _robot(base: str, secret: str = DING_SECRET) -> Robot:
    return Robot(f"{base}/robot/send?access_token={DING_TOKEN}", secret)


async def _no_wait(_: float) -> None:
    return None


async def test_relay_signs_and_delivers_and_says_why_it_cannot() -> None:
    """Posted to the relay, a webhook body reaches the DingTalk stand-in as one signed markdown message in
    Chinese. With the wrong secret the robot refuses, the relay answers 502 (so Alertmanager retries) naming
    the robot's host, never its token or secret; a body that is not Alertmanager's gets 400, an oversized one
    413."""
    inbox = Inbox()
    async with serving(dingtalk_app(inbox)) as ding, aiohttp.ClientSession() as session:
        async with serving(make_app(_robot(ding), BEIJING, "http://127.0.0.1:9870", sleep=_no_wait)) as relay:
            async with session.post(f"{relay}/alert", json=payload(offline())) as reply:
                assert reply.status == 200, await reply.text()
            async with session.post(f"{relay}/alert", data=b"[1, 2") as reply:
                assert reply.status == 400 and "not an Alertmanager webhook body" in await reply.text()
            async with session.post(f"{relay}/alert", data=b"x" * (MAX_BODY + 1)) as reply:
                assert reply.status == 413
        assert not inbox.problems and len(inbox.messages) == 1
        md = inbox.messages[0]["markdown"]
        assert md["title"] == "【告警】摄像机离线" and "开始：2026-12-06 15:09 北京时间" in md["text"]
        wrong = make_app(_robot(ding, "SECwrong"), BEIJING, "", sleep=_no_wait)
        async with serving(wrong) as relay, session.post(f"{relay}/alert", json=payload(offline())) as reply:
            assert reply.status == 502
            said = await reply.text()
    assert "127.0.0.1" in said and "errcode 310000" in said, said
    assert DING_TOKEN not in said and "SECwrong" not in said
    assert inbox.problems == ["robot/send: sign does not match"]  # a signature fault is not tried again


def test_relay_refuses_secret_files_others_can_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A robot URL file readable by the group is a config error (exit 4) naming the option and the chmod, and
    the file's content is not printed."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMFLEET_CONFIG", raising=False)
    hook, secret = tmp_path / "hook", tmp_path / "secret"
    hook.write_text(f"https://robot.invalid/robot/send?access_token={DING_TOKEN}\n", encoding="utf-8")
    secret.write_text(DING_SECRET + "\n", encoding="utf-8")
    os.chmod(hook, 0o640)
    os.chmod(secret, 0o600)
    args = ["relay", "dingtalk", "--webhook-file", str(hook), "--secret-file", str(secret)]
    result = CliRunner().invoke(cli_app, args, terminal_width=300)
    assert result.exit_code == 4
    assert re.search(r"--webhook-file .*hook: readable by others; chmod 600", result.stderr), result.stderr
    assert DING_TOKEN not in result.output + result.stderr
