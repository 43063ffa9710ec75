"""The poller's peers (runtime/peers.py): grouped by model and width, ok pictures only, shared views."""

from __future__ import annotations

from camfleet.model import FrameStats
from camfleet.runtime.peers import REFRESH_SHARE, SHARED_FROM, FleetPeers


def stats(sharp: float, width: int = 320) -> FrameStats:
    """A picture's stats with the peer features set."""
    extra = {"edge_sharp": sharp, "edge_sharp2": sharp, "crisp": sharp / 2, "analysis_width": float(width)}
    return FrameStats(width * 2, width * 9 // 8, 100.0, 50.0, 10.0, 0.1, 5.0, 10.0, 0.1, 0.0, False, extra=extra)


def test_groups_by_model_and_width_and_only_ok_pictures_join() -> None:
    """A camera's peers are the other cameras of its model and analysis width whose pictures were ok; before
    its first picture the expected width is used; a camera whose model becomes known leaves the '?' group."""
    peers = FleetPeers()
    for i in range(3):
        peers.judged(f"A{i}", "DS-2CD", stats(1.0), ok=True)
    peers.judged("B0", "DS-2CD", stats(1.0, width=480), ok=True)
    peers.judged("bad", "DS-2CD", stats(0.1), ok=False)
    view = peers.view("new", "DS-2CD", expected_width=320)
    assert view is not None and view.mode("day") is not None and view.mode("day").count == 3  # type: ignore[union-attr]
    assert peers.view("A0", "DS-2CD", 0).mode("day").count == 2  # type: ignore[union-attr]
    assert peers.view("x", "IPC-HFW", 320) is None
    peers.judged("U", "", stats(1.0), ok=True)
    assert peers.book.size("?@320") == 1
    peers.judged("U", "DS-2CD", stats(1.0), ok=True)
    assert peers.book.size("?@320") == 0 and peers.book.size("DS-2CD@320") == 4
    peers.forget("U")
    assert peers.book.size("DS-2CD@320") == 3


def test_large_groups_share_a_view_refreshed_as_pictures_come_in() -> None:
    """A group of SHARED_FROM cameras or more hands every camera the same view object until REFRESH_SHARE of its
    size in new pictures has come in; then a new one that sees them."""
    peers = FleetPeers()
    for i in range(SHARED_FROM):
        peers.judged(f"C{i}", "m", stats(1.0), ok=True)
    first = peers.view("C0", "m", 0)
    assert first is peers.view("C1", "m", 0) and first is not None
    below = int(REFRESH_SHARE * SHARED_FROM) - 1
    for i in range(below):
        peers.judged(f"C{i}", "m", stats(3.0), ok=True)
    assert peers.view("C5", "m", 0) is first
    for i in range(below, SHARED_FROM // 2 + 1):
        peers.judged(f"C{i}", "m", stats(3.0), ok=True)
    later = peers.view("C0", "m", 0)
    assert later is not first and later is not None
    assert later.mode("day").median("edge_sharp") != first.mode("day").median("edge_sharp")  # type: ignore[union-attr]


def test_a_new_process_seeds_its_peers_from_the_stored_baselines() -> None:
    """Baselines learn the peer features; ``FleetPeers.seed`` puts each ready mode of a stored baseline in its
    model's group, so the first camera a new process judges already has its peers (an empty book would leave it
    to the prior); a mode not ready yet is not seeded, and a camera's judged picture replaces its seeded values."""
    import numpy as np

    from camfleet.vision import Baseline
    from camfleet.vision.features import compute_features

    image = np.random.default_rng(2).integers(0, 255, (180, 320, 3), dtype=np.uint8)
    real, signature = compute_features(image, 640, 360)
    assert {"edge_sharp", "edge_sharp2", "crisp"} <= set(real.extra)
    fresh = FleetPeers()
    for i in range(10):
        baseline = Baseline(samples=2 if i < 9 else 5)
        for _ in range(2):
            baseline.learn(real, signature, None, "day")
        assert {"edge_sharp", "crisp"} <= set(baseline.modes["day"].values)
        fresh.seed(f"S{i}", "DS-2CD", baseline)
    assert fresh.book.size("DS-2CD@320") == 9  # S9's day baseline is not ready: not seeded
    view = fresh.view("new", "DS-2CD", expected_width=320)
    assert view is not None and view.mode("day").count == 9  # type: ignore[union-attr]
    before = view.mode("day").median("edge_sharp")  # type: ignore[union-attr]
    for i in range(5):
        fresh.judged(f"S{i}", "DS-2CD", stats(0.01), ok=True)  # five of the nine now far softer
    assert fresh.book.size("DS-2CD@320") == 9
    assert fresh.view("new", "DS-2CD", 320).mode("day").median("edge_sharp") == 0.01 != before  # type: ignore[union-attr]
