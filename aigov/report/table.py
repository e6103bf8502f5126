"""The human report: a table of findings, each cost's basis, and the totals.

Layout, top to bottom:

1. one row per finding (severity, whether it fails the gate, rule, resource,
   monthly cost, message), most severe and most expensive first;
2. "Cost basis": for each row, the formula behind its figure, every price it
   used (meter, unit price, region, source, date) and the remediation;
3. totals: resources evaluated, findings by outcome and severity, the monthly
   cost at risk (each billed resource counted once), findings whose cost is
   unknown, the gate policy, the price catalogue and its date;
4. with ``--compare-to``, "Cost change": the monthly cost at risk before and
   after, and the findings added and removed with their cost;
5. warnings, such as a stale catalogue.

``--compact`` (pre-commit hooks, CI logs) prints one line per finding
(severity, gate, rule, cost, resource and message, cut with ``…`` at the
width), then the totals and the cost change in one line; no cost basis. No
line is wider than :attr:`ReportOptions.width` (the CLI takes it from the
terminal, see :func:`aigov.cli.common.terminal_width`).

Waived findings say so in the gate column (``waived``) and under their
message (reason, owner, expiry, where declared); an expired waiver says when
it expired. With ``--baseline`` a ``baseline`` column marks each finding
``new`` or ``existing`` and the totals count them.

A scan without findings prints one line instead of the table. Rendering goes
through rich into a string so that the output is the same on a terminal, in
a CI log and in a golden file. Without colour, and for reports of more than
500 findings, the two tables are laid out by :mod:`aigov.report.fixed_width`
(the same text, without rich's per-cell measuring), so a report of 20,000
findings takes seconds; such a long report is then printed without colour.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import ClassVar, TextIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from aigov.model import BaselineState, CostChange, Finding, Outcome, Price, ScanResult, Severity
from aigov.report.base import (
    DEFAULT_OPTIONS,
    Reporter,
    ReportOptions,
    budget_text,
    count_by_outcome,
    count_by_severity,
    format_cost,
    format_usd,
    input_cost_text,
    money_line,
    ordered_findings,
    over_budget_note,
    plural,
    price_text,
    savings_text,
    spend_text,
)
from aigov.report.fixed_width import table_lines
from aigov.report.showback_view import HEADERS, MAX_GROUPS, cells, dimensions, inheritance_note
from aigov.report.standing import undetermined_prefix

_SEVERITY_STYLE: dict[Severity, str] = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_UNDETERMINED_MARK = "?"
_LARGE_REPORT = 500  # findings beyond which a terminal gets the tables without colour, in linear time
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
        self.write(result, options, buffer)
        return buffer.getvalue()

    def write(self, result: ScanResult, options: ReportOptions, out: TextIO) -> None:
        """Write the report line by line: a report of 20,000 findings is never one string in memory."""
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
        # Without colour (a file, a CI log) or for a long report, the tables are
        # laid out without rich's per-cell measuring: the same text, linear time.
        plain = not options.color or len(result.findings) > _LARGE_REPORT
        for renderable in self._renderables(result, options):
            lines = (
                table_lines(renderable, options.width) if plain and isinstance(renderable, Table) else None
            )
            if lines is None:
                console.print(renderable)
                lines = buffer.getvalue().splitlines()
                buffer.seek(0)
                buffer.truncate()
            # rich pads table cells to the column width; trailing blanks are noise
            # in a CI log and a trap in a golden file.
            for line in lines:
                out.write(line.rstrip() + "\n")

    def _renderables(self, result: ScanResult, options: ReportOptions) -> Iterator[RenderableType]:
        """The report's parts in order, each made when it is written: one large table alive at a time."""
        if not result.findings:
            parts: list[RenderableType] = [
                Text(
                    f"No violations in {plural(len(result.resources), 'resource')}; "
                    f"AI cost {format_usd(result.cost.monthly_usd)}/month{_unknown_note(result)} "
                    f"(prices: {result.catalog.label}).",
                    style="green",
                ),
            ]
            if result.cost_change is not None:
                parts.extend([Text(""), _cost_change(result.cost_change)])
            parts.extend(_budgets(result))
            parts.extend(_showback(result))
            parts.extend(_warnings(result))
            yield from parts
            return
        findings = ordered_findings(result.findings)
        if options.compact:
            yield from _compact(result, findings, options)
            return
        yield _findings_table(findings, options)
        yield from (Text(_ESTIMATE_NOTE, style="dim"), Text(""), Text("Cost basis", style="bold"))
        yield _basis_grid(findings)
        yield Text("")
        yield _totals(result, findings, options)
        if result.cost_change is not None:
            yield from (Text(""), _cost_change(result.cost_change))
        yield from _budgets(result)
        yield from _showback(result)
        warnings = _warnings(result)
        if warnings:
            yield Text("")
            yield from warnings


