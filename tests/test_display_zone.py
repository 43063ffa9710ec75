"""[display] timezone: a checked IANA name that sets the zone of every time shown to people (coverage report,
CLI), while JSON stays ISO with the fixed +08:00 offset."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from coverage_helpers import district
from typer.testing import CliRunner

from camfleet.cli import app
from camfleet.config import display, load_config
from camfleet.errors import ConfigError
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.validate import Inventory


@pytest.fixture(autouse=True)
def _own_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from the default zone and leaves it behind (the zone is process-wide)."""
    monkeypatch.setattr(display, "_shown", [display.DISTRICT_TZ])


def test_default_is_shanghai_and_a_bad_name_names_the_key(tmp_path: Path) -> None:
    """With no [display] the zone is Asia/Shanghai; a misspelt zone is a config error naming display.timezone."""
    cfg = load_config(_config(tmp_path, ""), apply_env=False)
    assert cfg.display.timezone == "Asia/Shanghai" and cfg.display.zone() == ZoneInfo("Asia/Shanghai")
    with pytest.raises(ConfigError) as info:
        load_config(_config(tmp_path, '[display]\ntimezone = "Asia/Shanghi"\n'), apply_env=False)
    assert "display.timezone" in str(info.value) and "'Asia/Shanghi' is not an IANA time zone" in str(info.value)


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "camfleet.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _minutes(zone: str, start: float, end: float) -> set[str]:
    """Every ``YYYY-MM-DD HH:MM`` between two moments in ``zone`` (the report's clock is read in between)."""
    return {datetime.fromtimestamp(t, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") for t in (start, end)}


def test_coverage_table_follows_the_zone_and_json_does_not(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`camfleet coverage` with timezone America/Sao_Paulo (UTC-3) stamps its table in São Paulo time, not
    Beijing time (11 hours apart); the JSON report's generated_at keeps its +08:00 offset for machines."""
    points, cams, _ = district()
    import_inventory(db_url, Inventory("test", points, cams))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CAMFLEET_DATABASE_URL", db_url)
    cfg = _config(tmp_path, '[display]\ntimezone = "America/Sao_Paulo"\n')
    start = time.time()
    table = CliRunner().invoke(app, ["--config", str(cfg), "coverage"], terminal_width=200)
    end = time.time()
    assert table.exit_code == 0, table.stderr
    assert any(m in table.stdout for m in _minutes("America/Sao_Paulo", start, end)), table.stdout
    assert not any(m in table.stdout for m in _minutes("Asia/Shanghai", start, end))
    as_json = CliRunner().invoke(app, ["--config", str(cfg), "coverage", "--format", "json"])
    assert as_json.exit_code == 0, as_json.stderr
    assert json.loads(as_json.stdout)["generated_at"].endswith("+08:00")
