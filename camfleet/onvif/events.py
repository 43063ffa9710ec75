"""ONVIF events (tev) over a pull point: subscribe, pull, renew, resynchronise, unsubscribe.

Requests are built here and signed with the library's WS-Security token (``UsernameDigestTokenDtDiff``, the
camera's own time); replies go through the fleet's ``CappedTransport`` (size cap, deadline, no redirects,
non-XML refused) and ``check_envelope`` (strict, no DTD, must answer the operation asked). zeep is not used
for these calls: a notification's payload is ``xsd:any`` (zeep hands back raw elements anyway), the events
WSDL drags in the WS-Notification, WS-Topics and WS-Addressing schemas, and a pull runs for every camera
every ``[events] interval_s`` like the liveness call, so it takes the same hand-built path.

Errors leave as the ``DeviceError`` tree; two subclasses say what the caller must do:
``SubscriptionGone`` (re-create the subscription: it expired, the camera rebooted, it answers
``InvalidSubscription``/``ResourceUnknown``) and ``EventsNotSupported`` (the camera has no pull points).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from camfleet.errors import DeviceAuthError, DeviceNotSupported, DeviceProtocolError
from camfleet.onvif import clock
from camfleet.onvif._lib import UsernameDigestTokenDtDiff
from camfleet.onvif.client import CLOCK_REFRESH_S, CameraClient
from camfleet.onvif.errors import auth_error
from camfleet.onvif.transport import check_envelope

SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
TEV = "http://www.onvif.org/ver10/events/wsdl"
WSNT = "http://docs.oasis-open.org/wsn/b-2"
WSA = "http://www.w3.org/2005/08/addressing"
TT = "http://www.onvif.org/ver10/schema"

#: Most notification messages read from one reply; a reply with more is cut here (and says so).
MAX_MESSAGES = 256
#: Most items (source + data) read from one message, and longest value kept: firmware strings are short.
_MAX_ITEMS = 16
_MAX_TEXT = 200
#: Same settings as the transport's envelope check: no DTD, entities, network, huge trees or recovery.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, recover=False, remove_comments=True
)
_ACTIONS = {
    "CreatePullPointSubscription": f"{TEV}/EventPortType/CreatePullPointSubscriptionRequest",
    "PullMessages": f"{TEV}/PullPointSubscription/PullMessagesRequest",
    "SetSynchronizationPoint": f"{TEV}/PullPointSubscription/SetSynchronizationPointRequest",
    "Renew": "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest",
    "Unsubscribe": "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeRequest",
}
#: Fault (sub)codes and words meaning "no such subscription (any more)".
_GONE_WORDS = ("invalidsubscription", "resourceunknown", "unknownsubscription", "no such subscription")
_UNSUPPORTED_WORDS = ("actionnotsupported", "notsupported", "unsupported")


class SubscriptionGone(DeviceProtocolError):
    """The camera no longer knows the subscription (expired, rebooted, dropped): create a new one."""


class EventsNotSupported(DeviceNotSupported):
    """The camera offers no events service or no pull points."""


@dataclass(frozen=True, slots=True)
class EventMessage:
    """One notification: its topic (namespace prefixes stripped), operation, and simple items."""

    topic: str  # e.g. "RuleEngine/TamperDetector/Tamper"
    operation: str  # "Initialized", "Changed", "Deleted", or "" when the camera leaves it out
    utc_time: float | None
    source: tuple[tuple[str, str], ...]
    data: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Subscription:
    """A pull point: its address and, in the camera's clock, when it was made and when it ends."""

    address: str
    current_time: float | None
    termination_time: float | None


@dataclass(frozen=True, slots=True)
class PullReply:
    """What one PullMessages answered. ``cut`` counts messages beyond ``MAX_MESSAGES`` that were ignored."""

    messages: tuple[EventMessage, ...]
    current_time: float | None
    termination_time: float | None
    cut: int = 0


def parse_time(text: str | None) -> float | None:
    """An ``xs:dateTime`` as unix time; None when absent or unreadable (firmware writes odd dates)."""
    if not text:
        return None
    value = text.strip()
    try:
        parsed = dt.datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def xs_duration(seconds: float) -> str:
    """``seconds`` as an ``xs:duration`` (``PT1S``, ``PT0.5S``)."""
    return f"PT{max(seconds, 0.0):g}S"


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in parent if _local(c.tag) == name), None)


