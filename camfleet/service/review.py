"""The /review contact sheet: cameras whose baseline a person should look at, each beside what it should show.

Each doubtful (then provisional) camera's latest doubtful picture (``BaselineReview.thumbnail``, written by
the poller) stands beside its acceptance picture (验收照片, ``references()``). A camera without one is shown
beside two cameras of the same town (same village first) that are ``ok`` now, each by the best healthy
picture camfleet has of it: its acceptance picture, else the baseline picture saved with its last evidence
(``Evidence.reference``: what camfleet had learned as its healthy view). Ok cameras have no stored
"latest" picture (the poller keeps only doubtful and faulty ones), so these are the peers' pictures there are.

Each camera, and each village, has an approve button: ``POST /review/approve`` (behind the web app's
``WriteGuard``) stores the approval through ``inventory.approvals.approve``, as ``camfleet baseline approve``
does, with the authenticated user as who.

Every database read runs in a thread (``asyncio.to_thread``); the reviews are cached for ``max_age_s``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from camfleet.inventory.approvals import approve, pending
from camfleet.inventory.store import Store
from camfleet.model import BaselineReview, BaselineState, CameraState, CameraTarget, Status
from camfleet.service.review_page import ReviewCard, render_review
from camfleet.service.views import Inventory
from camfleet.web import ApproveRequest

#: States a person should look at, worst first.
ORDER = (BaselineState.DOUBTFUL, BaselineState.PROVISIONAL)
MAX_CARDS = 300  # a contact sheet longer than this is not read; the CLI lists the rest
PEERS = 2
_PEER_CANDIDATES = 12  # ok cameras of the town whose evidence is read for a learned view, per village
_REF_CHUNK = 50  # ok cameras of the town asked for an acceptance picture at a time


@dataclass(frozen=True, slots=True)
class Peer:
    """A picture of another camera: its id and which picture (``reference`` or ``learned``)."""

    camera_id: str
    kind: str


def _order(reviews: Mapping[str, BaselineReview], where: Mapping[str, CameraTarget]) -> list[BaselineReview]:
    """Doubtful then provisional; inside, towns and villages with the most such cameras first; the longest
    waiting first inside a village."""
    rank = {s: i for i, s in enumerate(ORDER)}
    chosen = [r for r in reviews.values() if r.state in rank]
    towns: Counter[tuple[int, str]] = Counter()
    villages: Counter[tuple[int, str, str]] = Counter()
    for r in chosen:
        t = where.get(r.camera_id)
        towns[(rank[r.state], t.town if t else "")] += 1
        villages[(rank[r.state], t.town if t else "", t.village if t else "")] += 1

    def key(r: BaselineReview) -> tuple[int, int, str, int, str, float, str]:
        t = where.get(r.camera_id)
        town, village = (t.town, t.village) if t else ("", "")
        s = rank[r.state]
        return (s, -towns[(s, town)], town, -villages[(s, town, village)], village, r.since, r.camera_id)

    return sorted(chosen, key=key)


class ReviewViews:
    """Builds the /review page and serves its pictures, reading the store off the event loop."""

    def __init__(self, store: Store, max_age_s: float = 15.0) -> None:
        self.store = store
        self.max_age_s = max_age_s
        self._reviews: tuple[float, dict[str, BaselineReview]] | None = None
        self._pages: dict[str | None, tuple[float, str]] = {}  # by form token (None: writing is off)
        self._lock = asyncio.Lock()

    async def reviews(self) -> dict[str, BaselineReview]:
        """The poller's baseline states, at most ``max_age_s`` old."""
        hit = self._reviews
        if hit is not None and time.monotonic() - hit[0] < self.max_age_s:
            return hit[1]
        async with self._lock:
            hit = self._reviews
            if hit is None or time.monotonic() - hit[0] >= self.max_age_s:
                hit = (time.monotonic(), await asyncio.to_thread(self.store.reviews))
                self._reviews = hit
            return hit[1]

    async def html(
        self, states: Callable[[], dict[str, CameraState]], inventory: Inventory, title: str, token: str | None = None
    ) -> str:
        """The contact sheet, at most ``max_age_s`` old (``states()`` is called on the loop: a copy the thread
        can read); its approve forms carry ``token``, or are disabled when it is None (writing is off)."""
        page = self._pages.get(token)
        if page is not None and time.monotonic() - page[0] < self.max_age_s:
            return page[1]
        reviews = await self.reviews()
        html = await asyncio.to_thread(self._build, reviews, states(), inventory, title, token)
        self._pages[token] = (time.monotonic(), html)
        return html

    async def approve(self, wanted: ApproveRequest) -> list[str]:
        """Store a person's approval as ``camfleet baseline approve`` does (``inventory.approvals.approve``);
        the page is rebuilt at its next view, showing the approval as pending until the poller applies it."""
        ids = await asyncio.to_thread(
            approve, self.store, list(wanted.cameras), by=wanted.by, note=wanted.note, town=wanted.town,
            village=wanted.village,
        )  # fmt: skip
        self._pages.clear()
        return ids

    def _build(self, reviews: dict[str, BaselineReview], states: dict[str, CameraState], inventory: Inventory,
               title: str, token: str | None) -> str:  # fmt: skip
        points = {p.point_id: p for p in inventory.points}
        targets = [c.target(points[c.point_id]) for c in inventory.cameras if c.point_id in points]
        where = {t.camera_id: t for t in targets}
        ordered = _order(reviews, where)
        shown = ordered[:MAX_CARDS]
        refs = set(self.store.references([r.camera_id for r in shown]))
        peers = _PeerFinder(self.store, targets, states)
        waiting = pending(reviews, self.store.approvals())
        cards = []
        for r in shown:
            t = where.get(r.camera_id)
            state = states.get(r.camera_id)
            cards.append(
                ReviewCard(
                    camera_id=r.camera_id, town=t.town if t else "", village=t.village if t else "",
                    point_id=t.point_id if t else "", state=r.state, reason=r.reason, since=r.since,
                    status=state.status if state else Status.UNKNOWN, status_detail=state.detail if state else "",
                    has_latest=bool(r.thumbnail), has_reference=r.camera_id in refs,
                    approval_pending=r.camera_id in waiting,
                    peers=() if r.camera_id in refs or t is None else tuple(
                        (p.camera_id, p.kind) for p in peers.of(t)
                    ),
                )
            )  # fmt: skip
        counts = Counter(r.state for r in ordered)
        awaiting = Counter((t.town, t.village) for r in ordered if (t := where.get(r.camera_id)))
        return render_review(cards, counts, len(ordered) - len(shown), title=title, generated_at=time.time(),
                             token=token, awaiting=awaiting)  # fmt: skip

    async def picture(self, camera_id: str, kind: str) -> bytes | None:
        """One picture of the page: ``latest`` (the doubtful picture), ``reference`` (the acceptance picture)
        or ``learned`` (the healthy view saved with the camera's last evidence); None when there is none."""
        if kind == "latest":
            found = (await self.reviews()).get(camera_id)
            return found.thumbnail if found is not None and found.thumbnail else None
        if kind == "reference":
            refs = await asyncio.to_thread(self.store.references, [camera_id])
            return refs[camera_id].jpeg if camera_id in refs else None
        if kind == "learned":
            return await asyncio.to_thread(_learned, self.store, camera_id)
        return None

    def forget(self) -> None:
        """Drop the cached reviews and page (after a reload, or when a test wants the newest)."""
        self._reviews = None
        self._pages.clear()


