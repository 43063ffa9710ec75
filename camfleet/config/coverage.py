"""[coverage]: the key-location types of the inventory and the coverage standards towns are judged by."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from camfleet.config.base import Section
from camfleet.model import DEFAULT_SITE_TYPES


class StandardConfig(Section):
    """One ``[[coverage.standard]]``: what every village of its towns must have, and how well it must work.

    A village meets it when every required site type has a working point (any point when none is required:
    today's 一村一探头 rule), its 完好率 is at least ``min_working_rate`` and it met those two over at least
    ``min_availability`` of the report's window. A town meets it when every one of its villages does.
    """

    name: str = Field(title="Name", description="Shown in reports and metric labels, e.g. 高标准全覆盖.", min_length=1)
    towns: list[str] = Field(default_factory=list, title="Towns", description="Towns it applies to; empty: every town.")
    require_site_types: list[str] = Field(
        default_factory=list,
        title="Required site types",
        description="Site types (部位类型) every village must have covered; empty: any point (一村一探头).",
    )
    min_working_rate: float | None = Field(
        None, ge=0.0, le=1.0, title="Minimum working rate", description="完好率 every village must reach, 0..1."
    )
    min_availability: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        title="Minimum availability",
        description="Share of the report's window (--window; 7d on the live page) a village must have met it.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if value != value.strip() or any(ord(c) < 32 for c in value):
            raise ValueError("a standard's name has no leading/trailing spaces and no control characters")
        return value


class CoverageConfig(Section):
    """Site types and the standards (none by default: the report then shows today's rule only)."""

    site_types: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SITE_TYPES),
        title="Site types",
        description="The key-location types (部位类型) an inventory's site_type column may name, in report order.",
        min_length=1,
    )
    standard: list[StandardConfig] = Field(
        default_factory=list, title="Standards", description="[[coverage.standard]] tables, judged in this order."
    )

    @model_validator(mode="after")
    def _consistent(self) -> CoverageConfig:
        names = [s.name for s in self.standard]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"standard names must be unique: {', '.join(dupes)}")
        for std in self.standard:
            unknown = [t for t in std.require_site_types if t not in self.site_types]
            if unknown:
                raise ValueError(f"standard {std.name!r} requires site types not in site_types: {', '.join(unknown)}")
        return self
