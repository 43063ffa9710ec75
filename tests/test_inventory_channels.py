"""The inventory's recorder and RTSP columns (通道号 channel, 接入方式 access, RTSP路径 rtsp_path): channels of one
NVR share its address, every conflict is named by row and column, GB18030 files with the Chinese headers import,
the database keeps the columns, the export re-imports unchanged, and the poller's target carries them."""

from __future__ import annotations

from pathlib import Path

import pytest
from inventory_helpers import camera, point, write_csv

from camfleet.errors import InventoryError
from camfleet.inventory.files import write_inventory_file
from camfleet.inventory.importer import export_rows, import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import validate_file
from camfleet.model import RTSP_PORT, Access

NVR = "127.10.1.1"


def _fleet() -> list[dict[str, str]]:
    """A village NVR with three channels, a standalone camera and an RTSP-only camera with an empty port."""
    return [
        point("P1") | camera("N1-1", NVR, channel="1"),
        point("P1") | camera("N1-2", NVR, channel="2"),
        point("P2", point_name="河塘") | camera("N1-3", NVR, channel="16"),
        point("P3", point_name="学校") | camera("C1", "127.10.1.2"),
        point("P4", point_name="主路口")
        | camera("R1", "127.10.1.3", port="", access="rtsp", rtsp_path="/Streaming/Channels/101"),
    ]


def _problems(path: Path) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(InventoryError) as info:
        validate_file(path)
    return [(p.row, p.column, p.message) for p in info.value.problems]


def test_channels_share_an_address_and_rtsp_rows_default_to_554(tmp_path: Path) -> None:
    """Three channels of one recorder validate on one host and port, each keeps its channel; an RTSP-only row
    with an empty port gets RTSP's 554 and its path; a standalone camera has no channel and access onvif."""
    inv = validate_file(write_csv(tmp_path / "inv.csv", _fleet()))
    by_id = {c.camera_id: c for c in inv.cameras}
    assert [(by_id[i].host, by_id[i].port, by_id[i].channel) for i in ("N1-1", "N1-2", "N1-3")] == [
        (NVR, 80, 1),
        (NVR, 80, 2),
        (NVR, 80, 16),
    ]
    assert (by_id["C1"].channel, by_id["C1"].access) == (None, Access.ONVIF)
    assert (by_id["R1"].port, by_id["R1"].access, by_id["R1"].rtsp_path) == (
        RTSP_PORT,
        Access.RTSP,
        "/Streaming/Channels/101",
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (  # two rows on one channel of one recorder
            [point("P1") | camera("A", NVR, channel="3"), point("P1") | camera("B", NVR, channel="3")],
            [(3, "channel", "channel 3 of the recorder at this host and port is also on row 2")],
        ),
        (  # a standalone camera on a recorder's address
            [point("P1") | camera("A", NVR, channel="1"), point("P1") | camera("B", NVR)],
            [(3, "host", "the same host and port as the camera on row 2, and this row has no channel")],
        ),
        (  # channels of one recorder with two credential groups
            [point("P1") | camera("A", NVR, channel="1"), point("P1") | camera("B", NVR, channel="2", credential="x")],
            [(3, "credential", "has another credential group on row 2")],
        ),
        (  # channels of one recorder behind two uplinks
            [point("P1") | camera("A", NVR, channel="1"), point("P1") | camera("B", NVR, channel="2", uplink="光交箱")],
            [(3, "uplink", "is behind another uplink on row 2")],
        ),
        (  # a channel on an RTSP-only row, and no path
            [point("P1") | camera("A", NVR, access="rtsp", channel="2")],
            [(2, "channel", "a channel on an RTSP-only row"), (2, "rtsp_path", "needs its stream path")],
        ),
        (  # a stream path on an ONVIF row
            [point("P1") | camera("A", NVR, rtsp_path="/live")],
            [(2, "rtsp_path", "rtsp_path is for RTSP-only cameras")],
        ),
        ([point("P1") | camera("A", NVR, channel="0")], [(2, "channel", "channel 0 is outside 1–256")]),
        ([point("P1") | camera("A", NVR, channel="二")], [(2, "channel", "channel '二' is not a whole number")]),
        ([point("P1") | camera("A", NVR, access="gb28181")], [(2, "access", "unknown access 'gb28181'")]),
    ],
)
def test_each_conflict_is_named_by_row_and_column(
    tmp_path: Path, rows: list[dict[str, str]], expected: list[tuple[int, str, str]]
) -> None:
    """Every way the new columns can be wrong is one problem naming its row, its column and what is wrong."""
    found = _problems(write_csv(tmp_path / "bad.csv", rows))
    assert [(r, c) for r, c, _ in found] == [(r, c) for r, c, _ in expected]
    for (_, _, message), (_, _, words) in zip(found, expected, strict=True):
        assert words in message


def test_a_path_with_a_password_is_refused_without_repeating_it(tmp_path: Path) -> None:
    """A full RTSP URL with user and password pasted into rtsp_path is refused and never echoed."""
    secret = "rtsp://admin:Hunter2@10.0.0.9/live"
    rows = [point("P1") | camera("A", "127.10.1.9", access="rtsp", rtsp_path=secret)]
    ((row, column, message),) = _problems(write_csv(tmp_path / "bad.csv", rows))
    assert (row, column) == (2, "rtsp_path")
    assert "Hunter2" not in message and "admin" not in message


def test_gb18030_chinese_headers_import_export_and_reimport(db_url: str, tmp_path: Path) -> None:
    """A GB18030 file with 通道号/接入方式/RTSP路径 headers (and 仅RTSP for access) imports; the database and the
    poller's targets keep channel, access and path; the export carries them and re-imports with no change."""
    rows = _fleet()
    rows[4] = rows[4] | {"access": "仅RTSP"}
    path = write_csv(tmp_path / "inv.csv", rows, encoding="gb18030", chinese=True)
    assert "通道号".encode("gb18030") in path.read_bytes()
    import_inventory(db_url, validate_file(path))
    with Store(db_url) as store:
        targets = {t.camera_id: t for t in store.load_targets()}
    assert (targets["N1-2"].channel, targets["N1-2"].recorder) == (2, f"{NVR}:80")
    assert (targets["C1"].channel, targets["C1"].recorder) == (None, "")
    assert (targets["R1"].access, targets["R1"].port, targets["R1"].rtsp_path) == (
        Access.RTSP,
        554,
        "/Streaming/Channels/101",
    )
    exported = export_rows(db_url)
    assert [(r["channel"], r["access"], r["rtsp_path"]) for r in exported] == [
        ("1", "onvif", ""),
        ("2", "onvif", ""),
        ("16", "onvif", ""),
        ("", "onvif", ""),
        ("", "rtsp", "/Streaming/Channels/101"),
    ]
    out = tmp_path / "export.xlsx"
    write_inventory_file(out, exported, chinese=True)
    assert import_inventory(db_url, validate_file(out)).plan.empty
