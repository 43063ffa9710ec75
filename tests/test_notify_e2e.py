"""The duty room's phones, end to end: the simulator → `camfleet` polling it → a real Prometheus with the shipped
rules → a real Alertmanager with the shipped config and templates → 企业微信 (Alertmanager's own WeChat
receiver) and 钉钉 (through `camfleet relay dingtalk`, a child process) → stand-ins for both APIs that check the
requests as the real services do. A camera under a maintenance window reaches neither."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from chat_helpers import AGENT_ID, CORP_ID, CORP_SECRET, DING_SECRET, DING_TOKEN, Inbox, dingtalk_app, serving
from chat_helpers import wechat_app as wechat_standin
from prom_helpers import PROM, REPO, prometheus_config, service_config, short_rules, start, start_prometheus, stop
from service_helpers import camera_rows, free_port, write_inventory
from system_helpers import need

from camfleet.inventory import maintenance as windows
from camfleet.inventory.store import Store
from camfleet.maintenance import Scope
from camfleet.service.app import Service
from camfleet.simulator import Fault, SimulatedFleet
from camfleet.simulator.inventory_specs import specs_from_inventory

AM = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
NET = 176  # cameras C176-0..5 on 127.40.176.x: 东岭村 has the even ones, 西河村 the odd ones
#: Under a maintenance window, offline with C176-0: in another village, so that its message, were it sent, would be
#: a group of its own with its own 3 s wait (in C176-0's group it could wait for the next 5-minute interval).
HELD = f"C{NET}-3"
PARTY, DUTY_USER = "2", "duty-officer"
#: Offline waits longer than the rest in the test copy: while an uplink's cameras are confirmed one by one they
#: read offline for a second or two before the uplink rule names the uplink (15 minutes in the shipped rule).
OFFLINE_FOR = "10s"


@pytest.fixture(autouse=True)
def _tools() -> None:
    """Skip (fail under CI) without Prometheus or Alertmanager."""
    need(PROM, "Debian package prometheus is not installed")
    need(AM, "Debian package prometheus-alertmanager is not installed")


def _runbook(rules: Path, alert: str, camfleet_url: str) -> str:
    """The runbook_url the rule file gives ``alert``, as Prometheus renders it with ``camfleet_url`` as its
    external label."""
    block = re.split(r"(?m)^(?=      - alert: )", rules.read_text(encoding="utf-8"))
    mine = next(b for b in block if b.startswith(f"      - alert: {alert}\n"))
    found = re.search(r"runbook_url: *(.+)", mine)
    assert found, alert
    return found.group(1).strip().strip("\"'").replace("{{ $externalLabels.camfleet_url }}", camfleet_url)


def _am_config(tmp: Path, wechat: str, relay: str) -> Path:
    """The shipped Alertmanager config with the stand-ins' and the relay's addresses, test ids and secrets, a
    closed mail port, and a 3 s first wait."""
    text = (REPO / "deploy" / "alertmanager" / "alertmanager.yml").read_text(encoding="utf-8")
    for old, new in (
        ("https://qyapi.weixin.qq.com/cgi-bin/", f"{wechat}/cgi-bin/"),
        ("REPLACE_CORP_ID", CORP_ID), ("REPLACE_APP_SECRET", CORP_SECRET), ("REPLACE_AGENT_ID", f'"{AGENT_ID}"'),
        ("REPLACE_PARTY_ID", f'"{PARTY}"'), ("REPLACE_DUTY_OFFICER_USER_ID", DUTY_USER),
        ("http://127.0.0.1:8060/alert", f"{relay}/alert"),
        ("smtp_smarthost: 127.0.0.1:25", "smtp_smarthost: 127.0.0.1:9"),
        ("group_wait: 30s", "group_wait: 3s"),
        ("  - templates/*.tmpl", f"  - {REPO}/deploy/alertmanager/templates/*.tmpl"),
    ):  # fmt: skip
        assert old in text, old
        text = text.replace(old, new)
    path = tmp / "alertmanager.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _secret_file(path: Path, text: str) -> str:
    path.write_text(text + "\n", encoding="utf-8")
    path.chmod(0o600)
    return str(path)


async def _until(check: Callable[[], bool], seconds: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}" for p in logs if p.exists())
            raise AssertionError(f"{what} within {seconds} s\n{tails}")
        await asyncio.sleep(0.5)


async def _ready(session: aiohttp.ClientSession, url: str, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            async with session.get(url) as reply:
                if reply.status == 200:
                    return True
        except (aiohttp.ClientError, TimeoutError):
            pass
        await asyncio.sleep(0.5)
    return False


def _beijing_since(text: str) -> datetime:
    """The 开始 line's time, read as Beijing time."""
    found = re.search(r"开始：(\d{4}-\d\d-\d\d \d\d:\d\d) 北京时间", text)
    assert found, text
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC) - timedelta(hours=8)


