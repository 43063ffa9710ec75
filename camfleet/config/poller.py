"""[poller]: how often and how hard cameras are checked."""

from pydantic import Field

from camfleet.config.base import Section


class PollerConfig(Section):
    """Scheduler tiers, limits, deadlines and the health state machine's hysteresis."""

    liveness_interval_s: float = Field(
        60.0,
        gt=0,
        title="Liveness interval (s)",
        description="How often each camera's GetSystemDateAndTime is checked.",
    )
    identity_interval_s: float = Field(
        3600.0, gt=0, title="Identity interval (s)", description="How often GetDeviceInformation (authenticated) runs."
    )
    discovery_interval_s: float = Field(
        3600.0, gt=0, title="Discovery interval (s)", description="How often media profiles and URIs are refreshed."
    )
    frame_interval_s: float = Field(
        300.0, gt=0, title="Frame interval (s)", description="How often a picture is sampled and judged."
    )
    jitter: float = Field(
        0.1,
        ge=0,
        le=0.5,
        title="Jitter",
        description="Random spread of each next due time, as a fraction of its interval.",
    )
    concurrency: int = Field(
        256, ge=1, le=10_000, title="Global concurrency", description="Most probes in flight at once across the fleet."
    )
    per_uplink_concurrency: int = Field(
        4,
        ge=1,
        le=1000,
        title="Per-uplink concurrency",
        description="Most probes in flight at once behind one uplink (a village router).",
    )
    per_recorder_pictures: int = Field(
        2,
        ge=1,
        le=64,
        title="Pictures per recorder",
        description="Most pictures fetched at once through one NVR/DVR (a recorder serves few snapshots at once).",
    )
    connect_timeout_s: float = Field(
        3.0, gt=0, le=60, title="Connect timeout (s)", description="TCP connect deadline per call."
    )
    call_timeout_s: float = Field(
        5.0, gt=0, le=120, title="Call timeout (s)", description="Whole-call deadline for one ONVIF request."
    )
    frame_timeout_s: float = Field(
        15.0, gt=0, le=300, title="Frame timeout (s)", description="Whole deadline for fetching one picture."
    )
    max_reply_bytes: int = Field(
        2 * 1024 * 1024,
        ge=64 * 1024,
        title="Max SOAP reply (bytes)",
        description="Larger ONVIF replies are refused as protocol_error/oversized.",
    )
    max_snapshot_bytes: int = Field(
        8 * 1024 * 1024, ge=64 * 1024, title="Max snapshot (bytes)", description="Larger pictures are refused."
    )
    pictures_in_flight_mib: int = Field(
        16,
        ge=1,
        le=65536,
        title="Pictures in flight (MiB)",
        description="Pictures fetched and not yet judged, by their bytes (each check reserves its camera's last "
        "picture size): bounds the poller's memory whatever the cameras send. 16 MiB is ~30 1080p pictures, "
        "several per worker; raise it for many workers or 4K snapshots.",
    )
    degraded_latency_s: float = Field(
        2.0, gt=0, title="Degraded latency (s)", description="A liveness answer slower than this counts as degraded."
    )
    clock_skew_limit_s: float = Field(
        300.0,
        gt=0,
        title="Clock skew limit (s)",
        description="Offset beyond which an auth failure is blamed on the clock.",
    )
    fail_threshold: int = Field(
        2,
        ge=1,
        le=20,
        title="Failures to go bad (K)",
        description="Consecutive failed checks before a camera leaves ok.",
    )
    recover_threshold: int = Field(
        2,
        ge=1,
        le=20,
        title="Successes to recover (M)",
        description="Consecutive good checks before a bad camera returns to ok.",
    )
    recheck_delay_s: float = Field(
        5.0, ge=0, title="Re-check delay (s)", description="A new failure is re-checked this soon to confirm it."
    )
    dead_after_s: float = Field(
        86400.0, gt=0, title="Dead after (s)", description="A camera down this long is checked with backoff."
    )
    dead_backoff_max_s: float = Field(
        900.0, gt=0, title="Dead backoff limit (s)", description="Longest liveness interval for a long-dead camera."
    )
    flap_window_s: float = Field(
        3600.0, gt=0, title="Flap window (s)", description="Window in which status changes are counted for flapping."
    )
    flap_threshold: int = Field(
        6, ge=2, title="Flap threshold", description="Status changes within the window that mark a camera flapping."
    )
    allow_foreign_snapshot_hosts: bool = Field(
        False,
        title="Allow foreign snapshot hosts",
        description="Accept snapshot URIs pointing to another host than the camera.",
    )
