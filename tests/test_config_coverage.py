"""The [coverage] section: site types and standards are checked when the config loads, naming the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from camfleet.config.load import validate_config
from camfleet.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def _example_standard_block() -> str:
    """The commented [[coverage.standard]] example of config/camfleet.toml, uncommented."""
    text = (REPO / "config" / "camfleet.toml").read_text(encoding="utf-8")
    block = text[text.index("# [[coverage.standard]]") :]
    return "\n".join(re.sub(r"^# ", "", line) for line in block.splitlines() if line.startswith("# "))


def test_the_commented_example_standard_is_valid() -> None:
    """Uncommented, the example in config/camfleet.toml loads: the pilot towns' standard as documented."""
    import tomllib

    data = {"coverage": tomllib.loads(_example_standard_block())["coverage"]}
    (std,) = validate_config(data, "example").coverage.standard
    assert (std.name, std.towns, std.require_site_types) == (
        "高标准全覆盖",
        ["城关镇", "双溪镇"],
        ["村口", "主路口", "学校"],
    )
    assert (std.min_working_rate, std.min_availability) == (0.95, 0.9)


def test_defaults_have_no_standard_and_the_seven_site_types() -> None:
    """Without a [coverage] section nothing is judged beyond today's rule."""
    cfg = validate_config({}, "defaults").coverage
    assert cfg.standard == [] and cfg.site_types == ["村口", "主路口", "学校", "河塘", "村部", "集市", "其他"]


@pytest.mark.parametrize(
    ("coverage", "message"),
    [
        (
            {"standard": [{"name": "甲", "require_site_types": ["晒谷场"]}]},
            "requires site types not in site_types: 晒谷场",
        ),
        ({"standard": [{"name": "甲"}, {"name": "甲"}]}, "standard names must be unique: 甲"),
        ({"standard": [{"name": "甲", "min_working_rate": 1.5}]}, "coverage.standard.0.min_working_rate"),
        ({"standard": [{"name": "甲", "town": ["殷汇镇"]}]}, "coverage.standard.0.town"),
        ({"standard": [{"name": " 甲"}]}, "no leading/trailing spaces"),
    ],
)
def test_bad_standards_are_refused_with_their_key(coverage: dict[str, object], message: str) -> None:
    """An unknown site type, a repeated name, a rate over 1, a misspelt key, a padded name: each refused."""
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate_config({"coverage": coverage}, "camfleet.toml")
