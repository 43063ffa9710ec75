"""ONVIF events (tev): pull-point subscriptions whose messages follow the camera's image faults.

What a camera claims depends on its events mode (``SimCamera.claimed_kinds``): truthful, silent (tamper
detection switched off: every topic stays false), lying (the tamper topic says the opposite of the picture), or
none (no events service at all: not advertised, every events operation ``ter:ActionNotSupported``).

Topics: tamper (covered, spray), global scene change (displaced), too blurry (defocus), too dark (black,
covered with dark cloth), too bright (glare), and the last reboot time. The first pull after subscribing (or after
SetSynchronizationPoint) sends every topic's current state with PropertyOperation="Initialized"; later
pulls send only changes. As a real camera does, PullMessages with nothing to send is held until a topic
changes or its ``Timeout`` passes, at most ``HOLD_MAX_S`` (``hold_pull``, awaited by the camera's server
before it answers); the hold re-checks the camera's faults every ``HOLD_STEP_S``.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from camfleet.simulator.scenario import parse_duration
from camfleet.simulator.soap import NS, SoapFault, SoapRequestError, parse_request

if TYPE_CHECKING:
    from camfleet.simulator.camera import SimCamera

_DIALECT = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
_SOURCE = '<tt:SimpleItem Name="VideoSourceConfigurationToken" Value="VideoSourceConfig_1"/>'
#: topic → (data item name, fault kinds that set it, extra source item)
TOPICS: dict[str, tuple[str, frozenset[str], str]] = {
    "tns1:RuleEngine/TamperDetector/Tamper": (
        "IsTamper",
        frozenset({"covered", "spray", "lie"}),  # "lie": a lying camera's tamper detector crying wolf
        '<tt:SimpleItem Name="Rule" Value="MyTamperDetectorRule"/>',
    ),
    "tns1:VideoSource/GlobalSceneChange/ImagingService": ("State", frozenset({"displaced"}), ""),
    "tns1:VideoSource/ImageTooBlurry/ImagingService": ("State", frozenset({"defocus"}), ""),
    "tns1:VideoSource/ImageTooDark/ImagingService": ("State", frozenset({"black", "dark_cover"}), ""),
    "tns1:VideoSource/ImageTooBright/ImagingService": ("State", frozenset({"glare"}), ""),
}
_LAST_REBOOT = "tns1:Monitoring/OperatingTime/LastReboot"
_MAX_SUBSCRIPTIONS = 4
#: Longest a PullMessages request is held for its Timeout (a test or benchmark never waits minutes).
HOLD_MAX_S = 5.0
HOLD_STEP_S = 0.1
_DURATION = re.compile(r"^P(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_ids = itertools.count(1)
SUBSCRIPTION_NOT_FOUND = SoapFault(
    400, "env:Sender", ("ter:InvalidArgVal", "ter:InvalidSubscription"), "No such subscription"
)


@dataclass
class Subscription:
    """One pull point: when it expires (camera clock) and the topic states its consumer has seen."""

    expires: float
    seen: dict[str, bool] = field(default_factory=dict)
    synced: bool = False


def _xs_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _termination(body: etree._Element, tag: str, now: float) -> float:
    text = (body.findtext(tag) or "").strip()
    if text.startswith("PT"):
        try:
            return now + parse_duration(text[2:].lower(), "TerminationTime")
        except Exception:
            return now + 60.0
    return now + 60.0


def get_event_properties(cam: SimCamera) -> str:
    """A minimal topic set (clients mostly ignore it)."""
    return (
        "<tev:GetEventPropertiesResponse><tev:TopicNamespaceLocation>"
        "http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>"
        "<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet><wstop:TopicSet "
        'xmlns:wstop="http://docs.oasis-open.org/wsn/t-1"/>'
        f"<wsnt:TopicExpressionDialect>{_DIALECT}</wsnt:TopicExpressionDialect>"
        "<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter"
        "</tev:MessageContentFilterDialect><tev:MessageContentSchemaLocation>"
        "http://www.onvif.org/onvif/ver10/schema/onvif.xsd</tev:MessageContentSchemaLocation>"
        "</tev:GetEventPropertiesResponse>"
    )


def create_pull_point_subscription(cam: SimCamera, body: etree._Element, path: str) -> str | SoapFault:
    """A new pull point at ``/onvif/pullpoint/N`` on the camera's own address."""
    now = cam.clock()
    expired = [k for k, s in cam.subscriptions.items() if s.expires < now]
    for key in expired:
        del cam.subscriptions[key]
    if len(cam.subscriptions) >= _MAX_SUBSCRIPTIONS:
        # Cameras hold very few subscriptions; a client that never unsubscribes meets this in the field.
        return SoapFault(500, "env:Receiver", ("ter:Action", "ter:TooManySubscriptions"), "Too many subscriptions")
    sub_id = next(_ids)
    expires = _termination(body, f"{{{NS['tev']}}}InitialTerminationTime", now)
    cam.subscriptions[sub_id] = Subscription(expires=expires)
    return (
        "<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa:Address>"
        f"{cam.base_url}/onvif/pullpoint/{sub_id}</wsa:Address></tev:SubscriptionReference>"
        f"<wsnt:CurrentTime>{_xs_time(now)}</wsnt:CurrentTime>"
        f"<wsnt:TerminationTime>{_xs_time(expires)}</wsnt:TerminationTime>"
        "</tev:CreatePullPointSubscriptionResponse>"
    )


def _subscription(cam: SimCamera, path: str) -> Subscription | None:
    tail = path.rsplit("/", 1)[-1]
    sub = cam.subscriptions.get(int(tail)) if tail.isdigit() else None
    return sub if sub is not None and sub.expires >= cam.clock() else None


