"""The human report: a table of findings, each cost's basis, and the totals.

Layout, top to bottom:

1. one row per finding (severity, whether it fails the gate, rule, resource,
   monthly cost, message), most severe and most expensive first;
2. "Cost basis": for each row, the formula behind its figure, every price it
   used (meter, unit price, region, source, date) and the remediation;
3. totals: resources evaluated, findings by outcome and severity, the monthly
   cost at risk (each billed resource counted once), findings whose cost is
   unknown, the gate policy, the price catalogue and its date;
4. warnings, such as a stale catalogue.

A scan without findings prints one line instead of the table. Rendering goes
through rich into a string so that the output is the same on a terminal, in
a CI log and in a golden file.
"""

from __future__ import annotations

from io import StringIO
from typing import ClassVar

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from aigov.model import Confidence, Finding, Outcome, ScanResult, Severity
from aigov.report.base import (
    DEFAULT_OPTIONS,
    Reporter,
    ReportOptions,
    count_by_outcome,
    count_by_severity,
    format_cost,
    format_number,
    format_usd,
    ordered_findings,
    plural,
)

_SEVERITY_STYLE: dict[Severity, str] = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_UNDETERMINED_MARK = "?"
_ESTIMATE_NOTE = (
    "~ marks an estimate; ≥ a lower bound (usage-priced parts not included); "
    "unknown means usage decides the figure."
)


class TableReporter(Reporter):
    """Findings as a table, with each figure's basis and the totals, for people."""

    name: ClassVar[str] = "table"
    description: ClassVar[str] = "human-readable table with each finding's monthly cost, its basis and totals"

    def render(self, result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> str:
        buffer = StringIO()
        console = Console(
            file=buffer,
            width=options.width,
            color_system="standard" if options.color else None,
            force_terminal=options.color,
            no_color=not options.color,
            highlight=False,
            emoji=False,
            markup=False,
            legacy_windows=False,
        )
        for renderable in self._renderables(result, options):
            console.print(renderable)
        # rich pads table cells to the column width; trailing blanks are noise
        # in a CI log and a trap in a golden file.
        lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
        return "\n".join(lines) + "\n"

    def _renderables(self, result: ScanResult, options: ReportOptions) -> list[RenderableType]:
        if not result.findings:
            parts: list[RenderableType] = [
                Text(
                    f"No violations in {plural(len(result.resources), 'resource')} "
                    f"(prices: {result.catalog.name} catalogue as of {result.catalog.as_of.isoformat()}).",
                    style="green",
                )
            ]
            parts.extend(_warnings(result))
            return parts
        findings = ordered_findings(result.findings)
        parts = [
            _findings_table(findings, options),
            Text(_ESTIMATE_NOTE, style="dim"),
            Text(""),
            Text("Cost basis", style="bold"),
            _basis_grid(findings),
            Text(""),
            _totals(result, findings, options),
        ]
        warnings = _warnings(result)
        if warnings:
            parts.append(Text(""))
            parts.extend(warnings)
        return parts


def _findings_table(findings: list[Finding], options: ReportOptions) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True, header_style="bold"
    )
    # The short columns never wrap; the last one takes the rest of the line.
    # Resource and message share it (address on the first line, message
    # below) so that a long IaC address is not folded mid-word, which it would
    # be in a column of its own at 80 or 120 columns. Folding rather than
    # cropping everywhere: a cropped amount would read as a different amount.
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("gate", no_wrap=True)
    table.add_column("rule", overflow="fold")
    table.add_column("cost/month", justify="right", overflow="fold")
    table.add_column("resource / message", overflow="fold", ratio=1)
    for number, finding in enumerate(findings, start=1):
        style = _SEVERITY_STYLE[finding.severity]
        undetermined = finding.outcome is Outcome.UNDETERMINED
        severity = f"{_UNDETERMINED_MARK} {finding.severity}" if undetermined else str(finding.severity)
        fails = options.fails_gate(finding)
        table.add_row(
            Text(str(number)),
            Text(severity, style=style),
            Text("fail" if fails else "warn", style="bold red" if fails else "dim"),
            Text(finding.rule_id),
            Text(
                format_cost(finding.cost.monthly_usd, finding.cost.confidence, partial=finding.cost.partial)
            ),
            _resource_and_message(finding),
        )
    return table


