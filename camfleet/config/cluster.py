"""[cluster]: several camfleet instances sharing one fleet through PostgreSQL."""

from pydantic import Field

from camfleet.config.base import Section


class ClusterConfig(Section):
    """Uplink groups are leased to instances through PostgreSQL rows (see docs/scaling.md)."""

    enabled: bool = Field(
        False,
        title="Enabled",
        description="Share the fleet with other instances on the same PostgreSQL database (not SQLite).",
    )
    instance_id: str = Field(
        "", max_length=64, title="Instance id", description="Unique per instance; empty: the host name."
    )
    lease_seconds: float | None = Field(
        None,
        gt=0,
        title="Lease (s)",
        description="How long a lease lasts without renewal; empty: half the liveness interval, so that a dead "
        "instance's cameras are taken over within two liveness intervals.",
    )
    max_moves: int = Field(
        8,
        ge=1,
        le=1000,
        title="Moves per heartbeat",
        description="Most uplinks an instance gives away per heartbeat when rebalancing (no thundering herd).",
    )
