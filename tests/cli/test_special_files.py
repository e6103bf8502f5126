"""A FIFO, a device or a directory given as any input is exit 2 in one line, at once."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from aigov.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
PLAN = str(ROOT / "fixtures" / "terraform_plan" / "example.json")
ARM = str(ROOT / "fixtures" / "arm" / "nested.json")
HCL = str(ROOT / "fixtures" / "terraform_hcl" / "basic")

# How each input position is given; SPECIAL stands for the special file.
SPECIAL = "{special}"
POSITIONS: dict[str, list[str]] = {
    "input": ["scan", SPECIAL],
    "config": ["scan", PLAN, "--config", SPECIAL],
    "usage": ["scan", PLAN, "--usage", SPECIAL],
    "catalog": ["scan", PLAN, "--catalog", SPECIAL],
    "baseline": ["scan", PLAN, "--baseline", SPECIAL],
    "compare-to": ["scan", PLAN, "--compare-to", SPECIAL],
    "parameters": ["scan", ARM, "--parameters", SPECIAL],
    "var-file": ["scan", HCL, "--var-file", SPECIAL],
    "estimate-input": ["estimate", SPECIAL],
    "estimate-usage": ["estimate", PLAN, "--usage", SPECIAL],
    "estimate-compare-to": ["estimate", PLAN, "--compare-to", SPECIAL],
    "rules-config": ["rules", "list", "--config", SPECIAL],
}


def _fifo(tmp_path: Path) -> str:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return str(path)


def _directory(tmp_path: Path) -> str:
    (tmp_path / "dir").mkdir()
    return str(tmp_path / "dir")


SPECIALS: dict[str, Callable[[Path], str]] = {
    "fifo": _fifo,
    "dev-zero": lambda _: "/dev/zero",
    "directory": _directory,
}


CASES = [
    (position, special)
    for position in sorted(POSITIONS)
    for special in sorted(SPECIALS)
    # A directory is a Terraform configuration where an input is expected.
    if not (special == "directory" and position in {"input", "estimate-input"})
]


@pytest.mark.parametrize(("position", "special"), CASES)
def test_special_file_is_one_error_line(tmp_path: Path, position: str, special: str) -> None:
    target = SPECIALS[special](tmp_path)
    args = [target if a == SPECIAL else a for a in POSITIONS[position]]
    started = time.monotonic()
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert time.monotonic() - started < 5
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {target}: is a"), lines[0]
    assert "not a regular file" in lines[0]


def test_a_rule_file_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "AIGOV-X-001.yaml")
    result = CliRunner().invoke(main, ["scan", PLAN, "--policies", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {tmp_path / 'AIGOV-X-001.yaml'}: is a FIFO (named pipe), not a regular file"
    )


def test_endless_standard_input_stops_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("aigov.sources.base.INPUT_LIMIT", 1024)
    result = CliRunner().invoke(main, ["scan", "-"], input=b"{" + b" " * 4096, catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: <stdin>: input is larger than 1024 bytes; not read"
