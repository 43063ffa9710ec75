"""The fleet's ONVIF client: one session, one parsed WSDL set, one light handle per camera.

``OnvifClientFactory`` owns the shared ``aiohttp.ClientSession`` (pool limit = poller concurrency), the
capped transport and the parsed WSDL documents. ``factory.camera(host, port, credential)`` returns a
``CameraClient``: a few fields plus, on first authenticated use, a zeep ``AsyncClient`` bound to the shared
document with the camera's own WS-Security token. zeep's ``create_service()`` returns a *sync* proxy whose
calls fail on an async transport, so ``AsyncServiceProxy`` is built directly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
from types import TracebackType
from typing import Any

import aiohttp
from zeep.client import AsyncClient
from zeep.proxy import AsyncOperationProxy, AsyncServiceProxy

from camfleet.config.credentials import Credential
from camfleet.config.poller import PollerConfig
from camfleet.errors import DeviceAuthError, DeviceError, DeviceProtocolError
from camfleet.onvif import clock
from camfleet.onvif._lib import UsernameDigestTokenDtDiff
from camfleet.onvif.errors import auth_error, to_device_error
from camfleet.onvif.transport import CappedTransport, make_session
from camfleet.onvif.wsdl import DEVICE_BINDING, MEDIA_BINDING, WsdlSet, hardened_settings, load_wsdls

#: A measured clock offset older than this is re-measured before an authenticated call is retried.
CLOCK_REFRESH_S = 600.0

#: Garbage-collector thresholds for a process that polls a fleet. Every closed connection leaves a reference
#: cycle in asyncio's selector transport (transport, socket, bound method: 7 objects), and with CPython's
#: default young-generation threshold (700) hundreds of in-flight requests get promoted to the old generations
#: on each pass, which then triggered full collections. Measured with 5,500 cameras (2026-11-27): default
#: thresholds, ~700 collections, ~0.55 s of CPU per sweep and single pauses of 60–90 ms of CPU; with these,
#: ~15 collections, single pauses of 4–45 ms. A higher first threshold means fewer but longer pauses
#: (50,000: 2 collections of ~35 ms each, since each walks every young object). The middle one bounds the
#: generation-1 collections, which walk what survived the young ones since the last: at 20, a full sweep of
#: 5,500 cameras at 1080p had generation-1 pauses of 86–103 ms of CPU, at 5 48–65 ms on a quiet box
#: (`benchmarks/full_sweep.py`, docs/poller.md). The last is raised as much, so full collections (~150–300 ms over 5,500
#: cameras' clients and states) come no more often than before: one per 2,000 young collections. The running
#: poller then freezes those objects out of every walk (``runtime/gcfreeze.py``).
GC_THRESHOLDS = (10_000, 5, 400)


def tune_gc() -> None:
    """Apply ``GC_THRESHOLDS`` (process-wide) unless the process already collects less often."""
    if gc.get_threshold()[0] < GC_THRESHOLDS[0]:
        gc.set_threshold(*GC_THRESHOLDS)


class LazyServiceProxy(AsyncServiceProxy):
    """``AsyncServiceProxy`` whose operation proxies are made on first use.

    zeep builds one ``AsyncOperationProxy`` per operation of the binding up front (82 device + 79 media): 168
    objects per camera, ~924,000 for 5,500 cameras, which every full garbage collection walked (177 ms of
    CPU per collection on the 2-core box, 33 ms with this class; the five operations used: 12 objects).
    """

    def __init__(self, client: AsyncClient, binding: Any, **binding_options: Any) -> None:
        self._client = client
        self._binding_options = binding_options
        self._binding = binding
        self._operations: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        found = self._operations.get(key)
        if found is None:
            if key not in self._binding.all():
                raise AttributeError(f"Service has no operation {key!r}")
            found = self._operations[key] = AsyncOperationProxy(self, key)  # type: ignore[no-untyped-call]
        return found


class OnvifClientFactory:
    """Shared ONVIF machinery for a whole fleet; use ``async with`` or ``start()``/``close()``."""

    def __init__(self, cfg: PollerConfig) -> None:
        self.cfg = cfg
        self.settings = hardened_settings()
        self._session: aiohttp.ClientSession | None = None
        self._transport: CappedTransport | None = None
        self._wsdls: WsdlSet | None = None

    async def start(self) -> None:
        """Parse the WSDLs (off the loop, once per process), tune the collector, open the shared session."""
        tune_gc()
        if self._wsdls is None:
            self._wsdls = await asyncio.to_thread(load_wsdls)
        if self._session is None:
            self._session = make_session(self.cfg.concurrency, self.cfg.connect_timeout_s, self.cfg.call_timeout_s)
            self._transport = CappedTransport(
                self._session, max_reply_bytes=self.cfg.max_reply_bytes, call_timeout_s=self.cfg.call_timeout_s
            )

    async def close(self) -> None:
        """Close the shared session (idle keep-alive connections included)."""
        if self._session is not None:
            await self._session.close()
        self._session = None
        self._transport = None

    async def __aenter__(self) -> OnvifClientFactory:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The shared session (also for snapshot fetches); ``start()`` first."""
        if self._session is None:
            raise RuntimeError("OnvifClientFactory.start() was not awaited")
        return self._session

    @property
    def transport(self) -> CappedTransport:
        """The capped transport over the shared session."""
        if self._transport is None:
            raise RuntimeError("OnvifClientFactory.start() was not awaited")
        return self._transport

    @property
    def wsdls(self) -> WsdlSet:
        """The parsed WSDL documents."""
        if self._wsdls is None:
            raise RuntimeError("OnvifClientFactory.start() was not awaited")
        return self._wsdls

    def camera(self, host: str, port: int, credential: Credential | None) -> CameraClient:
        """A light handle for one camera (cheap: build one per camera and keep it)."""
        return CameraClient(self, host, port, credential)


