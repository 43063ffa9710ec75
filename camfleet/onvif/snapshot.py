"""Fetch one snapshot over HTTP with the camera's credentials (Digest, as cameras demand), size-capped."""

from __future__ import annotations

import asyncio

import aiohttp

from camfleet.config.credentials import Credential
from camfleet.errors import DeviceAuthError, DeviceError, DeviceProtocolError
from camfleet.onvif.errors import to_device_error

_CHUNK = 64 * 1024


async def fetch_snapshot(
    session: aiohttp.ClientSession, uri: str, credential: Credential | None, *, max_bytes: int, timeout_s: float
) -> bytes:
    """The picture's bytes; raises ``DeviceError`` (auth on 401, protocol on other statuses or a huge body)."""
    middlewares = (
        (aiohttp.DigestAuthMiddleware(credential.username, credential.password),) if credential is not None else ()
    )
    try:
        async with asyncio.timeout(timeout_s), session.get(uri, middlewares=middlewares) as response:
            if response.status == 401:
                raise DeviceAuthError("snapshot: HTTP 401, credentials refused", reason="password")
            if response.status != 200:
                raise DeviceProtocolError(f"snapshot: HTTP {response.status}", reason="http_error")
            if (response.content_length or 0) > max_bytes:
                raise DeviceProtocolError("snapshot: picture larger than the cap", reason="oversized")
            parts, size = [], 0
            async for chunk in response.content.iter_chunked(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise DeviceProtocolError("snapshot: picture larger than the cap", reason="oversized")
                parts.append(chunk)
            return b"".join(parts)
    except DeviceError:
        raise
    except Exception as exc:  # map everything: the caller reports values
        raise to_device_error(exc, "snapshot") from exc
