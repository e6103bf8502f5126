"""The fixed-width layout of the human report's tables is rich's layout, line for line."""

from __future__ import annotations

import dataclasses
from io import StringIO

import pytest
from rich._wrap import divide_line
from rich.console import Console
from rich.table import Table

from aigov.model import Finding, ScanResult
from aigov.report import ReportOptions
from aigov.report.base import ordered_findings
from aigov.report.fixed_width import Column, _ascii_breaks, layout, table_lines
from aigov.report.table import _basis_grid, _findings_table

MESSAGES = (
    "short",
    "a message with  two spaces and a very-long-hyphenated-word-that-must-be-folded-somewhere-in-the-middle",
    "≥ − ~ unicode symbols of one cell, and 漢字 of two cells each, wrapped around the edge of the column",
    "line one\nline two, after a newline, long enough to wrap at the narrower widths of this test",
    "x" * 300,
    "",
)
WIDTHS = (30, 50, 80, 97, 120, 200)


def _rich_lines(table: Table, width: int) -> list[str]:
    buffer = StringIO()
    console = Console(
        file=buffer, width=width, color_system=None, no_color=True, highlight=False, emoji=False
    )
    console.print(table)
    return [line.rstrip() for line in buffer.getvalue().splitlines()]


def _variants(mixed: ScanResult) -> list[list[Finding]]:
    findings = ordered_findings(mixed.findings)
    variants = [findings]
    for message in MESSAGES:
        variants.append(
            [dataclasses.replace(f, message=message, remediation=message or None) for f in findings]
        )
    return variants


@pytest.mark.parametrize("width", WIDTHS)
def test_both_report_tables_match_rich_or_are_left_to_rich(mixed: ScanResult, width: int) -> None:
    laid_out = 0
    for findings in _variants(mixed):
        for table in (_findings_table(findings, ReportOptions(width=width)), _basis_grid(findings)):
            lines = table_lines(table, width)
            if lines is not None:
                laid_out += 1
                assert lines == _rich_lines(table, width)
    if width >= 80:
        assert laid_out == 2 * len(_variants(mixed))  # at report widths every table is laid out here


def test_a_table_whose_other_columns_rich_would_narrow_is_left_to_rich() -> None:
    columns = [Column("name"), Column("text")]
    rows = [["a" * 40, "b" * 41]]
    assert layout(columns, rows, 60, header=True, divider=" ") is None
    assert layout(columns, rows, 200, header=True, divider=" ") == [
        "name" + " " * 38 + "text",
        "─" * 83,
        "a" * 40 + "  " + "b" * 41,
    ]


def test_tabs_and_control_codes_are_left_to_rich() -> None:
    assert layout([Column("x")], [["a\tb"]], 80, header=False, divider="") is None
    assert layout([Column("x")], [["a\x1b[31mb"]], 80, header=False, divider="") is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "word",
        "  leading blanks then words that wrap around the edge",
        "trailing blanks   ",
        "a" * 95 + " b",
        "two  spaces   three    four     five" * 3,
        "x" * 33 + " " + "y" * 64 + "   " + "z" * 5,
    ],
)
@pytest.mark.parametrize("width", [1, 2, 7, 16, 32, 33])
def test_ascii_line_breaks_are_richs(text: str, width: int) -> None:
    assert _ascii_breaks(text, width) == divide_line(text, width, fold=True)
