"""Plain value types shared by every layer (stdlib only).

The words in ``Status`` and ``Reason`` are the product's contract: the same strings appear in JSON,
metrics, reports and ``camfleet analyze``. Extend freely; never rename.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Status(enum.StrEnum):
    """One root-cause status per camera."""

    UNKNOWN = "unknown"
    OK = "ok"
    OFFLINE = "offline"
    UPLINK_DOWN = "uplink_down"
    AUTH_FAILED = "auth_failed"
    PROTOCOL_ERROR = "protocol_error"
    DEGRADED = "degraded"
    BLACK = "black"
    COVERED = "covered"
    SPRAY = "spray"
    DEFOCUSED = "defocused"
    DISPLACED = "displaced"
    FROZEN = "frozen"
    OVEREXPOSED = "overexposed"
    TOO_DARK = "too_dark"
    IR_CUT_STUCK = "ir_cut_stuck"
    CANNOT_JUDGE = "cannot_judge"

    @property
    def is_image_fault(self) -> bool:
        """True for the statuses that describe a bad picture from a camera that answers."""
        return self in IMAGE_FAULTS

    @property
    def is_up(self) -> bool:
        """Reachable and authenticated (``camfleet_camera_up`` = 1)."""
        return self in UP_STATUSES

    @property
    def is_working(self) -> bool:
        """Online with a picture judged fine: what counts for coverage and 完好率."""
        return self is Status.OK


class Reason(enum.StrEnum):
    """Why a camera has its status. Empty when the status says it all."""

    NONE = ""
    # offline
    REFUSED = "refused"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    NVR = "nvr"  # an NVR channel whose recorder does not answer: one fault, the recorder's
    VIDEO_LOSS = "video_loss"  # an NVR channel whose camera sends the recorder no picture (the recorder answers)
    # auth_failed
    PASSWORD = "password"
    CLOCK = "clock"
    NO_CREDENTIALS = "no_credentials"  # the inventory names a credential group the credentials file lacks
    # protocol_error
    MALFORMED = "malformed"
    OVERSIZED = "oversized"
    WRONG_TYPE = "wrong_type"
    HTTP_ERROR = "http_error"
    # degraded
    SLOW = "slow"
    # frames
    SNAPSHOT_ERROR = "snapshot_error"
    NOT_A_JPEG = "not_a_jpeg"
    NO_SNAPSHOT_URI = "no_snapshot_uri"
    # cannot_judge
    NO_BASELINE = "no_baseline"
    FEATURELESS = "featureless"
    NEEDS_REVIEW = "needs_review"  # the first pictures were doubtful: a person must look (``baseline review``)
    # uplink_down
    UPLINK = "uplink"


#: protocol_error reasons that say the picture could not be fetched (alert CamfleetCameraSnapshotFailed); the
#: others (malformed, oversized, wrong_type, http_error) say the camera's SOAP is broken (CamfleetCameraProtocolError).
SNAPSHOT_REASONS: tuple[Reason, ...] = (Reason.SNAPSHOT_ERROR, Reason.NOT_A_JPEG, Reason.NO_SNAPSHOT_URI)

#: The words duty officers and planners read for each reason (reports, pages, alerts).
REASON_ZH: dict[Reason, str] = {
    Reason.NONE: "", Reason.REFUSED: "拒绝连接", Reason.TIMEOUT: "超时", Reason.UNREACHABLE: "不可达",
    Reason.NVR: "录像机离线", Reason.VIDEO_LOSS: "视频丢失",
    Reason.PASSWORD: "密码错误", Reason.CLOCK: "时钟偏差过大", Reason.NO_CREDENTIALS: "缺少凭据组",
    Reason.MALFORMED: "应答格式错误", Reason.OVERSIZED: "应答过大", Reason.WRONG_TYPE: "应答类型错误",
    Reason.HTTP_ERROR: "HTTP 错误", Reason.SLOW: "响应过慢", Reason.SNAPSHOT_ERROR: "抓图失败",
    Reason.NOT_A_JPEG: "非 JPEG 图片", Reason.NO_SNAPSHOT_URI: "无抓图地址", Reason.NO_BASELINE: "尚无基准画面",
    Reason.FEATURELESS: "画面无特征", Reason.NEEDS_REVIEW: "待人工审核", Reason.UPLINK: "上联中断",
}  # fmt: skip


def status_words(status: Status | str, reason: Reason | str = "") -> str:
    """``离线（拒绝连接） offline/refused``: the Chinese words first, the machine words after (for searching)."""
    try:
        zh = STATUS_ZH[Status(status)]
    except ValueError:
        zh = str(status)
    try:
        why = REASON_ZH[Reason(reason)]
    except ValueError:
        why = str(reason)
    machine = f"{status}/{reason}" if reason else str(status)
    return f"{zh}（{why}） {machine}" if why else f"{zh} {machine}"


class CheckKind(enum.StrEnum):
    """The scheduler's tiers: each camera is checked at each kind's own interval."""

    LIVENESS = "liveness"
    IDENTITY = "identity"
    DISCOVERY = "discovery"
    FRAME = "frame"


@dataclass(frozen=True, slots=True)
class StatusAlert:
    """The alert rule that fires on a status, its labels, and the Alertmanager receiver those labels reach.

    ``deploy/prometheus/build.py`` writes ``severity`` and ``scope`` into the rule (and the rule's ``status``
    selector and Chinese names from every status naming it); ``tests/test_alert_rules.py`` asks amtool which
    receiver ``deploy/alertmanager/alertmanager.yml`` routes those labels to and compares it with ``receiver``.
    """

    rule: str  # the alert's name in deploy/prometheus/camfleet.alerts.yml
    severity: str  # critical (pages the duty officer) | warning
    scope: str  # camera | village | town | poller
    receiver: str  # command-centre | command-centre-urgent | camfleet-engineer | planners


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """Everything the product says about one ``Status``: the one table the rest reads (``STATUSES``)."""

    zh: str  # the Chinese words duty officers and planners read (reports, pages, alerts)
    up: bool  # reachable and authenticated: ``camfleet_camera_up`` = 1, counts towards 在线率
    image_fault: bool  # a bad picture from a camera that answers (its own frame verdict)
    rank: int | None  # root-cause priority group, worst first (``runtime.health.PRIORITY``; ties by word);
    # None: never a check's verdict (uplink_down is the uplink rule's)
    track: CheckKind | None  # the check kind a stored status is rebuilt into after a restart (None: nothing)
    alert: StatusAlert | None  # the alert and its routing; None only with ``quiet`` saying why
    quiet: str = ""  # why no alert rule fires on this status


_CAMERA = "command-centre"  # the receiver of warning-level camera alerts (alertmanager.yml's default route)
_IMAGE = StatusAlert("CamfleetCameraImageFault", "warning", "camera", _CAMERA)
_L, _I, _F = CheckKind.LIVENESS, CheckKind.IDENTITY, CheckKind.FRAME

#: One row per status, in ``Status`` order (the order alert selectors and name chains are generated in).
STATUSES: dict[Status, StatusInfo] = {
    Status.UNKNOWN: StatusInfo("未检测", False, False, 7, None, None, quiet="not checked yet: nothing to say"),
    Status.OK: StatusInfo("正常", True, False, 6, _L, None, quiet="fine"),
    Status.OFFLINE: StatusInfo(
        "离线", False, False, 0, _L, StatusAlert("CamfleetCameraOffline", "warning", "camera", _CAMERA)
    ),
    Status.UPLINK_DOWN: StatusInfo(
        "上联中断", False, False, None, _L,
        StatusAlert("CamfleetUplinkDown", "critical", "village", "command-centre-urgent"),
    ),
    Status.AUTH_FAILED: StatusInfo(
        "认证失败", False, False, 2, _I, StatusAlert("CamfleetCameraAuthFailed", "warning", "camera", _CAMERA)
    ),
    # protocol_error's SNAPSHOT_REASONS are CamfleetCameraSnapshotFailed's, written by hand in camfleet.alerts.yml:
    # a picture that cannot be fetched is another fix than broken SOAP.
    Status.PROTOCOL_ERROR: StatusInfo(
        "协议错误", False, False, 1, _L, StatusAlert("CamfleetCameraProtocolError", "warning", "camera", _CAMERA)
    ),
    Status.DEGRADED: StatusInfo(
        "响应慢", True, False, 4, _L, StatusAlert("CamfleetCameraDegraded", "warning", "camera", _CAMERA)
    ),
    Status.BLACK: StatusInfo("黑屏", True, True, 3, _F, _IMAGE),
    Status.COVERED: StatusInfo("遮挡", True, True, 3, _F, _IMAGE),
    Status.SPRAY: StatusInfo("喷涂", True, True, 3, _F, _IMAGE),
    Status.DEFOCUSED: StatusInfo("失焦", True, True, 3, _F, _IMAGE),
    Status.DISPLACED: StatusInfo("移位", True, True, 3, _F, _IMAGE),
    Status.FROZEN: StatusInfo("画面冻结", True, True, 3, _F, _IMAGE),
    Status.OVEREXPOSED: StatusInfo("过曝", True, True, 3, _F, _IMAGE),
    Status.TOO_DARK: StatusInfo("过暗", True, True, 3, _F, _IMAGE),
    Status.IR_CUT_STUCK: StatusInfo("红外滤片卡滞", True, True, 3, _F, _IMAGE),
    # needs_review is CamfleetBaselineReviewOverdue's (a person's deadline); others alert after cannot_judge_alert_h
    Status.CANNOT_JUDGE: StatusInfo(
        "无法判断", True, False, 5, _F, StatusAlert("CamfleetCameraCannotJudge", "warning", "camera", _CAMERA)
    ),
}  # fmt: skip

IMAGE_FAULTS: frozenset[Status] = frozenset(s for s, info in STATUSES.items() if info.image_fault)

#: Statuses in which the camera answered and accepted our credentials.
UP_STATUSES: frozenset[Status] = frozenset(s for s, info in STATUSES.items() if info.up)

#: The words duty officers and planners read for each status (reports, pages, alerts).
STATUS_ZH: dict[Status, str] = {s: info.zh for s, info in STATUSES.items()}


class BaselineState(enum.StrEnum):
    """Where a camera's picture baseline stands: what its ``ok`` is worth (docs/baselines.md)."""

    NONE = "none"  # no picture judged yet
    PROVISIONAL = "provisional"  # learned only from pictures that passed the no-baseline rules; nobody looked
    DOUBTFUL = "doubtful"  # the first pictures were doubtful: nothing learned, a person must look
    APPROVED = "approved"  # a person approved it, or it starts from an acceptance picture (验收照片)


