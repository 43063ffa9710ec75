"""One camera JSON for `sweep --json`, `check --json` and /api/cameras/{id}; topic parsing; `camfleet check` events."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree
from poller_helpers import GROUP, PASSWORD, camfleet_cli, running, spec, write_credentials

from camfleet.model import Agreement, CameraClaim, CameraState, CameraTarget, DeviceIdentity, Status
from camfleet.onvif.events import parse_pull_reply
from camfleet.probe.events import EventsSession, apply_messages
from camfleet.runtime.camera_events import agreement_of
from camfleet.runtime.camera_json import camera_json
from camfleet.runtime.fleet import FleetState
from camfleet.service.views import camera_json as api_camera_json
from camfleet.simulator import Fault, SimulatedFleet

#: The keys DESIGN.md and docs/poller.md promise for `sweep --json`, and the ones /api/cameras showed before.
SWEEP_KEYS = {"id", "status", "reason", "town", "village", "uplink", "host", "port", "latency_ms", "clock_offset_s",
              "detail", "since", "flapping", "vendor", "model", "firmware", "serial"}  # fmt: skip
API_KEYS = {"id", "town", "village", "point", "program", "host", "port", "uplink", "status", "reason", "detail",
            "since", "last_probe_at", "last_ok_at", "latency_ms", "clock_offset_s", "flapping", "vendor", "model",
            "firmware", "scores"}  # fmt: skip


def test_sweep_and_api_share_one_shape() -> None:
    """The API's camera JSON is the sweep's camera JSON (one function): the union of both former key sets plus the
    events claim, for a checked camera and a never-checked one alike; no credential group appears."""
    target = CameraTarget("C1", "127.0.0.1", 8080, "up", "secret-group", "东山镇", "东村", "P1", "一村一探头")
    claim = CameraClaim((Status.COVERED,), True, Agreement.CAMERA_ONLY, 100.0, 160.0, "")
    state = CameraState("C1", Status.OK, since=50.0, last_probe_at=160.0, latency_s=0.0123,
                        identity=DeviceIdentity("Hik", "DS-1", "5.1", "SN1"), camera_events=claim)  # fmt: skip
    fleet = FleetState(targets={"C1": target}, states={"C1": state})
    api = api_camera_json(fleet, "C1")
    swept = camera_json(target, state)
    assert api == swept
    assert set(swept) >= SWEEP_KEYS | API_KEYS | {"camera_events", "last_frame_at"}
    assert swept["camera_events"] == {"claim": ["covered"], "known": True, "agreement": "camera_only",
                                      "since": 100.0, "last_pull_at": 160.0, "error": ""}  # fmt: skip
    assert swept["latency_ms"] == 12.3 and swept["serial"] == "SN1" and swept["point"] == "P1"
    never = camera_json(target, None)
    assert set(never) == set(swept) and never["status"] == "unknown" and never["latency_ms"] is None
    assert never["since"] is None and never["camera_events"] is None
    assert "secret-group" not in json.dumps([swept, never], ensure_ascii=False)
    assert api_camera_json(fleet, "nope") is None


REPLY = b"""<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
 xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"
 xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body><tev:PullMessagesResponse>
<tev:CurrentTime>2026-11-27T12:00:00Z</tev:CurrentTime><tev:TerminationTime>2026-11-27T12:10:00.5+00:00</tev:TerminationTime>
%s</tev:PullMessagesResponse></s:Body></s:Envelope>"""


def _msg(topic: str, op: str, source: str, item: str, value: str) -> bytes:
    return (
        f'<wsnt:NotificationMessage><wsnt:Topic Dialect="x">{topic}</wsnt:Topic><wsnt:Message><tt:Message '
        f'UtcTime="2026-11-27T12:00:00Z" PropertyOperation="{op}"><tt:Source><tt:SimpleItem Name="Source" '
        f'Value="{source}"/></tt:Source><tt:Data><tt:SimpleItem Name="{item}" Value="{value}"/></tt:Data>'
        "</tt:Message></wsnt:Message></wsnt:NotificationMessage>"
    ).encode()


def _answer(*messages: bytes) -> etree._Element:
    root = etree.fromstring(REPLY % b"".join(messages))
    return root[0][0]


def test_topics_operations_and_unknown_topics() -> None:
    """Prefixes and the trailing service segment vary by firmware; `1`/`true` and `0`/`false` both read; two
    sources of one topic are two properties; `Deleted` removes one; unknown topics, the reboot topic and a
    tamper-detector topic other than `Tamper` are ignored; times in the camera's clock are read."""
    first = parse_pull_reply(_answer(
        _msg("tns1:RuleEngine/TamperDetector/Tamper", "Initialized", "vs1", "IsTamper", "false"),
        _msg("tns1:RuleEngine/TamperDetector/Tamper", "Initialized", "vs2", "IsTamper", "1"),
        _msg("ns2:VideoSource/ns2:ImageTooBlurry/ns2:AnalyticsService", "Initialized", "vs1", "State", "true"),
        _msg("tns1:VideoSource/ImageTooDark/ImagingService", "Initialized", "vs1", "State", "0"),
        _msg("tns1:RuleEngine/TamperDetector/Other", "Initialized", "vs1", "IsTamper", "true"),
        _msg("tns1:VideoSource/MotionAlarm", "Initialized", "vs1", "State", "true"),
        _msg("tns1:Monitoring/OperatingTime/LastReboot", "Initialized", "", "Status", "2026-11-27T00:00:00Z"),
    ))  # fmt: skip
    assert first.termination_time is not None and first.current_time is not None
    assert first.termination_time - first.current_time == pytest.approx(600.5)
    session = EventsSession()
    assert apply_messages(session, first.messages, fresh=True) == 4
    assert session.claim() == (Status.COVERED, Status.DEFOCUSED)
    later = parse_pull_reply(_answer(
        _msg("tns1:RuleEngine/TamperDetector/Tamper", "Deleted", "vs2", "IsTamper", "true"),
        _msg("tns1:VideoSource/ImageTooDark/ImagingService", "Changed", "vs1", "State", "true"),
        _msg("tns1:VideoSource/ImageTooBlurry/ImagingService", "Changed", "vs1", "State", "maybe"),
    ))  # fmt: skip
    apply_messages(session, later.messages, fresh=False)
    assert session.claim() == (Status.DEFOCUSED, Status.TOO_DARK)  # "maybe" leaves the property as it was


