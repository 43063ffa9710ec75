"""deploy/alertmanager: valid config, routes, bilingual templates, and grouping/inhibition in a real Alertmanager."""

from __future__ import annotations

import email
import email.message
import email.policy
import json
import shutil
import socket
import socketserver
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from escaping_helpers import assert_inert, hostile
from system_helpers import missing

AM_DIR = Path(__file__).resolve().parent.parent / "deploy" / "alertmanager"
CONFIG = AM_DIR / "alertmanager.yml"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} not found: install Debian's `prometheus-alertmanager` package")
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=AM_DIR)


def test_config_is_valid() -> None:
    """`amtool check-config` accepts the config with its six inhibit rules and the template file."""
    result = _run(_tool("amtool"), "check-config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 inhibit rules" in result.stdout and "1 templates" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["alertname=CamfleetCameraOffline", "severity=warning", "scope=camera"], "command-centre"),
        (["alertname=CamfleetUplinkDown", "severity=critical", "scope=village"], "command-centre-urgent"),
        (["alertname=CamfleetRecorderDown", "severity=critical", "scope=village"], "command-centre-urgent"),
        (
            ["alertname=CamfleetVillageWithoutWorkingCamera", "severity=critical", "scope=village"],
            "command-centre-urgent",
        ),
        (["alertname=CamfleetPollerDown", "severity=critical", "scope=poller"], "camfleet-engineer"),
        (["alertname=CamfleetSweepsBehind", "severity=warning", "scope=poller"], "camfleet-engineer"),
        (["alertname=CamfleetTownWorkingRateLow", "severity=warning", "scope=town"], "planners"),
    ],
)
def test_routes(labels: list[str], receiver: str) -> None:
    """`amtool config routes test` sends each kind of alert to the intended receiver."""
    result = _run(_tool("amtool"), "config", "routes", "test", f"--config.file={CONFIG}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_templates_render_bilingual(tmp_path: Path) -> None:
    """The email templates render a group in Chinese and English, naming the village and cameras, times in
    Beijing time (09:30 UTC reads 17:30)."""
    data = {
        "receiver": "command-centre",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": "CamfleetCameraOffline",
                    "camera": "C1",
                    "point": "P1",
                    "town": "城关镇",
                    "village": "东村",
                    "severity": "warning",
                },
                "annotations": {"summary": "摄像机离线 / Camera offline: C1", "description": "离线。\nOffline."},
                "startsAt": "2026-11-27T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
            },
            {
                "status": "resolved",
                "labels": {"alertname": "CamfleetCameraOffline", "camera": "C2", "town": "城关镇", "village": "东村"},
                "annotations": {"summary": "摄像机离线 / Camera offline: C2", "description": "好了。\nBack."},
                "startsAt": "2026-11-27T09:00:00Z",
                "endsAt": "2026-11-27T09:30:00Z",
            },
        ],
        "groupLabels": {"alertname": "CamfleetCameraOffline", "town": "城关镇", "village": "东村"},
        "commonLabels": {"alertname": "CamfleetCameraOffline", "town": "城关镇", "village": "东村"},
        "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
    }
    (tmp_path / "data.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = _run(
        _tool("amtool"),
        "template",
        "render",
        f"--template.glob={AM_DIR}/templates/*.tmpl",
        f"--template.data={tmp_path / 'data.json'}",
        '--template.text={{ template "camfleet.text" . }}',
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("[告警 FIRING:1] CamfleetCameraOffline 城关镇 东村")
    assert "告警中 Firing (1):\n- 摄像机离线 / Camera offline: C1\n  离线。\n  Offline.\n  摄像机 camera: C1" in text
    assert "已恢复 Resolved (1):" in text and "恢复 resolved: 2026-11-27 17:30 北京时间" in text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http(url: str, body: object | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


@contextmanager
def _running(config: Path, tmp_path: Path) -> Iterator[str]:
    """A real Alertmanager on 127.0.0.1 with ``config``, clustering off; stopped by its PID."""
    binary = shutil.which("prometheus-alertmanager") or _tool("alertmanager")
    port = _free_port()
    log = (tmp_path / "alertmanager.log").open("wb")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/ready", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "alertmanager.log").read_text()) from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


#: The shipped config's 企业微信 API root, and a closed loopback port standing in for it: tests never reach out.
WECHAT_API = "wechat_api_url: https://qyapi.weixin.qq.com/cgi-bin/"
NOWHERE = "wechat_api_url: http://127.0.0.1:9/cgi-bin/"


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    """A real Alertmanager with the shipped config (its WeChat Work API moved to a closed loopback port)."""
    text = CONFIG.read_text(encoding="utf-8")
    assert text.count(WECHAT_API) == 1
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        text.replace(WECHAT_API, NOWHERE).replace("  - templates/*.tmpl", f"  - {AM_DIR}/templates/*.tmpl"),
        encoding="utf-8",
    )
    with _running(config, tmp_path) as base:
        yield base


def _alert(name: str, **labels: str) -> dict[str, Any]:
    return {"labels": {"alertname": name, "job": "camfleet", **labels}, "annotations": {"summary": name}}


def _active_groups(base: str) -> set[tuple[str, str, str, str, tuple[str, ...]]]:
    """(alertname, town, village, receiver, cameras) of every group, counting only uninhibited alerts."""
    groups = _http(f"{base}/api/v2/alerts/groups?inhibited=false")
    out = set()
    for group in groups:
        if not group["alerts"]:
            continue
        labels = group["labels"]
        cameras = tuple(sorted(a["labels"].get("camera", "") for a in group["alerts"]))
        out.add(
            (
                labels.get("alertname", ""),
                labels.get("town", ""),
                labels.get("village", ""),
                group["receiver"]["name"],
                cameras,
            )
        )
    return out


def _settled_groups(
    base: str, expected: set[tuple[str, str, str, str, tuple[str, ...]]], seconds: float = 10.0
) -> set[tuple[str, str, str, str, tuple[str, ...]]]:
    """``_active_groups`` once it equals ``expected``, or its last reading after ``seconds``: Alertmanager
    takes posted alerts in and applies inhibitions asynchronously (a group was seen missing right after a post)."""
    deadline = time.monotonic() + seconds
    groups = _active_groups(base)
    while groups != expected and time.monotonic() < deadline:
        time.sleep(0.1)
        groups = _active_groups(base)
    return groups


def test_grouping_and_inhibition_end_to_end(alertmanager: str) -> None:
    """Alerts posted to a real Alertmanager group by village; uplink-down and poller-down inhibit as designed."""
    camera = {"severity": "warning", "scope": "camera"}
    village = {"severity": "critical", "scope": "village"}
    alerts = [
        _alert("CamfleetCameraOffline", camera="C1", town="城关镇", village="东村", uplink="城关镇/东村", **camera),
        _alert("CamfleetCameraOffline", camera="C2", town="城关镇", village="东村", uplink="城关镇/东村", **camera),
        _alert("CamfleetCameraOffline", camera="C7", town="河口街道", village="北村", uplink="北村-光猫", **camera),
        _alert("CamfleetUplinkDown", uplink="北村-光猫", town="河口街道", village="北村", **village),
        _alert("CamfleetVillageWithoutWorkingCamera", town="河口街道", village="北村", **village),
        _alert("CamfleetVillageWithoutWorkingCamera", town="城关镇", village="西村", **village),
    ]
    _http(f"{alertmanager}/api/v2/alerts", alerts)
    expected = {
        ("CamfleetCameraOffline", "城关镇", "东村", "command-centre", ("C1", "C2")),  # one message, two cameras
        ("CamfleetUplinkDown", "河口街道", "北村", "command-centre-urgent", ("",)),
        ("CamfleetVillageWithoutWorkingCamera", "城关镇", "西村", "command-centre-urgent", ("",)),
        # C7 and 北村's coverage alert are inhibited by the uplink
    }
    assert _settled_groups(alertmanager, expected) == expected
    inhibited = {
        a["labels"].get("camera") or a["labels"]["village"]
        for a in _http(f"{alertmanager}/api/v2/alerts?active=false&inhibited=true")
        if a["status"]["inhibitedBy"]
    }
    assert inhibited == {"C7", "北村"}

    _http(
        f"{alertmanager}/api/v2/alerts",
        [_alert("CamfleetPollerDown", instance="127.0.0.1:9870", severity="critical", scope="poller")],
    )
    down = {("CamfleetPollerDown", "", "", "camfleet-engineer", ("",))}
    assert _settled_groups(alertmanager, down) == down


def test_a_dead_recorder_is_one_page_under_its_uplink(alertmanager: str) -> None:
    """A recorder's RecorderDown and its three channels' CameraOffline alerts (which carry its `recorder` label) posted
    to a real Alertmanager leave one group, the recorder's, on the duty officer's route; with an UplinkDown for the
    recorder's uplink posted too, only the uplink's group is left (root causes: uplink → recorder → channel)."""
    place = {"town": "青石镇", "village": "西河村", "uplink": "西河村-光猫"}
    channels = [
        _alert("CamfleetCameraOffline", camera=f"C090{n}", recorder="10.3.2.20:80", channel=str(n), severity="warning",
               scope="camera", **place)
        for n in (1, 2, 3)
    ]  # fmt: skip
    recorder = _alert("CamfleetRecorderDown", recorder="10.3.2.20:80", severity="critical", scope="village", **place)
    _http(f"{alertmanager}/api/v2/alerts", [*channels, recorder])
    one = {("CamfleetRecorderDown", "青石镇", "西河村", "command-centre-urgent", ("",))}
    assert _settled_groups(alertmanager, one) == one
    held = _http(f"{alertmanager}/api/v2/alerts?active=false&inhibited=true")
    assert {a["labels"].get("camera") for a in held if a["status"]["inhibitedBy"]} == {"C0901", "C0902", "C0903"}

    _http(
        f"{alertmanager}/api/v2/alerts", [_alert("CamfleetUplinkDown", severity="critical", scope="village", **place)]
    )
    uplink = {("CamfleetUplinkDown", "青石镇", "西河村", "command-centre-urgent", ("",))}
    assert _settled_groups(alertmanager, uplink) == uplink


class _Mailbox(socketserver.ThreadingTCPServer):
    """An SMTP server on 127.0.0.1 that keeps every message it is given (just enough SMTP for Alertmanager)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpSession)
        self.messages: list[bytes] = []


class _SmtpSession(socketserver.StreamRequestHandler):
    server: _Mailbox

    def handle(self) -> None:
        self.wfile.write(b"220 localhost ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line.strip().split(b" ")[0].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250-localhost\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 end with <CRLF>.<CRLF>\r\n")
                lines = []
                while (part := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(part[1:] if part.startswith(b"..") else part)
                self.server.messages.append(b"".join(lines))
                self.wfile.write(b"250 kept\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def _mail_config(tmp_path: Path, smtp_port: int) -> Path:
    """The shipped config with only the mail relay's port, the first notification's wait and the template path
    changed."""
    text = CONFIG.read_text(encoding="utf-8")
    for old, new in (
        ("smtp_smarthost: 127.0.0.1:25", f"smtp_smarthost: 127.0.0.1:{smtp_port}"),
        ("group_wait: 30s", "group_wait: 0s"),
        ("  - templates/*.tmpl", f"  - {AM_DIR}/templates/*.tmpl"),
        (WECHAT_API, NOWHERE),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "alertmanager.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_hostile_labels_are_inert_in_the_email(tmp_path: Path) -> None:
    """A town alert whose town, village, camera, point, summary and description carry markup, quotes and
    Chinese reaches a real Alertmanager and leaves as an email (to an SMTP server on 127.0.0.1): the HTML part
    shows every one of them as text and runs nothing; the text part and the subject carry them unchanged."""
    labels = {"town": hostile("甲镇"), "village": hostile("乙村"), "camera": hostile("戊机"), "point": hostile("丙点")}
    notes = {"summary": hostile("辛详"), "description": hostile("卯因")}
    alert = _alert("CamfleetTownWorkingRateLow", severity="warning", scope="town", **labels)
    alert["annotations"] = notes
    with _Mailbox() as mailbox:
        serving = threading.Thread(target=mailbox.serve_forever, daemon=True)
        serving.start()
        try:
            with _running(_mail_config(tmp_path, mailbox.server_address[1]), tmp_path) as base:
                _http(f"{base}/api/v2/alerts", [alert])
                deadline = time.monotonic() + 30
                while not mailbox.messages and time.monotonic() < deadline:
                    time.sleep(0.1)
        finally:
            mailbox.shutdown()
            serving.join(timeout=10)
    assert mailbox.messages, (tmp_path / "alertmanager.log").read_text()
    mail = email.message_from_bytes(mailbox.messages[0], policy=email.policy.default)
    assert isinstance(mail, email.message.EmailMessage)
    html_part, text_part = mail.get_body(("html",)), mail.get_body(("plain",))
    assert html_part is not None and text_part is not None
    assert_inert(html_part.get_content(), {"town": labels["town"], "village": labels["village"], **notes})
    text = text_part.get_content()
    assert all(value in text for value in [*labels.values(), *notes.values()])
    assert labels["town"] in str(mail["Subject"]) and labels["village"] in str(mail["Subject"])