def device_xaddr(host: str, port: int) -> str:
    """The ONVIF device service address, fixed by the Core spec."""
    netloc = f"[{host}]" if ":" in host else host
    return f"http://{netloc}:{port}/onvif/device_service" if port != 80 else f"http://{netloc}/onvif/device_service"


class CameraClient:
    """One camera: its clock offset, its zeep client (lazy), its discovered media address."""

    def __init__(self, factory: OnvifClientFactory, host: str, port: int, credential: Credential | None) -> None:
        self.factory = factory
        self.host = host
        self.port = port
        self.credential = credential
        self.xaddr = device_xaddr(host, port)
        self.media_xaddr: str | None = None
        self.clock_offset_s: float | None = None
        self.clock_measured_at = 0.0
        self._token: Any = None
        self._client: AsyncClient | None = None
        self._proxies: dict[str, AsyncServiceProxy] = {}

    async def get_system_date_and_time(self) -> clock.ClockReading:
        """Unauthenticated clock read (the liveness call); updates the stored offset."""
        sent = clock.now()
        reply = await self.factory.transport.post_bytes(
            self.xaddr, clock.REQUEST_BODY, clock.REQUEST_HEADERS, where="GetSystemDateAndTime"
        )
        if reply.status_code == 401:
            # Camera quirk: HTTP-level auth demanded even for the clock. It answers, so it is alive.
            return clock.ClockReading(None, None, auth_required=True)
        reading = clock.parse_reply(reply.content, sent, clock.now())
        if reply.status_code != 200 and not reading.auth_required:
            raise DeviceProtocolError(f"GetSystemDateAndTime: HTTP {reply.status_code}", reason="http_error")
        if reading.offset_s is not None:
            self.set_clock_offset(reading.offset_s)
        return reading

    def set_clock_offset(self, offset_s: float) -> None:
        """Sign from now on with the camera's time (our time + offset)."""
        self.clock_offset_s = offset_s
        self.clock_measured_at = clock.now()
        if self._token is not None:
            self._token.dt_diff = dt.timedelta(seconds=offset_s)

    def _proxy(self, service: str) -> AsyncServiceProxy:
        proxy = self._proxies.get(service)
        if proxy is not None:
            return proxy
        if self._client is None:
            user = self.credential.username if self.credential else ""
            password = self.credential.password if self.credential else ""
            diff = dt.timedelta(seconds=self.clock_offset_s) if self.clock_offset_s is not None else None
            self._token = UsernameDigestTokenDtDiff(user, password, dt_diff=diff, use_digest=True)
            wsdls = self.factory.wsdls
            self._client = AsyncClient(  # type: ignore[no-untyped-call]
                wsdl=wsdls.device, wsse=self._token, transport=self.factory.transport, settings=self.factory.settings
            )
        if service == "media":
            doc, binding_name, address = self.factory.wsdls.media, MEDIA_BINDING, self.media_xaddr or self.xaddr
        else:
            doc, binding_name, address = self.factory.wsdls.device, DEVICE_BINDING, self.xaddr
        proxy = LazyServiceProxy(self._client, doc.bindings[binding_name], address=address)
        self._proxies[service] = proxy
        return proxy

    async def call(self, service: str, operation: str, **kwargs: Any) -> Any:
        """An authenticated call; a refusal re-measures a stale clock and retries once."""
        try:
            return await self._call_once(service, operation, **kwargs)
        except DeviceAuthError:
            if clock.now() - self.clock_measured_at < CLOCK_REFRESH_S and self.clock_offset_s is not None:
                raise
        # The camera's clock may have drifted or jumped since we measured it: measure, then try once more.
        await self.get_system_date_and_time()
        return await self._call_once(service, operation, **kwargs)

    async def _call_once(self, service: str, operation: str, **kwargs: Any) -> Any:
        where = operation
        try:
            async with asyncio.timeout(self.factory.cfg.call_timeout_s):
                return await getattr(self._proxy(service), operation)(**kwargs)
        except DeviceAuthError as exc:
            raise self._auth(str(exc)) from exc
        except DeviceError:
            raise
        except Exception as exc:  # zeep and lxml raise many classes; map them all
            mapped = to_device_error(
                exc, where, clock_offset_s=self.clock_offset_s, skew_limit_s=self.factory.cfg.clock_skew_limit_s
            )
            raise mapped from exc

    def _auth(self, message: str) -> DeviceAuthError:
        return auth_error(message, clock_offset_s=self.clock_offset_s, skew_limit_s=self.factory.cfg.clock_skew_limit_s)

    def forget_media(self) -> None:
        """Drop the media address and proxy (after a re-discovery finds another one)."""
        self.media_xaddr = None
        self._proxies.pop("media", None)
