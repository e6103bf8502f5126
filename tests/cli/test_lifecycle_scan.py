"""AIGOV-LIFE-001 through ``aigov scan``: retirement dates, ``--today``, the upgrade's price, staleness."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from aigov.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = str(ROOT / "fixtures" / "lifecycle" / "deployments.json")
USAGE = str(ROOT / "fixtures" / "lifecycle" / "usage.yaml")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIGOV_CACHE_DIR", str(tmp_path / "cache"))  # the bundled prices, not a refreshed copy


def scan(*args: str) -> Result:
    command = ["scan", TEMPLATE, "--check", "AIGOV-LIFE-001", "--format", "json", *args]
    return CliRunner().invoke(main, command, catch_exceptions=False)


def findings(result: Result) -> dict[str, dict[str, Any]]:
    report = json.loads(result.stdout)
    return {f["resource"]["address"].rpartition("/")[2]: f for f in report["findings"]}


def test_versions_retiring_within_the_window_are_findings_with_date_and_outcome() -> None:
    result = scan("--usage", USAGE, "--today", "2026-09-01")
    assert result.exit_code == 1, result.output
    found = findings(result)
    assert set(found) == {"chat-mini", "chat-4o", "reasoning"}

    mini = found["chat-mini"]
    assert "gpt-4o-mini 2024-07-18, which retires on 2026-10-01 (in 30 days)" in mini["message"]
    assert "upgraded automatically" in mini["message"]
    assert "the replacement Microsoft names is gpt-4.1-mini" in mini["message"]
    # gpt-4.1-mini at the same tokens: 100M x 0.40 + 20M x 1.60 = 72.00, now 100M x 0.15 + 20M x 0.60 = 27.00.
    assert mini["cost"]["monthly_usd"] == 45.0
    assert mini["cost"]["basis"].endswith("= 45.00 $/month more")
    assert mini["cost"]["confidence"] == "estimate"

    four_o = found["chat-4o"]
    assert (
        "(in 30 days); then it stops serving: a NoAutoUpgrade deployment returns errors"
        in (four_o["message"])
    )
    # gpt-5.1 has no price in the bundled catalogue: the difference is unknown, never guessed.
    assert four_o["cost"]["monthly_usd"] is None
    assert "with gpt-5.1: pay-per-token: gpt-5.1 GlobalStandard, no token price" in four_o["cost"]["basis"]

    reasoning = found["reasoning"]
    assert "which retired on 2026-08-02 (30 days ago)" in reasoning["message"]
    # o4-mini halves the cached input price: 4M x (0.55 - 0.275) = 1.10 less; the upgrade adds nothing.
    assert reasoning["cost"]["monthly_usd"] == 0.0
    assert reasoning["cost"]["basis"].endswith("= 1.10 $/month less (no added cost)")


def test_today_decides_what_is_within_the_window() -> None:
    result = scan("--usage", USAGE, "--today", "2026-01-01")
    assert result.exit_code == 0, result.output
    assert findings(result) == {}


def test_window_is_configurable(tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text("rules:\n  AIGOV-LIFE-001: {parameters: {window_days: 365}}\n", encoding="utf-8")
    result = scan("--today", "2026-01-01", "--config", str(config))
    assert result.exit_code == 1, result.output
    assert "(in 273 days)" in findings(result)["chat-4o"]["message"]


def test_a_stale_retirement_table_warns() -> None:
    # The bundled rows were read on 2026-12-02; 181 days later is past the 90-day limit.
    result = scan("--today", "2027-06-01")
    report = json.loads(result.stdout)
    assert any(
        w.startswith("model retirement table 'bundled' was read 181 days ago (2026-12-02, more than 90)")
        for w in report["warnings"]
    ), report["warnings"]
    fresh = json.loads(scan("--today", "2026-12-10").stdout)
    assert not any("retirement table" in w for w in fresh["warnings"])


def test_a_team_table_replaces_the_bundled_one(tmp_path: Path) -> None:
    table = tmp_path / "retirements.yaml"
    table.write_text(
        "rows:\n"
        "  - {model: gpt-4o-mini, version: '2024-07-18', retires_on: '2026-02-01', replacement: gpt-4.1-nano,"
        " url: 'https://example.org/retirements', read: '2026-01-01'}\n",
        encoding="utf-8",
    )
    config = tmp_path / "aigov.yaml"
    config.write_text("models:\n  lifecycle: retirements.yaml\n  stale_after_days: 10\n", encoding="utf-8")
    result = scan("--today", "2026-01-20", "--config", str(config))
    found = findings(result)
    assert set(found) == {"chat-mini"}  # o3-mini and gpt-4o are not in this table
    assert "retires on 2026-02-01 (in 12 days)" in found["chat-mini"]["message"]
    assert "gpt-4.1-nano" in found["chat-mini"]["message"]
    warnings = json.loads(result.stdout)["warnings"]
    assert any(f"model retirement table '{table}' was read 19 days ago" in w for w in warnings), warnings


def test_a_bad_team_table_is_one_line_and_exit_2(tmp_path: Path) -> None:
    table = tmp_path / "retirements.yaml"
    table.write_text(
        "rows:\n"
        "  - {model: gpt-4o, version: '2024-11-20', retires_on: '2026-02-30',\n"
        "     url: 'https://x', read: '2026-01-01'}\n",
        encoding="utf-8",
    )
    config = tmp_path / "aigov.yaml"
    config.write_text("models: {lifecycle: retirements.yaml}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", TEMPLATE, "--config", str(config)])
    assert result.exit_code == 2
    expected = f"error: {table}: line 2: $.rows[0].retires_on: '2026-02-30' is not a valid date"
    assert result.stderr.strip() == expected


def test_today_must_be_a_date() -> None:
    result = CliRunner().invoke(main, ["scan", TEMPLATE, "--today", "next tuesday"])
    assert result.exit_code == 2
    assert "--today" in result.stderr
