"""Route a SOAP request to its operation, after the camera's authentication rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from camfleet.simulator import device_ops, events, media_ops, nvr_media
from camfleet.simulator.auth import check_username_token
from camfleet.simulator.soap import (
    ACTION_NOT_SUPPORTED,
    NOT_AUTHORIZED,
    NS,
    WELL_FORMED,
    SoapFault,
    SoapRequestError,
    envelope,
    parse_request,
)

if TYPE_CHECKING:
    from camfleet.simulator.camera import SimCamera

Handler = Callable[["SimCamera", etree._Element, str], "str | SoapFault"]


@dataclass(frozen=True, slots=True)
class Operation:
    """An operation's handler and its access class (ONVIF Core "Default Access Policy")."""

    handler: Handler
    access: str  # "always": never authenticated; "pre_auth": a token is optional; "user": token required


def _simple(fn: Callable[[SimCamera], str]) -> Handler:
    return lambda cam, _body, _path: fn(cam)


def _media(camera: Callable[..., str | SoapFault], recorder: Callable[..., str | SoapFault], body: bool) -> Handler:
    """A media operation answered by the camera's or, for a recorder (it has channels), the recorder's version."""
    if body:
        return lambda cam, b, _p: (recorder if cam.channels else camera)(cam, b)
    return lambda cam, _b, _p: (recorder if cam.channels else camera)(cam)


_TDS, _TRT, _TEV = NS["tds"], NS["trt"], NS["tev"]
OPERATIONS: dict[tuple[str, str], Operation] = {
    # GetSystemDateAndTime must answer without credentials: clients read the clock to sign with it.
    (_TDS, "GetSystemDateAndTime"): Operation(_simple(device_ops.get_system_date_and_time), "always"),
    (_TDS, "GetServices"): Operation(_simple(device_ops.get_services), "pre_auth"),
    (_TDS, "GetCapabilities"): Operation(_simple(device_ops.get_capabilities), "pre_auth"),
    (_TDS, "GetHostname"): Operation(_simple(device_ops.get_hostname), "pre_auth"),
    (_TDS, "GetDeviceInformation"): Operation(_simple(device_ops.get_device_information), "user"),
    (_TDS, "GetScopes"): Operation(_simple(device_ops.get_scopes), "user"),
    (_TDS, "GetNetworkInterfaces"): Operation(_simple(device_ops.get_network_interfaces), "user"),
    (_TRT, "GetVideoSources"): Operation(
        _media(media_ops.get_video_sources, nvr_media.get_video_sources, False), "user"
    ),
    (_TRT, "GetProfiles"): Operation(_media(media_ops.get_profiles, nvr_media.get_profiles, False), "user"),
    (_TRT, "GetSnapshotUri"): Operation(_media(media_ops.get_snapshot_uri, nvr_media.get_snapshot_uri, True), "user"),
    (_TRT, "GetStreamUri"): Operation(_media(media_ops.get_stream_uri, nvr_media.get_stream_uri, True), "user"),
    (_TEV, "GetEventProperties"): Operation(_simple(events.get_event_properties), "user"),
    (_TEV, "CreatePullPointSubscription"): Operation(events.create_pull_point_subscription, "user"),
    (_TEV, "PullMessages"): Operation(events.pull_messages, "user"),
    (_TEV, "SetSynchronizationPoint"): Operation(events.set_synchronization_point, "user"),
    (NS["wsnt"], "Renew"): Operation(events.renew, "user"),
    (NS["wsnt"], "Unsubscribe"): Operation(events.unsubscribe, "user"),
}


def handle_soap(cam: SimCamera, data: bytes, path: str) -> tuple[int, bytes]:
    """Answer one SOAP request posted to ``path``: (HTTP status, reply envelope)."""
    try:
        request = parse_request(data)
    except SoapRequestError:
        return WELL_FORMED.http_status, WELL_FORMED.render()
    op = OPERATIONS.get((request.namespace, request.operation))
    if op is None or (cam.events == "none" and request.namespace in (_TEV, NS["wsnt"])):
        # Most legacy cameras have no events service: they answer its operations as unknown ones.
        return ACTION_NOT_SUPPORTED.http_status, ACTION_NOT_SUPPORTED.render()
    if op.access != "always" and (request.token is not None or op.access == "user"):
        refused = cam.fault("auth") is not None or bool(
            check_username_token(request.token, cam.spec.username, cam.spec.password, cam.clock(), cam.nonces)
        )
        # A real camera answers a wrong password, a stale Created and a replayed nonce alike.
        if refused:
            return NOT_AUTHORIZED.http_status, NOT_AUTHORIZED.render()
    reply = op.handler(cam, request.body, path)
    if isinstance(reply, SoapFault):
        return reply.http_status, reply.render()
    header = events.reply_header(request.operation) if request.namespace in (_TEV, NS["wsnt"]) else ""
    return 200, envelope(reply, header)