def _resource_and_message(finding: Finding) -> Text:
    text = Text(finding.resource.address, style="bold")
    text.append("\n")
    if finding.outcome is Outcome.UNDETERMINED:
        if finding.unknown_fields:
            why = f"{', '.join(finding.unknown_fields)} known after apply"
            text.append(f"undetermined: {why}. ", style="bold")
        else:
            text.append("undetermined. ", style="bold")
    text.append(finding.message)
    return text


def _basis_grid(findings: list[Finding]) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for number, finding in enumerate(findings, start=1):
        cost = finding.cost
        figure = format_cost(cost.monthly_usd, cost.confidence, partial=cost.partial)
        grid.add_row(
            Text(f"[{number}]"),
            Text(finding.rule_id),
            Text(f"{finding.title} ({finding.resource.address})", style="bold"),
        )
        label = figure if cost.monthly_usd is None else f"{figure} {cost.confidence}"
        grid.add_row(Text(""), Text("cost"), Text(f"{label}: {cost.basis}"))
        for price in cost.prices:
            grid.add_row(
                Text(""),
                Text("price"),
                Text(
                    f"{price.meter}: {format_number(price.unit_price)} {price.currency} per {price.unit}, "
                    f"{price.region} ({price.source}, as of {price.as_of.isoformat()})"
                ),
            )
        if finding.remediation:
            grid.add_row(Text(""), Text("fix"), Text(finding.remediation))
    return grid


def _totals(result: ScanResult, findings: list[Finding], options: ReportOptions) -> Group:
    outcomes = count_by_outcome(findings)
    by_severity = ", ".join(f"{severity} {n}" for severity, n in count_by_severity(findings).items() if n)
    lines = [
        Text(
            f"{plural(len(result.resources), 'resource')} evaluated; "
            f"{plural(len(findings), 'finding')}: "
            f"{plural(outcomes[Outcome.VIOLATION], 'violation')}, "
            f"{outcomes[Outcome.UNDETERMINED]} undetermined ({by_severity})"
        ),
        _at_risk_line(result),
        Text(_gate_line(findings, options)),
        Text(
            f"Price catalogue: {result.catalog.name}, as of {result.catalog.as_of.isoformat()} "
            f"({result.catalog.currency}, default region {result.catalog.default_region})"
        ),
    ]
    return Group(*lines)


def _at_risk_line(result: ScanResult) -> Text:
    line = Text("Monthly cost at risk: ")
    line.append(format_usd(result.monthly_cost_at_risk_usd), style="bold")
    notes = ["each resource counted once"]
    if any(
        f.cost.confidence is Confidence.ESTIMATE and f.cost.monthly_usd is not None for f in result.findings
    ):
        notes.append("some figures are estimates")
    unknown = result.unknown_cost_findings
    if unknown:
        notes.append(f"{plural(unknown, 'finding')} with unknown cost not included")
    line.append(f" ({'; '.join(notes)})")
    return line


def _gate_line(findings: list[Finding], options: ReportOptions) -> str:
    if options.fail_on is None:
        return "Gate: findings never fail (--fail-on never)"
    failing = sum(1 for f in findings if options.fails_gate(f))
    unknown_policy = "fail" if options.on_unknown == "fail" else "only warn"
    return (
        f"Gate: fails on {options.fail_on} or above, undetermined findings {unknown_policy}: "
        f"{plural(failing, 'finding')} {'fails' if failing == 1 else 'fail'} the gate"
    )


def _warnings(result: ScanResult) -> list[RenderableType]:
    return [Text(f"warning: {warning}", style="yellow") for warning in result.warnings]