def _compact(result: ScanResult, findings: list[Finding], options: ReportOptions) -> list[RenderableType]:
    """``--compact``: a line per finding, cut with ``…`` at the width, then the totals (for CI logs)."""
    rows = []
    for finding in findings:
        mark = f"{_UNDETERMINED_MARK} " if finding.outcome is Outcome.UNDETERMINED else ""
        cost = format_cost(finding.cost.monthly_usd, finding.cost.confidence, partial=finding.cost.partial)
        rows.append((finding, f"{mark}{finding.severity}", cost))
    severity_width = max(len(severity) for _, severity, _ in rows)
    rule_width = max(len(finding.rule_id) for finding in findings)
    cost_width = max(len(cost) for _, _, cost in rows)
    parts: list[RenderableType] = []
    for finding, severity, cost in rows:
        fails = options.fails_gate(finding)
        line = Text()
        line.append(f"{severity:<{severity_width}}  ", style=_SEVERITY_STYLE[finding.severity])
        line.append(f"{_gate_mark(finding, fails):<6}  ", style="bold red" if fails else "dim")
        line.append(f"{finding.rule_id:<{rule_width}}  {cost:>{cost_width}}  ")
        line.append(finding.resource.address, style="bold")
        line.append(f": {' '.join(finding.message.split())}")
        line.truncate(options.width, overflow="ellipsis")
        parts.append(line)
    parts.extend([Text(""), _totals(result, findings, options)])
    change = result.cost_change
    if change is not None:
        parts.append(
            Text(
                f"Cost change against {change.base}: {format_usd(change.before_usd)} -> "
                f"{format_usd(change.after_usd)} ({_signed_usd(change.delta_usd)}); "
                f"{len(change.added)} added, {len(change.removed)} removed"
            )
        )
    for status in result.budgets:
        line = Text(f"Budget {budget_text(status)}")
        line.truncate(options.width, overflow="ellipsis")
        parts.append(line)
    parts.extend(_warnings(result))
    return parts


