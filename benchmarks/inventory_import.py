"""Benchmark: import the default synthetic district into a fresh SQLite database, then re-import it.

Baselines measured in the same run: parsing + validating the file alone, and a plain Core INSERT of the
same camera rows into an empty table. Targets: import < 10 s, re-import < 5 s (and no change).

Run: .venv/bin/python benchmarks/inventory_import.py
     .venv/bin/python benchmarks/inventory_import.py --nvr-channels 3000 --rtsp-only 500 --gb18030
     (the legacy fleet as the field has it: 3,000 NVR channels and 500 RTSP-only cameras among the 5,500, in a
     GB18030 file with the Chinese headers, as a planner's spreadsheet exports it)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import sqlalchemy as sa

from camfleet.inventory.db import open_engine
from camfleet.inventory.files import read_inventory_file, write_inventory_file
from camfleet.inventory.importer import ImportResult, import_inventory
from camfleet.inventory.validate import validate_file
from camfleet.simulator.district import generate_district, write_district

ROUNDS = 3


def timed(action: Callable[[], object]) -> float:
    """Seconds one call of ``action`` takes."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def import_file(url: str, csv_path: Path) -> ImportResult:
    """What ``camfleet inventory import`` does: validate the file, then import it."""
    return import_inventory(url, validate_file(csv_path))


def plain_insert(url: str, csv_path: Path) -> None:
    """The floor: one Core INSERT of every camera row (as text) into a bare table, no diff, no lookups."""
    rows = [r.values for r in read_inventory_file(csv_path).rows]
    engine = open_engine(url)
    meta = sa.MetaData()
    table = sa.Table("plain", meta, *(sa.Column(c, sa.Text) for c in rows[0]))
    with engine.begin() as conn:
        meta.create_all(conn)
        conn.execute(sa.insert(table), rows)
    engine.dispose()


def write_file(csv_path: Path, channels: int, rtsp_only: int, gb18030: bool) -> None:
    """The district's inventory (and credentials); with ``gb18030``, Chinese headers in a GB18030 file."""
    district = generate_district(nvr_channels=channels, rtsp_only=rtsp_only)
    write_district(district, csv_path)
    if gb18030:
        write_inventory_file(csv_path, district.rows, chinese=True)
        text = csv_path.read_text(encoding="utf-8-sig")
        csv_path.write_bytes(text.encode("gb18030"))


def main() -> None:
    """Print the median of ``ROUNDS`` runs of each step and the ratios to the baselines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nvr-channels", type=int, default=0, help="legacy cameras behind recorders")
    parser.add_argument("--rtsp-only", type=int, default=0, help="legacy cameras with RTSP only")
    parser.add_argument("--gb18030", action="store_true", help="Chinese headers, GB18030 file")
    args = parser.parse_args()
    results: dict[str, list[float]] = {"validate": [], "plain": [], "import": [], "reimport": []}
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "district.csv"
        write_file(csv_path, args.nvr_channels, args.rtsp_only, args.gb18030)
        for n in range(ROUNDS):
            url = f"sqlite:///{tmp}/bench{n}.db"
            results["validate"].append(timed(partial(validate_file, csv_path)))
            results["plain"].append(timed(partial(plain_insert, f"sqlite:///{tmp}/plain{n}.db", csv_path)))
            results["import"].append(timed(partial(import_file, url, csv_path)))
            assert import_file(url, csv_path).plan.empty, "re-import must change nothing"
            results["reimport"].append(timed(partial(import_file, url, csv_path)))
    median = {k: statistics.median(v) for k, v in results.items()}
    print("default district: 20 towns, 128 villages, 336 + legacy points, 5,500 cameras; SQLite; median of", ROUNDS)
    if args.nvr_channels or args.rtsp_only or args.gb18030:
        print(f"  with {args.nvr_channels} NVR channels, {args.rtsp_only} RTSP-only cameras"
              + ("; GB18030, Chinese headers" if args.gb18030 else ""))  # fmt: skip
    print(f"  parse + validate (baseline)    {median['validate']:.3f} s")
    print(f"  plain Core insert (baseline)   {median['plain']:.3f} s")
    imp, again = median["import"], median["reimport"]
    print(f"  import into a fresh database   {imp:.3f} s  (target < 10 s)")
    print(f"      = {imp / median['validate']:.1f}x validate, {imp / median['plain']:.1f}x plain insert")
    print(f"  re-import, no change           {again:.3f} s  (target < 5 s)")
    print(f"      = {again / median['validate']:.1f}x validate")


if __name__ == "__main__":
    main()
