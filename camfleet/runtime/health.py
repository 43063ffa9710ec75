"""The health state machine: per-check hysteresis, one root cause per camera, the uplink rule, flapping.

Each check kind keeps its own *confirmed* verdict: a verdict that disagrees with it must be seen
``fail_threshold`` (K) times in a row to replace it when it is bad, ``recover_threshold`` (M) times when it
is ok. A camera never checked (unknown) takes its first good verdict at once and a bad one after K.
Reachability belongs to liveness alone: an ``offline`` verdict from another kind is ignored.

Picture verdicts (the frame kind) have their own hysteresis: an image fault must be seen
``fault_threshold`` (config ``vision.fault_threshold``) frames in a row, *the same fault each time*, before
it is confirmed — a lorry parked in front of the lens for one sample, or a covered frame followed by a
sprayed one, never alarms. Recovery takes ``recover_threshold`` ok frames, as for every kind.

The camera's own status is the worst confirmed verdict, in ``PRIORITY`` order; with liveness offline
nothing else counts. A camera whose first picture is not fine yet (a fault awaiting confirmation, or not
judged: held back for its peers or its events) shows ``cannot_judge`` meanwhile, not liveness's ``ok``.
The uplink rule then applies: when every camera behind an uplink is confirmed offline, and they are at least
``MIN_UPLINK_DEVICES`` devices (the channels of one recorder are one device: a lone dead NVR is the NVR's
fault, ``offline``/``nvr``, not the uplink's), they all show ``uplink_down``/``uplink``; the first answer from
any of them lifts it and each returns to its own status. A channel whose picture is gone while its recorder
answers (``offline``/``video_loss``, the one ``offline`` a picture check may give) is an answer, not an outage.
Every change of a camera's shown status is a ``Transition``; ``flap_threshold`` changes within ``flap_window_s``
mark it flapping.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace

from camfleet.config.poller import PollerConfig
from camfleet.model import STATUSES, CameraState, CheckKind, ProbeResult, Reason, Status, Transition

MIN_UPLINK_DEVICES = 2

#: Worst first: one root cause per camera. ``StatusInfo.rank`` in ``camfleet/model.py`` orders the groups
#: (offline, protocol_error, auth_failed, image faults, degraded, cannot_judge, ok, unknown); a group's
#: statuses (the image faults) follow their words. uplink_down has no rank: the uplink rule sets it.
PRIORITY: tuple[Status, ...] = tuple(
    sorted((s for s, info in STATUSES.items() if info.rank is not None), key=lambda s: (STATUSES[s].rank, s.value))
)
_RANK = {s: i for i, s in enumerate(PRIORITY)}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one check kind says about a camera."""

    status: Status = Status.UNKNOWN
    reason: Reason = Reason.NONE
    detail: str = ""


@dataclass(slots=True)
class KindTrack:
    """One check kind's confirmed verdict and the run of disagreeing verdicts seen since."""

    confirmed: Verdict
    pending: int = 0
    pending_status: Status = Status.UNKNOWN  # the disagreeing status being counted
    pending_verdict: Verdict | None = None  # ... and its latest verdict

    @property
    def unsettled(self) -> bool:
        """A disagreeing verdict is waiting for confirmation (the scheduler re-checks soon)."""
        return self.pending > 0