def _message(topic: str, item: str, value: str, extra: str, when: float, operation: str) -> str:
    return (
        f'<wsnt:NotificationMessage><wsnt:Topic Dialect="{_DIALECT}">{topic}</wsnt:Topic><wsnt:Message>'
        f'<tt:Message UtcTime="{_xs_time(when)}" PropertyOperation="{operation}"><tt:Source>{_SOURCE}{extra}'
        f'</tt:Source><tt:Data><tt:SimpleItem Name="{item}" Value="{value}"/></tt:Data></tt:Message>'
        "</wsnt:Message></wsnt:NotificationMessage>"
    )


def pull_messages(cam: SimCamera, body: etree._Element, path: str) -> str | SoapFault:
    """Changed topic states since the last pull (all of them, ``Initialized``, on the first pull)."""
    sub = _subscription(cam, path)
    if sub is None:
        return SUBSCRIPTION_NOT_FOUND
    now = cam.clock()
    kinds = cam.claimed_kinds() or frozenset()
    messages: list[str] = []
    initial = not sub.synced
    if initial:
        boot = f'<tt:SimpleItem Name="Status" Value="{_xs_time(cam.boot_time)}"/>'
        messages.append(
            f'<wsnt:NotificationMessage><wsnt:Topic Dialect="{_DIALECT}">{_LAST_REBOOT}</wsnt:Topic>'
            f'<wsnt:Message><tt:Message UtcTime="{_xs_time(now)}" PropertyOperation="Initialized"><tt:Source/>'
            f"<tt:Data>{boot}</tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>"
        )
    for topic, (item, triggers, extra) in TOPICS.items():
        state = bool(kinds & triggers)
        if initial or sub.seen.get(topic) != state:
            op = "Initialized" if initial else "Changed"
            messages.append(_message(topic, item, "true" if state else "false", extra, now, op))
            sub.seen[topic] = state
    sub.synced = True
    return (
        f"<tev:PullMessagesResponse><tev:CurrentTime>{_xs_time(now)}</tev:CurrentTime>"
        f"<tev:TerminationTime>{_xs_time(sub.expires)}</tev:TerminationTime>{''.join(messages)}"
        "</tev:PullMessagesResponse>"
    )


def set_synchronization_point(cam: SimCamera, body: etree._Element, path: str) -> str | SoapFault:
    """The next pull re-sends every topic's state."""
    sub = _subscription(cam, path)
    if sub is None:
        return SUBSCRIPTION_NOT_FOUND
    sub.synced = False
    return "<tev:SetSynchronizationPointResponse/>"


def renew(cam: SimCamera, body: etree._Element, path: str) -> str | SoapFault:
    """Extend the subscription."""
    sub = _subscription(cam, path)
    if sub is None:
        return SUBSCRIPTION_NOT_FOUND
    now = cam.clock()
    sub.expires = _termination(body, f"{{{NS['wsnt']}}}TerminationTime", now)
    return (
        f"<wsnt:RenewResponse><wsnt:TerminationTime>{_xs_time(sub.expires)}</wsnt:TerminationTime>"
        f"<wsnt:CurrentTime>{_xs_time(now)}</wsnt:CurrentTime></wsnt:RenewResponse>"
    )


def unsubscribe(cam: SimCamera, body: etree._Element, path: str) -> str | SoapFault:
    """Drop the subscription."""
    tail = path.rsplit("/", 1)[-1]
    if not tail.isdigit() or cam.subscriptions.pop(int(tail), None) is None:
        return SUBSCRIPTION_NOT_FOUND
    return "<wsnt:UnsubscribeResponse/>"


def reply_header(operation: str) -> str:
    """The WS-Addressing Action header that event replies carry."""
    port = (
        "EventPortType"
        if operation in ("CreatePullPointSubscription", "GetEventProperties")
        else (
            "PullPointSubscription"
            if operation in ("PullMessages", "SetSynchronizationPoint")
            else "SubscriptionManager"
        )
    )
    return f"<wsa:Action>http://www.onvif.org/ver10/events/wsdl/{port}/{operation}Response</wsa:Action>"


def xs_seconds(text: str) -> float | None:
    """An ``xs:duration`` of hours/minutes/seconds (``PT1S``, ``PT0.5S``, ``PT1M``) in seconds; None if other."""
    match = _DURATION.match(text.strip())
    if match is None:
        return None
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _has_news(cam: SimCamera, path: str) -> bool:
    """True when a pull would answer now: unknown subscription, first pull, or a topic changed."""
    sub = _subscription(cam, path)
    if sub is None or not sub.synced:
        return True
    kinds = cam.claimed_kinds() or frozenset()
    return any(sub.seen.get(topic) != bool(kinds & triggers) for topic, (_i, triggers, _x) in TOPICS.items())


def requested_hold(data: bytes) -> float:
    """How long a PullMessages request asks to be held (its ``Timeout``, capped); 0 for anything else."""
    try:
        request = parse_request(data)
    except SoapRequestError:
        return 0.0
    if request.operation != "PullMessages" or request.namespace != NS["tev"]:
        return 0.0
    timeout = xs_seconds(request.body.findtext(f"{{{NS['tev']}}}Timeout") or "")
    return min(timeout or 0.0, HOLD_MAX_S)


async def hold_pull(cam: SimCamera, data: bytes, path: str) -> None:
    """Wait, as a camera does, until the pull has something to send or its Timeout (capped) has passed."""
    hold = requested_hold(data)
    deadline = time.monotonic() + hold
    while hold > 0 and not _has_news(cam, path):
        left = deadline - time.monotonic()
        if left <= 0:
            return
        await asyncio.sleep(min(HOLD_STEP_S, left))