def _strip_prefixes(topic: str) -> str:
    """``tns1:VideoSource/tns1:ImageTooDark`` → ``VideoSource/ImageTooDark`` (prefixes vary by firmware)."""
    return "/".join(part.rpartition(":")[2] for part in topic.strip().split("/"))


def _items(parent: etree._Element | None) -> tuple[tuple[str, str], ...]:
    if parent is None:
        return ()
    items = []
    for el in parent.iter():
        if _local(el.tag) == "SimpleItem":
            items.append((str(el.get("Name", ""))[:_MAX_TEXT], str(el.get("Value", ""))[:_MAX_TEXT]))
            if len(items) >= _MAX_ITEMS:
                break
    return tuple(items)


def _message(notification: etree._Element) -> EventMessage | None:
    topic_el = _child(notification, "Topic")
    wrapper = _child(notification, "Message")
    inner = _child(wrapper, "Message") if wrapper is not None else None
    if topic_el is None or inner is None:
        return None
    topic = _strip_prefixes((topic_el.text or "")[:_MAX_TEXT])
    return EventMessage(
        topic=topic,
        operation=str(inner.get("PropertyOperation", ""))[:32],
        utc_time=parse_time(inner.get("UtcTime")),
        source=_items(_child(inner, "Source")),
        data=_items(_child(inner, "Data")),
    )


def parse_pull_reply(answer: etree._Element) -> PullReply:
    """The messages of a ``PullMessagesResponse`` element (unreadable notifications are skipped)."""
    messages: list[EventMessage] = []
    cut = 0
    for el in answer:
        if _local(el.tag) != "NotificationMessage":
            continue
        if len(messages) >= MAX_MESSAGES:
            cut += 1
            continue
        msg = _message(el)
        if msg is not None:
            messages.append(msg)
    current = _child(answer, "CurrentTime")
    termination = _child(answer, "TerminationTime")
    return PullReply(
        tuple(messages),
        parse_time(current.text if current is not None else None),
        parse_time(termination.text if termination is not None else None),
        cut,
    )


def _fault_words(fault: etree._Element) -> str:
    words = [el.text or "" for el in fault.iter() if _local(el.tag) in ("Value", "Text", "faultcode", "faultstring")]
    return " ".join(w.strip()[:_MAX_TEXT] for w in words)


def _raise_fault(fault: etree._Element, where: str, client: CameraClient) -> None:
    words = _fault_words(fault)
    lowered = words.lower()
    message = f"{where}: SOAP fault {words}".strip()[:300]
    if any(code in lowered for code in ("notauthorized", "failedauthentication", "invalidsecurity", "not authorized")):
        raise auth_error(
            message, clock_offset_s=client.clock_offset_s, skew_limit_s=client.factory.cfg.clock_skew_limit_s
        )
    if any(word in lowered for word in _GONE_WORDS):
        raise SubscriptionGone(message, reason="wrong_type")
    if any(word in lowered for word in _UNSUPPORTED_WORDS):
        raise EventsNotSupported(message, reason="wrong_type")
    raise DeviceProtocolError(message, reason="http_error")


def _envelope(client: CameraClient, address: str, operation: str, body: str) -> bytes:
    text = (
        f'<s:Envelope xmlns:s="{SOAP12_ENV}" xmlns:wsa="{WSA}" xmlns:tev="{TEV}" xmlns:wsnt="{WSNT}">'
        f"<s:Header><wsa:Action>{_ACTIONS[operation]}</wsa:Action><wsa:MessageID>urn:uuid:{uuid.uuid4()}"
        f"</wsa:MessageID><wsa:To>{escape(address)}</wsa:To></s:Header><s:Body>{body}</s:Body></s:Envelope>"
    )
    root = etree.fromstring(text.encode())
    credential = client.credential
    if credential is not None:
        diff = dt.timedelta(seconds=client.clock_offset_s) if client.clock_offset_s is not None else None
        token = UsernameDigestTokenDtDiff(credential.username, credential.password, dt_diff=diff, use_digest=True)
        token.apply(root, {})
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


