"""The configuration file: defaults, relative paths, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sheetsync.config import load_config, parse_config
from sheetsync.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_example_config_documents_every_key_and_loads():
    config = load_config(ROOT / "config.example.yaml")
    assert config.spreadsheet.backend == "workbook"
    assert config.language == "ja" and config.timezone == "Asia/Tokyo"
    assert config.fiscal_year_start_month == 4 and config.forecast.period == "quarter"
    assert config.stale.default_days == 14 and config.win_rate.window_months == 12
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    for key in ("backend:", "path:", "key:", "credentials:", "endpoint:", "schema:",
                "language:", "timezone:", "fiscal_year_start_month:", "owners:", "period:",
                "default_days:", "by_stage:", "window_months:", "register:", "targets:"):
        assert key in text, key


def test_relative_paths_follow_the_config_file(tmp_path):
    config = parse_config("spreadsheet: {path: data/deals.xlsx}\nschema: s.yaml\n",
                          tmp_path / "c.yaml")
    assert config.workbook_path == tmp_path / "data" / "deals.xlsx"
    assert config.schema_path == tmp_path / "s.yaml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("spreadsheet: {pth: x}", "c.yaml: spreadsheet.pth: unknown key; did you mean 'path'?"),
        ("langauge: en", "c.yaml: langauge: unknown key; did you mean 'language'?"),
        ("forecast: {period: weekly}", "c.yaml: forecast.period: Input should be 'quarter' or"
                                       " 'month' (got 'weekly')"),
        ("timezone: Mars/Base", "c.yaml: timezone: unknown time zone 'Mars/Base'"),
        ("fiscal_year_start_month: 13", "c.yaml: fiscal_year_start_month: Input should be less"),
        ("- a\n- b", "c.yaml: must be a mapping of keys"),
        ("a: [", "c.yaml: line 1"),
    ],
)
def test_bad_config_is_one_clear_line(text, message):
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("c.yaml"))
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
