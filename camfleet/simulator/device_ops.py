"""ONVIF device service (tds) replies, shaped after devicemgmt.wsdl / onvif.xsd (element order matters)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import quote
from xml.sax.saxutils import escape

from camfleet.simulator.soap import NS

if TYPE_CHECKING:
    from camfleet.simulator.camera import SimCamera

#: The district's cameras keep China Standard Time (POSIX TZ string as ONVIF reports it).
TZ_NAME = "CST-8"
TZ_OFFSET_S = 8 * 3600


def _date_time(epoch: float) -> str:
    t = time.gmtime(epoch)
    return (
        f"<tt:Time><tt:Hour>{t.tm_hour}</tt:Hour><tt:Minute>{t.tm_min}</tt:Minute><tt:Second>{t.tm_sec}"
        f"</tt:Second></tt:Time><tt:Date><tt:Year>{t.tm_year}</tt:Year><tt:Month>{t.tm_mon}</tt:Month>"
        f"<tt:Day>{t.tm_mday}</tt:Day></tt:Date>"
    )


def get_system_date_and_time(cam: SimCamera) -> str:
    """The camera's clock (skew included): what clients use to compute their offset."""
    now = cam.clock()
    return (
        "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>"
        f"<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>{TZ_NAME}</tt:TZ></tt:TimeZone>"
        f"<tt:UTCDateTime>{_date_time(now)}</tt:UTCDateTime>"
        f"<tt:LocalDateTime>{_date_time(now + TZ_OFFSET_S)}</tt:LocalDateTime>"
        "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
    )


def get_device_information(cam: SimCamera) -> str:
    """Manufacturer, model, firmware, serial and hardware id."""
    s = cam.spec
    return (
        f"<tds:GetDeviceInformationResponse><tds:Manufacturer>{escape(s.vendor)}</tds:Manufacturer>"
        f"<tds:Model>{escape(s.model)}</tds:Model><tds:FirmwareVersion>{escape(s.firmware)}</tds:FirmwareVersion>"
        f"<tds:SerialNumber>{escape(s.serial)}</tds:SerialNumber><tds:HardwareId>88</tds:HardwareId>"
        "</tds:GetDeviceInformationResponse>"
    )


def _device_caps(base: str) -> str:
    return (
        f"<tt:Device><tt:XAddr>{base}/onvif/device_service</tt:XAddr>"
        "<tt:Network><tt:IPFilter>true</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration>"
        "<tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>true</tt:DynDNS></tt:Network>"
        "<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>true</tt:DiscoveryBye>"
        "<tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>"
        "<tt:SystemLogging>true</tt:SystemLogging><tt:FirmwareUpgrade>true</tt:FirmwareUpgrade>"
        "<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions>"
        "</tt:System><tt:IO><tt:InputConnectors>0</tt:InputConnectors><tt:RelayOutputs>0</tt:RelayOutputs>"
        "</tt:IO><tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2>"
        "<tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration><tt:AccessPolicyConfig>false"
        "</tt:AccessPolicyConfig><tt:X.509Token>false</tt:X.509Token><tt:SAMLToken>false</tt:SAMLToken>"
        "<tt:KerberosToken>false</tt:KerberosToken><tt:RELToken>false</tt:RELToken></tt:Security></tt:Device>"
    )


def get_capabilities(cam: SimCamera) -> str:
    """Device, Events and Media capabilities; every XAddr points at this camera's own host:port."""
    base = cam.base_url
    events = (
        ""
        if cam.events == "none"  # no events service: not advertised at all
        else f"<tt:Events><tt:XAddr>{base}/onvif/event_service</tt:XAddr>"
        "<tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>"
        "<tt:WSPullPointSupport>true</tt:WSPullPointSupport>"
        "<tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport>"
        "</tt:Events>"
    )
    return (
        f"<tds:GetCapabilitiesResponse><tds:Capabilities>{_device_caps(base)}{events}<tt:Media><tt:XAddr>{base}/onvif/media_service</tt:XAddr><tt:StreamingCapabilities>"
        "<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>"
        "</tt:StreamingCapabilities></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>"
    )


_SERVICES = (
    (NS["tds"], "device_service", 2, 60),
    (NS["trt"], "media_service", 2, 60),
    (NS["tev"], "event_service", 2, 60),
)


def get_services(cam: SimCamera) -> str:
    """The services this camera offers (no per-service capabilities: ONVIFCamera asks without them)."""
    items = "".join(
        f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{cam.base_url}/onvif/{path}</tds:XAddr>"
        f"<tds:Version><tt:Major>{major}</tt:Major><tt:Minor>{minor}</tt:Minor></tds:Version></tds:Service>"
        for ns, path, major, minor in _SERVICES
        if ns != NS["tev"] or cam.events != "none"
    )
    return f"<tds:GetServicesResponse>{items}</tds:GetServicesResponse>"


def get_scopes(cam: SimCamera) -> str:
    """ONVIF scopes: profile, hardware, name and location (Chinese names percent-encoded, as URIs need)."""
    s = cam.spec
    fixed = [
        "onvif://www.onvif.org/type/video_encoder",
        "onvif://www.onvif.org/Profile/Streaming",
        f"onvif://www.onvif.org/hardware/{quote(s.model)}",
    ]
    conf = [f"onvif://www.onvif.org/name/{quote(s.camera_id)}", "onvif://www.onvif.org/location/country/china"]
    conf += [
        f"onvif://www.onvif.org/location/{key}/{quote(value)}"
        for key, value in (("town", s.town), ("village", s.village))
        if value
    ]
    items = [("Fixed", u) for u in fixed] + [("Configurable", u) for u in conf]
    body = "".join(
        f"<tds:Scopes><tt:ScopeDef>{d}</tt:ScopeDef><tt:ScopeItem>{escape(u)}</tt:ScopeItem></tds:Scopes>"
        for d, u in items
    )
    return f"<tds:GetScopesResponse>{body}</tds:GetScopesResponse>"


def get_network_interfaces(cam: SimCamera) -> str:
    """One wired interface with a manual IPv4 address: the camera's own."""
    return (
        '<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0"><tt:Enabled>true</tt:Enabled>'
        f"<tt:Info><tt:Name>eth0</tt:Name><tt:HwAddress>{cam.mac}</tt:HwAddress><tt:MTU>1500</tt:MTU></tt:Info>"
        "<tt:IPv4><tt:Enabled>true</tt:Enabled><tt:Config><tt:Manual>"
        f"<tt:Address>{cam.spec.host}</tt:Address><tt:PrefixLength>24</tt:PrefixLength></tt:Manual>"
        "<tt:DHCP>false</tt:DHCP></tt:Config></tt:IPv4></tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>"
    )


def get_hostname(cam: SimCamera) -> str:
    """A hostname derived from the camera id (hostnames are ASCII)."""
    name = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "-" for c in cam.spec.camera_id)
    return (
        "<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>"
        f"<tt:Name>IPC-{name}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>"
    )