class HealthMachine:
    """Owns every ``CameraState``; ``observe()`` feeds a result and returns the transitions it caused."""

    def __init__(
        self, cfg: PollerConfig, uplinks: dict[str, str] | None = None, *, fault_threshold: int | None = None
    ) -> None:
        self.cfg = cfg
        self.fault_threshold = fault_threshold if fault_threshold is not None else cfg.fail_threshold
        self.states: dict[str, CameraState] = {}
        self.tracks: dict[str, dict[CheckKind, KindTrack]] = {}
        self.uplink_of: dict[str, str] = dict(uplinks or {})
        self.device_of: dict[str, str] = {}  # a recorder's channel → the recorder (host:port); standalone: absent
        self.members: dict[str, set[str]] = {}
        self.uplink_down: set[str] = set()
        self._flaps: dict[str, deque[float]] = {}
        for camera_id, uplink in self.uplink_of.items():
            self.members.setdefault(uplink, set()).add(camera_id)

    # ------------------------------------------------------------------ membership and restart
    def add_camera(self, camera_id: str, uplink: str, stored: CameraState | None = None, *, recorder: str = "") -> None:
        """Track a camera; ``stored`` resumes it from the database without re-announcing its status; ``recorder``
        names the recorder (host:port) a channel is on."""
        if recorder:
            self.device_of[camera_id] = recorder
        else:
            self.device_of.pop(camera_id, None)
        old = self.uplink_of.get(camera_id)
        if old is not None and old != uplink:
            self.members.get(old, set()).discard(camera_id)
        self.uplink_of[camera_id] = uplink
        self.members.setdefault(uplink, set()).add(camera_id)
        if camera_id in self.states:
            return
        state = replace(stored) if stored is not None else CameraState(camera_id=camera_id)
        state.scores = dict(state.scores)
        self.states[camera_id] = state
        self.tracks[camera_id] = _tracks_from_status(state)
        if state.status is Status.UPLINK_DOWN:
            self.uplink_down.add(uplink)

    def remove_camera(self, camera_id: str) -> None:
        """Stop tracking a camera (removed from the inventory)."""
        uplink = self.uplink_of.pop(camera_id, None)
        if uplink is not None:
            self.members.get(uplink, set()).discard(camera_id)
        self.states.pop(camera_id, None)
        self.tracks.pop(camera_id, None)
        self._flaps.pop(camera_id, None)
        self.device_of.pop(camera_id, None)

    def unsettled(self, camera_id: str) -> list[CheckKind]:
        """Kinds of this camera with a verdict awaiting confirmation."""
        return [k for k, t in self.tracks.get(camera_id, {}).items() if t.unsettled]

    def confirmed(self, camera_id: str, kind: CheckKind) -> Verdict:
        """The confirmed verdict of one kind (unknown when never checked)."""
        track = self.tracks.get(camera_id, {}).get(kind)
        return track.confirmed if track is not None else Verdict()

    # ------------------------------------------------------------------ observation
    def observe(self, result: ProbeResult, now: float) -> list[Transition]:
        """Feed one probe result; return the transitions of every camera whose shown status changed."""
        state = self.states.get(result.camera_id)
        if state is None:
            return []
        _record_facts(state, result, now)
        video_loss = result.reason is Reason.VIDEO_LOSS
        if result.kind is not CheckKind.LIVENESS and result.status is Status.OFFLINE and not video_loss:
            return []  # reachability is liveness's call; the next liveness check will see it
        track = self.tracks[result.camera_id].setdefault(result.kind, KindTrack(Verdict()))
        self._advance(state, track, Verdict(result.status, result.reason, result.detail), result.kind)
        answered = result.status is not Status.OFFLINE or video_loss
        changed = self._uplink_update(result.camera_id, answered=answered)
        changed.add(result.camera_id)
        return [t for cid in sorted(changed) if (t := self._settle(cid, now)) is not None]

    def _advance(self, state: CameraState, track: KindTrack, verdict: Verdict, kind: CheckKind) -> None:
        current = track.confirmed
        if verdict.status is current.status:
            track.confirmed, track.pending = verdict, 0
        else:
            if kind is CheckKind.FRAME and verdict.status is not track.pending_status:
                track.pending = 0  # pictures: only a run of the *same* verdict counts
            track.pending += 1
            track.pending_status, track.pending_verdict = verdict.status, verdict
            if track.pending >= self._needed(current.status, verdict.status, kind):
                track.confirmed, track.pending = verdict, 0
        if verdict.status is Status.OK:
            state.consecutive_successes += 1
            state.consecutive_failures = 0
        else:
            state.consecutive_failures += 1
            state.consecutive_successes = 0

    def _needed(self, current: Status, seen: Status, kind: CheckKind) -> int:
        """How many verdicts in a row replace ``current`` with ``seen``."""
        if seen is Status.OK:
            return 1 if current is Status.UNKNOWN else self.cfg.recover_threshold
        if kind is CheckKind.FRAME and seen.is_image_fault:
            return self.fault_threshold
        return self.cfg.fail_threshold

    def own_verdict(self, camera_id: str) -> Verdict:
        """The camera's status before the uplink rule: the worst confirmed verdict."""
        tracks = self.tracks.get(camera_id, {})
        live = tracks.get(CheckKind.LIVENESS)
        if live is None or live.confirmed.status in (Status.UNKNOWN, Status.OFFLINE):
            return live.confirmed if live is not None else Verdict()
        verdicts = [t.confirmed for t in tracks.values() if t.confirmed.status is not Status.UNKNOWN]
        frame = tracks.get(CheckKind.FRAME)
        seen = frame.pending_verdict if frame is not None and frame.confirmed.status is Status.UNKNOWN else None
        if frame is not None and frame.pending and seen is not None:
            # Its first picture is not fine (a fault not yet confirmed, or not judged yet): liveness alone must
            # not show it ok meanwhile.
            if seen.status is not Status.CANNOT_JUDGE:
                seen = Verdict(
                    Status.CANNOT_JUDGE, Reason.NO_BASELINE, f"first picture reads {seen.status}; confirming"
                )
            verdicts.append(seen)
        return min(verdicts, key=lambda v: _RANK.get(v.status, len(PRIORITY)))

    def _uplink_update(self, camera_id: str, answered: bool) -> set[str]:
        uplink = self.uplink_of.get(camera_id, "")
        members = self.members.get(uplink, set())
        if answered and uplink in self.uplink_down:
            self.uplink_down.discard(uplink)
            return set(members)
        if uplink in self.uplink_down or len({self.device_of.get(m, m) for m in members}) < MIN_UPLINK_DEVICES:
            return set()
        if all(_unreachable(self.own_verdict(m)) for m in members):
            self.uplink_down.add(uplink)
            return set(members)
        return set()

    def shown_verdict(self, camera_id: str) -> Verdict:
        """The status the world sees: the own verdict, or uplink_down when the uplink rule holds."""
        own = self.own_verdict(camera_id)
        if _unreachable(own) and self.uplink_of.get(camera_id) in self.uplink_down:
            return Verdict(
                Status.UPLINK_DOWN, Reason.UPLINK, f"every camera behind {self.uplink_of[camera_id]} is offline"
            )
        return own

    def _settle(self, camera_id: str, now: float) -> Transition | None:
        state = self.states[camera_id]
        shown = self.shown_verdict(camera_id)
        if shown.status is state.status:
            state.reason, state.detail = shown.reason, shown.detail  # same fault, fresher words
            return None
        transition = Transition(camera_id, now, state.status, shown.status, shown.reason, shown.detail)
        state.status, state.reason, state.detail, state.since = shown.status, shown.reason, shown.detail, now
        self._flap(state, now)
        return transition

    def _flap(self, state: CameraState, now: float) -> None:
        times = self._flaps.setdefault(state.camera_id, deque())
        times.append(now)
        while times and now - times[0] > self.cfg.flap_window_s:
            times.popleft()
        state.flapping = len(times) >= self.cfg.flap_threshold

    def refresh_flapping(self, now: float) -> Iterable[str]:
        """Clear flapping flags whose window has passed; yields the cameras whose flag changed."""
        for camera_id, times in self._flaps.items():
            while times and now - times[0] > self.cfg.flap_window_s:
                times.popleft()
            state = self.states.get(camera_id)
            if state is not None and state.flapping and len(times) < self.cfg.flap_threshold:
                state.flapping = False
                yield camera_id


