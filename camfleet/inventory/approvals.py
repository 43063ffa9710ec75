"""Approving baselines: which cameras await a person, and storing a person's approval with who, when and why.

The one code path of ``camfleet baseline approve`` and of the /review page's approve buttons::

    approve(store, ["C1"], by="李工", note="…")              # these cameras, whatever their state
    approve(store, [], town="青石镇", village="东岭村", by=…)   # every camera of the village awaiting review

An unknown camera, town or village is a ``UsageError`` and nothing is written.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from camfleet.errors import UsageError
from camfleet.model import Approval, BaselineReview, BaselineState, CameraTarget

if TYPE_CHECKING:  # the CLI imports this module for --help, which must start without SQLAlchemy
    from camfleet.inventory.store import Store

#: The states a person should look at, worst first.
REVIEW_ORDER = (BaselineState.DOUBTFUL, BaselineState.PROVISIONAL)


@dataclass(frozen=True, slots=True)
class Awaiting:
    """A camera whose baseline awaits a person: its review and where it is (``-`` when not in the inventory)."""

    review: BaselineReview
    town: str
    village: str
    point_id: str


def awaiting(
    reviews: Mapping[str, BaselineReview],
    targets: Mapping[str, CameraTarget],
    town: str | None = None,
    village: str | None = None,
) -> list[Awaiting]:
    """The cameras awaiting a person (doubtful, provisional), doubtful first, then by town, village, since, id."""
    rank = {state: i for i, state in enumerate(REVIEW_ORDER)}
    rows: list[Awaiting] = []
    for r in reviews.values():
        if r.state not in rank:
            continue
        t = targets.get(r.camera_id)
        here = (t.town, t.village) if t is not None else ("-", "-")
        if (town is not None and here[0] != town) or (village is not None and here[1] != village):
            continue
        rows.append(Awaiting(r, here[0], here[1], t.point_id if t else ""))
    rows.sort(key=lambda a: (rank[a.review.state], a.town, a.village, a.review.since, a.review.camera_id))
    return rows


def check_area(targets: Mapping[str, CameraTarget], town: str | None, village: str | None) -> None:
    """``UsageError`` naming an unknown town, or a village unknown (in that town)."""
    if town is not None and not any(t.town == town for t in targets.values()):
        raise UsageError(f"unknown town {town!r}")
    if village is not None and not any(t.village == village and town in (None, t.town) for t in targets.values()):
        raise UsageError(f"unknown village {village!r}" + (f" in {town}" if town else ""))


def pending(reviews: Mapping[str, BaselineReview], approvals: Sequence[Approval]) -> set[str]:
    """Cameras approved after the poller last wrote their state: the approval waits for the poller."""
    return {a.camera_id for a in approvals if a.camera_id in reviews and a.at >= reviews[a.camera_id].updated_at}


def approve(
    store: Store,
    cameras: Sequence[str],
    *,
    by: str,
    note: str = "",
    town: str | None = None,
    village: str | None = None,
    now: float | None = None,
) -> list[str]:
    """Store an approval of ``cameras`` (whatever their state) and, with ``town``/``village``, of every camera
    there awaiting review; returns the ids approved (none: nothing awaited there). Unknown ids or area:
    ``UsageError``, nothing written."""
    ids = list(dict.fromkeys(cameras))
    if not ids and town is None and village is None:
        raise UsageError("name cameras, or a village or town")
    targets = {t.camera_id: t for t in store.load_targets()}
    unknown = [cid for cid in ids if cid not in targets]
    if unknown:
        raise UsageError(f"not cameras in the inventory: {', '.join(unknown)}; nothing approved")
    if town is not None or village is not None:
        check_area(targets, town, village)
        ids += [a.review.camera_id for a in awaiting(store.reviews(), targets, town, village)
                if a.review.camera_id not in ids]  # fmt: skip
    if ids:
        at = time.time() if now is None else now
        store.add_approvals([Approval(cid, at, by, note) for cid in ids])
    return ids