def _budgets(result: ScanResult) -> list[RenderableType]:
    """The "Budgets" section: each budget of aigov.yaml against the forecast of what it matches."""
    if not result.budgets:
        return []
    return [Text(""), Text("Budgets", style="bold"), *(Text(f"  {budget_text(b)}") for b in result.budgets)]


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
    with_baseline = any(f.baseline is not None for f in findings)
    if with_baseline:
        table.add_column("baseline", no_wrap=True)
    table.add_column("rule", overflow="fold")
    table.add_column("cost/month", justify="right", overflow="fold")
    table.add_column("resource / message", overflow="fold", ratio=1)
    for number, finding in enumerate(findings, start=1):
        style = _SEVERITY_STYLE[finding.severity]
        undetermined = finding.outcome is Outcome.UNDETERMINED
        severity = f"{_UNDETERMINED_MARK} {finding.severity}" if undetermined else str(finding.severity)
        fails = options.fails_gate(finding)
        cells = [
            Text(str(number)),
            Text(severity, style=style),
            Text(_gate_mark(finding, fails), style="bold red" if fails else "dim"),
        ]
        if with_baseline:
            cells.append(Text(str(finding.baseline or ""), style="bold" if _is_new(finding) else "dim"))
        table.add_row(
            *cells,
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
        text.append(undetermined_prefix(finding), style="bold")
    text.append(finding.message)
    suppression = finding.suppression
    if suppression is not None:
        text.append("\n")
        text.append(_suppression_note(finding), style="dim" if suppression.active else "bold")
    return text


def _gate_mark(finding: Finding, fails: bool) -> str:
    if fails:
        return "fail"
    if finding.suppressed:
        return "waived"
    return "warn"


def _is_new(finding: Finding) -> bool:
    return finding.baseline is BaselineState.NEW


def _suppression_note(finding: Finding) -> str:
    s = finding.suppression
    assert s is not None
    where = f" at {s.origin}" if s.origin else ""
    owner = f", owner {s.owner}" if s.owner else ""
    if s.kind == "inline":
        return f"ignored by an inline comment{where}: {s.reason}"
    expires = s.expires_on.isoformat() if s.expires_on is not None else "(no date)"
    if s.expired:
        return f"waiver expired on {expires}{where}{owner}; it no longer applies: {s.reason}"
    return f"waived{where}{owner}, until {expires}: {s.reason}"


def _prices_used(findings: list[Finding]) -> dict[Price, tuple[int, Price]]:
    """Every price the findings use, once, numbered in order of first use."""
    used: dict[Price, tuple[int, Price]] = {}
    for finding in findings:
        for price in finding.cost.prices:
            used.setdefault(price, (len(used) + 1, price))  # equal prices are one entry
    return used


def _basis_grid(findings: list[Finding]) -> Table:
    # Each finding's formula already states its prices, regions and dates;
    # where each price comes from is listed once, below, and referenced here.
    used = _prices_used(findings)
    fixes: dict[tuple[str, str], int] = {}  # a rule's remediation is printed once, then referred to
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
        if cost.prices:
            refs = ", ".join(f"P{used[price][0]}" for price in cost.prices)
            grid.add_row(Text(""), Text("prices"), Text(refs))
        if finding.remediation:
            first = fixes.setdefault((finding.rule_id, finding.remediation), number)
            fix = finding.remediation if first == number else f"as [{first}]"
            grid.add_row(Text(""), Text("fix"), Text(fix))
    if used:
        grid.add_row(Text(""), Text(""), Text(""))
        grid.add_row(Text(""), Text(""), Text("Prices used", style="bold"))
        for number, price in used.values():
            grid.add_row(
                Text(f"P{number}"),
                Text(""),
                Text(price_text(price)),
            )
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
        Text(f"Monthly cost of the inputs: {input_cost_text(result)}"),
        *_at_risk_lines(result),
        *_pipeline_lines(findings),
        Text(_gate_line(findings, options)),
        Text(
            f"Price catalogue: {result.catalog.label} "
            f"({result.catalog.currency}, default region {result.catalog.default_region})"
        ),
    ]
    return Group(*lines)


def _at_risk_lines(result: ScanResult) -> list[Text]:
    """Spend in violation and possible savings, on lines of their own: never added together."""
    summary = result.cost_summary
    spend, text = spend_text(summary).split(" ", 1)
    line = Text("Monthly spend in violation: ")
    line.append(spend, style="bold")
    line.append(f" {text}")
    lines = [line, Text(f"Possible monthly savings: {savings_text(summary)}")]
    over = over_budget_note(result)
    if over:
        lines.append(Text(f"Budgets: {over}"))
    return lines


def _pipeline_lines(findings: list[Finding]) -> list[Text]:
    """Waived and baseline counts, only when the scan had waivers, suppressions or a baseline."""
    lines = []
    if any(f.suppression is not None for f in findings):
        waived = sum(1 for f in findings if f.suppressed)
        expired = sum(1 for f in findings if f.suppression is not None and f.suppression.expired)
        line = f"Waived: {plural(waived, 'finding')} (waivers in aigov.yaml and inline aigov:ignore comments)"
        if expired:
            line += f"; {plural(expired, 'finding')} with an expired waiver"
        lines.append(Text(line))
    if any(f.baseline is not None for f in findings):
        new = sum(1 for f in findings if f.baseline is BaselineState.NEW)
        existing = sum(1 for f in findings if f.baseline is BaselineState.EXISTING)
        lines.append(Text(f"Baseline: {new} new, {existing} existing (only new findings fail the gate)"))
    return lines


