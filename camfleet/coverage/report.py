"""The coverage report as a tree of plain dataclasses; ``build.build_report`` fills it, renderers read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from camfleet.coverage.history import Availability, Offender, Outage, TrendDay
from camfleet.coverage.kpi import Kpis
from camfleet.coverage.progress import Progress
from camfleet.coverage.window import Window
from camfleet.errors import UsageError
from camfleet.maintenance import MaintenanceWindow

if TYPE_CHECKING:
    from camfleet.coverage.standards_report import StandardResult

#: The programmes planners ask about, in the order reports show them; others follow alphabetically.
KNOWN_PROGRAMS = ("一村一探头", "农村小天网")
#: The key for "every programme together" in ``by_program``.
ALL = "all"


class UnknownAreaError(UsageError):
    """A town or programme filter names nothing in the inventory; the message lists what exists."""


@dataclass(frozen=True, slots=True)
class AreaSummary:
    """The district (or the selected town) or one town: KPIs for all programmes and per programme."""

    name: str
    kpis: Kpis
    by_program: dict[str, Kpis]
    availability: Availability
    mttr_s: float | None
    outages: int


@dataclass(frozen=True, slots=True)
class VillageRow:
    """One village: covered now (None = unknown), its KPIs and its availability over the window."""

    town: str
    village: str
    covered: bool | None
    kpis: Kpis
    availability: Availability
    programs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CameraRow:
    """One camera's current status at a point."""

    camera_id: str
    status: str
    reason: str
    since: float


@dataclass(frozen=True, slots=True)
class PointRow:
    """One planned point: where it is, its lifecycle status, covered now, availability over the window."""

    point_id: str
    town: str
    village: str
    point_name: str
    program: str
    status: str
    lat: float | None
    lon: float | None
    covered: bool | None
    cameras: tuple[CameraRow, ...]
    availability: Availability


@dataclass(frozen=True, slots=True)
class RepairItem:
    """A camera that is not working now: what is wrong since when, with an optional evidence picture."""

    camera_id: str
    point_id: str
    town: str
    village: str
    point_name: str
    status: str
    reason: str
    detail: str
    since: float
    thumbnail: bytes | None = None
    #: the active maintenance window that covers the camera (it still counts as not working: planners want the truth)
    maintenance: MaintenanceWindow | None = None


@dataclass(frozen=True, slots=True)
class OutageRow:
    """An outage with where the camera is."""

    outage: Outage
    point_id: str
    town: str
    village: str


@dataclass(slots=True)
class CoverageReport:
    """Everything a coverage report shows. ``district`` covers the scope: the whole district, or the town
    selected with ``town``."""

    generated_at: float
    window: Window
    town: str | None
    program: str | None
    programs: tuple[str, ...]
    district: AreaSummary
    towns: list[AreaSummary] = field(default_factory=list)
    villages: list[VillageRow] = field(default_factory=list)
    points: list[PointRow] = field(default_factory=list)
    uncovered_villages: list[VillageRow] = field(default_factory=list)
    unknown_villages: list[VillageRow] = field(default_factory=list)
    repairs: list[RepairItem] = field(default_factory=list)
    longest_outages: list[OutageRow] = field(default_factory=list)
    offenders_by_time: list[Offender] = field(default_factory=list)
    offenders_by_count: list[Offender] = field(default_factory=list)
    trend: list[TrendDay] = field(default_factory=list)
    progress: list[Progress] = field(default_factory=list)
    all_towns: tuple[str, ...] = ()
    #: One per configured standard (``[[coverage.standard]]``); empty when none is configured.
    standards: list[StandardResult] = field(default_factory=list)
    #: The maintenance windows active at ``generated_at`` that touch the scope, ending first first.
    maintenance: list[MaintenanceWindow] = field(default_factory=list)
    #: Villages of the scope whose alerts a window holds (a village window, or every camera held).
    held_villages: frozenset[tuple[str, str]] = frozenset()