class PointStatus(enum.StrEnum):
    """Lifecycle of a planned camera point."""

    PLANNED = "planned"
    INSTALLED = "installed"
    ACCEPTED = "accepted"
    RETIRED = "retired"


#: Chinese words planners use for point statuses.
POINT_STATUS_ALIASES: dict[str, PointStatus] = {
    "规划": PointStatus.PLANNED,
    "已安装": PointStatus.INSTALLED,
    "已验收": PointStatus.ACCEPTED,
    "已撤除": PointStatus.RETIRED,
}


class Access(enum.StrEnum):
    """How camfleet reaches a camera (接入方式)."""

    ONVIF = "onvif"  # an ONVIF device service (a camera, or a recorder when the row has a channel)
    RTSP = "rtsp"  # ONVIF switched off: RTSP alone (OPTIONS, DESCRIBE, one keyframe)


#: The words spreadsheets use for each access mode.
ACCESS_ALIASES: dict[str, Access] = {"ONVIF": Access.ONVIF, "RTSP": Access.RTSP, "仅RTSP": Access.RTSP}

#: The RTSP port an RTSP-only row means when its port is empty (RFC 2326).
RTSP_PORT = 554


@dataclass(frozen=True, slots=True)
class CameraTarget:
    """What the poller needs to reach one camera. ``credential`` is a group name, never a password.

    A camera behind an NVR/DVR has a ``channel`` (1-based): ``host``/``port`` are then the recorder's, shared by
    its other channels. An RTSP-only camera (``access`` rtsp) has ``port`` = its RTSP port and ``rtsp_path``."""

    camera_id: str
    host: str
    port: int
    uplink: str
    credential: str
    town: str = ""
    village: str = ""
    point_id: str = ""
    program: str = ""
    channel: int | None = None
    access: Access = Access.ONVIF
    rtsp_path: str = ""

    @property
    def own_events(self) -> bool:
        """camfleet can read the camera's own tamper events: it is an ONVIF device of its own. A channel's would be
        its recorder's (not the camera's lens), and an RTSP-only camera has no events service."""
        return self.access is Access.ONVIF and self.channel is None

    @property
    def recorder(self) -> str:
        """``host:port`` of the recorder this camera is a channel of; empty for a standalone camera."""
        return f"{self.host}:{self.port}" if self.channel is not None else ""


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """What GetDeviceInformation told us."""

    vendor: str = ""
    model: str = ""
    firmware: str = ""
    serial: str = ""
    hardware: str = ""


