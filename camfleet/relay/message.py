"""An Alertmanager webhook payload → the short Chinese message a duty officer reads on a phone.

The same lines as the `camfleet.phone` template of deploy/alertmanager/templates/camfleet.tmpl (which
企业微信 gets straight from Alertmanager), so both chats say the same thing.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from typing import Literal
from urllib.parse import quote_plus

from pydantic import BaseModel, ConfigDict, Field

from camfleet.model import REASON_ZH, STATUS_ZH, STATUSES, Reason, Status

#: Alerts listed per message (a phone screen; the rest are counted).
MAX_LISTED = 5
#: The status a rule implies when its series carries no `status` label: each status's own rule in STATUSES (the
#: image faults' rule keeps the label), the snapshot rule, which splits protocol_error by reason, and the recorder's
#: (its channels all offline, reason nvr: one alert for the recorder).
RULE_STATUS: dict[str, str] = {
    **{i.alert.rule: s.value for s, i in STATUSES.items() if i.alert is not None and not i.image_fault},
    "CamfleetCameraSnapshotFailed": Status.PROTOCOL_ERROR.value,
    "CamfleetRecorderDown": Status.OFFLINE.value,
}
_FRACTION = re.compile(r"\.\d+")
_BEIJING = timedelta(hours=8)


class Alert(BaseModel):
    """One alert of the payload (the fields the message uses; Alertmanager sends more)."""

    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: str = Field(alias="startsAt")
    ends_at: str = Field("", alias="endsAt")
    generator_url: str = Field("", alias="generatorURL")


class Payload(BaseModel):
    """Alertmanager's webhook body (version 4)."""

    model_config = ConfigDict(extra="ignore")

    version: str
    status: Literal["firing", "resolved"]
    alerts: list[Alert] = Field(min_length=1, max_length=1000)
    common_labels: dict[str, str] = Field(default_factory=dict, alias="commonLabels")
    truncated_alerts: int = Field(0, alias="truncatedAlerts")


def moment(text: str, zone: tzinfo) -> str:
    """``2026-12-06T07:09:00.123456789Z`` → ``2026-12-06 15:09 北京时间`` (or the zone's name elsewhere)."""
    when = datetime.fromisoformat(_FRACTION.sub("", text, count=1).replace("Z", "+00:00")).astimezone(zone)
    name = "北京时间" if when.utcoffset() == _BEIJING else (getattr(zone, "key", None) or when.strftime("%Z"))
    return f"{when:%Y-%m-%d %H:%M} {name}"


def _zh(summary: str) -> str:
    return summary.split(" / ", 1)[0].split("\n", 1)[0]


def rule_status(labels: dict[str, str]) -> str:
    """The status an alert is about: its `status` label, else the one its rule implies ("" for none)."""
    return labels.get("status") or RULE_STATUS.get(labels.get("alertname", ""), "")


def status_zh(labels: dict[str, str]) -> str:
    """The status in Chinese, with the reason when the rule keeps it (auth, protocol, snapshot)."""
    word = rule_status(labels)
    try:
        text = STATUS_ZH[Status(word)]
    except ValueError:
        text = word
    reason = labels.get("reason", "")
    if reason:
        try:
            text += f"（{REASON_ZH[Reason(reason)]}）"
        except ValueError:
            text += f"（{reason}）"
    return text


def _where(a: Alert) -> str:
    lab = a.labels
    if lab.get("village"):
        text = f"{lab.get('town', '')} {lab['village']}"
        text += f" {lab['point_name']}" if lab.get("point_name") else ""
        return text + (f"（点位 {lab['point']}）" if lab.get("point") else "")
    if lab.get("town"):
        return lab["town"] + (f" {lab['standard']}" if lab.get("standard") else "")
    return lab.get("instance") or _zh(a.annotations.get("summary", ""))


