"""Write the phone messages in docs/alerting.md ("On the phone") from the shipped rules, routes and template.

Run ``python deploy/alertmanager/render_docs.py`` after changing an alert rule, the routes or ``camfleet.phone``:
it rewrites the part of docs/alerting.md between the ``phone-messages`` markers. ``--check`` rewrites nothing and
exits 1 when the committed text differs (tests/test_phone_messages.py runs it).

For every alert of ``deploy/prometheus/camfleet.alerts.yml`` whose route (``amtool config routes test`` with its
``alertname``, ``severity`` and ``scope``) reaches a receiver with a phone (企业微信 or the 钉钉 relay):

1. ``promtool test rules`` evaluates the shipped rules on the alert's example series (``EXAMPLES``: 青石镇 西河村,
   fixed values) with prometheus.yml's external labels, so its labels and annotations (runbook link included) are
   what Prometheus gives it. promtool prints the alerts a rule really produced when they differ from the test's
   expectation; the test here expects a label no rule sets, to read them;
2. ``amtool template render`` renders ``camfleet.phone`` for it as a group of one, started 2026-12-06 07:09 UTC.

The alerts routed elsewhere (email) are named in one sentence per receiver.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AM_DIR = ROOT / "deploy" / "alertmanager"
PROM_DIR = ROOT / "deploy" / "prometheus"
ALERTS = PROM_DIR / "camfleet.alerts.yml"
DOC = ROOT / "docs" / "alerting.md"
BEGIN = "<!-- phone-messages: written by deploy/alertmanager/render_docs.py, do not edit by hand -->"
END = "<!-- end of phone-messages -->"
STARTS_AT = "2026-12-06T07:09:00Z"
#: Where alerts whose route has no phone go, in words (receivers of alertmanager.yml).
EMAIL_WORDS = {"planners": "the planners' email", "camfleet-engineer": "the engineer's email"}

# The example's place and camera, as camfleet_camera_info and the village series carry them.
PLACE = 'town="青石镇",village="西河村"'
CAMERA = 'job="camfleet",instance="127.0.0.1:9870",camera="C0412-1"'


def info(firmware: str = "V5.7.3", serial: str = "DS0412") -> str:
    """The example camera's ``camfleet_camera_info`` series."""
    return (
        f'camfleet_camera_info{{{CAMERA},{PLACE},point="P0412",point_name="村口",program="一村一探头",'
        f'uplink="西河村-光猫",vendor="HIKVISION",model="DS-2CD3T46",firmware="{firmware}",serial="{serial}"}}'
    )


@dataclass(frozen=True)
class Example:
    """Series that make one alert fire once (promtool's ``input_series``), read at ``at`` (after its ``for:``)."""

    series: tuple[tuple[str, str], ...]  # (series, values)
    at: str
    interval: str = "1m"


def _camera(status: str, reason: str = "", agreement: str = "", at: str = "35m") -> Example:
    """A camera in ``status`` for an hour and a half."""
    series = f'camfleet_camera_status{{{CAMERA},status="{status}",reason="{reason}",agreement="{agreement}"}}'
    return Example(((series, "1x90"), (info(), "1x90")), at)


def _with_info(series: str, values: str, at: str) -> Example:
    return Example(((series, values), (info(), "1x90")), at)


#: One example per alert kind that reaches a phone: tests/test_phone_messages.py fails for a phone alert without one.
EXAMPLES: dict[str, Example] = {
    "CamfleetCameraOffline": _camera("offline", "timeout", at="20m"),
    "CamfleetCameraImageFault": _camera("covered"),
    "CamfleetCameraAuthFailed": _camera("auth_failed", "password", at="20m"),
    "CamfleetCameraProtocolError": _camera("protocol_error", "malformed"),
    "CamfleetCameraSnapshotFailed": _camera("protocol_error", "not_a_jpeg"),
    "CamfleetCameraDegraded": _camera("degraded", "slow", at="65m"),
    "CamfleetCameraClockDrift": _with_info(f"camfleet_camera_clock_offset_seconds{{{CAMERA}}}", "-95x90", "35m"),
    # a new status every minute: 60 changes in the last hour
    "CamfleetCameraFlapping": _with_info(
        f"camfleet_camera_status_since_timestamp_seconds{{{CAMERA}}}", "0+60x90", "70m"
    ),
    "CamfleetCameraTamperUnconfirmed": _camera("ok", agreement="camera_only"),
    "CamfleetBaselineReviewOverdue": Example(
        (('camfleet_baseline_review_overdue_cameras{job="camfleet",instance="127.0.0.1:9870"}', "3x60"),), "20m"
    ),
    # camfleet's default 72 h; cannot judge since 74 h before the series start
    "CamfleetCameraCannotJudge": Example(
        (
            ('camfleet_cannot_judge_alert_after_seconds{job="camfleet",instance="127.0.0.1:9870"}', "259200x90"),
            (f'camfleet_camera_status{{{CAMERA},status="cannot_judge",reason="featureless",agreement=""}}', "1x90"),
            (f"camfleet_camera_status_since_timestamp_seconds{{{CAMERA}}}", "-266400x90"),
            (info(), "1x90"),
        ),
        "20m",
    ),
    # ten-minute samples: re-flashed from V5.7.3 to V5.8.0 after 25 h
    "CamfleetCameraIdentityChanged": Example(
        (
            (info(), "1x150"),
            (info("V5.8.0"), "_x150 1x150"),
        ),
        "1520m",
        "10m",
    ),
    "CamfleetUplinkDown": Example(
        ((f'camfleet_uplink_up{{job="camfleet",uplink="西河村-光猫",{PLACE}}}', "0x60"),), "20m"
    ),
    # a 16-channel recorder of the village, dark for 20 minutes
    "CamfleetRecorderDown": Example(
        (
            (f'camfleet_recorder_up{{job="camfleet",recorder="10.3.2.20:80",{PLACE},uplink="西河村-光猫"}}', "0x60"),
            (
                f'camfleet_recorder_channels{{job="camfleet",recorder="10.3.2.20:80",{PLACE},uplink="西河村-光猫"}}',
                "16x60",
            ),
        ),
        "20m",
    ),
    "CamfleetVillageWithoutWorkingCamera": Example(
        (
            (f'camfleet_village_covered{{job="camfleet",{PLACE}}}', "0x60"),
            (f'camfleet_village_coverage_known{{job="camfleet",{PLACE}}}', "1x60"),
        ),
        "35m",
    ),
}


