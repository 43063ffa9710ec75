"""Turn an inventory file's rows into points and cameras, collecting every problem with row and column.

One row per camera; the point columns repeat on each camera row of a point and must agree (an empty
cell takes the value given on another row of the same point, as merged spreadsheet cells read back
empty). A row whose camera columns are all empty is a point without a camera (yet).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from camfleet.errors import InventoryError, InventoryProblem
from camfleet.inventory import fields
from camfleet.inventory.files import InventoryFile, InventoryRow, read_inventory_file
from camfleet.model import DEFAULT_SITE_TYPES, CameraRecord, PointRecord, PointStatus

POINT_COLUMNS = (
    "town", "village", "point_name", "lat", "lon", "program", "point_status", "installed_on", "accepted_on",
    "site_type",
)  # fmt: skip
CAMERA_COLUMNS = ("camera_id", "host", "port", "credential", "uplink")
MAX_LENGTH = {"town": 100, "village": 100, "point_id": 64, "point_name": 200, "program": 100, "camera_id": 64,
              "uplink": 200, "site_type": 32}  # fmt: skip

_PARSERS: dict[str, Callable[[str], Any]] = {
    "lat": lambda t: fields.parse_coordinate(t, "lat"),
    "lon": lambda t: fields.parse_coordinate(t, "lon"),
    "point_status": fields.parse_status,
    "installed_on": fields.parse_date,
    "accepted_on": fields.parse_date,
}


@dataclass(frozen=True, slots=True)
class Inventory:
    """A validated inventory: points in file order and the cameras on them."""

    source: str
    points: list[PointRecord]
    cameras: list[CameraRecord]
    camera_lines: dict[str, int] = field(default_factory=dict)  # camera id → its row in the file

    def missing_groups(self, known: Collection[str]) -> dict[str, list[tuple[int, str]]]:
        """Credential groups the cameras name that are not in ``known``: group → [(row, camera id), …]."""
        out: dict[str, list[tuple[int, str]]] = {}
        for camera in self.cameras:
            if camera.credential not in known:
                line = self.camera_lines.get(camera.camera_id, 0)
                out.setdefault(camera.credential, []).append((line, camera.camera_id))
        return out


@dataclass(slots=True)
class _Point:
    line: int
    values: dict[str, Any]  # column → parsed value; "" / None when not given
    has_camera: bool = False


class _Validator:
    def __init__(self, source: str, site_types: Sequence[str]) -> None:
        self.source = source
        self.site_types = tuple(site_types)
        self.problems: list[InventoryProblem] = []
        self.points: dict[str, _Point] = {}
        self.cameras: list[CameraRecord] = []
        self.camera_lines: dict[str, int] = {}
        self.address_lines: dict[tuple[str, int], int] = {}

    def problem(self, line: int | None, column: str | None, message: str) -> None:
        self.problems.append(InventoryProblem(self.source, line, column, message))

    def parse(self, row: InventoryRow, column: str, parser: Callable[[str], Any]) -> Any:
        try:
            return parser(row.get(column))
        except ValueError as exc:
            self.problem(row.line, column, str(exc))
            return None

    def row(self, row: InventoryRow) -> None:
        for column, limit in MAX_LENGTH.items():
            if len(row.get(column)) > limit:
                self.problem(row.line, column, f"longer than {limit} characters")
        point_id = row.get("point_id")
        has_camera = any(row.get(c) for c in CAMERA_COLUMNS)
        if not point_id:
            what = "a camera row without a point id" if has_camera else "point_id is empty"
            self.problem(row.line, "point_id", what)
        else:
            self.point_row(point_id, row, has_camera)
        if has_camera:
            self.camera_row(point_id, row)

    def point_row(self, point_id: str, row: InventoryRow, has_camera: bool) -> None:
        values: dict[str, Any] = {c: row.get(c) for c in POINT_COLUMNS if c not in _PARSERS}
        for column, parser in _PARSERS.items():
            values[column] = self.parse(row, column, parser)
        values["site_type"] = self.parse(row, "site_type", lambda t: fields.parse_site_type(t, self.site_types))
        seen = self.points.get(point_id)
        if seen is None:
            self.points[point_id] = _Point(row.line, values, has_camera)
            return
        seen.has_camera = seen.has_camera or has_camera
        for column, value in values.items():
            known = seen.values.get(column)
            if value in ("", None):
                continue
            if known in ("", None):
                seen.values[column] = value
            elif known != value:
                self.problem(
                    row.line, column,
                    f"point {point_id} has a different {column} on row {seen.line} ({known} there, {value} here)",
                )  # fmt: skip

    def camera_row(self, point_id: str, row: InventoryRow) -> None:
        camera_id = row.get("camera_id")
        if not camera_id:
            self.problem(row.line, "camera_id", "camera columns are filled but camera_id is empty")
        elif camera_id in self.camera_lines:
            first = self.camera_lines[camera_id]
            self.problem(row.line, "camera_id", f"duplicate camera id {camera_id} (first on row {first})")
            return
        else:
            self.camera_lines[camera_id] = row.line
        host = self.parse(row, "host", fields.parse_host) if row.get("host") else None
        if not row.get("host"):
            self.problem(row.line, "host", "host is empty")
        port = self.parse(row, "port", fields.parse_port)
        credential = self.parse(row, "credential", fields.check_credential)
        if host is not None and port is not None:
            first = self.address_lines.setdefault((host, port), row.line)
            if first != row.line:
                self.problem(row.line, "host", f"the same host and port as the camera on row {first}")
        if camera_id and point_id and host is not None and port is not None and credential is not None:
            self.cameras.append(CameraRecord(camera_id, point_id, host, port, credential, row.get("uplink")))

    def finish_point(self, point_id: str, point: _Point) -> PointRecord:
        v = point.values
        for column in ("town", "village"):
            if not v[column]:
                self.problem(point.line, column, f"{column} is empty for point {point_id}")
        if (v["lat"] is None) != (v["lon"] is None) and not self._coordinate_problem(point.line):
            missing = "lat" if v["lat"] is None else "lon"
            self.problem(point.line, missing, "give both latitude and longitude, or neither")
        installed: dt.date | None = v["installed_on"]
        accepted: dt.date | None = v["accepted_on"]
        if installed and accepted and accepted < installed:
            self.problem(point.line, "accepted_on", f"accepted on {accepted}, before installed on {installed}")
        # An empty status means what the row shows: a camera is there (installed), or not yet (planned).
        status = v["point_status"] or (PointStatus.INSTALLED if point.has_camera else PointStatus.PLANNED)
        return PointRecord(
            point_id=point_id, town=v["town"], village=v["village"], point_name=v["point_name"],
            lat=v["lat"], lon=v["lon"], program=v["program"], status=status,
            installed_on=installed.isoformat() if installed else "",
            accepted_on=accepted.isoformat() if accepted else "", site_type=v["site_type"] or "",
        )  # fmt: skip

    def _coordinate_problem(self, line: int) -> bool:
        return any(p.row == line and p.column in ("lat", "lon") for p in self.problems)


def validate_rows(parsed: InventoryFile, site_types: Sequence[str] = DEFAULT_SITE_TYPES) -> Inventory:
    """Validate parsed rows; raise ``InventoryError`` listing every problem, else return the inventory.

    ``site_types`` is the configured list of key-location types (``[coverage] site_types``): a ``site_type``
    cell outside it is a problem that names the type."""
    checker = _Validator(parsed.path, site_types)
    if not parsed.rows:
        # An empty inventory would retire every point: refuse it rather than guess.
        checker.problem(None, None, "no data rows (an inventory must list at least one point)")
    for row in parsed.rows:
        checker.row(row)
    points = [checker.finish_point(pid, p) for pid, p in checker.points.items()]
    if checker.problems:
        checker.problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise InventoryError(checker.problems)
    return Inventory(parsed.path, points, checker.cameras, dict(checker.camera_lines))


def validate_file(path: str | os.PathLike[str], site_types: Sequence[str] = DEFAULT_SITE_TYPES) -> Inventory:
    """Read and validate an inventory file (CSV or XLSX); raise ``InventoryError`` with every problem."""
    return validate_rows(read_inventory_file(path), site_types)