def evidence(a: Alert, web_url: str) -> str:
    """Where to look: an ``evidence_url`` annotation, the camera in camfleet, the town's coverage, the review
    page, else the graph that fired."""
    if a.annotations.get("evidence_url"):
        return a.annotations["evidence_url"]
    if a.labels.get("camera"):
        return f"{web_url}/api/cameras/{quote_plus(a.labels['camera'])}"
    if a.labels.get("town"):
        return f"{web_url}/coverage?town={quote_plus(a.labels['town'])}"
    if a.labels.get("alertname") == "CamfleetBaselineReviewOverdue":
        return f"{web_url}/review"
    return a.generator_url


def alert_lines(a: Alert, zone: tzinfo, web_url: str) -> list[str]:
    """One alert's lines: where, camera (an NVR channel: with its recorder and channel), recorder or uplink, status
    (how long), identity now, since (and resolved), evidence, runbook."""
    lab = a.labels
    lines = [f"▶ {_where(a)}"]
    if lab.get("camera"):
        nvr = f"（录像机 {lab['recorder']} 通道 {lab.get('channel', '')}）" if lab.get("recorder") else ""
        lines.append(f"摄像机：{lab['camera']}{nvr}")
    elif lab.get("recorder"):
        lines.append(f"录像机：{lab['recorder']}")
    elif lab.get("uplink"):
        lines.append(f"上联：{lab['uplink']}")
    if rule_status(lab):  # clock drift, flapping, identity, review: the title says it
        since = a.annotations.get("duration_zh", "")
        lines.append(f"状态：{status_zh(lab)}" + (f"，已 {since}" if since else ""))
    if lab.get("firmware") or lab.get("serial"):  # identity changed: what the camera says it is now
        lines.append(f"现为：固件 {lab.get('firmware') or '—'}，序列号 {lab.get('serial') or '—'}")
    lines.append(f"开始：{moment(a.starts_at, zone)}")
    if a.status == "resolved":
        lines.append(f"恢复：{moment(a.ends_at, zone)}")
    lines.append(f"证据：{evidence(a, web_url)}")
    if a.annotations.get("runbook_url"):
        lines.append(f"处置：{a.annotations['runbook_url']}")
    return lines


def title(p: Payload) -> str:
    """``【告警·紧急】村级上联中断``: firing or resolved, critical or not, the first alert's Chinese summary."""
    state = "告警" if p.status == "firing" else "恢复"
    urgent = "·紧急" if p.common_labels.get("severity") == "critical" else ""
    count = len(p.alerts) + p.truncated_alerts
    more = f" 共 {count} 条" if count > 1 else ""
    first = p.alerts[0]
    summary = first.annotations.get("summary", "")
    name = _zh(summary) if summary else first.labels.get("alertname", "")  # as the template: no summary, the name
    return f"【{state}{urgent}】{name}{more}"


def render(p: Payload, zone: tzinfo, web_url: str) -> tuple[str, list[list[str]]]:
    """The title and the listed alerts' lines (firing first, at most ``MAX_LISTED`` of each)."""
    firing = [a for a in p.alerts if a.status == "firing"]
    resolved = [a for a in p.alerts if a.status == "resolved"]
    blocks = [alert_lines(a, zone, web_url) for a in firing[:MAX_LISTED]]
    if len(firing) + (p.truncated_alerts if p.status == "firing" else 0) > MAX_LISTED:
        blocks.append([f"……共 {len(firing) + p.truncated_alerts} 条，仅列出前 {MAX_LISTED} 条"])
    if resolved and firing:
        blocks.append(["已恢复："])
    blocks.extend(alert_lines(a, zone, web_url) for a in resolved[:MAX_LISTED])
    return title(p), blocks


def markdown(p: Payload, zone: tzinfo, web_url: str) -> tuple[str, str]:
    """DingTalk's markdown ``(title, text)``: a bold title, one paragraph per alert, lines broken with two
    trailing spaces (DingTalk joins single newlines)."""
    head, blocks = render(p, zone, web_url)
    return head, "\n\n".join([f"**{head}**", *("  \n".join(b) for b in blocks)])
