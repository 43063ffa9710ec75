"""Adding and ending maintenance windows, checked against the inventory (the CLI's one code path)::

    add(store, Scope.VILLAGE, village_target("青石镇", "下坞村"), starts_at=now, ends_at=now + 4 * 3600,
        reason="光缆迁改", by="李工", now=now)
    end(store, 3, now=now)

An unknown camera, village or uplink, an end not after the start, or a window longer than ``MAX_WINDOW_S`` is a
``UsageError`` naming it, and nothing is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from camfleet.errors import UsageError
from camfleet.maintenance import MAX_WINDOW_S, MaintenanceWindow, Scope, local, village_target
from camfleet.model import PointStatus

if TYPE_CHECKING:  # the CLI imports this module for --help, which must start without SQLAlchemy
    from camfleet.inventory.store import Store

MAX_REASON = 500  # characters


def resolve_village(store: Store, town: str | None, village: str) -> str:
    """The target of a village window from ``--town T --village V``, ``--village T/V`` or a village name alone
    that only one town has; ``UsageError`` naming what is unknown or ambiguous."""
    if town is None and "/" in village:
        town, _, village = village.partition("/")
    places = {(p.town, p.village) for p in store.load_points() if p.status is not PointStatus.RETIRED}
    if town is not None:
        if (town, village) not in places:
            towns = sorted(t for t, v in places if v == village)
            hint = f" (it is in {', '.join(towns)})" if towns else ""
            raise UsageError(f"unknown village {village!r} in town {town!r}{hint}; nothing stored")
        return village_target(town, village)
    towns = sorted(t for t, v in places if v == village)
    if not towns:
        raise UsageError(f"unknown village {village!r}: not in the inventory; nothing stored")
    if len(towns) > 1:
        raise UsageError(f"village {village!r} is in several towns ({', '.join(towns)}): give --town; nothing stored")
    return village_target(towns[0], village)


def _check_target(store: Store, scope: Scope, target: str) -> None:
    targets = store.load_targets()
    if scope is Scope.CAMERA and not any(t.camera_id == target for t in targets):
        raise UsageError(f"unknown camera {target!r}: not in the inventory (or at a retired point); nothing stored")
    if scope is Scope.UPLINK and not any(t.uplink == target for t in targets):
        known = sorted({t.uplink for t in targets})
        shown = ", ".join(known[:10]) + (" …" if len(known) > 10 else "")
        raise UsageError(f"unknown uplink {target!r}: no camera in the inventory uses it (known: {shown}); "
                         "nothing stored")  # fmt: skip


def add(
    store: Store, scope: Scope, target: str, *, starts_at: float, ends_at: float, reason: str, by: str, now: float
) -> MaintenanceWindow:
    """Store a window after checking its target (village targets come from ``resolve_village``) and times;
    returns it with its id."""
    reason = reason.strip()
    if not reason:
        raise UsageError("--reason: say why (it is shown with the window); nothing stored")
    if len(reason) > MAX_REASON:
        raise UsageError(f"--reason: at most {MAX_REASON} characters; nothing stored")
    if ends_at <= max(starts_at, now):
        raise UsageError(f"--until {local(ends_at)} is not after the start ({local(max(starts_at, now))}); "
                         "nothing stored")  # fmt: skip
    if ends_at - starts_at > MAX_WINDOW_S:
        raise UsageError(f"a window lasts at most {MAX_WINDOW_S // 86400} days; add another when the works go on; "
                         "nothing stored")  # fmt: skip
    if scope is not Scope.VILLAGE:
        _check_target(store, scope, target)
    window = MaintenanceWindow(scope, target, starts_at, ends_at, reason, by, now)
    window_id = store.add_maintenance(window)
    return MaintenanceWindow(scope, target, starts_at, ends_at, reason, by, now, None, window_id)


def end(store: Store, window_id: int, *, now: float) -> tuple[MaintenanceWindow, bool]:
    """Stop a window now; returns it and whether this call ended it (False: it was already over or ended).
    ``UsageError`` when there is no such window."""
    found = store.maintenance(window_id=window_id)
    if not found:
        raise UsageError(f"no maintenance window {window_id} (see `camfleet maintenance list --all`)")
    if found[0].ended_at is not None or found[0].ends_at <= now:
        return found[0], False
    ended = store.end_maintenance(window_id, now)
    assert ended is not None  # it was there a moment ago, and windows are never deleted
    return ended, True
