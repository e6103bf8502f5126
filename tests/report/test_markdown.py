"""The Markdown pull-request comment: totals first, escaped user text, bounded size."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest

from aigov.model import ScanResult, Severity
from aigov.report import MarkdownReporter, ReportOptions
from aigov.report.markdown import MARKER, MAX_CHARS, escape

GoldenCheck = Callable[[str, str], None]
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _render(result: ScanResult, options: ReportOptions | None = None) -> str:
    return MarkdownReporter().render(result, options or ReportOptions())


def _table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| # ")]


@pytest.mark.parametrize("scenario", ["mixed", "clean", "pipeline", "live"])
def test_matches_golden(scenario: str, request: pytest.FixtureRequest, golden: GoldenCheck) -> None:
    result: ScanResult = request.getfixturevalue(scenario)
    golden(f"report/{scenario}.md", _render(result))


def test_marker_first_then_totals_then_table_then_details(mixed: ScanResult) -> None:
    text = _render(mixed)
    assert text.startswith(
        f"{MARKER}\n**The Azure AI resources of this change cost \\$49,009.28 per month "
        "(exact \\$48,764.00, estimated \\$245.28; 2 resources of unknown cost not included); "
        "\\$45,286.28 of it in violation.**\n\n"
        "### aigov: 5 findings fail the gate\n"
    )
    at_risk = text.index(r"**Monthly spend in violation: \$45,286.28**")
    table = text.index("| # | severity | gate | rule | resource | cost/month | message |")
    details = text.index("<details>")
    assert at_risk < table < details
    assert text.index("</details>") > details
    rows = _table_rows(text)
    assert len(rows) == len(mixed.findings)
    assert rows[0] == (
        r"| 1 | high | **fail** | AIGOV-SKU-001 | azurerm\_cognitive\_deployment.reports\[\"ptu\"\] | "
        r"\$43,800.00 | ptu uses deployment type ProvisionedManaged; allowed: Standard, GlobalStandard |"
    ).replace('\\"', '"')


def test_baseline_and_waivers_are_counted_in_the_totals(pipeline: ScanResult) -> None:
    text = _render(pipeline)
    assert "\n\n### aigov: 3 new findings fail the gate\n" in text
    assert (
        r"- **Gate:** fails on low or above, undetermined findings fail: 3 findings fail (\$44,045.28/month)"
        in text
    )
    assert r"- **Baseline:** 4 new (\$45,286.28/month), 2 existing (\$45,041.00/month)" in text
    assert (
        "- **Suppressed:** 1 waived, 1 suppressed inline, 1 expired waiver (reported as findings again)"
        in text
    )
    gates = {row.split(" | ")[3]: row.split(" | ")[2] for row in _table_rows(text)}
    assert gates == {
        "AIGOV-SKU-001": "**fail**, new",
        "AIGOV-SKU-002": "existing",
        "AIGOV-TAG-001": "waived",
        "AIGOV-SKU-010": "**fail**, new",
        "AIGOV-MODEL-001": "**fail**, new, waiver expired",
        "AIGOV-IDLE-001": "suppressed",
    }
    assert "- waived (owner platform-team, expires 2026-12-31, aigov.yaml:14): cost-center" in text


def test_clean_scan(clean: ScanResult) -> None:
    text = _render(clean)
    assert text.startswith(
        f"{MARKER}\n**The Azure AI resources of this change cost \\$3,723.00 per month (exact \\$3,723.00); "
        "\\$0.00 of it in violation.**\n\n### aigov: no findings\n"
    )
    assert "<details>" not in text
    assert "No violations in 3 resources evaluated." in text


def test_gate_never_and_nothing_failing_headlines(mixed: ScanResult) -> None:
    assert "### aigov: 6 findings (the gate never fails)" in _render(mixed, ReportOptions(fail_on=None))
    only_critical = ReportOptions(fail_on=Severity.CRITICAL)
    assert "### aigov: 6 findings, none fails the gate" in _render(mixed, only_critical)


def test_hostile_text_cannot_break_the_table_or_inject_markup(hostile: ScanResult) -> None:
    text = _render(hostile)
    assert "<script>" not in text
    assert r"\<script\>alert(1)\</script\>" in text
    assert "\r" not in text
    for row in _table_rows(text):
        assert len(UNESCAPED_PIPE.findall(row)) == 8  # 7 cells: no user | splits one
    assert r"\$1 \@team \#12 \[x\](1) \&amp;" in text
    assert r"\`code\` \*bold\*" in text
    # Only our own markup survives: the marker and the details tags.
    assert re.findall(r"(?<!\\)<[a-z!/][^>]*>", text) == [
        MARKER,
        "<details>",
        "<summary>",
        "</summary>",
        "</details>",
    ]


def test_escape_is_one_line_and_reversible_by_markdown() -> None:
    assert escape("a|b\nc\r\nd") == r"a\|b c d"
    assert escape("\\") == "\\\\"


def test_size_is_bounded_and_says_what_was_left_out(mixed: ScanResult) -> None:
    finding = mixed.findings[0]
    many = tuple(
        dataclasses.replace(
            finding,
            resource=dataclasses.replace(finding.resource, key=f"azurerm_cognitive_deployment.d{i}"),
            message=f"deployment {i} " + "x" * 400,
        )
        for i in range(2_000)
    )
    text = _render(dataclasses.replace(mixed, findings=many))
    assert len(text) <= MAX_CHARS
    shown = len(_table_rows(text))
    assert 0 < shown < 2_000
    assert f"_{2_000 - shown} findings left out of this table to stay within GitHub's comment size" in text
    assert "\n\n### aigov: 2000 findings fail the gate\n" in text  # totals count them all
    # Details go first: fewer findings have details than have rows, and the section says so.
    assert "more findings left out._" in text
    assert text.endswith(
        "(USD, default region eastus).\n"
        "- **Warning:** price catalogue bundled is 1 day old; nothing to refresh\n"
    )


def test_long_messages_are_cut_in_the_table_only(mixed: ScanResult) -> None:
    finding = dataclasses.replace(mixed.findings[0], message="m" * 1_000)
    text = _render(dataclasses.replace(mixed, findings=(finding,)))
    row = _table_rows(text)[0]
    assert row.endswith("m" * 299 + "… |")
    assert "m" * 1_000 not in row
    assert f"- message: {'m' * 1_000}" in text  # the details section has it whole
