"""The difference between what the database holds and what an inventory file says (pure, no I/O).

Semantics: the file is the whole inventory. A point or camera in the file but not the database is
added; one in both whose fields differ is changed; a point missing from the file is retired (kept, with
its history); a camera missing from the file is removed (its state and history stay).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace

from camfleet.inventory.validate import Inventory
from camfleet.model import CameraRecord, PointRecord, PointStatus


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The inventory as stored: points and cameras by id."""

    points: dict[str, PointRecord] = field(default_factory=dict)
    cameras: dict[str, CameraRecord] = field(default_factory=dict)
    retired_on: dict[str, dt.date] = field(default_factory=dict)  # point id → date it was retired


@dataclass(frozen=True, slots=True)
class Change:
    """One line of the plan: what happens to which point or camera, and which fields change."""

    action: str  # added, changed, retired, removed
    kind: str  # point, camera
    key: str
    fields: tuple[tuple[str, str, str], ...] = ()  # (field, old, new) for changes
    about: str = ""  # where it is, for added and retired/removed lines

    def __str__(self) -> str:
        diffs = ", ".join(f"{name}: {old or '∅'} → {new or '∅'}" for name, old, new in self.fields)
        detail = diffs or self.about
        return f"{self.action} {self.kind} {self.key}" + (f" ({detail})" if detail else "")


@dataclass(slots=True)
class Plan:
    """Everything an import would do."""

    added_points: list[PointRecord] = field(default_factory=list)
    changed_points: list[tuple[PointRecord, PointRecord]] = field(default_factory=list)
    retired_points: list[PointRecord] = field(default_factory=list)
    added_cameras: list[CameraRecord] = field(default_factory=list)
    changed_cameras: list[tuple[CameraRecord, CameraRecord]] = field(default_factory=list)
    removed_cameras: list[CameraRecord] = field(default_factory=list)
    unchanged_points: int = 0
    unchanged_cameras: int = 0

    @property
    def empty(self) -> bool:
        """True when the import would change nothing."""
        return not (
            self.added_points
            or self.changed_points
            or self.retired_points
            or self.added_cameras
            or self.changed_cameras
            or self.removed_cameras
        )

    def counts(self) -> dict[str, dict[str, int]]:
        """Counts per kind and action, for summaries."""
        return {
            "points": {
                "added": len(self.added_points),
                "changed": len(self.changed_points),
                "retired": len(self.retired_points),
                "unchanged": self.unchanged_points,
            },
            "cameras": {
                "added": len(self.added_cameras),
                "changed": len(self.changed_cameras),
                "removed": len(self.removed_cameras),
                "unchanged": self.unchanged_cameras,
            },
        }

    def changes(self) -> list[Change]:
        """Every change, points first, in a stable order."""
        out = [Change("added", "point", p.point_id, about=_where(p)) for p in self.added_points]
        out += [Change("changed", "point", new.point_id, _field_diff(old, new)) for old, new in self.changed_points]
        out += [Change("retired", "point", p.point_id, about=_where(p)) for p in self.retired_points]
        out += [Change("added", "camera", c.camera_id, about=_at(c)) for c in self.added_cameras]
        out += [Change("changed", "camera", new.camera_id, _field_diff(old, new)) for old, new in self.changed_cameras]
        out += [Change("removed", "camera", c.camera_id, about=_at(c)) for c in self.removed_cameras]
        return out


def _where(p: PointRecord) -> str:
    return f"{p.town} {p.village} {p.point_name}, {p.status.value}".strip()


def _at(c: CameraRecord) -> str:
    host = f"[{c.host}]" if ":" in c.host else c.host  # IPv6
    return f"at {c.point_id}, {host}:{c.port}"


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value.value) if isinstance(value, PointStatus) else str(value)


def _field_diff(old: PointRecord | CameraRecord, new: PointRecord | CameraRecord) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (f.name, _text(getattr(old, f.name)), _text(getattr(new, f.name)))
        for f in fields(new)
        if getattr(old, f.name) != getattr(new, f.name)
    )


def plan_import(stored: Snapshot, inventory: Inventory) -> Plan:
    """What importing ``inventory`` over ``stored`` would do."""
    plan = Plan()
    in_file = {p.point_id for p in inventory.points}
    for point in inventory.points:
        old = stored.points.get(point.point_id)
        if old is None:
            plan.added_points.append(point)
        elif old != point:
            plan.changed_points.append((old, point))
        else:
            plan.unchanged_points += 1
    for point_id, old in stored.points.items():
        if point_id not in in_file and old.status is not PointStatus.RETIRED:
            plan.retired_points.append(replace(old, status=PointStatus.RETIRED))
    cams_in_file = {c.camera_id for c in inventory.cameras}
    for camera in inventory.cameras:
        old_cam = stored.cameras.get(camera.camera_id)
        if old_cam is None:
            plan.added_cameras.append(camera)
        elif old_cam != camera:
            plan.changed_cameras.append((old_cam, camera))
        else:
            plan.unchanged_cameras += 1
    plan.removed_cameras = [c for cid, c in stored.cameras.items() if cid not in cams_in_file]
    return plan
