"""ONVIF WSDL documents, parsed once per process and shared by every camera.

Parsing ``devicemgmt.wsdl`` costs ~90 ms and ``media.wsdl`` ~60 ms; a zeep ``Document`` is read-only after
loading, so one copy serves the whole fleet (per-camera clients only add their WS-Security token).
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass
from typing import Any

from zeep.settings import Settings
from zeep.wsdl import Document

from camfleet.onvif._lib import WSDL_DIR, FastDateTime, ForgivingTime

DEVICE_BINDING = "{http://www.onvif.org/ver10/device/wsdl}DeviceBinding"
MEDIA_BINDING = "{http://www.onvif.org/ver10/media/wsdl}MediaBinding"
XSD_NS = "http://www.w3.org/2001/XMLSchema"


def hardened_settings() -> Settings:
    """zeep settings for untrusted devices: no DTDs, entities or external loads, no huge trees.

    ``strict=False`` stays because real firmware emits elements out of schema order; the transport's size
    cap is what stops a huge reply, since a non-strict parse may silently truncate oversized content.
    """
    return Settings(strict=False, forbid_dtd=True, forbid_entities=True, forbid_external=True, xml_huge_tree=False)


class _LocalFilesOnly:
    """Loads WSDL/XSD files from disk only; a WSDL that points to the network is refused."""

    def load(self, url: str) -> bytes:
        if "://" in url and not url.startswith("file://"):
            raise RuntimeError(f"refusing to load remote schema {url}")
        with open(url.removeprefix("file://"), "rb") as fh:
            return fh.read()


def _load(name: str) -> Any:
    document = Document(f"{WSDL_DIR}/{name}", _LocalFilesOnly(), settings=hardened_settings())  # type: ignore[arg-type]
    # Camera quirk: some firmware writes xs:dateTime as "2024-01-01-10:00:00" or hours past 23;
    # onvif-zeep-async's forgiving types accept those instead of failing the whole reply.
    schema = document.types.documents.get_by_namespace(XSD_NS, False)[0]
    schema.register_type(FastDateTime._default_qname, FastDateTime(is_global=True))
    schema.register_type(ForgivingTime._default_qname, ForgivingTime(is_global=True))
    return document


@dataclass(frozen=True, slots=True)
class WsdlSet:
    """The parsed documents a fleet poller needs: device management and media (profiles, URIs)."""

    device: Any
    media: Any


_lock = threading.Lock()
_cached: WsdlSet | None = None


def load_wsdls() -> WsdlSet:
    """The shared documents, parsed on first use (blocking: call it via ``asyncio.to_thread``)."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = WsdlSet(device=_load("devicemgmt.wsdl"), media=_load("media.wsdl"))
            # The parsed schemas are ~10^5 objects that live as long as the process; a full (gen-2) garbage
            # collection walking them stalled the loop for hundreds of ms mid-sweep. Freezing moves every
            # object alive now out of the collector's reach.
            gc.freeze()
        return _cached