@dataclass(frozen=True, slots=True)
class MediaProfile:
    """One media profile with its video resolution and URIs (filled by discovery)."""

    token: str
    name: str
    width: int
    height: int
    snapshot_uri: str = ""
    stream_uri: str = ""
    source: str = ""  # its video source's token: on a recorder, which channel the profile shows


@dataclass(frozen=True, slots=True)
class FrameStats:
    """Features of one decoded frame, as computed by ``vision``. Scores are unitless."""

    width: int
    height: int
    brightness: float  # mean luma 0..255
    contrast: float  # luma standard deviation
    sharpness: float  # variance of the Laplacian at the analysis scale
    edge_density: float  # fraction of edge pixels 0..1
    entropy: float  # luma histogram entropy, bits
    colourfulness: float  # Hasler–Süsstrunk colourfulness; ~0 for IR grayscale
    uniform_fraction: float  # fraction of the frame in flat blocks 0..1
    saturated_fraction: float  # fraction of clipped-white pixels 0..1
    is_ir: bool  # the frame looks like IR night (grayscale)
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The outcome of one check of one camera. Expected I/O failures are values here, never exceptions.

    ``status`` is what this one observation suggests; the health state machine decides what the camera's
    status becomes (hysteresis, uplink rule).
    """

    camera_id: str
    kind: CheckKind
    status: Status
    reason: Reason = Reason.NONE
    detail: str = ""
    started_at: float = 0.0  # unix time
    latency_s: float = 0.0
    clock_offset_s: float | None = None  # camera clock minus ours
    identity: DeviceIdentity | None = None
    profiles: tuple[MediaProfile, ...] = ()
    frame: FrameStats | None = None
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when this observation found nothing wrong."""
        return self.status is Status.OK


