"""PeerBook and PeerView: bounded, latest value per camera, the camera itself left out, picklable."""

from __future__ import annotations

import pickle

from camfleet.model import FrameStats
from camfleet.vision.peers import MAX_CAMERAS, PeerBook, peer_group


def _stats(sharp: float, crisp: float = 0.5, ir: bool = False) -> FrameStats:
    extra = {"edge_sharp": sharp, "edge_sharp2": 0.9, "crisp": crisp, "analysis_width": 320.0}
    return FrameStats(1280, 720, 100, 40, 50, 0.1, 7, 0 if ir else 20, 0.2, 0, ir, extra)


def test_peer_group_names_model_and_width() -> None:
    """Cameras of another model or another analysis width are in another group; an empty model is '?'."""
    assert peer_group("DS-2CD2T47", 320) == "DS-2CD2T47@320"
    assert peer_group("DS-2CD2T47", 320) != peer_group("DS-2CD2T47", 176) != peer_group("IPC-HFW", 320)
    assert peer_group(" ", 320) == "?@320"


def test_view_leaves_the_camera_out_and_keeps_latest() -> None:
    """A camera's own picture is not among its peers; a camera counts once, at its latest value."""
    book = PeerBook()
    for k in range(9):
        book.add("g", f"C{k}", _stats(0.8 + 0.01 * k))
    book.add("g", "C0", _stats(0.2))  # refocused badly: its newest value replaces the old one
    view = book.view("g", "C8")
    assert view is not None
    day = view.mode("day")
    assert day is not None and day.count == 8 and view.mode("ir") is None
    assert day.median("edge_sharp") == 0.835  # C0..C7 with C0 at 0.2: median of 0.2, 0.81 .. 0.87
    assert book.view("other", "C1") is None


def test_modes_are_kept_apart_and_blind_pictures_skipped() -> None:
    """Day and IR pictures form separate distributions; a picture with no texture (crisp < 0) is not counted."""
    book = PeerBook()
    book.add("g", "A", _stats(0.9))
    book.add("g", "A", _stats(0.7, ir=True))
    book.add("g", "B", _stats(0.9, crisp=-1.0))
    view = book.view("g", "Z")
    assert view is not None and book.size("g") == 1
    assert view.modes["day"].median("edge_sharp") == 0.9 and view.modes["ir"].median("edge_sharp") == 0.7


def test_bounded_and_picklable() -> None:
    """At most MAX_CAMERAS cameras per group (the least recently updated dropped first), and the view
    pickles to a few hundred bytes: it goes to the process pool with every frame."""
    book = PeerBook()
    for k in range(MAX_CAMERAS + 50):
        book.add("g", f"C{k}", _stats(0.8))
    assert book.size("g") == MAX_CAMERAS
    book.forget("C100")
    assert book.size("g") == MAX_CAMERAS - 1
    view = book.view("g", "C60")
    assert view is not None and pickle.loads(pickle.dumps(view)) == view
    assert len(pickle.dumps(view)) < 1000
