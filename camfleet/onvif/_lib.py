"""The one place that imports onvif-zeep-async, with its import-time side effects contained.

``onvif.client`` calls ``logging.basicConfig(level=INFO)`` when imported: in a process that has not set up
logging yet that would install a root handler printing zeep's request bodies (with WS-Security digests).
A temporary ``NullHandler`` on the root logger makes that call a no-op. We use only the library's bundled
WSDL files, its clock-offset WS-Security token and its forgiving date/time types; never ``ONVIFCamera``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any


def _import_quietly() -> tuple[Any, Any, Any, str]:
    root = logging.getLogger()
    guard = logging.NullHandler()
    root.addHandler(guard)
    try:
        import onvif.client as onvif_client
        import onvif.types as onvif_types
    finally:
        root.removeHandler(guard)
    wsdl_dir = str(getattr(onvif_client, "_WSDL_PATH", Path(onvif_client.__file__).parent / "wsdl"))
    return onvif_client.UsernameDigestTokenDtDiff, onvif_types.FastDateTime, onvif_types.ForgivingTime, wsdl_dir


UsernameDigestTokenDtDiff, FastDateTime, ForgivingTime, WSDL_DIR = _import_quietly()

__all__ = ["WSDL_DIR", "FastDateTime", "ForgivingTime", "UsernameDigestTokenDtDiff"]