class Agreement(enum.StrEnum):
    """How the camera's own tamper events compare with camfleet's confirmed picture verdict."""

    AGREE = "agree"  # both report a fault of matching kinds, or both find the picture fine
    OTHER_FAULT = "other_fault"  # both report a fault, of kinds that do not match (blurred vs frozen)
    CAMERA_ONLY = "camera_only"  # the camera reports a fault, camfleet does not (or cannot judge yet)
    CAMFLEET_ONLY = "camfleet_only"  # camfleet sees a fault the camera does not report
    UNJUDGED = "unjudged"  # the camera reports nothing and camfleet has no picture verdict


@dataclass(frozen=True, slots=True)
class CameraClaim:
    """What a camera's ONVIF events say about its picture now (``runtime/camera_events.py`` writes it)."""

    faults: tuple[Status, ...] = ()  # image statuses the camera reports; empty: it reports none
    known: bool = False  # the camera's current state was read (a subscription answered)
    agreement: Agreement | None = None  # None while ``known`` is False
    since: float = 0.0  # unix time the claim last changed
    last_pull_at: float = 0.0  # unix time of the last pull that worked
    error: str = ""  # the last events failure (status/reason words); empty after a good pull


@dataclass(slots=True)
class CameraState:
    """The health state machine's view of one camera (mutable, owned by ``runtime``; others read)."""

    camera_id: str
    status: Status = Status.UNKNOWN
    reason: Reason = Reason.NONE
    detail: str = ""
    since: float = 0.0  # unix time the current status began
    last_probe_at: float = 0.0
    last_ok_at: float = 0.0
    last_frame_at: float = 0.0
    latency_s: float = 0.0
    clock_offset_s: float | None = None
    identity: DeviceIdentity | None = None
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    flapping: bool = False
    scores: dict[str, float] = field(default_factory=dict)
    camera_events: CameraClaim | None = None  # None: events not read (off, or not offered by the camera)
    baseline: BaselineState = BaselineState.NONE  # what its picture baseline is worth (``runtime/review.py``)
    baseline_since: float = 0.0  # unix time the baseline state began


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of a camera's status, as stored in the history."""

    camera_id: str
    at: float  # unix time
    from_status: Status
    to_status: Status
    reason: Reason = Reason.NONE
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PointRecord:
    """One camera point (site) of the inventory."""

    point_id: str
    town: str
    village: str
    point_name: str = ""
    lat: float | None = None
    lon: float | None = None
    program: str = ""
    status: PointStatus = PointStatus.PLANNED
    installed_on: str = ""  # ISO date or empty
    accepted_on: str = ""  # ISO date or empty
    site_type: str = ""  # key-location type (部位类型), one of the configured site types; empty: not given


