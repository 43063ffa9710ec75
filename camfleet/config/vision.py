"""[vision]: the picture checks' settings (decode scale, workers, baseline learning, fault hysteresis, review,
evidence). Not the rules' thresholds: those are constants of ``vision/verdict.py`` and ``vision/alone.py``, each
beside its rule (docs/vision.md, docs/day-one.md)."""

from pydantic import Field

from camfleet.config.base import Section


class VisionConfig(Section):
    """Frame analysis: decode scale, worker pool, baseline learning, fault hysteresis, review and evidence (the
    rules' thresholds are constants of ``vision/``, each beside its rule)."""

    enabled: bool = Field(True, title="Check pictures", description="Sample and judge frames at all.")
    workers: int = Field(
        1,
        ge=1,
        le=64,
        title="Worker processes",
        description="Processes decoding and judging frames (never on the event loop).",
    )
    decode_reduction: int = Field(
        4, title="Decode reduction", description="JPEG decode scale 1, 2, 4 or 8 (IMREAD_REDUCED_*)."
    )
    baseline_samples: int = Field(
        5, ge=1, le=100, title="Baseline samples", description="Healthy samples needed before a baseline judges."
    )
    sweep_learns: bool = Field(
        False,
        title="One-off sweeps finish learning",
        description="A one-off full sweep keeps taking frames (up to baseline_samples + 3, 1.2 s apart) of a camera "
        "still learning, so it ends judged against a baseline: about six times the pictures of a steady sweep. "
        "Off: a camera without a baseline is judged by the no-baseline rules and learns one frame per sweep (and in "
        "the service).",
    )
    resident_mib: int = Field(
        32,
        ge=0,
        le=65536,
        title="Baselines kept in memory (MiB)",
        description="Learned baselines and previous pictures of the most recently checked cameras kept in memory; "
        "the others wait in a private temporary file until their next picture (~70 KB per camera and mode). "
        "0: keep every camera's in memory.",
    )
    baseline_alpha: float = Field(
        0.02,
        gt=0,
        le=1,
        title="Baseline learning rate",
        description="Exponential update weight for a healthy sample (slow: seasons).",
    )
    fault_threshold: int = Field(
        2,
        ge=1,
        le=20,
        title="Bad frames to alarm",
        description="Consecutive frames with the same fault before the status changes.",
    )
    review_within_h: float = Field(
        24.0,
        gt=0,
        le=24 * 365,
        title="Review doubtful baselines within (hours)",
        description="A camera whose first pictures were doubtful should be looked at by a person within this "
        "many hours; longer counts in camfleet_baseline_review_overdue_cameras (alert CamfleetBaselineReviewOverdue).",
    )
    cannot_judge_alert_h: float = Field(
        72.0,
        gt=0,
        le=24 * 365,
        title="Alert on cannot_judge after (hours)",
        description="A camera whose pictures cannot be judged (featureless scene, no baseline yet) for longer than "
        "this many hours raises CamfleetCameraCannotJudge (exported as camfleet_cannot_judge_alert_after_seconds). "
        "Cameras waiting for a person's review have their own deadline, review_within_h.",
    )
    evidence_dir: str = Field(
        "", title="Evidence directory", description="Where fault thumbnails are kept; empty: beside the database."
    )
