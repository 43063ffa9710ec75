"""The inventory's column table (``camfleet.inventory.columns.COLUMNS``) is complete and agrees with the records
and the database tables, so a column half added (a record field or a table column without its row in the table)
fails here instead of being silently left out of the file, the import or the export."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from camfleet.inventory.columns import CAMERA_COLUMNS, COLUMNS, Entity, copied, db_of, export_header, field_of
from camfleet.inventory.files import read_inventory_file, write_inventory_file
from camfleet.inventory.tables import CAMERA, POINT, metadata
from camfleet.model import CameraRecord, PointRecord

_HAN = re.compile(r"[\u4e00-\u9fff]")


def test_every_column_has_its_own_chinese_alias() -> None:
    """Each column has a Chinese alias (with Chinese characters in it), no two columns share one, and no alias
    is another column's canonical name: a planner's header always names exactly one column."""
    aliases = [info.zh for info in COLUMNS.values()]
    missing = [c for c, info in COLUMNS.items() if not _HAN.search(info.zh)]
    assert missing == [], f"columns without a Chinese alias: {missing}"
    assert len(set(aliases)) == len(aliases)
    assert not set(aliases) & set(COLUMNS)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("chinese", [False, True])
def test_every_column_has_its_place_in_the_export(tmp_path: Path, suffix: str, chinese: bool) -> None:
    """The export writes every column once, in the table's order, under its name or its Chinese alias, and
    reading that file back gives each column its own value again."""
    header = export_header(chinese=chinese)
    assert header == [info.zh if chinese else c for c, info in COLUMNS.items()]
    row = {c: f"v{i}" for i, c in enumerate(COLUMNS)}
    path = tmp_path / f"export{suffix}"
    write_inventory_file(path, [row], chinese=chinese)
    parsed = read_inventory_file(path)
    assert [r.values for r in parsed.rows] == [row]


def _fields(record: type) -> set[str]:
    return {f.name for f in dataclasses.fields(record)}


def test_every_record_field_is_a_column() -> None:
    """``PointRecord`` and ``CameraRecord`` hold exactly the table's columns (a camera also names its point):
    a field added to a record without its row in ``COLUMNS`` would never be read from a file or exported."""
    point_columns = [c for c, info in COLUMNS.items() if info.entity is not Entity.CAMERA]
    assert _fields(PointRecord) == {field_of(c) for c in point_columns}
    assert _fields(CameraRecord) == {field_of(c) for c in CAMERA_COLUMNS} | {"point_id"}


def test_every_inventory_table_column_is_a_column_or_a_reference() -> None:
    """Each column names a real database column, and the ``point`` and ``camera`` tables hold nothing but the
    columns copied into them, their ids, the references the importer resolves and the point's retirement
    date: a table column added without its row in ``COLUMNS`` would be left out of every import and export."""
    for c in COLUMNS:
        table, name = db_of(c)
        assert name in metadata.tables[table].c, f"{c}: no column {table}.{name}"
    references = {POINT: {"id", "village_id", "retired_on"}, CAMERA: {"id", "point_id", "uplink_id"}}
    for table, entity in ((POINT, Entity.POINT), (CAMERA, Entity.CAMERA)):
        assert set(table.c.keys()) == {db_of(c)[1] for c in copied(entity)} | references[table]


def test_length_limits_fit_the_database_columns() -> None:
    """A text the validator lets through fits the database column that keeps it (the limit is checked on the
    file, before the database would refuse or, in SQLite, silently keep a longer text)."""
    for c, info in COLUMNS.items():
        table, name = db_of(c)
        length = getattr(metadata.tables[table].c[name].type, "length", None)  # SQLModel's AutoString has one
        if info.max_length is not None:
            assert length is not None and info.max_length <= length, c
