"""Camera-side tamper events: one pull-point subscription per camera, read as the camera's claim.

``EventsSession`` is one camera's subscription and the state of its tamper-type properties;
``poll_events(target, ctx, session, cfg)`` keeps the subscription alive (create, renew, re-create after
``InvalidSubscription``, a reboot or expiry), pulls what changed and returns an ``EventsPoll`` value:
expected I/O failures are values here, never exceptions, and never a camera status.

Topics read (prefixes and the trailing service segment vary by firmware, so the first two segments decide):

| topic | data item | camfleet status |
| --- | --- | --- |
| ``RuleEngine/TamperDetector/Tamper`` | ``IsTamper`` | covered |
| ``VideoSource/GlobalSceneChange/…`` | ``State`` | displaced |
| ``VideoSource/ImageTooBlurry/…`` | ``State`` | defocused |
| ``VideoSource/ImageTooDark/…`` | ``State`` | too_dark |
| ``VideoSource/ImageTooBright/…`` | ``State`` | overexposed |

Every other topic is ignored. Each property is keyed by topic and source (a camera with two video sources
or two tamper rules has two), ``Initialized``/``Changed`` set it, ``Deleted`` removes it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from camfleet.config.events import EventsConfig
from camfleet.errors import DeviceError, DeviceTimeout, DeviceUnreachable
from camfleet.model import CameraTarget, Status
from camfleet.onvif import events as tev
from camfleet.onvif.client import CameraClient
from camfleet.probe.auth import ready_client
from camfleet.probe.context import ProbeContext
from camfleet.probe.discovery import same_host, service_xaddr
from camfleet.probe.outcome import status_of

#: (first two topic segments) → (data item holding the state, the camfleet status it stands for)
TOPICS: dict[str, tuple[str, Status]] = {
    "RuleEngine/TamperDetector": ("IsTamper", Status.COVERED),
    "VideoSource/GlobalSceneChange": ("State", Status.DISPLACED),
    "VideoSource/ImageTooBlurry": ("State", Status.DEFOCUSED),
    "VideoSource/ImageTooDark": ("State", Status.TOO_DARK),
    "VideoSource/ImageTooBright": ("State", Status.OVEREXPOSED),
}
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})
#: Pulls in one round while the camera keeps filling ``message_limit`` (a burst is drained, not forever).
MAX_PULLS_PER_ROUND = 4
#: A camera without pull points is asked again after this long (firmware upgrades add them).
UNSUPPORTED_RETRY_S = 3600.0

PropertyKey = tuple[str, tuple[tuple[str, str], ...]]


@dataclass
class EventsSession:
    """One camera's pull point and the tamper-type properties it reported (runtime-owned, plain data)."""

    xaddr: str | None = None  # the events service, from GetCapabilities
    address: str | None = None  # the pull point
    expires_at: float = 0.0  # our clock: when the subscription ends unless renewed
    properties: dict[PropertyKey, bool] = field(default_factory=dict)
    synced: bool = False  # the properties hold the camera's full current state
    unsupported_until: float = 0.0
    created: int = 0  # subscriptions created (a re-creation after the first counts)
    renewed: int = 0  # Renew calls the camera accepted

    def claim(self) -> tuple[Status, ...]:
        """The image statuses the camera reports now (sorted, each once); empty when it reports none."""
        return tuple(sorted({TOPICS[key[0]][1] for key, on in self.properties.items() if on}))

    def drop(self) -> None:
        """Forget the subscription (the properties stay until a new one has been read)."""
        self.address = None
        self.expires_at = 0.0
        self.synced = False


@dataclass(frozen=True, slots=True)
class EventsPoll:
    """One round: the result as status words (``ok`` or the failure's status/reason), and what changed."""

    status: Status
    reason: str = ""
    detail: str = ""
    messages: int = 0
    created: bool = False  # a subscription was (re)created this round
    skipped: bool = False  # nothing was sent (the camera is known to offer no pull points)
    latency_s: float = 0.0


def topic_key(topic: str) -> str | None:
    """The ``TOPICS`` key of a topic, or None for a topic camfleet does not read."""
    parts = topic.split("/")
    head = "/".join(parts[:2])
    if head == "RuleEngine/TamperDetector" and (len(parts) < 3 or parts[2] != "Tamper"):
        return None
    return head if head in TOPICS else None


def _state(message: tev.EventMessage, item: str) -> bool | None:
    named = [v for n, v in message.data if n.lower() == item.lower()]
    values = named or ([message.data[0][1]] if len(message.data) == 1 else [])
    text = values[0].strip().lower() if values else ""
    return True if text in _TRUE else False if text in _FALSE else None


def apply_messages(session: EventsSession, messages: tuple[tev.EventMessage, ...], fresh: bool) -> int:
    """Fold messages into the session's properties; ``fresh``: they are a new subscription's full state.

    Returns how many messages were about a topic camfleet reads.
    """
    properties: dict[PropertyKey, bool] = {} if fresh else dict(session.properties)
    used = 0
    for msg in messages:
        key = topic_key(msg.topic)
        if key is None:
            continue
        used += 1
        prop: PropertyKey = (key, msg.source)
        if msg.operation == "Deleted":
            properties.pop(prop, None)
            continue
        state = _state(msg, TOPICS[key][0])
        if state is not None:
            properties[prop] = state
    session.properties = properties
    session.synced = True
    return used


