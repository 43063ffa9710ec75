"""The service: wires config, inventory, poller, metrics, coverage and web; handles signals and sd_notify.

Lifecycle::

    svc = Service(cfg, config_path=..., listen=...)
    await svc.start()        # inventory loaded, poller scheduling, web listening → READY=1
    await svc.wait()         # until SIGTERM/SIGINT; SIGHUP reloads config, credentials and inventory
    await svc.stop()         # STOPPING=1, in-flight probes finish or are cancelled at a deadline, DB flushed
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import ssl
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from camfleet.config import CamfleetConfig, CredentialStore, load_config, load_credentials
from camfleet.config.display import set_display_zone
from camfleet.errors import CamfleetError, ConfigError
from camfleet.inventory.store import Store
from camfleet.log import setup_logging
from camfleet.maintenance import MaintenanceWindow, local
from camfleet.metrics.cache import MetricsCache
from camfleet.metrics.handler import make_metrics_handler
from camfleet.model import CameraState
from camfleet.runtime.poller import Poller
from camfleet.service.cluster import ClusterMember
from camfleet.service.notify import Notifier, watchdog_interval_s
from camfleet.service.review import ReviewViews
from camfleet.service.solo import SoloClaim
from camfleet.service.views import (
    CoverageViews,
    Inventory,
    ServiceStats,
    camera_json,
    copy_states,
    metrics_snapshot,
)
from camfleet.sockets import bind_error
from camfleet.web import ApproveRequest, WebDeps, WriteGuard, make_app, parse_listen

log = logging.getLogger("camfleet.service")

STOP_DEADLINE_S = 7.0  # in-flight probes get this long; the whole stop stays under systemd's 10 s promise
#: How often the maintenance windows are re-read: a window added or ended reaches /metrics within this (and the
#: rules' evaluation after it). Which stored windows are active is decided at each scrape.
MAINTENANCE_REFRESH_S = 15.0


class Service:
    """One running camfleet: poller + web server over one store."""

    def __init__(
        self,
        cfg: CamfleetConfig,
        *,
        config_path: str | None = None,
        listen: str | None = None,
        configure_logging: bool = True,
    ) -> None:
        self.cfg = cfg
        self.config_path = config_path
        self.listen = listen or cfg.web.listen
        self.configure_logging = configure_logging
        self.notifier = Notifier()
        self.stats = ServiceStats(last_reload_at=time.time())
        self.ready = False
        self.store: Store | None = None
        self.poller: Poller | None = None
        self.inventory = Inventory(points=[], cameras=[])
        self.credentials = CredentialStore()
        self.metrics: MetricsCache | None = None
        self.coverage: CoverageViews | None = None
        self.review: ReviewViews | None = None
        self.cluster: ClusterMember | None = None
        self.solo: SoloClaim | None = None
        self._runner: web.AppRunner | None = None
        self._auth: tuple[str, str] | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.bound: tuple[str, int] | None = None
        self.windows: tuple[MaintenanceWindow, ...] = ()  # stored windows not over yet (re-read periodically)
        self.maintenance_refresh_s = MAINTENANCE_REFRESH_S
        self._active_windows: set[int] = set()

    # ------------------------------------------------------------------ start
    async def start(self) -> None:
        """Open the store, load the inventory, start polling, listen; then tell systemd we are ready."""
        self.credentials = load_credentials(self.cfg.credentials.file)
        self._auth = self._basic_auth()
        set_display_zone(self.cfg.display.zone())
        if self.configure_logging:
            web_secret = [self._auth[1]] if self._auth else []
            setup_logging(self.cfg.logging.level, self.cfg.logging.format, [*self.credentials.secrets(), *web_secret])
        self.store = await asyncio.to_thread(Store, self.cfg.database.url)
        clustered = self.cfg.cluster.enabled
        if not clustered:  # one service per database, unless they share it as a cluster
            self.solo = SoloClaim(self.cfg.database.url, self.request_stop)
            await self.solo.start()
        targets = await self._load_inventory()
        await self._refresh_maintenance()
        # With [vision] enabled the poller builds its own frame checks (process pool, baselines, evidence).
        self.poller = Poller(self.cfg, [] if clustered else targets, self.credentials, self.store)
        await self.poller.start()
        if clustered:
            self.cluster = ClusterMember(self.cfg, self.poller, self.store, targets)
            await self.cluster.start()
        self.metrics = MetricsCache(self._metrics_snapshot)
        self.coverage = CoverageViews(self.store, coverage=lambda: self.cfg.coverage, maintenance=lambda: self.windows)
        self.review = ReviewViews(self.store)
        await self._start_web()
        self._tasks = [
            asyncio.create_task(self._loop_lag(), name="camfleet-loop-lag"),
            asyncio.create_task(self._status_lines(), name="camfleet-status"),
            asyncio.create_task(self._maintenance_loop(), name="camfleet-maintenance"),
        ]
        interval = watchdog_interval_s()
        if interval:
            self._tasks.append(asyncio.create_task(self._watchdog(interval), name="camfleet-watchdog"))
        self.ready = True
        where = f"{self.bound[0]}:{self.bound[1]}" if self.bound else self.listen
        log.info("camfleet ready", extra={"cameras": len(targets), "listen": where})
        self.notifier.ready(self._status_text())

    async def _load_inventory(self) -> list[Any]:
        assert self.store is not None
        store = self.store
        points, cameras, targets = await asyncio.to_thread(store.load_inventory)
        self.inventory = Inventory(points=points, cameras=cameras)
        return targets

    async def _start_web(self) -> None:
        assert self.poller is not None and self.metrics is not None
        host, port = parse_listen(self.listen)
        auth = self._auth
        deps = WebDeps(
            metrics=make_metrics_handler(self.metrics),
            coverage_html=self._coverage_html,
            coverage_json=self._coverage_json,
            cameras=lambda: [c for cid in sorted(self._fleet().targets) if (c := camera_json(self._fleet(), cid))],
            camera=lambda cid: camera_json(self._fleet(), cid),
            ready=lambda: self.ready,
            status=self._status_json,
            villages=self._villages_json,
            basic_auth=auth,
            review_html=self._review_html,
            review_picture=self._review_picture,
            evidence_picture=self._evidence_picture,
            review_approve=self._review_approve,
            guard=WriteGuard(auth, self.stats.web_write_refused),
        )
        self._runner = web.AppRunner(make_app(deps), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=self._ssl_context(), reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            raise ConfigError(
                f"web.listen: {bind_error(host, port, exc)}; choose another with --listen or [web] listen"
            ) from None
        addresses = self._runner.addresses
        self.bound = (str(addresses[0][0]), int(addresses[0][1])) if addresses else (host, port)

    def _basic_auth(self) -> tuple[str, str] | None:
        web_cfg = self.cfg.web
        if not web_cfg.basic_auth_user:
            return None
        if not web_cfg.basic_auth_password_file:
            raise ConfigError("web.basic_auth_password_file: required when web.basic_auth_user is set")
        try:
            password = Path(web_cfg.basic_auth_password_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"web.basic_auth_password_file: cannot read: {exc.strerror}") from None
        if not password:  # an empty password would let anyone who knows the user name write
            raise ConfigError("web.basic_auth_password_file: empty (an empty password would let anyone write)")
        return web_cfg.basic_auth_user, password

    def _ssl_context(self) -> ssl.SSLContext | None:
        web_cfg = self.cfg.web
        if not web_cfg.tls_cert_file:
            return None
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            ctx.load_cert_chain(web_cfg.tls_cert_file, web_cfg.tls_key_file or None)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"web.tls_cert_file/tls_key_file: cannot load: {exc}") from None
        return ctx

    # ------------------------------------------------------------------ views
    def _fleet(self) -> Any:
        assert self.poller is not None
        return self.poller.fleet

    def _metrics_snapshot(self) -> Any:
        within = self.cfg.vision.review_within_h * 3600.0
        unjudged = self.cfg.vision.cannot_judge_alert_h * 3600.0
        if self.cluster is None:
            return metrics_snapshot(
                self._fleet(), self.inventory, self.stats, review_within_s=within, standards=self.cfg.coverage.standard,
                maintenance=self.windows,
                cannot_judge_alert_s=unjudged,
            )  # fmt: skip
        return metrics_snapshot(
            self._fleet(), self.inventory, self.stats, self.cluster.stats(), self.cluster.shared_states, within,
            self.cfg.coverage.standard, self.windows, unjudged,
        )  # fmt: skip

    def _report_states(self) -> dict[str, CameraState]:
        """States for coverage: this poller's live ones; in a cluster, every instance's stored ones under them,
        so that the report is the same from every instance."""
        live = copy_states(self._fleet())
        if self.cluster is None:
            return live
        return {**self.cluster.shared_states, **live}

    async def _coverage_html(self, town: str | None) -> str:
        assert self.coverage is not None
        title = f"{self.cfg.web.district or 'camfleet'} 覆盖 coverage"
        return await self.coverage.html(self._report_states, self.inventory, town, title)

    async def _coverage_json(self, town: str | None) -> dict[str, Any]:
        assert self.coverage is not None
        return await self.coverage.json(self._report_states, self.inventory, town)

    async def _review_html(self, token: str | None) -> str:
        assert self.review is not None
        title = f"{self.cfg.web.district or 'camfleet'} 基线审核 baseline review"
        return await self.review.html(self._report_states, self.inventory, title, token)

    async def _review_approve(self, wanted: ApproveRequest) -> list[str]:
        assert self.review is not None
        return await self.review.approve(wanted)

    async def _evidence_picture(self, camera_id: str) -> bytes | None:
        if self.store is None or camera_id not in self._fleet().targets:
            return None
        found = await asyncio.to_thread(self.store.latest_evidence, [camera_id])
        return found.get(camera_id)

    async def _review_picture(self, camera_id: str, kind: str) -> bytes | None:
        assert self.review is not None
        return await self.review.picture(camera_id, kind)

    async def _villages_json(self, town: str | None) -> list[dict[str, Any]]:
        villages: list[dict[str, Any]] = (await self._coverage_json(town))["villages"]
        return villages

    def _status_json(self) -> dict[str, Any]:
        fleet = self._fleet()
        c = fleet.counters
        return {
            "ready": self.ready,
            "cameras": len(fleet.targets),
            "counts": fleet.status_counts(),
            "in_flight": c.in_flight,
            "queue_depth": c.queue_depth,
            "lag_s": round(c.lag_s, 3),
            "db_backlog": c.write_backlog,
            "loop_lag_max_s": round(self.stats.loop_lag_max_s, 4),
            "reloads_ok": self.stats.reloads_ok,
            "reloads_failed": self.stats.reloads_failed,
        }

    def _status_text(self) -> str:
        fleet = self._fleet()
        counts = fleet.status_counts()
        top = ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: -kv[1])[:4])
        return f"{len(fleet.targets)} cameras: {top}; backlog {fleet.counters.write_backlog}"

    # ------------------------------------------------------------------ background
    async def _loop_lag(self, period_s: float = 0.25) -> None:
        """Measure how late the loop wakes up: a stuck loop shows here and stops the watchdog pings."""
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(period_s)
            lag = max(0.0, loop.time() - before - period_s)
            self.stats.loop_lag_s = lag
            self.stats.loop_lag_max_s = max(self.stats.loop_lag_max_s, lag)

    async def _watchdog(self, interval_s: float) -> None:
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(interval_s)

    async def _status_lines(self, period_s: float = 10.0) -> None:
        while True:
            await asyncio.sleep(period_s)
            self.notifier.status(self._status_text())

    async def _maintenance_loop(self) -> None:
        while True:
            await asyncio.sleep(self.maintenance_refresh_s)
            await self._refresh_maintenance()

    async def _refresh_maintenance(self) -> None:
        """Re-read the windows not over yet; log each window that began or stopped holding alerts since the last
        look (who, what, until when, why). A database away keeps the windows last read."""
        assert self.store is not None
        now = time.time()
        try:
            windows = await asyncio.to_thread(self.store.maintenance, current_at=now)
        except CamfleetError as exc:
            log.warning("could not read the maintenance windows; keeping the last ones", extra={"error": str(exc)})
            return
        self.windows = tuple(windows)
        active = {w.id: w for w in windows if w.active(now)}
        for w in active.values():
            if w.id not in self._active_windows:
                log.info(
                    f"maintenance window {w.id} holds alerts: {w.scope.value} {w.target} until {local(w.until)}",
                    extra={"window": w.id, "scope": w.scope.value, "target": w.target, "by": w.created_by,
                           "until": local(w.until), "reason": w.reason},
                )  # fmt: skip
        for window_id in sorted(self._active_windows - set(active)):
            log.info(f"maintenance window {window_id} is over: its alerts are no longer held",
                     extra={"window": window_id})  # fmt: skip
        self._active_windows = set(active)

    # ------------------------------------------------------------------ signals
    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT stop; SIGHUP reloads."""
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._stop.set)
        loop.add_signal_handler(signal.SIGINT, self._stop.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload()))

    def request_stop(self) -> None:
        """Ask the service to stop (what SIGTERM does)."""
        self._stop.set()

    async def wait(self) -> None:
        """Until a stop is requested."""
        await self._stop.wait()

    async def reload(self) -> bool:
        """Re-read config, credentials and inventory; keep camera state, history and metric continuity.

        A bad config or credentials file is refused whole (the running one stays) and counted as a failed
        reload. Check intervals and pacing apply at once (``Poller.apply_pacing``); any other changed key
        is named in a warning as taking effect at the next restart (its value is never logged).
        """
        assert self.poller is not None
        self.notifier.reloading()
        try:
            cfg = load_config(self.config_path) if self.config_path else self.cfg
            credentials = load_credentials(cfg.credentials.file)
            targets = await self._load_inventory()
        except CamfleetError as exc:
            self.stats.reloads_failed += 1
            self.stats.last_reload_ok = False
            log.error("reload refused, keeping the running configuration", extra={"error": str(exc)})
            self.notifier.ready(self._status_text())
            return False
        changed = changed_keys(self.cfg.model_dump(), cfg.model_dump())
        self.cfg = cfg
        self.credentials = credentials
        self.poller.ctx.credentials = credentials
        set_display_zone(cfg.display.zone())
        retimed = self.poller.apply_pacing(cfg.poller)
        if retimed:
            log.info("check intervals changed", extra={"kinds": ",".join(str(k) for k in retimed)})
        later = [k for k in changed if k not in APPLIED_ON_RELOAD]
        if later:
            log.warning("changed settings take effect at the next restart", extra={"keys": ",".join(later)})
        if self.cluster is not None:
            self.cluster.set_targets(targets)
        else:
            self.poller.update_targets(targets)
        if self.coverage is not None:
            self.coverage.forget()
        if self.review is not None:
            self.review.forget()
        if self.metrics is not None:
            self.metrics.invalidate()  # the next scrape shows the new set of cameras, not a cached older one
        self.stats.reloads_ok += 1
        self.stats.last_reload_ok = True
        self.stats.last_reload_at = time.time()
        log.info("reloaded", extra={"cameras": len(targets)})
        self.notifier.ready(self._status_text())
        return True

    # ------------------------------------------------------------------ stop
    async def stop(self) -> None:
        """Stop probing, flush the database, close the web server and the store."""
        self.ready = False
        self.notifier.stopping()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.cluster is not None:
            await self.cluster.stop()
        if self.poller is not None:
            await self.poller.stop(STOP_DEADLINE_S)
        if self.solo is not None:
            await self.solo.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        if self.metrics is not None:
            self.metrics.close()
        if self.store is not None:
            await asyncio.to_thread(self.store.close)
        self.notifier.close()
        log.info("camfleet stopped")


#: Config keys a reload applies; every other changed key waits for a restart (and the reload says so).
APPLIED_ON_RELOAD = frozenset(
    {
        "credentials.file",
        "web.district",
        "display.timezone",
        *(f"poller.{k}" for k in ("liveness_interval_s", "identity_interval_s", "discovery_interval_s",
                                  "frame_interval_s", "jitter", "recheck_delay_s", "dead_after_s",
                                  "dead_backoff_max_s")),
    }
)  # fmt: skip


def changed_keys(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys whose value differs between two ``model_dump()``s, sorted."""
    out: list[str] = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += changed_keys(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}")
    return out


async def run_service(cfg: CamfleetConfig, *, config_path: str | None, listen: str | None, **kwargs: Any) -> None:
    """Start, wait for a signal, stop: the body of ``camfleet run``."""
    svc = Service(cfg, config_path=config_path, listen=listen, **kwargs)
    svc.install_signal_handlers()
    try:
        await svc.start()
        await svc.wait()
    finally:
        await svc.stop()
