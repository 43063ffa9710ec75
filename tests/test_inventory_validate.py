"""Inventory validation: encodings, Chinese headers, every problem reported with row and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from inventory_helpers import camera, point, small_inventory, write_csv

from camfleet.errors import InventoryError
from camfleet.inventory.validate import validate_file
from camfleet.model import PointStatus


def problems_of(path: Path) -> list[tuple[int | None, str | None, str]]:
    """The (row, column, message) of every problem validation reports for ``path``."""
    with pytest.raises(InventoryError) as info:
        validate_file(path)
    return [(p.row, p.column, p.message) for p in info.value.problems]


def test_gb18030_with_chinese_headers_reads_every_point_and_camera(tmp_path: Path) -> None:
    """A GB18030 file with 镇街/行政村/点位编号… headers (as WPS saves it) yields the points and cameras."""
    path = write_csv(tmp_path / "inv.csv", small_inventory(), encoding="gb18030", chinese=True)
    assert "镇街".encode("gb18030") in path.read_bytes()  # really not UTF-8
    inv = validate_file(path)
    assert [p.point_id for p in inv.points] == ["P1", "P2", "P3", "P4"]
    assert [c.camera_id for c in inv.cameras] == ["C1", "C2", "C3", "C4", "C5"]
    assert inv.points[2].town == "东溪街道" and inv.points[2].village == "石门村"
    assert inv.points[3].status is PointStatus.PLANNED
    assert inv.cameras[3].port == 8080 and inv.cameras[4].host == "2001:db8::5"


def test_utf8_bom_file_is_read(tmp_path: Path) -> None:
    """A UTF-8 file with a BOM (Excel's "CSV UTF-8") keeps its first header and Chinese text intact."""
    path = write_csv(tmp_path / "inv.csv", small_inventory(), encoding="utf-8-sig", chinese=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    inv = validate_file(path)
    assert inv.points[0].town == "青石镇" and len(inv.cameras) == 5


def test_three_distinct_errors_are_all_reported_with_rows(tmp_path: Path) -> None:
    """Bad port on row 3, duplicate camera id on row 4, coordinates outside China on row 6: all three."""
    rows = small_inventory()
    rows[1] = rows[1] | {"port": "70000"}
    rows[2] = rows[2] | {"camera_id": "C1"}
    rows[4] = rows[4] | {"lat": "3.2"}  # P3's second row, so P3's rows also disagree on lat
    found = problems_of(write_csv(tmp_path / "bad.csv", rows))
    assert (3, "port", "port 70000 is outside 1–65535") in found
    assert any(r == 4 and c == "camera_id" and "duplicate camera id C1 (first on row 2)" in m for r, c, m in found)
    assert any(r == 6 and c == "lat" and "outside China" in m for r, c, m in found)
    assert len(found) == 3


def test_password_in_credential_column_is_flagged_without_echoing_it(tmp_path: Path) -> None:
    """``admin:Secr3t!`` and ``password=hunter2`` are flagged by row and column; the values never appear."""
    rows = small_inventory()
    rows[0] = rows[0] | {"credential": "admin:Secr3t!"}
    rows[1] = rows[1] | {"credential": "password=hunter2"}
    path = write_csv(tmp_path / "inv.csv", rows)
    with pytest.raises(InventoryError) as info:
        validate_file(path)
    text = str(info.value)
    assert "Secr3t" not in text and "hunter2" not in text
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "credential"), (3, "credential")]
    assert "may be a password" in info.value.problems[0].message


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("host", "192.168.1.300", "not an IPv4/IPv6 address"),
        ("host", "bad_host!", "not an IPv4/IPv6 address"),
        ("host", "-lead.example.cn", "not an IPv4/IPv6 address"),
        ("port", "0", "outside 1–65535"),
        ("port", "eighty", "not a whole number"),
        ("lon", "30.1", "latitude and longitude swapped?"),
        ("point_status", "done", "unknown point status 'done'"),
        ("installed_on", "2025-02-30", "not a real date"),
        ("installed_on", "last spring", "not a date"),
        ("point_id", "", "a camera row without a point id"),
        ("host", "", "host is empty"),
        ("town", "", "town is empty for point P1"),
    ],
)
def test_each_bad_cell_is_named_by_row_and_column(tmp_path: Path, column: str, value: str, expected: str) -> None:
    """One bad cell in a single-row file gives exactly one problem on row 2 in that column."""
    row = point("P1") | camera("C1", "127.10.0.1") | {column: value}
    found = problems_of(write_csv(tmp_path / "inv.csv", [row]))
    assert len(found) == 1, found
    assert found[0][0] == 2 and found[0][1] == column and expected in found[0][2]