#: The key-location types (部位类型) a point may have, in the order reports show them; configurable under
#: ``[coverage] site_types``. 其他 takes every point that is none of the named key locations.
DEFAULT_SITE_TYPES = ("村口", "主路口", "学校", "河塘", "村部", "集市", "其他")


@dataclass(frozen=True, slots=True)
class CameraRecord:
    """One camera of the inventory, at a point. ``credential`` names a group, never a password."""

    camera_id: str
    point_id: str
    host: str
    port: int = 80
    credential: str = ""
    uplink: str = ""  # empty in the file means: the village
    channel: int | None = None  # NVR/DVR channel (通道号), 1-based; None: a standalone camera
    access: Access = Access.ONVIF  # 接入方式
    rtsp_path: str = ""  # an RTSP-only camera's stream path (RTSP路径), starting with "/"

    def target(self, point: PointRecord) -> CameraTarget:
        """What the poller needs, with the village as the uplink when none is given."""
        return CameraTarget(
            camera_id=self.camera_id,
            host=self.host,
            port=self.port,
            uplink=self.uplink or f"{point.town}/{point.village}",
            credential=self.credential,
            town=point.town,
            village=point.village,
            point_id=point.point_id,
            program=point.program,
            channel=self.channel,
            access=self.access,
            rtsp_path=self.rtsp_path,
        )


# --- stored pictures and reviews (inventory/store.py keeps them; runtime/ passes them around) -------------


@dataclass(frozen=True, slots=True)
class StoredBaseline:
    """A camera's picture baseline for one mode: 'day' (colour) or 'ir' (night)."""

    camera_id: str
    mode: str
    features: dict[str, Any] = field(default_factory=dict)  # JSON-serialisable
    thumbnail: bytes = b""
    samples: int = 0
    updated_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a camera showed when an image fault was confirmed, and what it should show (its baseline)."""

    camera_id: str
    at: float
    status: Status
    reason: Reason = Reason.NONE
    thumbnail: bytes = b""  # small JPEG of the triggering frame
    reference: bytes = b""  # small PNG of the baseline picture


@dataclass(frozen=True, slots=True)
class ReferencePicture:
    """A camera's acceptance picture (验收照片): the view it was accepted with, as JPEG."""

    camera_id: str
    jpeg: bytes
    source: str = ""  # where it came from (the imported file's name)
    imported_at: float = 0.0


@dataclass(frozen=True, slots=True)
class BaselineReview:
    """The poller's view of a camera's baseline: its state, why, since when, and (doubtful) the latest
    doubtful picture as a small JPEG (≤ 320 px wide) for the review page."""

    camera_id: str
    state: BaselineState
    reason: str = ""
    since: float = 0.0
    thumbnail: bytes | None = None
    updated_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Approval:
    """A person approved a camera's baseline: who, when, why. ``id`` is given by the store (0 before)."""

    camera_id: str
    at: float
    by: str = ""
    note: str = ""
    id: int = 0


# --- cluster leases and fenced writes (inventory/leases.py, inventory/fence.py) -------------------------------


@dataclass(frozen=True, slots=True)
class ClusterView:
    """What one heartbeat saw, in database time (seconds since the epoch)."""

    now: float
    held: dict[str, int]  # units this instance holds (just renewed) → weight
    free: dict[str, int]  # units nobody holds (never claimed, released, or expired) → weight
    instances: dict[str, int]  # live instances → cameras they carry (this one included)
    total_weight: int  # cameras behind every unit
    leader: bool = False
    epochs: dict[str, int] = field(default_factory=dict)  # held unit → its epoch


class Won(NamedTuple):
    """A unit just claimed: its weight (cameras) and its new epoch (the claimer's fencing token)."""

    weight: int
    epoch: int


@dataclass(frozen=True, slots=True)
class WriteFence:
    """Who writes, and under which lease each camera is written."""

    owner: str  # the instance id, as in camera_lease.owner
    units: Mapping[str, str]  # camera id → its lease unit (uplink group)
    epochs: Mapping[str, int]  # unit → the epoch this instance last held it at
    hold_s: float = 5.0  # longest a transaction holding the unit locks may sit idle on the server


@dataclass(frozen=True, slots=True)
class RefusedWrite:
    """Camera states of one unit that were not written: the unit's lease moved away from the writer."""

    unit: str
    held_epoch: int | None  # the epoch the writer held (None: it never held this camera's unit)
    epoch: int | None  # the unit's epoch now (None: no such unit row)
    owner: str | None  # the unit's owner now (None: free)
    cameras: tuple[str, ...]