def _learned(store: Store, camera_id: str) -> bytes | None:
    return next((e.reference for e in store.load_evidence(camera_id) if e.reference), None)


class _PeerFinder:
    """Up to two ok cameras of a town (same village first) with a healthy picture, found once per village."""

    def __init__(self, store: Store, targets: Sequence[CameraTarget], states: Mapping[str, CameraState]) -> None:
        self.store = store
        self.states = states
        self.by_town: dict[str, list[CameraTarget]] = {}
        for t in targets:
            self.by_town.setdefault(t.town, []).append(t)
        self.found: dict[tuple[str, str], list[Peer]] = {}

    def of(self, target: CameraTarget) -> list[Peer]:
        key = (target.town, target.village)
        if key not in self.found:
            self.found[key] = self._find(target)
        return [p for p in self.found[key] if p.camera_id != target.camera_id][:PEERS]

    def _find(self, target: CameraTarget) -> list[Peer]:
        """The town's ok cameras, same village first; in each group acceptance pictures first (looked up in
        chunks, so that only a few pictures are read), then the learned views saved with the evidence of the
        group's first few."""
        ok = [
            t
            for t in self.by_town.get(target.town, [])
            if (s := self.states.get(t.camera_id)) and s.status is Status.OK
        ]
        ok.sort(key=lambda t: t.camera_id)
        same = [t.camera_id for t in ok if t.village == target.village]
        others = [t.camera_id for t in ok if t.village != target.village]
        want = PEERS + 1  # one spare: a camera is never its own peer
        peers: list[Peer] = []
        for group in (same, others):
            for start in range(0, len(group), _REF_CHUNK):
                if len(peers) >= want:
                    return peers
                chunk = group[start : start + _REF_CHUNK]
                found = self.store.references(chunk)
                peers += [Peer(cid, "reference") for cid in chunk if cid in found][: want - len(peers)]
            chosen = {p.camera_id for p in peers}
            for cid in group[:_PEER_CANDIDATES]:
                if len(peers) >= want:
                    return peers
                if cid not in chosen and _learned(self.store, cid):
                    peers.append(Peer(cid, "learned"))
        return peers