def test_host_is_not_echoed_since_it_may_hold_credentials(tmp_path: Path) -> None:
    """``admin:pw@127.0.0.5`` in the host column is rejected and the text is not repeated."""
    row = point("P1") | camera("C1", "admin:pw@127.0.0.5")
    with pytest.raises(InventoryError) as info:
        validate_file(write_csv(tmp_path / "inv.csv", [row]))
    assert "admin:pw" not in str(info.value)


def test_point_rows_that_disagree_are_reported_and_empty_cells_inherit(tmp_path: Path) -> None:
    """Two rows of P1 with different villages are a problem; an empty cell (a merged cell) is not."""
    rows = [
        point("P1") | camera("C1", "127.10.0.1"),
        point("P1", point_name="", lat="", lon="") | camera("C2", "127.10.0.2"),
        point("P1", village="上坞村") | camera("C3", "127.10.0.3"),
    ]
    found = problems_of(write_csv(tmp_path / "inv.csv", rows))
    assert len(found) == 1
    assert found[0][:2] == (4, "village") and "row 2" in found[0][2]


def test_chinese_statuses_dates_and_default_port(tmp_path: Path) -> None:
    """已验收 and 规划 map to accepted/planned, 2025年3月5日 and 2025/3/5 parse, an empty port means 80."""
    rows = [
        point("P1", point_status="已验收", installed_on="2025年3月5日", accepted_on="2025/3/20")
        | camera("C1", "127.10.0.1", port=""),
        point("P2", point_status="规划", installed_on="", accepted_on="") | camera("", "", port="", credential=""),
    ]
    inv = validate_file(write_csv(tmp_path / "inv.csv", rows))
    assert inv.points[0].status is PointStatus.ACCEPTED and inv.points[1].status is PointStatus.PLANNED
    assert (inv.points[0].installed_on, inv.points[0].accepted_on) == ("2025-03-05", "2025-03-20")
    assert inv.cameras[0].port == 80


def test_empty_status_follows_the_row_and_planned_points_may_have_cameras(tmp_path: Path) -> None:
    """No status: a point with a camera is installed, one without is planned; 'planned' + camera is kept."""
    rows = [
        point("P1", point_status="") | camera("C1", "127.10.0.1"),
        point("P2", point_status="") | camera("", "", port="", credential=""),
        point("P3", point_status="planned") | camera("C3", "127.10.0.3"),
    ]
    inv = validate_file(write_csv(tmp_path / "inv.csv", rows))
    assert [p.status for p in inv.points] == [PointStatus.INSTALLED, PointStatus.PLANNED, PointStatus.PLANNED]
    assert [c.camera_id for c in inv.cameras] == ["C1", "C3"]


def test_same_address_twice_and_empty_file_are_refused(tmp_path: Path) -> None:
    """Two cameras at one host:port is a copy-paste error; a file with no rows would retire everything."""
    rows = [point("P1") | camera("C1", "127.10.0.1"), point("P1") | camera("C2", "127.10.0.1")]
    found = problems_of(write_csv(tmp_path / "dup.csv", rows))
    assert found == [
        (
            3,
            "host",
            "the same host and port as the camera on row 2, and this row has no channel: rows may share "
            "an address only as channels of one NVR",
        )
    ]
    found = problems_of(write_csv(tmp_path / "empty.csv", []))
    assert len(found) == 1 and "no data rows" in found[0][2]


def test_shipped_example_inventory_is_valid() -> None:
    """config/example-inventory.csv (Chinese headers and statuses, a planned point) passes validation."""
    inv = validate_file(Path(__file__).resolve().parents[1] / "config" / "example-inventory.csv")
    assert (len(inv.points), len(inv.cameras)) == (5, 5)
    assert [p.status for p in inv.points].count(PointStatus.PLANNED) == 1


def test_docs_column_table_matches_the_columns() -> None:
    """docs/inventory.md's column table lists exactly the importer's columns with their Chinese aliases, in the
    export's order, and calls required exactly the required ones (a new or renamed column fails it)."""
    import re
    from pathlib import Path

    from camfleet.inventory.columns import COLUMNS, REQUIRED_COLUMNS

    doc = (Path(__file__).resolve().parent.parent / "docs" / "inventory.md").read_text("utf-8")
    table = doc.split("| column | alias | rule |\n| --- | --- | --- |\n", 1)[1].split("\n\n", 1)[0]
    documented: list[tuple[str, str]] = []
    required: set[str] = set()
    for row in table.splitlines():
        names, aliases, rule = (cell.strip() for cell in row.strip("|").split("|", 2))
        pairs = list(zip(re.split(r",\s*", names), re.split(r",\s*", aliases), strict=True))
        documented += pairs
        required |= {name for name, _ in pairs if rule.startswith("required")}
    assert documented == [(name, info.zh) for name, info in COLUMNS.items()]
    assert required == set(REQUIRED_COLUMNS)
