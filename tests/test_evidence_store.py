"""The evidence table (migration 0002) and bulk baseline storage, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from alembic.script import ScriptDirectory
from inventory_helpers import install_newer_migrations

from camfleet.config import CamfleetConfig
from camfleet.errors import SchemaOutdatedError
from camfleet.inventory import db
from camfleet.inventory.store import Store
from camfleet.model import Evidence, FrameStats, Reason, Status
from camfleet.runtime.baselines import baseline_from_rows, baseline_rows
from camfleet.vision import Baseline, compute_features

JPEG = b"\xff\xd8\xff\xe0thumb"


def test_evidence_keeps_the_newest_five_per_camera(db_url: str) -> None:
    """Seven pictures of one camera leave the newest five; latest_evidence gives each camera its newest
    thumbnail; Chinese camera ids round-trip."""
    db.upgrade(db_url)
    with Store(db_url) as store:
        store.put_evidence([Evidence("摄像机-1", float(i), Status.COVERED, Reason.NONE, JPEG + bytes([i]), b"ref")
                            for i in range(7)])  # fmt: skip
        store.put_evidence([Evidence("C2", 3.0, Status.BLACK, thumbnail=JPEG)])
        kept = store.load_evidence("摄像机-1")
        latest = store.latest_evidence(["摄像机-1", "C2", "C3"])
    assert [e.at for e in kept] == [6.0, 5.0, 4.0, 3.0, 2.0] and kept[0].status is Status.COVERED
    assert latest == {"摄像机-1": JPEG + bytes([6]), "C2": JPEG}


def test_baselines_round_trip_in_bulk_and_reset(db_url: str) -> None:
    """A learned baseline is stored per mode and read back equal (values and picture); delete_baselines
    removes both modes of one camera only."""
    db.upgrade(db_url)
    vision = CamfleetConfig().vision
    rng = np.random.default_rng(3)
    baseline = Baseline(vision.baseline_samples, vision.baseline_alpha)
    for _ in range(6):
        image = rng.integers(0, 255, (180, 320, 3), dtype=np.uint8)
        stats, signature = compute_features(image, 320, 180)
        baseline.learn(stats, signature)
    assert isinstance(stats, FrameStats)
    with Store(db_url) as store:
        store.put_baselines(baseline_rows("A", baseline, 1.0) + baseline_rows("B", baseline, 1.0))
        loaded = store.load_baselines()
        modes = set(baseline.modes)
        assert store.baseline_keys() == {(c, m) for c in "AB" for m in modes}
        assert store.delete_baselines("A") == len(modes) and set(store.load_baselines()) == {"B"}
    back = baseline_from_rows(loaded["A"], vision)
    ((mode, original),) = baseline.modes.items()
    assert back.modes[mode].count == original.count == 6
    assert np.allclose(back.modes[mode].thumb, original.thumb, atol=0.01)
    assert back.modes[mode].values == pytest.approx(original.values, rel=1e-5, abs=1e-6)


def test_baselines_stored_by_an_earlier_format_are_kept(sqlite_url: str) -> None:
    """Rows written in format 3 (before the texture floor) load after an upgrade as that format and are
    judged with, instead of being thrown away; a row of an unknown format is refused by camera and mode."""
    import cv2

    db.upgrade(sqlite_url)
    vision = CamfleetConfig().vision
    rng = np.random.default_rng(5)
    baseline = Baseline(vision.baseline_samples, vision.baseline_alpha)
    for _ in range(6):
        stats, signature = compute_features(rng.integers(0, 255, (180, 320, 3), dtype=np.uint8), 320, 180)
        baseline.learn(stats, signature)
    rows = baseline_rows("A", baseline, 1.0)
    old = []
    for row in rows:  # what version 3 stored: the thumbnail alone, five features per cell
        png = cv2.imdecode(np.frombuffer(row.thumbnail, np.uint8), cv2.IMREAD_UNCHANGED)
        cells = np.asarray(row.features["cells"]).reshape(-1, 6)[:, :5].ravel().tolist()
        features = {**row.features, "version": 3, "cells": cells}
        thumb = cv2.imencode(".png", png[: png.shape[0] // 3])[1].tobytes()
        old.append(replace(row, features=features, thumbnail=thumb))
    with Store(sqlite_url) as store:
        store.put_baselines(old)
        loaded = store.load_baselines()["A"]
    back = baseline_from_rows(loaded, vision)
    ((mode, original),) = baseline.modes.items()
    assert back.ready(mode) is not None and back.modes[mode].count == original.count
    assert np.allclose(back.modes[mode].thumb, original.thumb, atol=0.01)
    bad = {mode: replace(loaded[mode], features={**loaded[mode].features, "version": 99})}
    with pytest.raises(ValueError, match=f"A/{mode}: unknown baseline format 99"):
        baseline_from_rows(bad, vision)


def test_schema_behind_check_still_works_on_top_of_the_evidence_revision(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0002 (the evidence table) is in the chain; a database at head under code one throwaway revision newer
    is refused, naming `camfleet db upgrade`; after the upgrade the store opens and reads evidence."""
    chain = {r.revision: r.down_revision for r in ScriptDirectory(str(db.MIGRATIONS_DIR)).walk_revisions()}
    assert chain["0002"] == "0001"
    db.upgrade(sqlite_url)
    head = install_newer_migrations(tmp_path, monkeypatch)
    with pytest.raises(SchemaOutdatedError, match=rf"\({head}\) is behind this camfleet \(9999\)"):
        Store(sqlite_url)
    assert db.upgrade(sqlite_url) == (head, "9999")
    with Store(sqlite_url) as store:
        assert store.latest_evidence() == {}
