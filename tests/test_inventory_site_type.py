"""The inventory's site_type column (部位类型): validated against the configured list, imported from GB18030
with its Chinese header, stored, exported and re-imported unchanged, and filled by the simulator."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from inventory_helpers import camera, point, small_inventory, write_csv

from camfleet.errors import InventoryError
from camfleet.inventory import db
from camfleet.inventory.files import write_inventory_file
from camfleet.inventory.importer import export_rows, import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import validate_file
from camfleet.model import DEFAULT_SITE_TYPES
from camfleet.simulator.district import generate_district


def _typed() -> list[dict[str, str]]:
    rows = small_inventory()
    types = ["村口", "村口", "学校", "河塘", "河塘", ""]
    return [r | {"site_type": t} for r, t in zip(rows, types, strict=True)]


def test_gb18030_chinese_header_imports_and_round_trips(db_url: str, tmp_path: Path) -> None:
    """A GB18030 file with the 部位类型 header gives each point its type; the database keeps it; the export
    carries it and re-imports with no change."""
    path = write_csv(tmp_path / "inv.csv", _typed(), encoding="gb18030", chinese=True)
    assert "部位类型".encode("gb18030") in path.read_bytes()
    inv = validate_file(path)
    assert {p.point_id: p.site_type for p in inv.points} == {"P1": "村口", "P2": "学校", "P3": "河塘", "P4": ""}
    import_inventory(db_url, inv)
    with Store(db_url) as store:
        assert {p.point_id: p.site_type for p in store.load_points()}["P2"] == "学校"
    exported = tmp_path / "export.csv"
    write_inventory_file(exported, export_rows(db_url))
    assert [r["site_type"] for r in export_rows(db_url)] == ["村口", "村口", "学校", "河塘", "河塘", ""]
    assert import_inventory(db_url, validate_file(exported)).plan.empty


def test_changing_a_type_is_a_listed_change(sqlite_url: str, tmp_path: Path) -> None:
    """A point whose type changes in the file is a change the import plan names."""
    import_inventory(sqlite_url, validate_file(write_csv(tmp_path / "a.csv", _typed())))
    rows = _typed()
    rows[2] = rows[2] | {"site_type": "村部"}
    plan = import_inventory(sqlite_url, validate_file(write_csv(tmp_path / "b.csv", rows))).plan
    assert [str(c) for c in plan.changes()] == ["changed point P2 (site_type: 学校 → 村部)"]


def test_unknown_type_is_named_with_row_and_column(tmp_path: Path) -> None:
    """A type outside the list is a problem naming the type, its row and the column; a configured list
    replaces the default one."""
    rows = [point("P1", site_type="晒谷场") | camera("C1", "127.10.0.1")]
    path = write_csv(tmp_path / "inv.csv", rows)
    with pytest.raises(InventoryError) as info:
        validate_file(path)
    ((row, column, message),) = [(p.row, p.column, p.message) for p in info.value.problems]
    assert (row, column) == (2, "site_type")
    assert "晒谷场" in message and "村口" in message
    assert validate_file(path, ("晒谷场", "其他")).points[0].site_type == "晒谷场"


def test_disagreeing_rows_of_one_point_are_refused(tmp_path: Path) -> None:
    """Two camera rows of one point with different types are a problem (like any point column)."""
    rows = [
        point("P1", site_type="村口") | camera("C1", "127.10.0.1"),
        point("P1", site_type="学校") | camera("C2", "127.10.0.2"),
    ]
    with pytest.raises(InventoryError, match="different site_type"):
        validate_file(write_csv(tmp_path / "inv.csv", rows))


def test_upgrade_gives_existing_points_the_empty_type(sqlite_url: str, tmp_path: Path) -> None:
    """A database at revision 0005 with points upgrades to 0006: the points are kept, with no type."""
    from alembic import command

    engine = db.open_engine(sqlite_url)
    with engine.begin() as conn:
        command.upgrade(db.alembic_config(conn), "0005")
        conn.execute(sa.text("INSERT INTO town (name) VALUES ('青石镇')"))
        conn.execute(sa.text("INSERT INTO village (town_id, name) VALUES (1, '下坞村')"))
        conn.execute(
            sa.text(
                "INSERT INTO point (point_id, village_id, name, program, status) VALUES ('P1', 1, '', '', 'planned')"
            )
        )
    engine.dispose()
    assert db.upgrade(sqlite_url) == ("0005", db.HEAD_REVISION)
    with Store(sqlite_url) as store:
        assert [(p.point_id, p.site_type) for p in store.load_points()] == [("P1", "")]


def test_simulated_district_fills_every_type() -> None:
    """The synthetic district gives every point one of the default types, each of them used, 其他 the most."""
    counts = Counter(
        r["site_type"] for r in generate_district(towns=4, villages=12, points=30, cameras=40, legacy=300).rows
    )
    assert set(counts) == set(DEFAULT_SITE_TYPES)
    assert counts.most_common(1)[0][0] == "其他"
