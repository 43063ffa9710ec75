"""`camfleet run`'s poller judges pictures on its own schedule, keeps baselines across restarts, and relearns a
camera after `camfleet baseline reset`."""

from __future__ import annotations

from pathlib import Path

import pytest
from frames_helpers import at_noon, config, credentials, import_specs, specs, until
from poller_helpers import camfleet_cli, running, write_credentials

from camfleet.inventory.store import Store
from camfleet.model import BaselineState, CheckKind, Status
from camfleet.runtime.poller import Poller
from camfleet.simulator import SimulatedFleet

NET = 3
FRAME_OK = (str(CheckKind.FRAME), str(Status.OK))
FRAME_CJ = (str(CheckKind.FRAME), str(Status.CANNOT_JUDGE))


@pytest.mark.timeout(240)
async def test_restart_judges_at_once_and_reset_relearns(tmp_path: Path, db_url: str) -> None:
    """A sweep learns baselines; a new scheduled poller over the same database judges its first frames ok (no
    "no baseline" frame at all); `camfleet baseline reset R-0` in another process makes the running poller
    drop R-0's baseline: R-0 starts over (state none, then provisional, judged with no baseline by the day-one
    rules: still ok, its scores no longer ratios to a baseline, once its first frame, passed with too few peers
    to compare, was held back as cannot_judge/no_baseline) and its new state is stored, while R-1 stays ok
    against its own; stop() shuts the pool."""
    fleet_specs = specs(NET, ["R-0", "R-1"])
    import_specs(db_url, tmp_path, fleet_specs)
    cfg_file = tmp_path / "camfleet.toml"
    cfg_file.write_text("", encoding="utf-8")
    env = {"CAMFLEET_DATABASE_URL": db_url, "CAMFLEET_CONFIG": str(cfg_file),
           "CAMFLEET_CREDENTIALS_FILE": str(write_credentials(tmp_path / "c.toml"))}  # fmt: skip
    fleet = SimulatedFleet(fleet_specs)
    at_noon(fleet)
    # Events pulled every second: after the reset, R-0's first picture is learned once its claim is known.
    cfg = config(poller={"frame_interval_s": 1.0, "jitter": 0.0}, events={"interval_s": 1.0})
    async with running(fleet):
        with Store(db_url) as store:
            learner = Poller(cfg, store.load_targets(), credentials(), store)
            assert learner.frames is not None
            learner.frames.learn_spacing_s = 0.2
            await learner.sweep_once("full")
            poller = Poller(cfg, store.load_targets(), credentials(), store)
            assert poller.frames is not None
            await poller.start()
            try:
                probes = poller.fleet.counters.probes
                await until(lambda: probes[FRAME_OK] >= 4, "four frames judged ok after the restart")
                assert probes[FRAME_CJ] == 0
                states = poller.fleet.states
                assert states["R-0"].status is Status.OK and states["R-0"].scores["sharpness_ratio"] > 0.5
                learned_at = states["R-0"].baseline_since
                assert states["R-0"].baseline is BaselineState.PROVISIONAL and learned_at > 0
                code, out, err = await camfleet_cli("baseline", "reset", "R-0", env=env)
                assert code == 0 and "R-0" in out, err
                await until(
                    lambda: "edge_sharp" in states["R-0"].scores and states["R-0"].status is Status.OK,
                    "R-0 judged ok with no baseline after the reset",
                )
                assert "sharpness_ratio" not in states["R-0"].scores
                await until(lambda: states["R-0"].baseline_since > learned_at, "R-0 starting over after the reset")
                await until(lambda: states["R-0"].baseline is BaselineState.PROVISIONAL, "R-0 learning again")
                await until(lambda: store.reviews()["R-0"].since > learned_at, "R-0's new state stored")
                assert states["R-1"].status is Status.OK and states["R-1"].baseline is BaselineState.PROVISIONAL
            finally:
                await poller.stop()
            assert poller.frames.pool._executor is None  # the worker processes are gone
            code, _out, err = await camfleet_cli("baseline", "reset", "NOPE", env=env)
            assert code == 2 and "NOPE" in err
