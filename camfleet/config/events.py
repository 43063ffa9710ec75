"""[events]: reading the cameras' own tamper events (ONVIF pull points)."""

from pydantic import Field, ValidationInfo, field_validator

from camfleet.config.base import Section


class EventsConfig(Section):
    """One pull-point subscription per camera that offers events; its tamper-type claims are compared with
    camfleet's own picture verdict. A broken events service is counted, never a camera status."""

    enabled: bool = Field(
        True, title="Read camera events", description="Subscribe to and pull each camera's ONVIF tamper events."
    )
    interval_s: float = Field(
        60.0, gt=0, le=3600, title="Pull interval (s)", description="How often each camera's pull point is read."
    )
    pull_timeout_s: float = Field(
        0.2,
        ge=0,
        le=10,
        title="Pull timeout (s)",
        description="PullMessages Timeout: how long the camera may hold the request when it has nothing new "
        "(capped at call_timeout_s − 1 s).",
    )
    message_limit: int = Field(
        32, ge=1, le=256, title="Message limit", description="PullMessages MessageLimit: most messages per pull."
    )
    subscription_s: float = Field(
        600.0,
        ge=1,
        le=86400,
        title="Subscription lifetime (s)",
        description="InitialTerminationTime asked for; the subscription is renewed before it ends.",
    )
    renew_margin_s: float = Field(
        180.0,
        gt=0,
        le=3600,
        title="Renew margin (s)",
        description="Renew a subscription that ends sooner than this (keep it above two pull intervals).",
    )
    concurrency: int = Field(
        32,
        ge=1,
        le=1000,
        title="Concurrent pulls",
        description="Most event calls in flight at once (a pull may be held up to its timeout; these never "
        "take the probes' slots).",
    )

    @field_validator("renew_margin_s")
    @classmethod
    def _margin_below_lifetime(cls, value: float, info: ValidationInfo) -> float:
        lifetime = info.data.get("subscription_s")
        if lifetime is not None and value >= lifetime:
            raise ValueError(f"must be shorter than subscription_s ({lifetime:g} s), or every pull renews")
        return value