def _unknown_note(result: ScanResult) -> str:
    unknown = result.cost.unknown_resources
    return f" + {plural(unknown, 'resource')} of unknown cost" if unknown else ""


def _cost_change(change: CostChange) -> Group:
    lines: list[RenderableType] = [Text("Cost change", style="bold"), Text(f"{money_line(change)}.")]
    for moved in change.resources:
        before = "-" if moved.before_usd is None else format_usd(moved.before_usd)
        after = "-" if moved.after_usd is None else format_usd(moved.after_usd)
        delta = "unknown" if moved.delta_usd is None else _signed_usd(moved.delta_usd)
        lines.append(Text(f"  {moved.change:<8} {delta:>14}  {moved.address} ({before} -> {after})"))
    lines.append(
        Text(
            f"Monthly cost at risk: {format_usd(change.before_usd)} in {change.base} -> "
            f"{format_usd(change.after_usd)} now ({_signed_usd(change.delta_usd)})"
        )
    )
    for label, items in (("added", change.added), ("removed", change.removed)):
        if not items:
            lines.append(Text(f"  {label}: none"))
            continue
        lines.append(Text(f"  {label}: {plural(len(items), 'finding')}"))
        for item in items:
            cost = "unknown" if item.monthly_usd is None else format_usd(item.monthly_usd)
            sign = "+" if label == "added" else "-"
            lines.append(Text(f"    {sign} {cost:>14}  {item.rule_id}  {item.address}"))
    return Group(*lines)


def _signed_usd(amount: float) -> str:
    return f"+{format_usd(amount)}" if amount > 0 else format_usd(amount)


def _gate_line(findings: list[Finding], options: ReportOptions) -> str:
    if options.fail_on is None:
        return "Gate: findings never fail (--fail-on never)"
    failing = sum(1 for f in findings if options.fails_gate(f))
    unknown_policy = "fail" if options.on_unknown == "fail" else "only warn"
    return (
        f"Gate: fails on {options.fail_on} or above, undetermined findings {unknown_policy}: "
        f"{plural(failing, 'finding')} {'fails' if failing == 1 else 'fail'} the gate"
    )


def _showback(result: ScanResult) -> list[RenderableType]:
    """The compact showback section: each dimension's largest groups, one line each."""
    showback = result.showback
    if showback is None or not (showback.allocations or result.findings):
        return []
    table = Table(
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True, header_style="bold"
    )
    table.add_column("group", overflow="fold", ratio=1)
    # The resource count is left out to fit 80 columns; the JSON, CSV, Markdown and HTML reports have it.
    shown = [i for i, header in enumerate(HEADERS) if header != "resources"]
    for header in (HEADERS[i] for i in shown):
        table.add_column(header, justify="right", no_wrap=True)
    for dimension in dimensions(showback):
        if not dimension.groups:
            continue
        table.add_row(Text(dimension.title, style="bold"), *([Text("")] * len(shown)))
        for group in dimension.groups[:MAX_GROUPS]:
            row = cells(group)
            table.add_row(Text(f"  {group.label}"), *(Text(row[i]) for i in shown))
        hidden = len(dimension.groups) - MAX_GROUPS
        if hidden > 0:
            table.add_row(Text(f"  {hidden} more in the JSON and CSV reports"), *([Text("")] * len(shown)))
    return [Text(""), Text("Showback", style="bold"), Text(inheritance_note(showback), style="dim"), table]


def _warnings(result: ScanResult) -> list[RenderableType]:
    return [Text(f"warning: {warning}", style="yellow") for warning in result.warnings]
