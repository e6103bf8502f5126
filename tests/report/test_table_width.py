"""The table follows the terminal width (COLUMNS, the real width, else 80) and has a compact form."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.cells import cell_len

from aigov.cli.common import DEFAULT_WIDTH, terminal_width
from aigov.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "fixtures" / "terraform_plan" / "example.json"
CONFIG = ROOT / "fixtures" / "terraform_plan" / "example.aigov.yaml"
BICEP = ROOT / "fixtures" / "bicep" / "openai-rag" / "main.bicep"
INPUTS = {
    "plan": [str(PLAN), "--config", str(CONFIG)],
    "bicep": [str(BICEP)],
    "compare": [str(PLAN), "--config", str(CONFIG), "--compare-to", str(PLAN)],
}


def scan(columns: int | None, *args: str) -> Result:
    env = {"COLUMNS": str(columns)} if columns is not None else {"COLUMNS": ""}
    return CliRunner(env=env).invoke(main, ["scan", *args], catch_exceptions=False)


@pytest.mark.parametrize("columns", [80, 200])
@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("name", sorted(INPUTS))
def test_no_line_is_wider_than_the_width(tmp_path: Path, name: str, columns: int, compact: bool) -> None:
    args = list(INPUTS[name])
    if name == "compare":
        base = tmp_path / "base.json"
        base.write_text(scan(None, *args[:3], "--format", "json").stdout)
        args[-1] = str(base)
    result = scan(columns, *args, *(["--compact"] if compact else []))
    assert result.exit_code == 1, result.output
    widths = [cell_len(line) for line in result.stdout.splitlines()]
    assert max(widths) <= columns
    if columns == 200 and not compact:
        assert max(widths) > 120  # the width is used, not the old fixed 120


def test_compact_is_one_line_per_finding_then_the_totals() -> None:
    report = json.loads(scan(None, *INPUTS["plan"], "--format", "json").stdout)
    result = scan(100, *INPUTS["plan"], "--compact")
    lines = result.stdout.splitlines()
    findings = lines[: lines.index("")]
    assert len(findings) == len(report["findings"])
    assert all(line.split()[0] in {"critical", "high", "medium", "low", "info", "?"} for line in findings)
    assert any(line.endswith("…") for line in findings)  # long messages are cut, not wrapped
    rest = "\n".join(lines[len(findings) :])
    assert "Cost basis" not in result.stdout
    assert "Monthly spend in violation:" in rest
    assert "Gate: fails on low or above" in rest


def test_the_width_is_80_when_unknown_and_columns_wins() -> None:
    not_a_terminal = io.StringIO()
    assert terminal_width({}, not_a_terminal) == DEFAULT_WIDTH == 80
    assert terminal_width({}, None) == 80
    assert terminal_width({"COLUMNS": "132"}, not_a_terminal) == 132
    assert terminal_width({"COLUMNS": "wide"}, None) == 80
    assert terminal_width({"COLUMNS": "10"}, None) == 40  # narrower is unreadable
    default = scan(None, *INPUTS["plan"])
    assert max(cell_len(line) for line in default.stdout.splitlines()) <= 80