async def events_xaddr(client: CameraClient, target: CameraTarget) -> str:
    """The events service address from GetCapabilities (GetServices when that is refused), re-pointed at the
    inventory host like media (behind a village router's NAT the camera advertises its LAN address)."""
    xaddr = await service_xaddr(client, target, "Events")
    if not xaddr:
        raise tev.EventsNotSupported("GetCapabilities: the camera offers no events service", reason="wrong_type")
    return xaddr


def _expiry(now: float, current: float | None, termination: float | None, fallback_s: float) -> float:
    """When a subscription ends, in our clock: the camera's termination time less its own current time
    (a camera whose clock is hours off would otherwise look expired or eternal)."""
    if current is not None and termination is not None and termination >= current:
        return now + (termination - current)
    return now + fallback_s


async def _subscribe(client: CameraClient, target: CameraTarget, session: EventsSession, cfg: EventsConfig) -> None:
    now = time.time()
    if session.xaddr is None:
        session.xaddr = await events_xaddr(client, target)
    sub = await tev.create_pull_point(client, session.xaddr, cfg.subscription_s)
    session.address = same_host(sub.address, target)
    session.expires_at = _expiry(now, sub.current_time, sub.termination_time, cfg.subscription_s)
    session.synced = False
    session.created += 1


async def _pull(client: CameraClient, session: EventsSession, cfg: EventsConfig, timeout_s: float) -> int:
    """Pull until the camera has nothing more (at most ``MAX_PULLS_PER_ROUND`` pulls); messages read."""
    assert session.address is not None
    total = 0
    fresh = not session.synced
    batch: list[tev.EventMessage] = []
    for _ in range(MAX_PULLS_PER_ROUND):
        now = time.time()
        reply = await tev.pull_messages(client, session.address, timeout_s, cfg.message_limit)
        # PullMessages answers carry the subscription's termination time: some cameras extend it per pull.
        if reply.termination_time is not None and reply.current_time is not None:
            session.expires_at = _expiry(now, reply.current_time, reply.termination_time, cfg.subscription_s)
        messages = reply.messages[: cfg.message_limit]  # a camera ignoring MessageLimit gets no more read
        batch.extend(messages)
        total += len(messages)
        if len(reply.messages) < cfg.message_limit:
            break
        timeout_s = 0.0  # draining a burst: do not wait for more
    # A fresh subscription's first answers are the full state: fold them in one go, replacing the old claim.
    apply_messages(session, tuple(batch), fresh)
    return total


async def poll_events(target: CameraTarget, ctx: ProbeContext, session: EventsSession, cfg: EventsConfig) -> EventsPoll:
    """One round for one camera: subscribe if needed, renew when near its end, pull; failures as values."""
    t0 = time.perf_counter()
    now = time.time()
    if session.unsupported_until > now:
        return EventsPoll(
            Status.PROTOCOL_ERROR, "not_supported", "the camera offers no pull-point events", skipped=True
        )
    created = False
    timeout_s = min(cfg.pull_timeout_s, max(ctx.cfg.call_timeout_s - 1.0, 0.0))
    try:
        client = await ready_client(target, ctx)
        if session.address is not None and session.expires_at - now < cfg.renew_margin_s:
            try:
                current, termination = await tev.renew(client, session.address, cfg.subscription_s)
                session.expires_at = _expiry(now, current, termination, cfg.subscription_s)
                session.renewed += 1
            except (tev.SubscriptionGone, tev.EventsNotSupported):
                session.drop()  # Renew is optional for pull points: subscribe anew instead
        if session.address is None:
            await _subscribe(client, target, session, cfg)
            created = True
        try:
            messages = await _pull(client, session, cfg, timeout_s)
        except tev.SubscriptionGone:
            # Expired, or the camera rebooted and forgot it: one new subscription, read at once.
            session.drop()
            await _subscribe(client, target, session, cfg)
            created = True
            messages = await _pull(client, session, cfg, timeout_s)
    except tev.EventsNotSupported as exc:
        session.drop()
        session.xaddr = None
        session.unsupported_until = now + UNSUPPORTED_RETRY_S
        return EventsPoll(Status.PROTOCOL_ERROR, "not_supported", str(exc), latency_s=time.perf_counter() - t0)
    except DeviceError as exc:
        if not isinstance(exc, (DeviceTimeout, DeviceUnreachable)):
            # A broken answer may mean a broken subscription: start over next round rather than trust it.
            session.drop()
        status, reason = status_of(exc)
        return EventsPoll(status, str(reason), str(exc), created=created, latency_s=time.perf_counter() - t0)
    return EventsPoll(Status.OK, messages=messages, created=created, latency_s=time.perf_counter() - t0)


async def close_session(target: CameraTarget, ctx: ProbeContext, session: EventsSession) -> bool:
    """Unsubscribe (best effort: cameras hold few subscriptions); True when the camera confirmed it."""
    address = session.address
    session.drop()
    if address is None or target.camera_id not in ctx.clients:
        return False
    try:
        await tev.unsubscribe(ctx.clients[target.camera_id], address)
    except DeviceError:
        return False
    return True
