"""`sweep --checks full` looks at every camera's picture: baselines learned, stored, and faults judged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from frames_helpers import at_noon, config, credentials, import_specs, specs
from poller_helpers import camfleet_cli, running, write_credentials

from camfleet.inventory.store import Store
from camfleet.model import CheckKind, Reason, Status
from camfleet.runtime.poller import Poller
from camfleet.simulator import Fault, SimulatedFleet

NET = 1
#: camera → the simulator's fault (None: healthy).
FAULTS = {
    "F-ok": None, "F-covered": "covered", "F-black": "black", "F-glare": "glare", "F-frozen": "frozen",
    "F-defocus": "defocus", "F-displaced": "displaced", "F-gone": "covered",
}  # fmt: skip
EXACT = {
    "F-ok": Status.OK, "F-covered": Status.COVERED, "F-black": Status.BLACK, "F-glare": Status.OVEREXPOSED,
    "F-frozen": Status.FROZEN, "F-defocus": Status.DEFOCUSED, "F-displaced": Status.DISPLACED,
}  # fmt: skip


@pytest.mark.timeout(240)
async def test_full_sweeps_learn_then_judge_every_picture(tmp_path: Path, db_url: str) -> None:
    """Sweep 1 over healthy cameras learns and stores every baseline (all ok). Then faults appear and a second
    poller (a restart: baselines come from the database) names each camera's picture fault exactly; a camera both
    covered and offline is offline, not covered; evidence thumbnails are stored and shown by the coverage HTML."""
    fleet_specs = specs(NET, list(FAULTS))
    import_specs(db_url, tmp_path, fleet_specs)
    fleet = SimulatedFleet(fleet_specs)
    at_noon(fleet)
    cfg = config()
    async with running(fleet):
        with Store(db_url) as store:
            first = Poller(cfg, store.load_targets(), credentials(), store)
            assert first.frames is not None
            first.frames.learn_spacing_s = 0.2  # the simulator never repeats a snapshot
            learned = await first.sweep_once("full")
            assert {cid: s.status for cid, s in learned.items()} == dict.fromkeys(FAULTS, Status.OK)
            assert all(s.last_frame_at > 0 and "sharpness_ratio" in s.scores for s in learned.values())
            stored = store.load_baselines()
            assert set(stored) == set(FAULTS) and all(rows["day"].samples >= 5 for rows in stored.values())
            for cid, kind in FAULTS.items():
                if kind is not None:
                    fleet.add_fault(Fault(kind=kind, cameras=(cid,)))
            fleet.add_fault(Fault(kind="offline", cameras=("F-gone",)))
            second = Poller(cfg, store.load_targets(), credentials(), store)
            assert second.frames is not None
            second.frames.learn_spacing_s = 0.2
            judged = await second.sweep_once("full")
            evidence = {cid: store.load_evidence(cid) for cid in FAULTS}
    got = {cid: judged[cid].status for cid in EXACT}
    assert got == EXACT, {cid: (s.status, s.detail) for cid, s in judged.items()}
    assert (judged["F-gone"].status, judged["F-gone"].reason) == (Status.OFFLINE, Reason.REFUSED)
    # The restarted poller judged against stored baselines: never a "no baseline" frame.
    assert second.fleet.counters.probes[(str(CheckKind.FRAME), str(Status.CANNOT_JUDGE))] == 0
    for cid in ("F-covered", "F-black", "F-glare", "F-frozen"):
        assert [e.status for e in evidence[cid]] == [EXACT[cid]]
        thumb, ref = evidence[cid][0].thumbnail, evidence[cid][0].reference
        assert thumb.startswith(b"\xff\xd8") and ref.startswith(b"\xff\xd8") and len(thumb) < 20_000
    assert evidence["F-ok"] == [] and evidence["F-gone"] == []


@pytest.mark.timeout(240)
async def test_sweep_cli_and_coverage_html_show_the_fault_picture(tmp_path: Path, sqlite_url: str) -> None:
    """`camfleet sweep --once --checks full --json` (twice: learn, then judge) reports the covered camera as
    covered with scores; `camfleet coverage --format html` shows its evidence thumbnail in the repair list."""
    fleet_specs = specs(NET + 1, ["H-ok", "H-covered"])
    import_specs(sqlite_url, tmp_path, fleet_specs)
    creds = write_credentials(tmp_path / "c.toml")
    cfg = tmp_path / "camfleet.toml"
    cfg.write_text(
        "[poller]\nrecheck_delay_s = 0.05\ncall_timeout_s = 2.0\n[vision]\nsweep_learns = true\n", encoding="utf-8"
    )
    env = {"CAMFLEET_DATABASE_URL": sqlite_url, "CAMFLEET_CREDENTIALS_FILE": str(creds), "CAMFLEET_CONFIG": str(cfg)}
    fleet = SimulatedFleet(fleet_specs)
    at_noon(fleet)
    async with running(fleet):
        code, out, err = await camfleet_cli("sweep", "--once", "--checks", "full", "--json", env=env)
        assert code == 0, err
        fleet.add_fault(Fault(kind="covered", cameras=("H-covered",), material="dark_cloth"))  # not a leaf
        code, out, err = await camfleet_cli("sweep", "--once", "--checks", "full", "--json", env=env)
        assert code == 0, err
        code, html, err = await camfleet_cli("coverage", "--format", "html", env=env)
        assert code == 0, err
    cams = {c["id"]: c for c in json.loads(out)["cameras"]}
    assert cams["H-covered"]["status"] == "covered" and cams["H-ok"]["status"] == "ok"
    assert "sharpness_ratio" in cams["H-ok"]["scores"] and cams["H-ok"]["last_frame_at"]
    assert html.count("data:image/jpeg;base64,") == 1
