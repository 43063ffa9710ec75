"""The store API the runtime, metrics and coverage use, on SQLite and the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from inventory_helpers import small_inventory, write_csv

from camfleet.inventory.importer import import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import validate_file
from camfleet.model import CameraState, CameraTarget, DeviceIdentity, Reason, Status, StoredBaseline, Transition


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    """A store over the small inventory (4 points, 5 cameras)."""
    import_inventory(db_url, validate_file(write_csv(tmp_path / "inv.csv", small_inventory())))
    with Store(db_url) as opened:
        yield opened


def test_targets_carry_what_the_poller_needs(store: Store) -> None:
    """Targets have host, port, credential group, and the village as uplink unless one is named."""
    targets = {t.camera_id: t for t in store.load_targets()}
    assert targets["C1"] == CameraTarget(
        "C1", "127.10.0.1", 80, "青石镇/下坞村", "yctt-2025", "青石镇", "下坞村", "P1", "一村一探头"
    )
    assert targets["C3"].uplink == "青石镇光交箱01"
    assert targets["C4"].port == 8080 and targets["C5"].host == "2001:db8::5"
    assert [p.point_id for p in store.load_points()] == ["P1", "P2", "P3", "P4"]


def test_states_round_trip_and_upsert(store: Store) -> None:
    """Saved states load back equal (identity, None offset, Chinese detail); saving again replaces them."""
    states = [
        CameraState("C1", Status.OK, since=100.5, last_probe_at=200.25, last_ok_at=200.25, latency_s=0.125,
                    clock_offset_s=-3.5, identity=DeviceIdentity("Hikvision", "DS-2CD", "V5.7", "SN1", "hw"),
                    consecutive_successes=3),
        CameraState("C2", Status.OFFLINE, Reason.TIMEOUT, "无应答 after 5 s", since=50.0, consecutive_failures=4,
                    flapping=True),
        CameraState("gone-camera", Status.AUTH_FAILED, Reason.CLOCK),
    ]  # fmt: skip
    store.save_states(states)
    assert store.load_states() == {s.camera_id: s for s in states}
    changed = CameraState("C2", Status.OK, since=60.0, identity=DeviceIdentity())
    store.save_states([changed])
    loaded = store.load_states()
    assert loaded["C2"] == changed and loaded["C1"] == states[0] and len(loaded) == 3
    store.save_states([])  # nothing to do is fine


def test_many_states_in_one_batch(store: Store) -> None:
    """A district's worth of states (5,500) is written in one call and read back."""
    store.save_states(CameraState(f"C{i:05d}", Status.OK, since=float(i)) for i in range(5500))
    loaded = store.load_states()
    assert len(loaded) == 5500 and loaded["C05499"].since == 5499.0


def test_transitions_filter_by_time_and_camera(store: Store) -> None:
    """since ≤ at < until, optional camera filter, oldest first; reasons and details survive."""
    history = [
        Transition("C1", 10.0, Status.UNKNOWN, Status.OK),
        Transition("C2", 20.0, Status.OK, Status.OFFLINE, Reason.REFUSED, "连接被拒绝"),
        Transition("C1", 30.0, Status.OK, Status.COVERED),
        Transition("C3", 40.0, Status.OK, Status.UPLINK_DOWN, Reason.UPLINK),
    ]
    store.append_transitions(history[2:])
    store.append_transitions(history[:2])
    assert store.load_transitions(0.0) == history
    assert store.load_transitions(20.0, 40.0) == history[1:3]
    assert store.load_transitions(0.0, camera_ids={"C1", "C3"}) == [history[0], history[2], history[3]]
    assert store.load_transitions(0.0, camera_ids=[]) == []


def test_a_batch_written_twice_stores_each_transition_once(store: Store) -> None:
    """The idempotency key (camera, time, new status): writing the same batch again (a retry after a lost
    acknowledgement) adds nothing, while a transition differing in any part of the key is stored."""
    batch = [Transition("C1", 10.0, Status.UNKNOWN, Status.OK), Transition("C2", 10.0, Status.OK, Status.OFFLINE)]
    state = CameraState("C1", Status.OK, since=10.0)
    store.write_batch(batch, [state])
    store.write_batch(batch, [state])
    later = [Transition("C1", 10.5, Status.OK, Status.OFFLINE), Transition("C1", 10.0, Status.OK, Status.COVERED)]
    store.write_batch(batch + later, [])
    assert store.load_transitions(0.0) == [*batch, later[1], later[0]]  # by time, then by insertion
    assert store.load_states()["C1"] == state


def test_migration_0004_removes_doubled_transitions_and_keys_them(db_url: str) -> None:
    """A history written before the key existed may hold the same transition twice (an earlier version's
    retry): upgrading to 0004 keeps the oldest row of each and then refuses a new double."""
    import sqlalchemy as sa
    from alembic import command

    from camfleet.inventory import db

    db.upgrade(db_url)
    engine = db.open_engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(db.alembic_config(conn), "0003")
        insert = sa.text(
            "INSERT INTO transition (camera_id, at, from_status, to_status, reason, detail) "
            "VALUES (:camera_id, :at, :from_status, :to_status, :reason, :detail)"
        )
        row = {"camera_id": "C1", "at": 5.0, "from_status": "ok", "to_status": "offline", "reason": "", "detail": ""}
        with engine.begin() as conn:
            conn.execute(insert, [row, row, {**row, "at": 6.0}])
        with engine.begin() as conn:
            command.upgrade(db.alembic_config(conn), "head")
        with engine.connect() as conn:
            ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM transition ORDER BY id"))]
        assert ids == [1, 3]
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(insert, [row])
    finally:
        engine.dispose()


def test_baselines_per_mode_round_trip_and_replace(store: Store) -> None:
    """Day and IR baselines are kept apart, bytes and JSON features survive, a put replaces."""
    day = StoredBaseline("C1", "day", {"sharpness": 412.5, "hist": [1, 2, 3]}, b"\xff\xd8jpeg\x00", 5, 1000.0)
    ir = StoredBaseline("C1", "ir", {"sharpness": 90.0}, b"", 2, 1001.0)
    store.put_baseline(day)
    store.put_baseline(ir)
    assert store.get_baselines("C1") == {"day": day, "ir": ir}
    newer = StoredBaseline("C1", "day", {"sharpness": 420.0}, b"new", 6, 2000.0)
    store.put_baseline(newer)
    assert store.get_baselines("C1") == {"day": newer, "ir": ir}
    assert store.get_baselines("C2") == {}
    with pytest.raises(ValueError, match="'day' or 'ir'"):
        store.put_baseline(StoredBaseline("C1", "night"))


def test_store_is_safe_from_worker_threads(store: Store) -> None:
    """Writes from several threads at once (as asyncio.to_thread does) all land; nothing is lost to locks."""
    from concurrent.futures import ThreadPoolExecutor

    def batch(worker: int) -> None:
        for round_ in range(5):
            store.save_states([CameraState(f"W{worker}-{i}", Status.OK, since=float(round_)) for i in range(50)])
            store.append_transitions([Transition(f"W{worker}-0", float(round_), Status.UNKNOWN, Status.OK)])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(batch, range(4)))
    assert len(store.load_states()) == 200
    assert len(store.load_transitions(0.0)) == 20
