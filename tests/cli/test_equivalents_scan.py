"""AIGOV-OPT-001 through ``aigov scan``: listed equivalents, the saving at the same tokens, configuration."""

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
    command = ["scan", TEMPLATE, "--check", "AIGOV-OPT-001", "--format", "json", "--fail-on", "info", *args]
    return CliRunner().invoke(main, command, catch_exceptions=False)


def findings(result: Result) -> dict[str, dict[str, Any]]:
    return {f["resource"]["address"].rpartition("/")[2]: f for f in json.loads(result.stdout)["findings"]}


def test_the_bundled_list_finds_the_cheaper_named_replacement_with_its_saving() -> None:
    result = scan("--usage", USAGE)
    assert result.exit_code == 1, result.output
    found = findings(result)
    # gpt-4o -> gpt-5.1 is listed but not priced; gpt-4o-mini -> gpt-4.1-mini costs more per token.
    assert set(found) == {"reasoning"}
    reasoning = found["reasoning"]
    assert reasoning["severity"] == "info"
    assert "listed as equivalent and cheaper per token: o4-mini" in reasoning["message"]
    # 4M cached input tokens x (0.55 - 0.275) $/1M.
    assert reasoning["cost"]["monthly_usd"] == 1.1
    assert "cheapest allowed: o4-mini" in reasoning["cost"]["basis"]


def test_a_team_list_replaces_the_bundled_one(tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text(
        "models:\n  equivalents:\n"
        "    - {model: gpt-4o, to: [gpt-4.1, gpt-5.1], note: platform team review 2026-11}\n",
        encoding="utf-8",
    )
    found = findings(scan("--usage", USAGE, "--config", str(config)))
    assert set(found) == {"chat-4o"}  # o3-mini -> o4-mini is no longer listed
    chat = found["chat-4o"]
    assert (
        "cheaper per token: gpt-4.1 (gpt-4o (2.5 input, 1.25 cached input, 10 output $/1M)" in chat["message"]
    )
    assert "gpt-5.1 not priced for GlobalStandard" in chat["message"]
    # 40M x 2.50 + 10M x 10.00 = 200.00 now; 40M x 2.00 + 10M x 8.00 = 160.00 on gpt-4.1.
    assert chat["cost"]["monthly_usd"] == 40.0
    assert chat["cost"]["confidence"] == "estimate"


def test_without_usage_the_saving_is_unknown() -> None:
    reasoning = findings(scan())["reasoning"]
    assert reasoning["cost"]["monthly_usd"] is None
    assert reasoning["cost"]["confidence"] == "unknown"


def test_a_malformed_list_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text("models:\n  equivalents:\n    - {model: gpt-4o, too: [gpt-4.1]}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", TEMPLATE, "--config", str(config)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {config}: line 3: $.models.equivalents[0]")
    assert len(result.stderr.strip().splitlines()) == 1


def test_batch_shaped_usage_is_priced_on_the_batch_type(tmp_path: Path) -> None:
    usage = tmp_path / "usage.yaml"
    usage.write_text(
        "usage:\n"
        "  - {match: '*chat-4o', monthly_input_tokens: 40000000, monthly_output_tokens: 10000000,\n"
        "     batch: true}\n"
        "  - {match: '*chat-mini', monthly_input_tokens: 100000000, monthly_output_tokens: 20000000}\n",
        encoding="utf-8",
    )
    command = ["scan", TEMPLATE, "--check", "AIGOV-OPT-002", "--format", "json", "--usage", str(usage)]
    result = CliRunner().invoke(main, [*command, "--fail-on", "info"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    found = findings(result)
    assert set(found) == {"chat-4o"}  # chat-mini's usage does not say batch; reasoning has no usage
    batch = found["chat-4o"]
    assert f"for traffic its usage marks as batch ({usage.name}:2 '*chat-4o')" in batch["message"]
    # GlobalStandard 40M x 2.50 + 10M x 10.00 = 200.00; GlobalBatch 40M x 1.25 + 10M x 5.00 = 100.00.
    assert batch["cost"]["monthly_usd"] == 100.0
    assert "GlobalBatch" in batch["cost"]["basis"]
