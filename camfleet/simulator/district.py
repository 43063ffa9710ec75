"""A synthetic district inventory: towns, villages, 一村一探头 points and legacy 农村小天网 cameras.

Deterministic per seed (one ``random.Random``; not for real secrets). Every camera gets its own
loopback address from 127.10.0.1 upward and port 8080, so an unprivileged simulator can serve it; on request,
some legacy cameras become channels of village recorders (sharing one address) or RTSP-only cameras
(``legacy_fleet``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import os
import random
import string
from dataclasses import dataclass, field
from pathlib import Path

from camfleet.inventory.files import write_inventory_file
from camfleet.simulator.legacy_fleet import recorders_and_rtsp

NEW_PROGRAM = "一村一探头"
LEGACY_PROGRAM = "农村小天网"
NEW_GROUP = "yctt-2025"
LEGACY_GROUPS = ("xtw-2019", "xtw-2022")
FIRST_ADDRESS = int(ipaddress.IPv4Address("127.10.0.0"))
PORT = 8080
# One county-sized area (WGS-84 degrees).
LAT_BOX = (29.9, 30.4)
LON_BOX = (119.6, 120.2)

_TOWN_STEMS = (
    "城关 青石 东溪 西湖 南山 北塘 白沙 龙泉 桃源 石门 清水 金竹 凤凰 "
    "双溪 梅岭 长乐 新安 大源 黄湖 安溪 里山 高桥 洞桥 湖源 万市"
)
_TOWN_SUFFIXES = ("镇", "镇", "镇", "街道", "乡")
_VILLAGE_A = "上下东西南北前后大小新老石竹桃李杨柳马牛龙凤金银山水溪塘湖桥岭坞"
_VILLAGE_B = "坞头岙塘坑湾桥岭源口山畈埠溪庄圩堰"
_PLACES = ("村口", "主路口", "河塘", "学校", "村委会", "桥头", "文化礼堂", "祠堂", "停车场", "山塘水库", "十字路口",
           "公交站", "菜市场", "卫生室", "老年活动中心", "渡口")  # fmt: skip
#: The key-location type (部位类型) of each place above; the rest are 其他.
_SITE_TYPES = {"村口": "村口", "主路口": "主路口", "十字路口": "主路口", "学校": "学校", "河塘": "河塘",
               "山塘水库": "河塘", "村委会": "村部", "菜市场": "集市"}  # fmt: skip
_PASSWORD_ALPHABET = string.ascii_letters + string.digits + "!#%+-_"


@dataclass(frozen=True, slots=True)
class CredentialGroup:
    """A credential group of the synthetic fleet."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class District:
    """Inventory rows (canonical column → text, one per camera or planned point) and credential groups."""

    rows: list[dict[str, str]]
    credentials: dict[str, CredentialGroup]

    @property
    def camera_rows(self) -> list[dict[str, str]]:
        """The rows that carry a camera."""
        return [r for r in self.rows if r["camera_id"]]


def _names(rng: random.Random, count: int, make: list[str]) -> list[str]:
    """``count`` distinct names drawn from ``make`` (numbered beyond its size)."""
    pool = list(make)
    rng.shuffle(pool)
    return [pool[i] if i < len(pool) else f"{pool[i % len(pool)]}{i // len(pool) + 1}" for i in range(count)]