def _unreachable(verdict: Verdict) -> bool:
    """Offline for want of an answer (a channel's video loss is the recorder's answer)."""
    return verdict.status is Status.OFFLINE and verdict.reason is not Reason.VIDEO_LOSS


def _record_facts(state: CameraState, result: ProbeResult, now: float) -> None:
    """Latency, clock offset, identity and scores: facts, kept whatever the verdict."""
    state.last_probe_at = now
    if result.kind is CheckKind.LIVENESS and result.status is not Status.OFFLINE:
        state.latency_s = result.latency_s
    if result.clock_offset_s is not None:
        state.clock_offset_s = result.clock_offset_s
    if result.identity is not None:
        state.identity = result.identity
    if result.kind is CheckKind.FRAME and result.frame is not None:
        # A picture was fetched and judged: its scores (sharpness_ratio feeds a metric) replace the last ones.
        state.last_frame_at = now
        state.scores = dict(result.scores)
    if result.status is Status.OK and result.kind is CheckKind.LIVENESS:
        state.last_ok_at = now


def _tracks_from_status(state: CameraState) -> dict[CheckKind, KindTrack]:
    """Rebuild confirmed verdicts from a stored status so that a restart re-announces nothing."""
    status, reason, detail = state.status, state.reason, state.detail
    if status is Status.UNKNOWN:
        return {}
    if status is Status.UPLINK_DOWN:
        return {CheckKind.LIVENESS: KindTrack(Verdict(Status.OFFLINE, Reason.UNREACHABLE, detail))}
    if reason is Reason.VIDEO_LOSS:  # the recorder answered; the channel's picture said it
        return {
            CheckKind.LIVENESS: KindTrack(Verdict(Status.OK)),
            CheckKind.FRAME: KindTrack(Verdict(status, reason, detail)),
        }
    kind = STATUSES[status].track or CheckKind.FRAME
    if kind is CheckKind.LIVENESS:
        return {CheckKind.LIVENESS: KindTrack(Verdict(status, reason, detail))}
    return {CheckKind.LIVENESS: KindTrack(Verdict(Status.OK)), kind: KindTrack(Verdict(status, reason, detail))}
