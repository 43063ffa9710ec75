"""The health state machine: hysteresis, root cause, the uplink rule, flapping and restarts (pure logic)."""

from __future__ import annotations

from camfleet.config.poller import PollerConfig
from camfleet.model import CameraState, CheckKind, ProbeResult, Reason, Status, Transition
from camfleet.runtime.health import HealthMachine

CFG = PollerConfig(fail_threshold=3, recover_threshold=2, flap_threshold=4, flap_window_s=100.0)


def res(cid: str, status: Status, reason: Reason = Reason.NONE, kind: CheckKind = CheckKind.LIVENESS) -> ProbeResult:
    """A probe result."""
    return ProbeResult(cid, kind, status, reason)


def machine(*uplinks: tuple[str, str]) -> HealthMachine:
    """A machine with cameras (id, uplink)."""
    h = HealthMachine(CFG)
    for cid, uplink in uplinks:
        h.add_camera(cid, uplink)
    return h


def feed(h: HealthMachine, results: list[ProbeResult], t0: float = 1000.0) -> list[Transition]:
    """Feed results one second apart; all transitions."""
    out: list[Transition] = []
    for i, r in enumerate(results):
        out += h.observe(r, t0 + i)
    return out


def test_k_failures_to_go_bad_and_m_successes_to_recover() -> None:
    """From ok, two failures change nothing, the third does; one success does not recover, the second does."""
    h = machine(("C1", "u1"))
    assert [t.to_status for t in feed(h, [res("C1", Status.OK)])] == [Status.OK]
    off = res("C1", Status.OFFLINE, Reason.TIMEOUT)
    assert feed(h, [off, off]) == [] and h.states["C1"].status is Status.OK
    [t] = feed(h, [off])
    assert (t.from_status, t.to_status, t.reason) == (Status.OK, Status.OFFLINE, Reason.TIMEOUT)
    assert feed(h, [res("C1", Status.OK)]) == []
    [back] = feed(h, [res("C1", Status.OK)])
    assert back.to_status is Status.OK and h.states["C1"].status is Status.OK


def test_a_single_blip_never_shows_and_resets_the_count() -> None:
    """fail, fail, ok, fail, fail: never K in a row, so the camera stays ok with no transition."""
    h = machine(("C1", "u1"))
    feed(h, [res("C1", Status.OK)])
    off = res("C1", Status.OFFLINE, Reason.REFUSED)
    assert feed(h, [off, off, res("C1", Status.OK), off, off]) == []
    assert h.states["C1"].status is Status.OK


def test_unknown_takes_a_good_verdict_at_once_and_a_bad_one_after_k() -> None:
    """A first success shows immediately; a first failure needs confirming like any other."""
    h = machine(("C1", "u1"), ("C2", "u2"))
    assert len(feed(h, [res("C1", Status.OK)])) == 1
    off = res("C2", Status.OFFLINE, Reason.REFUSED)
    assert feed(h, [off, off]) == [] and h.states["C2"].status is Status.UNKNOWN
    assert [t.to_status for t in feed(h, [off])] == [Status.OFFLINE]


def test_root_cause_priority_and_liveness_owns_reachability() -> None:
    """Auth failure outranks degraded; an offline verdict from identity is ignored; liveness offline wins."""
    h = machine(("C1", "u1"))
    feed(h, [res("C1", Status.OK)])
    feed(h, [res("C1", Status.AUTH_FAILED, Reason.PASSWORD, CheckKind.IDENTITY)] * 3)
    feed(h, [res("C1", Status.DEGRADED, Reason.SLOW)] * 3)
    assert (h.states["C1"].status, h.states["C1"].reason) == (Status.AUTH_FAILED, Reason.PASSWORD)
    assert feed(h, [res("C1", Status.OFFLINE, Reason.TIMEOUT, CheckKind.IDENTITY)] * 5) == []
    feed(h, [res("C1", Status.OFFLINE, Reason.TIMEOUT)] * 3)
    assert h.states["C1"].status is Status.OFFLINE


