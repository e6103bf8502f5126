"""The human table: golden outputs plus the properties a reader relies on."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from aigov.model import Confidence, CostImpact, CostLine, Outcome, ScanResult, Severity
from aigov.report import ReportOptions, TableReporter
from aigov.report.base import format_usd

GoldenCheck = Callable[[str, str], None]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _rows(output: str) -> list[dict[str, str]]:
    """The first line of each table row: number, severity (with ? if undetermined), gate, rule, cost."""
    rows = []
    for line in output.splitlines():
        if not re.match(r"^\d+\s+(\? )?[a-z]+\s+(fail|warn)\s", line):
            continue
        cells = line.split()
        undetermined = cells[1] == "?"
        if undetermined:
            cells = [cells[0], f"? {cells[2]}", *cells[3:]]
        rows.append(dict(zip(("number", "severity", "gate", "rule", "cost"), cells, strict=False)))
    return rows


def _flat(output: str) -> str:
    """The output with every run of whitespace made one space, so phrases can be found across wraps."""
    return " ".join(output.split())


def test_mixed_scan_matches_golden(mixed: ScanResult, golden: GoldenCheck) -> None:
    golden("report/mixed.table.txt", TableReporter().render(mixed, ReportOptions()))


def test_narrow_never_failing_scan_matches_golden(mixed: ScanResult, golden: GoldenCheck) -> None:
    output = TableReporter().render(mixed, ReportOptions(width=80, fail_on=None))
    golden("report/mixed-80-never.table.txt", output)


def test_clean_scan_is_one_line(clean: ScanResult, golden: GoldenCheck) -> None:
    output = TableReporter().render(clean, ReportOptions())
    golden("report/clean.table.txt", output)
    assert output.count("\n") == 1
    assert output.startswith("No violations in 3 resources")


def test_clean_scan_still_shows_warnings(clean: ScanResult) -> None:
    stale = dataclasses.replace(clean, warnings=("price catalogue is 200 days old",))
    lines = TableReporter().render(stale).splitlines()
    assert lines[1:] == ["warning: price catalogue is 200 days old"]


def test_rows_are_ordered_by_severity_then_cost_then_rule(mixed: ScanResult) -> None:
    assert [row["rule"] for row in _rows(TableReporter().render(mixed))] == [
        # high: 43,800 before the unknown cost; medium: 45,041 before 245.28; then low, info
        "AIGOV-SKU-001",
        "AIGOV-SKU-002",
        "AIGOV-TAG-001",
        "AIGOV-SKU-010",
        "AIGOV-MODEL-001",
        "AIGOV-IDLE-001",
    ]


def test_costs_show_exact_estimate_and_unknown(mixed: ScanResult) -> None:
    output = TableReporter().render(mixed)
    assert "$43,800.00" in output
    assert "~$245.28" in output  # region fallback is an estimate
    assert "$45,041.00" in output  # the account roll-up, as the finding states it
    assert "unknown" in output


def test_undetermined_finding_is_marked_and_says_why(mixed: ScanResult) -> None:
    output = TableReporter().render(mixed)
    row = next(row for row in _rows(output) if row["rule"] == "AIGOV-SKU-002")
    assert row["severity"] == "? high"
    assert "undetermined: sku.capacity known after apply." in _flat(output)


def test_total_counts_each_resource_once(mixed: ScanResult) -> None:
    output = _flat(TableReporter().render(mixed))
    # PTU deployment 43,800 + fine-tune 1,241 + search 245.28: the account's
    # roll-up and the notice repeat two of them and must not be added again.
    spend = (
        "Monthly spend in violation: $45,286.28 (exact $45,041.00, estimated $245.28; each resource counted"
    )
    assert spend in output
    assert "Possible monthly savings: $0.00 (no finding is a difference to an allowed alternative)" in output
    assert "2 findings with unknown cost not included" in output
    assert "9 resources evaluated; 6 findings: 5 violations, 1 undetermined" in output


def test_basis_traces_every_price(mixed: ScanResult) -> None:
    output = _flat(TableReporter().render(mixed))
    assert (
        "Provisioned Managed Regional Unit: 2.00 USD per 1 Hour, eastus "
        "(Azure Retail Prices API, https://prices.azure.com/api/retail/prices; "
        "effective 2026-09-30, read 2026-09-30; check: https://prices.azure.com/api/retail/prices)" in output
    )
    assert "Price catalogue: bundled, as of 2026-09-30 (USD, default region eastus)" in output


def test_gate_column_follows_threshold_and_unknown_policy(mixed: ScanResult) -> None:
    options = ReportOptions(fail_on=Severity.HIGH, on_unknown="warn")
    output = TableReporter().render(mixed, options)
    gates = {row["rule"]: row["gate"] for row in _rows(output)}
    assert gates["AIGOV-SKU-001"] == "fail"
    assert gates["AIGOV-SKU-002"] == "warn"  # undetermined, on_unknown=warn
    assert gates["AIGOV-TAG-001"] == "warn"  # below the threshold
    assert "Gate: fails on high or above, undetermined findings only warn: 1 finding fails the gate" in _flat(
        output
    )


def test_user_text_is_not_rich_markup(mixed: ScanResult) -> None:
    finding = dataclasses.replace(mixed.findings[0], message="[bold]not markup[/bold] :smile:")
    result = dataclasses.replace(mixed, findings=(finding,))
    assert "[bold]not markup[/bold] :smile:" in _flat(TableReporter().render(result))


def test_plain_output_has_no_escape_codes_and_no_trailing_blanks(mixed: ScanResult) -> None:
    output = TableReporter().render(mixed)
    assert "\x1b" not in output
    assert all(line == line.rstrip() for line in output.splitlines())
    assert output.endswith("\n")


def test_color_output_differs_only_by_escape_codes(mixed: ScanResult) -> None:
    colored = TableReporter().render(mixed, ReportOptions(color=True))
    assert "\x1b[" in colored
    plain = "\n".join(line.rstrip() for line in ANSI.sub("", colored).splitlines()) + "\n"
    assert plain == TableReporter().render(mixed)


def test_undetermined_without_named_fields_still_says_so(mixed: ScanResult) -> None:
    finding = dataclasses.replace(mixed.findings[0], outcome=Outcome.UNDETERMINED, unknown_fields=())
    result = dataclasses.replace(mixed, findings=(finding,))
    assert "undetermined. ptu uses deployment type" in _flat(TableReporter().render(result))


def test_no_warnings_and_no_remediation_leave_no_empty_sections(mixed: ScanResult) -> None:
    finding = dataclasses.replace(mixed.findings[0], remediation="")
    result = dataclasses.replace(mixed, findings=(finding,), warnings=())
    output = TableReporter().render(result)
    assert " fix " not in output
    assert "warning:" not in output
    assert output.endswith("(USD, default region eastus)\n")


def test_a_partly_usage_priced_cost_is_shown_as_a_lower_bound(mixed: ScanResult) -> None:
    finding = mixed.findings[0]
    usage_line = CostLine("chat", None, "chat: pay-per-token; no usage known", Confidence.UNKNOWN)
    cost = CostImpact.from_lines((*finding.cost.lines, usage_line))
    result = dataclasses.replace(mixed, findings=(dataclasses.replace(finding, cost=cost),))
    output = TableReporter().render(result)
    figure = f"≥{format_usd(finding.cost.monthly_usd or 0.0)}"
    assert _rows(output)[0]["cost"] == figure
    assert f"{figure} exact:" in _flat(output)


def test_each_price_is_listed_once_and_referenced_by_every_finding_using_it(mixed: ScanResult) -> None:
    output = TableReporter().render(mixed)
    meter = "Provisioned Managed Regional Unit: 2.00 USD per 1 Hour, eastus"
    users = [
        f
        for f in mixed.findings
        if any(p.meter == "Provisioned Managed Regional Unit" for p in f.cost.prices)
    ]
    assert len(users) >= 2
    assert _flat(output).count(meter) == 1
    number = next(line for line in output.splitlines() if meter in line).split()[0]
    assert re.fullmatch(r"P\d+", number)
    references = [re.findall(r"P\d+", line) for line in output.splitlines() if line.split()[:1] == ["prices"]]
    assert sum(number in refs for refs in references) == len(users)


def test_a_rules_fix_is_printed_once_and_referred_to(mixed: ScanResult) -> None:
    first = mixed.findings[0]
    twice = dataclasses.replace(
        mixed, findings=(first, dataclasses.replace(first, resource=mixed.findings[1].resource))
    )
    output = TableReporter().render(twice)
    assert _flat(output).count(first.remediation) == 1
    assert re.search(r"fix\s+as \[1\]", output)
