"""camfleet.vision: pure picture checks on numpy arrays and JPEG bytes (no I/O besides decoding).

``analyze_jpeg`` (bytes → stats, verdict, signature) is what the frame probe runs in its process pool;
``Baseline`` learns each camera's healthy picture per mode; ``judge`` applies the rules in docs/vision.md;
``judge_alone`` judges a picture with no baseline, against its peers (``PeerBook``), by the rules in docs/day-one.md.
"""

from camfleet.vision.alone import judge_alone
from camfleet.vision.analyze import analyze_jpeg
from camfleet.vision.baseline import Baseline, ModeBaseline, mode_of
from camfleet.vision.decode import check_jpeg, decode_jpeg, encode_jpeg
from camfleet.vision.features import FrameSignature, compute_features
from camfleet.vision.peers import PeerBook, PeerView, peer_group
from camfleet.vision.verdict import Verdict, judge

__all__ = [
    "Baseline",
    "FrameSignature",
    "ModeBaseline",
    "PeerBook",
    "PeerView",
    "Verdict",
    "analyze_jpeg",
    "check_jpeg",
    "compute_features",
    "decode_jpeg",
    "encode_jpeg",
    "judge",
    "judge_alone",
    "mode_of",
    "peer_group",
]
