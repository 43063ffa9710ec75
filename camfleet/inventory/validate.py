"""Turn an inventory file's rows into points and cameras, collecting every problem with row and column.

One row per camera; the point columns repeat on each camera row of a point and must agree (an empty
cell takes the value given on another row of the same point, as merged spreadsheet cells read back
empty). A row whose camera columns are all empty is a point without a camera (yet).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from camfleet.errors import InventoryError, InventoryProblem
from camfleet.inventory.columns import (
    CAMERA_COLUMNS,
    COLUMNS,
    MAX_LENGTH,
    POINT_COLUMNS,
    REQUIRED_COLUMNS,
    CellRules,
    Entity,
    field_of,
)
from camfleet.inventory.files import InventoryFile, InventoryRow, read_inventory_file
from camfleet.model import DEFAULT_SITE_TYPES, RTSP_PORT, Access, CameraRecord, PointRecord, PointStatus

#: Required columns every point fills besides its identity (an empty one is named per point).
_FILLED = tuple(c for c in REQUIRED_COLUMNS if COLUMNS[c].entity in (Entity.TOWN, Entity.VILLAGE))
#: The camera's columns besides its identity, parsed on each camera row.
_CAMERA_CELLS = tuple(c for c in CAMERA_COLUMNS if c != "camera_id")


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
        self.rules = CellRules(tuple(site_types))
        self.problems: list[InventoryProblem] = []
        self.points: dict[str, _Point] = {}
        self.cameras: list[CameraRecord] = []
        self.camera_lines: dict[str, int] = {}
        # (host, port) → [(row, channel, credential group, uplink), …]: rows sharing an address are NVR channels
        self.address_rows: dict[tuple[str, int], list[tuple[int, int | None, str | None, str]]] = {}

    def problem(self, line: int | None, column: str | None, message: str) -> None:
        self.problems.append(InventoryProblem(self.source, line, column, message))

    def parse(self, row: InventoryRow, column: str, parser: Callable[[str, CellRules], Any]) -> Any:
        try:
            return parser(row.get(column), self.rules)
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
        values: dict[str, Any] = {c: self.parse(row, c, COLUMNS[c].parse) for c in POINT_COLUMNS}
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
        cells = {c: self.parse(row, c, COLUMNS[c].parse) for c in _CAMERA_CELLS}
        self.access_rules(row, cells)
        host, port = cells["host"], cells["port"]
        if host is not None and port is not None:
            self.address_rule(row, (host, port), cells)
        if camera_id and point_id and all(v is not None for c, v in cells.items() if c != "channel"):
            record = {field_of(c): v for c, v in cells.items()}
            self.cameras.append(CameraRecord(camera_id=camera_id, point_id=point_id, **record))

    def access_rules(self, row: InventoryRow, cells: dict[str, Any]) -> None:
        """An RTSP-only camera has a stream path and no channel (its port, when empty, is RTSP's 554); an ONVIF
        row has no stream path (camfleet asks the camera or recorder for its streams)."""
        access = cells["access"]
        if access is Access.RTSP:
            if not row.get("port"):
                cells["port"] = RTSP_PORT
            if row.get("channel"):
                self.problem(row.line, "channel", "a channel on an RTSP-only row (access rtsp): NVR channels are "
                             "reached through the recorder's ONVIF service; leave access empty or onvif")  # fmt: skip
            if not row.get("rtsp_path"):
                self.problem(row.line, "rtsp_path", "an RTSP-only camera (access rtsp) needs its stream path")
        elif access is Access.ONVIF and row.get("rtsp_path"):
            self.problem(row.line, "rtsp_path", "rtsp_path is for RTSP-only cameras (access rtsp); an ONVIF "
                         "camera or recorder names its own streams")  # fmt: skip

    def address_rule(self, row: InventoryRow, address: tuple[str, int], cells: dict[str, Any]) -> None:
        """Rows may share a host and port only as channels of one recorder: each with its own channel, all with
        the recorder's credential group and uplink (the recorder is reached once, with one login)."""
        channel = cells["channel"]
        shared = self.address_rows.setdefault(address, [])
        where = "the recorder at this host and port"
        for line, other_channel, credential, uplink in shared:
            if channel is None or other_channel is None:
                which = "this row" if channel is None else f"row {line}"
                self.problem(row.line, "host", f"the same host and port as the camera on row {line}, and {which} "
                             "has no channel: rows may share an address only as channels of one NVR")  # fmt: skip
                break
            if channel == other_channel:
                self.problem(row.line, "channel", f"channel {channel} of {where} is also on row {line}")
                break
            if cells["credential"] is not None and cells["credential"] != credential:
                self.problem(row.line, "credential", f"{where} has another credential group on row {line}: "
                             "a recorder logs in once, with one group")  # fmt: skip
                break
            if row.get("uplink") != uplink:
                self.problem(row.line, "uplink", f"{where} is behind another uplink on row {line}")
                break
        shared.append((row.line, channel, cells["credential"], row.get("uplink")))

    def finish_point(self, point_id: str, point: _Point) -> PointRecord:
        v = point.values
        for column in _FILLED:
            if not v[column]:
                self.problem(point.line, column, f"{column} is empty for point {point_id}")
        if (v["lat"] is None) != (v["lon"] is None) and not self._coordinate_problem(point.line):
            missing = "lat" if v["lat"] is None else "lon"
            self.problem(point.line, missing, "give both latitude and longitude, or neither")
        installed: str | None = v["installed_on"]  # ISO dates: they sort as the dates do
        accepted: str | None = v["accepted_on"]
        if installed and accepted and accepted < installed:
            self.problem(point.line, "accepted_on", f"accepted on {accepted}, before installed on {installed}")
        # An empty status means what the row shows: a camera is there (installed), or not yet (planned).
        status = v["point_status"] or (PointStatus.INSTALLED if point.has_camera else PointStatus.PLANNED)
        record = {field_of(c): value for c, value in v.items()} | {field_of("point_status"): status}
        return PointRecord(point_id=point_id, **record)

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