async def _call_once(client: CameraClient, address: str, operation: str, body: str) -> etree._Element:
    headers = {
        "Content-Type": f'application/soap+xml; charset=utf-8; action="{_ACTIONS[operation]}"',
        # One call a minute per camera, after the pool's keep-alive (``transport.KEEPALIVE_S``): never reused.
        "Connection": "close",
    }
    data = _envelope(client, address, operation, body)
    reply = await client.factory.transport.post_bytes(address, data, headers, where=operation)
    if reply.status_code == 401:
        raise DeviceAuthError(f"{operation}: HTTP 401 unauthorized", reason="password")
    check_envelope(reply.content, operation)
    root = etree.fromstring(reply.content, _PARSER)
    body_el = _child(root, "Body")
    answer = next((c for c in body_el if isinstance(c.tag, str)), None) if body_el is not None else None
    if answer is None:  # check_envelope refused this already; kept for the type checker
        raise DeviceProtocolError(f"{operation}: empty SOAP body", reason="malformed")
    if _local(answer.tag) == "Fault":
        _raise_fault(answer, operation, client)
    if reply.status_code != 200:
        raise DeviceProtocolError(f"{operation}: HTTP {reply.status_code}", reason="http_error")
    return answer


async def call(client: CameraClient, address: str, operation: str, body: str) -> etree._Element:
    """One signed events call; a refusal with a stale clock offset re-measures it and retries once."""
    try:
        return await _call_once(client, address, operation, body)
    except DeviceAuthError:
        if clock.now() - client.clock_measured_at < CLOCK_REFRESH_S and client.clock_offset_s is not None:
            raise
    await client.get_system_date_and_time()
    return await _call_once(client, address, operation, body)


async def create_pull_point(client: CameraClient, xaddr: str, termination_s: float) -> Subscription:
    """CreatePullPointSubscription at the events service ``xaddr``; the pull point's address as given."""
    body = (
        f"<tev:CreatePullPointSubscription><tev:InitialTerminationTime>{xs_duration(termination_s)}"
        "</tev:InitialTerminationTime></tev:CreatePullPointSubscription>"
    )
    answer = await call(client, xaddr, "CreatePullPointSubscription", body)
    ref = _child(answer, "SubscriptionReference")
    address_el = _child(ref, "Address") if ref is not None else None
    address = (address_el.text or "").strip() if address_el is not None else ""
    if not address.startswith(("http://", "https://")) or len(address) > 1000:
        raise DeviceProtocolError("CreatePullPointSubscription: no usable subscription address", reason="malformed")
    current = _child(answer, "CurrentTime")
    termination = _child(answer, "TerminationTime")
    return Subscription(
        address,
        parse_time(current.text if current is not None else None),
        parse_time(termination.text if termination is not None else None),
    )


async def pull_messages(client: CameraClient, address: str, timeout_s: float, limit: int) -> PullReply:
    """PullMessages: the camera answers when it has messages or after ``timeout_s``, at most ``limit`` of them."""
    body = (
        f"<tev:PullMessages><tev:Timeout>{xs_duration(timeout_s)}</tev:Timeout>"
        f"<tev:MessageLimit>{int(limit)}</tev:MessageLimit></tev:PullMessages>"
    )
    return parse_pull_reply(await call(client, address, "PullMessages", body))


async def renew(client: CameraClient, address: str, termination_s: float) -> tuple[float | None, float | None]:
    """Renew; the camera's current and new termination time (camera clock), None where it leaves them out."""
    body = f"<wsnt:Renew><wsnt:TerminationTime>{xs_duration(termination_s)}</wsnt:TerminationTime></wsnt:Renew>"
    answer = await call(client, address, "Renew", body)
    current = _child(answer, "CurrentTime")
    termination = _child(answer, "TerminationTime")
    return (
        parse_time(current.text if current is not None else None),
        parse_time(termination.text if termination is not None else None),
    )


async def set_synchronization_point(client: CameraClient, address: str) -> None:
    """Ask the camera to send every property's current state again (``Initialized``) at the next pull."""
    await call(client, address, "SetSynchronizationPoint", "<tev:SetSynchronizationPoint/>")


async def unsubscribe(client: CameraClient, address: str) -> None:
    """End the subscription (cameras hold only a few)."""
    await call(client, address, "Unsubscribe", "<wsnt:Unsubscribe/>")
