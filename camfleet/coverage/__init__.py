"""Coverage for planners: which villages really have a working camera, and for how much of the time.

Pure functions over the model's value types (no database, no network). The rule lives in ``core``;
``build_report`` turns inventory, states and history into a ``CoverageReport``; the renderers turn that
into JSON, CSV, a terminal table or one self-contained HTML page.
"""

from camfleet.coverage.build import build_report
from camfleet.coverage.csv_out import CSV_COLUMNS, render_csv
from camfleet.coverage.html_out import render_html
from camfleet.coverage.json_out import report_to_json
from camfleet.coverage.report import CoverageReport, UnknownAreaError
from camfleet.coverage.table_out import render_table
from camfleet.coverage.window import DISTRICT_TZ, Window, WindowError, parse_window, window_between

__all__ = [
    "CSV_COLUMNS",
    "DISTRICT_TZ",
    "CoverageReport",
    "UnknownAreaError",
    "Window",
    "WindowError",
    "build_report",
    "parse_window",
    "render_csv",
    "render_html",
    "render_table",
    "report_to_json",
    "window_between",
]