def _split(rng: random.Random, total: int, bins: int, minimum: int) -> list[int]:
    """``total`` items over ``bins`` with at least ``minimum`` each (uneven, like real places)."""
    counts = [minimum] * bins
    weights = [rng.uniform(0.5, 1.5) for _ in range(bins)]
    for index in rng.choices(range(bins), weights=weights, k=total - minimum * bins):
        counts[index] += 1
    return counts


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.rows: list[dict[str, str]] = []
        self.cameras = 0
        self.last_address = FIRST_ADDRESS

    def address(self) -> str:
        """The next loopback address, skipping .0 and .255 (some tools treat them as network/broadcast)."""
        self.last_address += 1
        while self.last_address % 256 in (0, 255):
            self.last_address += 1
        return str(ipaddress.IPv4Address(self.last_address))

    def date(self, start: dt.date, days: int) -> dt.date:
        return start + dt.timedelta(days=self.rng.randrange(days))

    def point(self, base: dict[str, str], *, program: str, point_id: str, name: str, status: str,
              installed: dt.date | None, centre: tuple[float, float]) -> dict[str, str]:  # fmt: skip
        accepted = (
            installed + dt.timedelta(days=self.rng.randint(10, 60)) if installed and status == "accepted" else None
        )
        place = name.removeprefix(base["village"]).rstrip(string.digits)
        return base | {
            "point_id": point_id, "point_name": name, "program": program, "point_status": status,
            "site_type": _SITE_TYPES.get(place, "其他"),
            "lat": f"{centre[0] + self.rng.uniform(-0.006, 0.006):.6f}",
            "lon": f"{centre[1] + self.rng.uniform(-0.006, 0.006):.6f}",
            "installed_on": installed.isoformat() if installed else "",
            "accepted_on": accepted.isoformat() if accepted else "",
        }  # fmt: skip

    def add_cameras(self, point: dict[str, str], count: int, credential: str, uplink: str) -> None:
        empty = {"camera_id": "", "host": "", "port": "", "credential": "", "uplink": ""}
        if count == 0:
            self.rows.append(point | empty)
        for _ in range(count):
            host = self.address()
            self.cameras += 1
            self.rows.append(point | {"camera_id": f"C{self.cameras:05d}", "host": host, "port": str(PORT),
                                      "credential": credential, "uplink": uplink})  # fmt: skip


