"""Shared helpers for the pipeline tests: the example plan with its Terraform code, and running the CLI."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from aigov.cli.main import main
from aigov.config import load_config
from aigov.model import ScanResult
from aigov.scan import ScanOptions, run_scan

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "fixtures" / "pipeline"
PLAN = PIPELINE / "plan.json"
CONFIG = PIPELINE / "aigov.yaml"
REPO = PIPELINE / "repo"


NOW = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)


def scan_example(
    config: Path = CONFIG, *, now: datetime = NOW, options: ScanOptions | None = None
) -> ScanResult:
    """The example plan scanned in-process at a fixed ``now``."""
    return run_scan([str(PLAN)], load_config(config), now=now, options=options)


def today() -> str:
    """The CLI's ``now`` is the UTC clock; waiver dates in CLI tests are relative to it."""
    return datetime.now(UTC).date().isoformat()


def run(*args: object) -> Result:
    return CliRunner().invoke(main, ["scan", *(str(a) for a in args)], catch_exceptions=False)


def run_json(*args: object) -> tuple[Result, dict[str, Any]]:
    result = run(*args, "--format", "json")
    document: dict[str, Any] = json.loads(result.stdout)
    return result, document


def one_error_line(result: Result) -> str:
    """Failed closed: exit 2, nothing on stdout, exactly one line on stderr, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A writable copy of the example's Terraform code."""
    target = tmp_path / "repo"
    shutil.copytree(REPO, target)
    return target


def config_with(tmp_path: Path, extra: str) -> Path:
    """The example configuration with ``extra`` YAML appended."""
    path = tmp_path / "aigov.yaml"
    path.write_text(CONFIG.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path
