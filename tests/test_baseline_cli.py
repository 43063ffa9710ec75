"""``camfleet baseline import|review|approve`` as a person runs them: files named with reasons, all or nothing,
exit codes that tell bad files (1) from usage (2) from the database (3), approvals logged with who and when."""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from cli_helpers import run, small_inventory_db

from camfleet.inventory.store import Store
from camfleet.model import BaselineReview, BaselineState


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite database holding ``small_inventory`` (C1–C5 in 下坞村, 上坞村 and 石门村), through the env var."""
    return small_inventory_db(tmp_path, monkeypatch)


def picture(seed: int, ext: str = ".jpg", width: int = 640) -> bytes:
    """A textured colour picture encoded as JPEG or PNG."""
    rng = np.random.default_rng(seed)
    img = cv2.resize(rng.integers(0, 255, (18, 32, 3), dtype=np.uint8), (width, width * 9 // 16))
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return bytes(buf)


def folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    """A directory holding ``files``."""
    d = tmp_path / "pictures"
    d.mkdir(exist_ok=True)
    for name, data in files.items():
        (d / name).write_bytes(data)
    return d


def test_import_stores_jpeg_and_converts_png(env: str, tmp_path: Path) -> None:
    """Good files of any extension case are stored; the PNG is stored as a JPEG; the summary names the
    villages in Chinese; a dry run first stores nothing; a hidden file is skipped, not an error."""
    jpeg = picture(1)
    d = folder(tmp_path, {"C1.jpg": jpeg, "C2.JPEG": picture(2), "C3.Png": picture(3, ".png"), ".DS_Store": b"x"})
    code, out, err = run("baseline", "import", str(d), "--dry-run")
    assert code == 0, err
    assert "dry run" in out and "下坞村" in out and "上坞村" in out and ".DS_Store" in err
    with Store(env) as store:
        assert store.references() == {}
    code, out, err = run("baseline", "import", str(d))
    assert code == 0, err
    assert "imported" in out and "下坞村" in out and "1 PNG" in out
    with Store(env) as store:
        refs = store.references()
    assert sorted(refs) == ["C1", "C2", "C3"]
    assert refs["C1"].jpeg == jpeg and refs["C1"].source == "C1.jpg"
    assert refs["C3"].jpeg.startswith(b"\xff\xd8\xff") and refs["C3"].source == "C3.Png"
    decoded = cv2.imdecode(np.frombuffer(refs["C3"].jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (360, 640, 3)
    assert time.time() - refs["C3"].imported_at < 60


def test_bad_files_are_each_named_and_nothing_is_stored(env: str, tmp_path: Path) -> None:
    """An unknown id, a cut-off JPEG, a web page named .jpg, an oversized file, a too-small picture, a second
    picture of one camera and a stray file: exit 1, every one named with its reason, nothing stored (not even
    the good file beside them)."""
    good = picture(1)
    d = folder(tmp_path, {
        "C1.jpg": good, "C1.png": picture(1, ".png"), "C99.jpg": good, "C2.jpg": good[: len(good) // 2],
        "C3.jpg": b"<html>login</html>", "C4.jpg": b"\xff\xd8\xff" + b"\0" * (9 * 2**20),
        "C5.jpg": picture(5, width=160), "说明.txt": "验收照片".encode(),
    })  # fmt: skip
    code, _, err = run("baseline", "import", str(d))
    assert code == 1
    for name, reason in (("C1.png", "a second picture for C1"), ("C99.jpg", "unknown camera id 'C99'"),
                         ("C2.jpg", "JPEG cut short"), ("C3.jpg", "not a JPEG or PNG"), ("C4.jpg", "too large"),
                         ("C5.jpg", "too small (160×90"), ("说明.txt", "not named <camera_id>")):  # fmt: skip
        assert f"{name}: {reason}" in err, (name, err)
    assert "rejected: 7 bad file(s)" in err and "nothing stored" in err
    with Store(env) as store:
        assert store.references() == {}


def test_database_problem_is_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database that cannot be reached exits 3 (retry later), not 1 (fix your files), for every command."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMFLEET_CONFIG", raising=False)
    monkeypatch.setenv("CAMFLEET_DATABASE_URL", "postgresql+psycopg://camfleet@127.0.0.1:1/nowhere")
    d = folder(tmp_path, {"C1.jpg": picture(1)})
    for args in (("import", str(d)), ("review",), ("approve", "C1"), ("reset", "C1")):
        code, _, err = run("baseline", *args)
        assert code == 3, (args, err)
    assert run("baseline", "import", str(tmp_path / "missing"))[0] == 2


def _reviews(url: str) -> None:
    now = time.time()
    with Store(url) as store:
        store.put_reviews([
            BaselineReview("C1", BaselineState.DOUBTFUL, "covered: large featureless region", now - 7200, None,
                           now - 60),
            BaselineReview("C2", BaselineState.PROVISIONAL, "learned from 3 pictures", now - 3600, None, now - 60),
            BaselineReview("C3", BaselineState.APPROVED, "acceptance picture", now - 3600, None, now - 60),
            BaselineReview("C4", BaselineState.DOUBTFUL, "needs_review: soft picture, few peers", now - 600, None,
                           now - 60),
        ])  # fmt: skip


def test_review_lists_doubtful_first_grouped_with_reason_and_since(env: str) -> None:
    """Doubtful cameras (both towns) come before provisional ones, approved ones are absent, each with its
    town, village, reason and since; --town narrows the list; the table shows the Chinese names."""
    _reviews(env)
    code, out, err = run("baseline", "review", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["counts"] == {"doubtful": 2, "provisional": 1}
    assert [(c["camera"], c["state"]) for c in doc["cameras"]] == [
        ("C4", "doubtful"), ("C1", "doubtful"), ("C2", "provisional")
    ]  # fmt: skip
    first = doc["cameras"][0]
    assert (first["town"], first["village"], first["reason"]) == (
        "东溪街道",
        "石门村",
        "needs_review: soft picture, few peers",
    )
    assert first["since"].endswith("+08:00") and first["approval_pending"] is False
    code, out, _ = run("baseline", "review", "--json", "--town", "青石镇")
    assert [c["camera"] for c in json.loads(out)["cameras"]] == ["C1", "C2"]
    code, out, _ = run("baseline", "review")
    assert code == 0 and out.index("doubtful") < out.index("provisional") and "石门村" in out and "covered" in out
    assert run("baseline", "review", "--village", "无名村")[0] == 2


def test_approve_logs_who_and_when_and_refuses_unknown_ids(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown id among good ones: exit 2, named, nothing written. Approving by id stores who (--by) and
    when; by village it takes that village's cameras awaiting review; without --by the approver is
    $SUDO_USER; review then shows the approval as pending until the poller applies it."""
    _reviews(env)
    code, _, err = run("baseline", "approve", "C1", "C77", "--by", "李工")
    assert code == 2 and "C77" in err
    with Store(env) as store:
        assert store.approvals() == []
    before = time.time()
    code, out, err = run("baseline", "approve", "C4", "--by", "李工", "--note", "村委会确认: 镜头朝向正确")
    assert code == 0 and "approved 1 camera(s) as 李工" in out, err
    monkeypatch.setenv("SUDO_USER", "wang")
    code, out, _ = run("baseline", "approve", "--village", "下坞村")
    assert code == 0 and "approved 2 camera(s) as wang" in out
    with Store(env) as store:
        approvals = store.approvals()
    assert [(a.camera_id, a.by) for a in approvals] == [("C4", "李工"), ("C1", "wang"), ("C2", "wang")]
    assert approvals[0].note == "村委会确认: 镜头朝向正确" and all(a.at >= before for a in approvals)
    doc = json.loads(run("baseline", "review", "--json")[1])
    assert all(c["approval_pending"] for c in doc["cameras"])
    assert "待生效 pending" in run("baseline", "review")[1]
    assert run("baseline", "approve")[0] == 2