def _camera_counts(rng: random.Random, points: int, cameras: int) -> list[int]:
    """Cameras per new point: a few planned points with none, the rest 1–3, summing to ``cameras``."""
    low = max(0, points - cameras)  # fewer cameras than points: the rest must be planned
    high = points - math.ceil(cameras / 3)  # every installed point holds at most 3
    if low > high:
        raise ValueError(f"{cameras} cameras do not fit on {points} points (at most 3 per point)")
    planned = min(max(points // 40, low), high)
    installed = points - planned
    counts = [1] * installed
    extra = cameras - installed
    while extra > 0:
        index = rng.randrange(installed)
        if counts[index] < 3:
            counts[index] += 1
            extra -= 1
    slots = rng.sample(range(points), planned)
    for slot in sorted(slots):
        counts.insert(slot, 0)
    return counts


def _town_names(rng: random.Random, count: int) -> list[str]:
    stems = _TOWN_STEMS.split()
    names = ["城关镇"] + [stem + rng.choice(_TOWN_SUFFIXES) for stem in stems[1:]]
    return names[:1] + _names(rng, count - 1, names[1:]) if count > 0 else []


def _village_names(rng: random.Random, count: int) -> list[str]:
    return [n + "村" for n in _names(rng, count, [a + b for a in _VILLAGE_A for b in _VILLAGE_B])]


def _near(rng: random.Random, centre: tuple[float, float], spread: float) -> tuple[float, float]:
    lat = min(max(centre[0] + rng.uniform(-spread, spread), LAT_BOX[0] + 0.01), LAT_BOX[1] - 0.01)
    lon = min(max(centre[1] + rng.uniform(-spread, spread), LON_BOX[0] + 0.01), LON_BOX[1] - 0.01)
    return lat, lon


def _point_names(rng: random.Random, village: str, count: int) -> list[str]:
    return [village + place for place in _names(rng, count, list(_PLACES))]


def generate_district(
    towns: int = 20,
    villages: int = 128,
    points: int = 336,
    cameras: int = 500,
    legacy: int = 5000,
    seed: int = 1,
    *,
    nvr_channels: int = 0,
    rtsp_only: int = 0,
) -> District:
    """A district with exactly the requested counts; the same seed gives the same district.

    ``nvr_channels`` of the legacy cameras are channels of village recorders and ``rtsp_only`` of them speak RTSP
    only (see ``legacy_fleet``); the camera count stays ``cameras + legacy``.
    """
    if towns < 1 or villages < towns or min(points, cameras, legacy) < 0:
        raise ValueError("need towns ≥ 1, villages ≥ towns, and no negative counts")
    rng = random.Random(seed)
    build = _Builder(rng)
    town_list = _town_names(rng, towns)
    village_list = _village_names(rng, villages)
    per_town = _split(rng, villages, towns, 1)
    if points >= villages:
        new_per_village = _split(rng, points, villages, 1)
    else:
        chosen = set(rng.sample(range(villages), points))
        new_per_village = [1 if i in chosen else 0 for i in range(villages)]
    new_cameras = iter(_camera_counts(rng, points, cameras))
    # A village appears in the inventory through its points: one without a new point gets a legacy camera.
    bare = [i for i, n in enumerate(new_per_village) if n == 0]
    if len(bare) > legacy:
        raise ValueError(f"{len(bare)} villages would have no point at all: need points + legacy ≥ villages")
    legacy_per_village = _split(rng, legacy - len(bare), villages, 0)
    for index in bare:
        legacy_per_village[index] += 1
    shared = _shared_uplinks(rng, town_list, per_town)
    v_index = new_no = legacy_no = 0
    for town, n_villages in zip(town_list, per_town, strict=True):
        town_centre = _near(rng, ((LAT_BOX[0] + LAT_BOX[1]) / 2, (LON_BOX[0] + LON_BOX[1]) / 2), 0.2)
        for _ in range(n_villages):
            village = village_list[v_index]
            centre = _near(rng, town_centre, 0.03)
            base = {"town": town, "village": village}
            uplink = shared.get(v_index, "")
            n_new = new_per_village[v_index]
            groups = _legacy_groups(rng, legacy_per_village[v_index])
            names = iter(_point_names(rng, village, n_new + len(groups)))
            for _ in range(n_new):
                new_no += 1
                count = next(new_cameras)
                status = "planned" if count == 0 else rng.choices(["accepted", "installed"], [3, 1])[0]
                installed = None if count == 0 else build.date(dt.date(2025, 3, 1), 240)
                point = build.point(base, program=NEW_PROGRAM, point_id=f"YC{new_no:04d}", name=next(names),
                                    status=status, installed=installed, centre=centre)  # fmt: skip
                build.add_cameras(point, count, NEW_GROUP, uplink)
            for count in groups:
                legacy_no += 1
                installed = build.date(dt.date(2019, 3, 1), 4 * 365)
                status = rng.choices(["accepted", "installed"], [9, 1])[0]
                group = LEGACY_GROUPS[0] if installed.year < 2021 else LEGACY_GROUPS[1]
                point = build.point(base, program=LEGACY_PROGRAM, point_id=f"XTW{legacy_no:05d}", name=next(names),
                                    status=status, installed=installed, centre=centre)  # fmt: skip
                build.add_cameras(point, count, group, uplink)
            v_index += 1
    credentials = {
        name: CredentialGroup("admin", "".join(rng.choice(_PASSWORD_ALPHABET) for _ in range(16)))
        for name in (NEW_GROUP, *LEGACY_GROUPS)
    }
    if nvr_channels or rtsp_only:  # only then: without them, the district is what it always was, byte for byte
        recorders_and_rtsp(
            build.rows, channels=nvr_channels, rtsp_only=rtsp_only, seed=seed, legacy_program=LEGACY_PROGRAM
        )
    return District(build.rows, credentials)


def _legacy_groups(rng: random.Random, cameras: int) -> list[int]:
    """Legacy cameras of one village grouped into points of 1–4 (a crossroads gets one per direction)."""
    groups = []
    while cameras > 0:
        size = min(cameras, rng.choices([1, 2, 3, 4], [4, 3, 2, 1])[0])
        groups.append(size)
        cameras -= size
    return groups


def _shared_uplinks(rng: random.Random, towns: list[str], per_town: list[int]) -> dict[int, str]:
    """Some pairs of neighbouring villages share one named uplink (a fibre cabinet); the rest use their own."""
    shared: dict[int, str] = {}
    first = 0
    for town, count in zip(towns, per_town, strict=True):
        if count >= 2 and rng.random() < 0.3:
            pair = rng.sample(range(first, first + count), 2)
            for index in pair:
                shared[index] = f"{town}光交箱{len(shared) // 2 + 1:02d}"
        first += count
    return shared


def write_district(district: District, out: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write the inventory file and ``<stem>.credentials.toml`` (mode 0600) beside it."""
    path = Path(out)
    write_inventory_file(path, district.rows)
    cred = path.with_name(path.stem + ".credentials.toml")
    lines = ["# Credential groups of the synthetic district (generated; not real secrets)."]
    for name, group in district.credentials.items():
        # The password alphabet has no quote or backslash: a TOML basic string needs no escaping.
        lines += ["", f"[groups.{name}]", f'username = "{group.username}"', f'password = "{group.password}"']
    tmp = cred.with_name(cred.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.fchmod(fh.fileno(), 0o600)  # also when the file existed with wider permissions
        fh.write("\n".join(lines) + "\n")
    os.replace(tmp, cred)
    return path, cred