def _texts(wechat: Inbox, ding: Inbox) -> tuple[list[str], list[str]]:
    return [m["text"]["content"] for m in wechat.messages], [m["markdown"]["text"] for m in ding.messages]


async def _series(session: aiohttp.ClientSession, prom: str, query: str) -> list[dict[str, Any]]:
    """The instant vector Prometheus gives ``query`` now."""
    async with session.get(f"{prom}/api/v1/query", params={"query": query}) as reply:
        result: list[dict[str, Any]] = (await reply.json())["data"]["result"]
        return result


@pytest.mark.timeout(300)
async def test_offline_camera_and_uplink_down_reach_both_phones_once(tmp_path: Path) -> None:
    """Two cameras go offline at once, one of them (C176-3) under a maintenance window stored before the service
    starts: WeChat Work and DingTalk each get exactly one message, for the other, in Chinese, naming the town,
    village, point and camera, 状态：离线, the time it started in Beijing time (UTC+8: within two minutes of now),
    the evidence link and the rule's runbook link; none names C176-3, though Prometheus holds it offline and held
    for longer than the rule's `for:`, and has no alert for it. Then a village's uplink goes down: each gets
    exactly one more message, 【告警·紧急】 for the village and its uplink, and none for its three cameras."""
    inventory = write_inventory(tmp_path / "district.csv", camera_rows(6, NET))
    cfg = service_config(tmp_path, inventory)
    # stored before the service starts, which reads the windows once at start (then every 15 s)
    now = time.time()
    with Store(cfg.database.url) as store:
        windows.add(store, Scope.CAMERA, HELD, starts_at=now, ends_at=now + 3600, reason="立杆更换", by="王工",
                    now=now)  # fmt: skip
    listen, prom_port, am_port, relay_port = f"127.0.0.1:{free_port()}", free_port(), free_port(), free_port()
    rules = short_rules(tmp_path, {"CamfleetCameraOffline": OFFLINE_FOR})
    config = prometheus_config(tmp_path, rules, listen, alertmanager_port=am_port, camfleet_url=f"http://{listen}")
    (tmp_path / "relay.toml").write_text("", encoding="utf-8")
    logs = [tmp_path / n for n in ("prom.log", "am.log", "relay.log")]
    wechat, ding = Inbox(), Inbox()
    fleet = SimulatedFleet(specs_from_inventory(inventory))
    svc = Service(cfg, listen=listen, configure_logging=False)
    procs: list[subprocess.Popen[bytes]] = []
    async with serving(wechat_standin(wechat)) as wechat_url, serving(dingtalk_app(ding)) as ding_url:
        relay_url = f"http://127.0.0.1:{relay_port}"
        try:
            await fleet.start()
            await svc.start()
            relay_env = {**os.environ, "CAMFLEET_CONFIG": str(tmp_path / "relay.toml")}
            hook = _secret_file(tmp_path / "hook", f"{ding_url}/robot/send?access_token={DING_TOKEN}")
            procs.append(start([sys.executable, "-m", "camfleet.cli", "relay", "dingtalk",
                                 "--listen", f"127.0.0.1:{relay_port}", "--webhook-file", hook,
                                 "--secret-file", _secret_file(tmp_path / "ding-secret", DING_SECRET)],
                                logs[2], relay_env))  # fmt: skip
            procs.append(start([AM or "alertmanager", f"--config.file={_am_config(tmp_path, wechat_url, relay_url)}",
                                 f"--storage.path={tmp_path / 'am'}", f"--web.listen-address=127.0.0.1:{am_port}",
                                 "--cluster.listen-address=", "--log.level=info"], logs[1]))  # fmt: skip
            procs.append(start_prometheus(config, prom_port, logs[0]))
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
                assert await _ready(session, f"{relay_url}/-/healthy"), logs[2].read_text()
                assert await _ready(session, f"http://127.0.0.1:{am_port}/-/ready"), logs[1].read_text()
                assert await _ready(session, f"http://127.0.0.1:{prom_port}/-/ready", 90), logs[0].read_text()

            fleet.add_fault(Fault(kind="offline", cameras=(f"C{NET}-0", HELD)))
            await _until(lambda: bool(wechat.messages and ding.messages), 120, "no offline message", logs)
            await asyncio.sleep(8)  # anything more (one per receiver, a second group) would arrive by now
            first = _texts(wechat, ding)
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                prom, held = f"http://127.0.0.1:{prom_port}", f'camera="{HELD}"'
                # scraped offline 12+ times in the last 20 s: past the 10 s `for:`, so only the window holds it
                offline_held = await _series(
                    session, prom, f'sum(count_over_time(camfleet_camera_status{{{held},status="offline"}}[20s]))'
                )
                held_now = await _series(session, prom, f"camfleet_camera_in_maintenance{{{held}}} == 1")
                held_alerts = await _series(session, prom, f"ALERTS{{{held}}}")

            fleet.add_fault(Fault(kind="uplink_down", village="西河村"))
            await _until(
                lambda: any("上联中断" in t for t in _texts(wechat, ding)[0])
                and any("上联中断" in t for t in _texts(wechat, ding)[1]),
                120, "no uplink message", logs,
            )  # fmt: skip
            await asyncio.sleep(8)
            second = _texts(wechat, ding)
        finally:
            for proc in reversed(procs):
                stop(proc)
            await svc.stop()
            await fleet.stop()
    assert not wechat.problems and not ding.problems, (wechat.problems, ding.problems)
    assert not any(HELD in text for texts in second for text in texts), second

    runbook = _runbook(rules[1], "CamfleetCameraOffline", f"http://{listen}")
    assert runbook == f"http://{listen}/runbook#camfleetcameraoffline", runbook
    assert [len(first[0]), len(first[1])] == [1, 1], first
    for text in (first[0][0], first[1][0]):
        assert text.startswith(("【告警】摄像机离线", "**【告警】摄像机离线**")), text
        for fact in ("青石镇 东岭村 村口（点位 P176-0）", "摄像机：C176-0", "状态：离线",
                     "证据：http://127.0.0.1:9870/api/cameras/C176-0", f"处置：{runbook}"):  # fmt: skip
            assert fact in text, (fact, text)
        assert abs(datetime.now(UTC) - _beijing_since(text)) < timedelta(minutes=2), text
    message: dict[str, Any] = wechat.messages[0]
    assert message["msgtype"] == "text" and message["toparty"] == PARTY and message["agentid"] == AGENT_ID
    assert ding.messages[0]["markdown"]["title"] == "【告警】摄像机离线"

    new_wechat, new_ding = second[0][1:], second[1][1:]
    assert [len(new_wechat), len(new_ding)] == [1, 1], second
    for text in (new_wechat[0], new_ding[0]):
        assert "【告警·紧急】村级上联中断" in text and "青石镇 西河村" in text and "状态：上联中断" in text, text
        assert not re.search(rf"C{NET}-[135]", text), text
        assert f"处置：{_runbook(rules[1], 'CamfleetUplinkDown', f'http://{listen}')}" in text
    assert wechat.messages[1]["touser"] == DUTY_USER and wechat.messages[1]["toparty"] == PARTY
    # the held camera was offline past `for:`, its window active, and Prometheus had no alert for it
    assert len(offline_held) == 1 and int(offline_held[0]["value"][1]) >= 12, offline_held
    assert len(held_now) == 1 and held_alerts == [], (held_now, held_alerts)