@pytest.mark.timeout(120)
async def test_check_cli_reports_the_camera_claim(tmp_path: Path) -> None:
    """`camfleet check HOST:PORT --credential G --json` against a covered camera with no stored baseline: the
    picture is judged with no baseline and is `covered` (the day-one rules; before them it could not be judged
    and read `camera_only`), the camera's events claim covered too → `agree`; the text output says the same in
    one line and gives the time of the check in the configured zone (UTC here); no password anywhere in the
    output."""
    s = spec("CHK-ev", 47, 1, "检查村")
    fleet = SimulatedFleet([s])
    fleet.add_fault(Fault("covered", cameras=("CHK-ev",), material="dark_cloth"))  # too dark as well
    creds = write_credentials(tmp_path / "c.toml")
    env = {"CAMFLEET_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}", "CAMFLEET_CREDENTIALS_FILE": str(creds),
           "CAMFLEET_CONFIG": str(tmp_path / "absent.toml")}  # fmt: skip
    (tmp_path / "absent.toml").write_text(
        '[poller]\ncall_timeout_s = 3.0\n[display]\ntimezone = "UTC"\n', encoding="utf-8"
    )
    async with running(fleet):
        rc, out, err = await camfleet_cli("check", f"{s.host}:{s.port}", "--credential", GROUP, "--json", env=env)
        rc_text, text, _ = await camfleet_cli("check", f"{s.host}:{s.port}", "--credential", GROUP, env=env)
    doc = json.loads(out)
    assert doc["camera_events"]["known"] is True, (doc, err)
    assert "covered" in doc["camera_events"]["claim"] and doc["camera_events"]["agreement"] == "agree"
    assert doc["picture"]["verdict"] == "covered"
    assert "camera events: covered, too_dark (camfleet: covered) → agree" in text, text
    assert re.search(r"检查时间 checked at: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n", text), text
    assert PASSWORD not in out + err + text
    assert rc == rc_text
    assert not fleet.cameras["CHK-ev"].subscriptions  # unsubscribed after reading


@pytest.mark.parametrize(
    ("claim", "ours", "expected"),
    [
        ((Status.COVERED,), Status.SPRAY, Agreement.AGREE),  # a tamper rule fires on paint
        ((Status.TOO_DARK,), Status.BLACK, Agreement.AGREE),  # a lost signal is "too dark" to the camera
        ((Status.DEFOCUSED,), Status.DEFOCUSED, Agreement.AGREE),
        ((Status.DEFOCUSED, Status.TOO_DARK), Status.COVERED, Agreement.AGREE),
        ((Status.DEFOCUSED,), Status.FROZEN, Agreement.OTHER_FAULT),  # both see a fault, not the same one
        ((Status.OVEREXPOSED,), Status.TOO_DARK, Agreement.OTHER_FAULT),
        ((Status.DISPLACED,), Status.DEFOCUSED, Agreement.OTHER_FAULT),
        ((Status.COVERED,), Status.OK, Agreement.CAMERA_ONLY),
        ((Status.COVERED,), Status.CANNOT_JUDGE, Agreement.CAMERA_ONLY),
        ((), Status.FROZEN, Agreement.CAMFLEET_ONLY),
        ((), Status.OK, Agreement.AGREE),
        ((), Status.CANNOT_JUDGE, Agreement.UNJUDGED),
    ],
)
def test_agreement_compares_the_kind_of_fault(claim: tuple[Status, ...], ours: Status, expected: Agreement) -> None:
    """The agreement is no longer "fault or not" only: a claim agrees with camfleet's fault when the claimed topic
    can stand for it (a tamper rule for paint, "too dark" for a lost signal), and is `other_fault` when both report
    faults of unrelated kinds (the camera "too blurry" while camfleet sees a frozen picture)."""
    assert agreement_of(claim, ours) is expected