def tool(name: str) -> str:
    """The path of ``name`` (Debian's prometheus and prometheus-alertmanager packages)."""
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"{name} not found: install Debian's prometheus and prometheus-alertmanager packages")
    return path


def rules() -> list[tuple[str, dict[str, str]]]:
    """Every alert of camfleet.alerts.yml in file order, with its ``severity`` and ``scope`` labels."""
    text = ALERTS.read_text(encoding="utf-8")
    out = []
    for block in re.split(r"(?m)^(?= +- alert: )", text)[1:]:
        name = block.split("- alert: ", 1)[1].split("\n", 1)[0].strip()
        labels = dict(re.findall(r"(?m)^\s+(severity|scope): (\w+)$", block))
        out.append((name, labels))
    return out


def phone_receivers() -> set[str]:
    """Receivers of alertmanager.yml that post to 企业微信 or to a webhook (the 钉钉 relay)."""
    text = (AM_DIR / "alertmanager.yml").read_text(encoding="utf-8").split("\nreceivers:\n", 1)[1]
    blocks = re.split(r"(?m)^  - name: ", text)[1:]
    return {b.split("\n", 1)[0].strip() for b in blocks if re.search(r"(?m)^\s+(wechat|webhook)_configs:", b)}


def routes() -> dict[str, str]:
    """Alert → the receiver ``amtool config routes test`` gives its alertname, severity and scope."""

    def route(rule: tuple[str, dict[str, str]]) -> str:
        name, labels = rule
        args = [f"alertname={name}", *(f"{k}={v}" for k, v in sorted(labels.items()))]
        result = subprocess.run(
            [tool("amtool"), "config", "routes", "test", f"--config.file={AM_DIR / 'alertmanager.yml'}", *args],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        if result.returncode != 0:
            raise SystemExit(f"amtool config routes test {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout.strip()

    found = rules()
    with ThreadPoolExecutor(4) as pool:
        return dict(zip((name for name, _ in found), pool.map(route, found), strict=True))


def phone_alerts(routed: dict[str, str]) -> list[str]:
    """The alerts whose route reaches a phone, in camfleet.alerts.yml's order."""
    phones = phone_receivers()
    return [name for name, receiver in routed.items() if receiver in phones]


def external_labels() -> dict[str, str]:
    """``global.external_labels`` of prometheus.yml (Prometheus adds them to every alert it sends)."""
    text = (PROM_DIR / "prometheus.yml").read_text(encoding="utf-8")
    block = re.search(r"(?m)^  external_labels:\n((?:    .*\n|\s*\n)*)", text)
    if block is None:
        raise SystemExit("deploy/prometheus/prometheus.yml: no global.external_labels")
    pairs = re.findall(r'(?m)^    (\w+): *"?([^"\n#]*?)"?\s*$', block.group(1))
    return dict(pairs)


_GOT = re.compile(r"alertname: (\w+), time: [^\n]*\n\s+exp:\[.*?\], \n\s+got:\[(.*?)\n\s*\]", re.S)
_PAIR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def _go_map(text: str) -> dict[str, str]:
    """``{a="b", c="d\\n"}`` as promtool prints labels (Go-quoted values) → a dict."""
    return {k: ast.literal_eval(f'"{v}"') for k, v in _PAIR.findall(text)}


def fired(names: list[str]) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """Each named alert's labels (external labels added) and annotations, from its example, as the shipped rules
    give them under ``promtool test rules``."""
    missing = [n for n in names if n not in EXAMPLES]
    if missing:
        raise SystemExit(f"no example series for {', '.join(missing)}: add them to EXAMPLES in {Path(__file__).name}")
    external = external_labels()
    lines = ["rule_files:", f"  - {json.dumps(str(PROM_DIR / 'camfleet.rules.yml'))}",
             f"  - {json.dumps(str(ALERTS))}", "evaluation_interval: 1m", "tests:"]  # fmt: skip
    for name in names:
        ex = EXAMPLES[name]
        lines += [f"  - name: {name}", f"    interval: {ex.interval}", f"    external_labels: {json.dumps(external)}",
                  "    input_series:"]  # fmt: skip
        lines += [f"      - {{series: {json.dumps(s, ensure_ascii=False)}, values: '{v}'}}" for s, v in ex.series]
        lines += ["    alert_rule_test:", f"      - {{eval_time: {ex.at}, alertname: {name},",
                  "         exp_alerts: [{exp_labels: {render_docs: example}}]}"]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "examples.test.yml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = subprocess.run([tool("promtool"), "test", "rules", str(path)], capture_output=True, text=True,
                                timeout=120)  # fmt: skip
    out: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    for name, got in _GOT.findall(result.stdout + result.stderr):
        alerts = re.findall(r"Labels:(\{.*\})\n\s+Annotations:(\{.*\})", got)
        if len(alerts) != 1:
            raise SystemExit(f"the example of {name} gives {len(alerts)} alerts at {EXAMPLES[name].at}, not one")
        labels, annotations = (_go_map(m) for m in alerts[0])
        out[name] = ({**external, **labels}, annotations)  # as Prometheus sends them: its own win
    if set(out) != set(names):
        raise SystemExit(
            f"promtool gave no alerts for {sorted(set(names) - set(out))}:\n{result.stdout}{result.stderr}"
        )
    return out


def group(receiver: str, labels: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
    """One firing alert as Alertmanager's webhook (and its template data) carries it, grouped by the shipped
    routes' ``alertname, town, village``."""
    grouped = {k: labels[k] for k in ("alertname", "town", "village") if k in labels}
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": annotations,
        "startsAt": STARTS_AT,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://127.0.0.1:9090/graph",
        "fingerprint": "0",
    }
    return {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "receiver": receiver, "status": "firing",
            "alerts": [alert], "groupLabels": grouped, "commonLabels": labels, "commonAnnotations": annotations,
            "externalURL": "http://127.0.0.1:9093"}  # fmt: skip


def render_phone(data: dict[str, Any]) -> str:
    """``camfleet.phone`` for ``data``, by ``amtool template render`` with the shipped templates."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        result = subprocess.run(
            [tool("amtool"), "template", "render", f"--template.glob={AM_DIR / 'templates'}/*.tmpl",
             f"--template.data={path}", '--template.text={{ template "camfleet.phone" . }}'],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"amtool template render: {result.stderr.strip()}")
    return result.stdout.rstrip("\n")


@dataclass(frozen=True)
class Message:
    """One phone alert kind: its group as Alertmanager sends it and its text on the phone."""

    alert: str
    receiver: str
    data: dict[str, Any]
    text: str


def messages(routed: dict[str, str] | None = None) -> list[Message]:
    """The phone message of every alert kind that reaches a phone, in camfleet.alerts.yml's order."""
    routed = routes() if routed is None else routed
    names = phone_alerts(routed)
    alerts = fired(names)
    datas = [group(routed[n], *alerts[n]) for n in names]
    with ThreadPoolExecutor(4) as pool:
        texts = list(pool.map(render_phone, datas))
    return [Message(n, routed[n], d, t) for n, d, t in zip(names, datas, texts, strict=True)]


def section(found: list[Message], routed: dict[str, str]) -> str:
    """The text between the markers: each message, then where the other alerts go."""
    parts = []
    for m in found:
        parts.append(f"**`{m.alert}`** (`{m.receiver}`)\n\n```text\n{m.text}\n```\n")
    elsewhere: dict[str, list[str]] = {}
    for name, receiver in routed.items():
        if all(m.alert != name for m in found):
            elsewhere.setdefault(receiver, []).append(name)
    said = [
        f"{EMAIL_WORDS.get(receiver, f'`{receiver}`')}: {', '.join(f'`{n}`' for n in names)}"
        for receiver, names in elsewhere.items()
    ]
    if said:
        parts.append("Not on the phones, to " + "; to ".join(said) + ".\n")
    return "\n".join(parts)


def render_doc(text: str, body: str) -> str:
    """docs/alerting.md with ``body`` between the markers."""
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise SystemExit(f"docs/alerting.md: expected one {BEGIN!r} and one {END!r}")
    head, rest = text.split(BEGIN, 1)
    return f"{head}{BEGIN}\n{body}{END}{rest.split(END, 1)[1]}"


def main(argv: list[str]) -> int:
    """Rewrite the docs' phone messages, or with ``--check`` say whether they are current."""
    routed = routes()
    old = DOC.read_text(encoding="utf-8")
    new = render_doc(old, section(messages(routed), routed))
    if "--check" in argv:
        if old != new:
            print("docs/alerting.md's phone messages are stale: run python deploy/alertmanager/render_docs.py",
                  file=sys.stderr)  # fmt: skip
        return 1 if old != new else 0
    if old != new:
        DOC.write_text(new, encoding="utf-8")
        print("wrote docs/alerting.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
