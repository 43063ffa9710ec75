"""The inventory's columns: the one table the file reader, the validator, the importer and the exporter read.

``COLUMNS`` holds one row per column of an inventory file, in the export's order: its Chinese alias (accepted
as a header on import, written by ``export --chinese``), whether the file must have it, the entity it
describes, its length limit, the parser that turns a cell into a value, the record field and the database
column it lands in, and how it travels between record, database and file (its ``Kind``). The SQLAlchemy
tables (``tables.py``) and the migrations stay typed by hand: migrations are history, and the tables are
what they create (``tests/test_inventory_schema.py``); ``tests/test_inventory_columns.py`` holds this table,
the records and the tables in step.

Pure Python on purpose: ``inventory validate`` reads it without loading SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from camfleet.inventory import fields
from camfleet.model import DEFAULT_SITE_TYPES, Access, PointStatus


class Entity(enum.StrEnum):
    """What a column describes. The town and village columns name a row of their own table (found or created
    on import); the point's columns repeat on each camera row of a point and must agree; a row whose camera
    columns are all empty is a point without a camera (yet)."""

    TOWN = "town"
    VILLAGE = "village"
    POINT = "point"
    CAMERA = "camera"


@dataclass(frozen=True, slots=True)
class CellRules:
    """What a cell's parser may need beyond the cell's text: the configured site types (``[coverage]``)."""

    site_types: tuple[str, ...] = DEFAULT_SITE_TYPES


#: A cell's parser: the stripped text (empty when not given) → the record's value; ``ValueError`` with a message
#: that never repeats what may be a secret.
Parser = Callable[[str, CellRules], Any]


def _text(text: str, rules: CellRules) -> str:
    return text


def _iso(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class Kind:
    """How a column's value travels: record value ⇄ database value, and database value → file text."""

    to_db: Callable[[Any], Any]  # record → database
    from_db: Callable[[Any], Any]  # database → record
    to_text: Callable[[Any], str]  # database → the exported cell (None: a planned point's empty camera columns)


TEXT = Kind(lambda v: v, lambda v: v or "", lambda v: v or "")
NUMBER = Kind(lambda v: v, lambda v: v, lambda v: "" if v is None else repr(v))  # float | None
WHOLE = Kind(lambda v: v, lambda v: v, lambda v: "" if v is None else str(v))  # int
DATE = Kind(_date, _iso, _iso)  # an ISO date in the record, a date in the database
ACCESS = Kind(lambda v: v.value, Access, lambda v: v or "")  # Access in the record, its word in the database
STATUS = Kind(lambda v: v.value, PointStatus, lambda v: v)  # PointStatus in the record, its word in the database


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """Everything camfleet says about one inventory column."""

    zh: str  # the Chinese alias planners' spreadsheets use: accepted as a header, written by ``export --chinese``
    entity: Entity
    parse: Parser = _text
    kind: Kind = TEXT
    required: bool = False  # the file must have the column, and every point must fill it
    max_length: int | None = None  # in characters; None: the parser bounds it (host, credential) or not text
    field: str = ""  # the attribute of ``PointRecord``/``CameraRecord`` ("" = the column's name)
    db: str = ""  # where the database keeps it, "table.column" ("" = the entity's table, the field's name); a
    # column kept in another table than its entity's (town, village, uplink) names a row the importer finds or
    # creates by that name and refers to by id


def _date_cell(text: str, rules: CellRules) -> str:
    return _iso(fields.parse_date(text))


def _host_cell(text: str, rules: CellRules) -> str:
    if not text:
        raise ValueError("host is empty")
    return fields.parse_host(text)


_P, _C = Entity.POINT, Entity.CAMERA

#: One row per column, in the export's order (the order ``docs/inventory.md`` lists them in).
COLUMNS: dict[str, ColumnInfo] = {
    "town": ColumnInfo("镇街", Entity.TOWN, required=True, max_length=100, db="town.name"),
    "village": ColumnInfo("行政村", Entity.VILLAGE, required=True, max_length=100, db="village.name"),
    "point_id": ColumnInfo("点位编号", _P, required=True, max_length=64),
    "point_name": ColumnInfo("点位名称", _P, max_length=200, db="point.name"),
    "lat": ColumnInfo("纬度", _P, lambda t, r: fields.parse_coordinate(t, "lat"), NUMBER),
    "lon": ColumnInfo("经度", _P, lambda t, r: fields.parse_coordinate(t, "lon"), NUMBER),
    "program": ColumnInfo("项目", _P, max_length=100),
    "point_status": ColumnInfo("点位状态", _P, lambda t, r: fields.parse_status(t), STATUS, field="status"),
    "installed_on": ColumnInfo("安装日期", _P, _date_cell, DATE),
    "accepted_on": ColumnInfo("验收日期", _P, _date_cell, DATE),
    "camera_id": ColumnInfo("摄像机编号", _C, max_length=64),
    "host": ColumnInfo("IP地址", _C, _host_cell),
    "port": ColumnInfo("端口", _C, lambda t, r: fields.parse_port(t), WHOLE),
    "credential": ColumnInfo("凭据", _C, lambda t, r: fields.check_credential(t)),
    "uplink": ColumnInfo("上联", _C, max_length=200, db="uplink_group.name"),
    "site_type": ColumnInfo("部位类型", _P, lambda t, r: fields.parse_site_type(t, r.site_types), max_length=32),
    "channel": ColumnInfo("通道号", _C, lambda t, r: fields.parse_channel(t), WHOLE),
    "access": ColumnInfo("接入方式", _C, lambda t, r: fields.parse_access(t), ACCESS),
    "rtsp_path": ColumnInfo("RTSP路径", _C, lambda t, r: fields.parse_rtsp_path(t)),
}  # fmt: skip

#: The columns a file must have (its header names them, in English or Chinese).
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c for c, info in COLUMNS.items() if info.required)

#: Every header the reader accepts → its column: the canonical names and the Chinese aliases.
HEADERS: dict[str, str] = {info.zh: c for c, info in COLUMNS.items()} | {c: c for c in COLUMNS}

#: The point's columns (its own, its town's and its village's) besides its identity ``point_id``.
POINT_COLUMNS: tuple[str, ...] = tuple(
    c for c, info in COLUMNS.items() if info.entity is not Entity.CAMERA and c != "point_id"
)

#: The camera's columns: any of them filled makes a row a camera row.
CAMERA_COLUMNS: tuple[str, ...] = tuple(c for c, info in COLUMNS.items() if info.entity is Entity.CAMERA)

#: Length limits in characters, checked before parsing.
MAX_LENGTH: dict[str, int] = {c: info.max_length for c, info in COLUMNS.items() if info.max_length is not None}


def field_of(column: str) -> str:
    """The ``PointRecord``/``CameraRecord`` attribute that holds ``column``."""
    return COLUMNS[column].field or column


def db_of(column: str) -> tuple[str, str]:
    """The database table and column that keep ``column``."""
    info = COLUMNS[column]
    table, _, name = (info.db or f"{info.entity.value}.{field_of(column)}").partition(".")
    return table, name


def copied(entity: Entity) -> tuple[str, ...]:
    """The columns copied as they are into ``entity``'s own table (``point`` or ``camera``)."""
    return tuple(c for c, info in COLUMNS.items() if info.entity is entity and db_of(c)[0] == entity.value)


def export_header(*, chinese: bool = False) -> list[str]:
    """The export's header row: canonical names, or the Chinese aliases."""
    return [info.zh if chinese else c for c, info in COLUMNS.items()]
