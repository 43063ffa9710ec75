"""Read and write inventory files: CSV (UTF-8, UTF-8 with BOM or GB18030, detected) and XLSX.

This module only turns a file into rows of canonical column → text; validation lives in ``validate``, the
columns (names, Chinese aliases, export order) in ``columns``.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

from camfleet.errors import InventoryError, InventoryProblem
from camfleet.inventory.columns import COLUMNS, HEADERS, REQUIRED_COLUMNS, export_header

MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class InventoryRow:
    """One data row: its 1-based line number in the file (header = 1) and canonical column values."""

    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        """The stripped text of ``column`` (empty when absent)."""
        return self.values.get(column, "")


@dataclass(frozen=True, slots=True)
class InventoryFile:
    """A parsed inventory file: where it came from, the encoding found and its rows."""

    path: str
    encoding: str
    rows: list[InventoryRow]


def decode_text(data: bytes, path: str) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 with BOM, then UTF-8, then GB18030. Returns (text, encoding)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise InventoryError(
            [InventoryProblem(path, None, None, f"not UTF-8 or GB18030 text (bad byte at offset {exc.start})")]
        ) from None


def _map_header(path: str, header: list[str]) -> list[str | None]:
    """Canonical name per column (None for columns camfleet does not use); problems for bad headers."""
    problems: list[InventoryProblem] = []
    mapped: list[str | None] = []
    seen: set[str] = set()
    for raw in header:
        name = raw.strip().lstrip("\ufeff")
        canon = HEADERS.get(name) or HEADERS.get(name.lower())
        if canon is not None and canon in seen:
            problems.append(InventoryProblem(path, 1, name, f"column {canon!r} appears twice"))
            canon = None
        if canon is not None:
            seen.add(canon)
        mapped.append(canon)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        problems.append(
            InventoryProblem(
                path, 1, None, "missing column(s): " + ", ".join(f"{c} ({COLUMNS[c].zh})" for c in missing)
            )
        )
    if problems:
        raise InventoryError(problems)
    return mapped


def _rows_from_table(path: str, table: list[list[str]]) -> list[InventoryRow]:
    if not table:
        raise InventoryError([InventoryProblem(path, None, None, "the file is empty")])
    mapped = _map_header(path, table[0])
    rows: list[InventoryRow] = []
    for index, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # blank line
        values = {canon: cells[i].strip() for i, canon in enumerate(mapped) if canon and i < len(cells)}
        rows.append(InventoryRow(line=index, values=values))
    return rows


def _xlsx_table(path: str, data: bytes) -> list[list[str]]:
    import zipfile
    import zlib

    import openpyxl

    # openpyxl reads rows lazily: a corrupt sheet fails inside the row loop, so the loop is inside the try.
    # SyntaxError is what its XML parser raises for a broken sheet.
    broken = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, OSError, IndexError, SyntaxError)
    book = None
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except broken as exc:
        raise InventoryError([InventoryProblem(path, None, None, f"not a readable XLSX workbook: {exc}")]) from None
    finally:
        if book is not None:
            book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "date") and hasattr(value, "hour"):  # datetime from a date cell
        return str(value.date())
    return str(value)


def read_inventory_file(path: str | os.PathLike[str]) -> InventoryFile:
    """Parse a CSV or XLSX inventory into canonical rows; raise ``InventoryError`` naming the file."""
    p = Path(path)
    name = str(p)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InventoryError([InventoryProblem(name, None, None, f"file too large ({size} bytes)")])
        data = p.read_bytes()
    except FileNotFoundError:
        raise InventoryError([InventoryProblem(name, None, None, "file not found")]) from None
    except OSError as exc:
        raise InventoryError([InventoryProblem(name, None, None, f"cannot read: {exc.strerror}")]) from None
    if data.startswith(b"PK\x03\x04"):
        return InventoryFile(name, "xlsx", _rows_from_table(name, _xlsx_table(name, data)))
    text, encoding = decode_text(data, name)
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InventoryError([InventoryProblem(name, None, None, f"not valid CSV: {exc}")]) from None
    return InventoryFile(name, encoding, _rows_from_table(name, table))


def write_inventory_file(path: str | os.PathLike[str], rows: list[dict[str, str]], *, chinese: bool = False) -> None:
    """Write rows (canonical column → text) as CSV (UTF-8 with BOM, opens in Excel/WPS) or XLSX by suffix.

    Written to a temporary file and renamed, so a crash never leaves half a file.
    """
    p = Path(path)
    names = export_header(chinese=chinese)
    tmp = p.with_name(p.name + ".tmp")
    if p.suffix.lower() == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("inventory")
        sheet.append(names)
        for row in rows:
            sheet.append([row.get(c, "") for c in COLUMNS])
        book.save(tmp)
    else:
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(names)
            for row in rows:
                writer.writerow([row.get(c, "") for c in COLUMNS])
    os.replace(tmp, p)
