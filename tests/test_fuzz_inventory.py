"""Fuzzing the inventory importer: arbitrary bytes and rows give an inventory or an InventoryError, nothing else."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camfleet.errors import InventoryError
from camfleet.inventory.columns import COLUMNS
from camfleet.inventory.files import InventoryFile, InventoryRow, read_inventory_file, write_inventory_file
from camfleet.inventory.validate import validate_rows

FUZZ = settings(max_examples=120, deadline=3000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
_CELL = st.one_of(
    st.text(max_size=24),
    st.sampled_from(
        ["", "127.0.0.1", "8080", "0", "-1", "99999", "30.5", "200", "2024-02-30", "已验收", "规划", "x" * 300]
    ),
)


def _read_and_validate(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            validate_rows(read_inventory_file(path))
        except InventoryError as exc:
            assert exc.problems and all(str(path) in str(p) for p in exc.problems)


@settings(parent=FUZZ)
@given(st.binary(max_size=4000), st.sampled_from([".csv", ".xlsx"]))
def test_arbitrary_bytes(data: bytes, suffix: str) -> None:
    """Any bytes as a .csv or .xlsx file: read and validated, or refused with problems naming the file."""
    _read_and_validate(data, suffix)


@settings(parent=FUZZ)
@given(st.binary(max_size=600), st.integers(0, 3000))
def test_corrupted_xlsx(junk: bytes, where: int) -> None:
    """A real XLSX inventory with bytes overwritten (a damaged download): never anything but InventoryError."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "good.xlsx"
        write_inventory_file(path, [{"town": "东山镇", "village": "东山村", "point_id": "P1", "camera_id": "C1",
                                     "host": "127.0.0.1", "port": "80", "credential": "g"}])  # fmt: skip
        data = bytearray(path.read_bytes())
        pos = min(where, len(data))
        data[pos : pos + len(junk)] = junk
        _read_and_validate(bytes(data), ".xlsx")


@settings(parent=FUZZ)
@given(st.lists(st.dictionaries(st.sampled_from(list(COLUMNS)), _CELL), max_size=12))
def test_arbitrary_rows(rows: list[dict[str, str]]) -> None:
    """Arbitrary cell values in canonical columns: a validated inventory or an InventoryError whose
    problems each name a row of the input."""
    parsed = InventoryFile("fuzz.csv", "utf-8", [InventoryRow(i + 2, r) for i, r in enumerate(rows)])
    try:
        inventory = validate_rows(parsed)
    except InventoryError as exc:
        lines = {r.line for r in parsed.rows}
        assert all(p.row is None or p.row in lines for p in exc.problems)
        return
    assert len(inventory.cameras) <= len(rows)