def test_uplink_rule_whole_village_down_then_back() -> None:
    """All cameras of an uplink offline → all uplink_down/uplink; the first answer returns each to its own
    status; a village with one camera still up never goes uplink_down."""
    h = machine(("A", "v1"), ("B", "v1"), ("C", "v1"), ("D", "v2"), ("E", "v2"))
    feed(h, [res(c, Status.OK) for c in "ABCDE"])
    off = Status.OFFLINE
    feed(h, [res(c, off, Reason.TIMEOUT) for c in "AB" for _ in range(3)])
    assert {h.states[c].status for c in "AB"} == {off}
    down = feed(h, [res("C", off, Reason.TIMEOUT)] * 3)
    expected = {(c, Status.UPLINK_DOWN, Reason.UPLINK) for c in "ABC"}
    assert {(t.camera_id, t.to_status, t.reason) for t in down} == expected
    feed(h, [res("D", off, Reason.TIMEOUT)] * 3)
    assert h.states["D"].status is off and h.states["E"].status is Status.OK
    up = feed(h, [res("B", Status.OK)])
    assert {t.camera_id: t.to_status for t in up} == {"A": off, "B": off, "C": off}
    assert [t.to_status for t in feed(h, [res("B", Status.OK)])] == [Status.OK]


def test_flapping_is_flagged_within_the_window_and_cleared_after() -> None:
    """Four changes within 100 s mark the camera flapping; once the window has passed the flag clears."""
    h = HealthMachine(PollerConfig(fail_threshold=1, recover_threshold=1, flap_threshold=4, flap_window_s=100.0))
    h.add_camera("C1", "u1")
    feed(h, [res("C1", Status.OK), res("C1", Status.OFFLINE, Reason.TIMEOUT), res("C1", Status.OK)])
    assert not h.states["C1"].flapping
    feed(h, [res("C1", Status.OFFLINE, Reason.TIMEOUT)], t0=1003.0)
    assert h.states["C1"].flapping
    assert list(h.refresh_flapping(2000.0)) == ["C1"] and not h.states["C1"].flapping


def test_restart_from_stored_states_reannounces_nothing() -> None:
    """Cameras stored as offline, uplink_down and auth_failed that are still so produce no transition."""
    stored = {
        "A": CameraState("A", Status.OFFLINE, Reason.REFUSED, since=5.0),
        "B": CameraState("B", Status.UPLINK_DOWN, Reason.UPLINK, since=5.0),
        "C": CameraState("C", Status.UPLINK_DOWN, Reason.UPLINK, since=5.0),
        "D": CameraState("D", Status.AUTH_FAILED, Reason.PASSWORD, since=5.0),
    }
    h = HealthMachine(CFG)
    for cid, uplink in (("A", "u1"), ("B", "u2"), ("C", "u2"), ("D", "u3")):
        h.add_camera(cid, uplink, stored[cid])
    results = [
        res("A", Status.OFFLINE, Reason.REFUSED),
        res("B", Status.OFFLINE, Reason.TIMEOUT),
        res("C", Status.OFFLINE, Reason.TIMEOUT),
        res("D", Status.OK),
        res("D", Status.AUTH_FAILED, Reason.PASSWORD, CheckKind.IDENTITY),
    ]
    assert feed(h, results * 3) == []
    assert {c: h.states[c].since for c in "ABCD"} == dict.fromkeys("ABCD", 5.0)


def test_a_first_picture_not_fine_is_never_shown_ok_while_it_is_confirmed() -> None:
    """Liveness says ok, then the camera's first picture reads covered (fault_threshold 2, so unconfirmed): the
    camera shows cannot_judge/no_baseline, not liveness's ok, whichever came first; the second covered picture
    confirms covered. A first picture held back (cannot_judge) shows as itself; a first ok picture shows ok."""
    h = HealthMachine(CFG, fault_threshold=2)
    for cid in ("C1", "C2", "C3"):
        h.add_camera(cid, "u1")
    covered = ProbeResult("C1", CheckKind.FRAME, Status.COVERED, Reason.NONE, "flat picture")
    feed(h, [covered, res("C1", Status.OK)])
    assert (h.states["C1"].status, h.states["C1"].reason) == (Status.CANNOT_JUDGE, Reason.NO_BASELINE)
    assert "covered" in h.states["C1"].detail
    [t] = feed(h, [covered])
    assert (t.from_status, t.to_status) == (Status.CANNOT_JUDGE, Status.COVERED)
    held = ProbeResult("C2", CheckKind.FRAME, Status.CANNOT_JUDGE, Reason.NO_BASELINE, "waiting for its peers")
    feed(h, [res("C2", Status.OK), held])
    assert (h.states["C2"].status, h.states["C2"].detail) == (Status.CANNOT_JUDGE, "waiting for its peers")
    feed(h, [res("C3", Status.OK), res("C3", Status.OK, kind=CheckKind.FRAME)])
    assert h.states["C3"].status is Status.OK
