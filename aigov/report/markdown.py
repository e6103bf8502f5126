"""Markdown for a pull-request comment (and a GitHub step summary).

The first line says what the change costs per month of Azure AI spend and
how much of it is in violation (with ``--compare-to``, the change against
the base; without, the cost of the inputs), so a clean pull request still
states its cost. Totals come next (the monthly cost at risk, how many findings fail the
gate, new against existing when the scan had a baseline, what is waived),
then one table row per finding, then a collapsed ``<details>`` section with
each finding's cost basis, prices and remediation.

The comment starts with the hidden marker ``<!-- aigov-report -->`` so that a
pipeline step can find and update its previous comment instead of adding one
per push. GitHub refuses comments over 65,536 characters: the report stays
under :data:`MAX_CHARS`, leaving out details first and then the last table
rows, and says how many it left out.

Every piece of user text (messages, addresses, reasons) is escaped: no
table cell can be split by a ``|``, no ``<script>`` or link can be injected,
``$`` cannot start GitHub math, and line breaks cannot end a table row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar, Final

from aigov.model import BaselineState, Finding, Outcome, ScanResult, monthly_at_risk
from aigov.report.base import (
    DEFAULT_OPTIONS,
    Reporter,
    ReportOptions,
    count_by_outcome,
    count_by_severity,
    format_cost,
    format_delta,
    format_usd,
    input_cost_text,
    money_line,
    ordered_findings,
    plural,
    price_text,
    savings_text,
    spend_text,
)
from aigov.report.standing import Standing, cost_with_basis, standing, standing_notes, undetermined_prefix

MARKER: Final = "<!-- aigov-report -->"
"""The first line of every report: a pipeline finds its earlier comment by it."""

MAX_CHARS: Final = 60_000
"""Upper bound on the report's length, under GitHub's 65,536-character comment limit."""

MAX_CELL: Final = 300
"""Longest message shown in a table cell; the details section has the whole text."""

MAX_WARNINGS: Final = 20

MAX_CHANGES: Final = 50
"""Resources whose cost changed listed in the comment; the JSON report lists them all."""

_ESCAPED: Final = re.compile(r"([\\`*_\[\]<>|~&$#@])")
_ESTIMATE_NOTE: Final = (
    "~ marks an estimate; ≥ a lower bound (usage-priced parts not included); "
    "unknown means usage decides the figure."
)


def escape(text: str) -> str:
    """``text`` as literal Markdown on one line: markup characters backslash-escaped, line breaks spaces."""
    return _ESCAPED.sub(r"\\\1", " ".join(text.split()))


class MarkdownReporter(Reporter):
    """Findings as a pull-request comment: totals, a table and collapsed details, size-bounded."""

    name: ClassVar[str] = "markdown"
    description: ClassVar[str] = "Markdown pull-request comment or GitHub step summary, size-bounded"

    def render(self, result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> str:
        return render_markdown(result, options)


def render_markdown(result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> str:
    """The whole comment, at most :data:`MAX_CHARS` characters, ending with a newline."""
    findings = ordered_findings(result.findings)
    foot = _foot(result)
    if not findings:
        head = [
            MARKER,
            money(result),
            "",
            "### aigov: no findings",
            "",
            f"No violations in {plural(len(result.resources), 'resource')} evaluated. "
            f"Monthly cost at risk: {escape(format_usd(0.0))}.",
            *_resource_changes(result),
        ]
        return _join([*head, "", *foot])

    head = _head(result, findings, options)
    table_head = [
        "| # | severity | gate | rule | resource | cost/month | message |",
        "|---:|---|---|---|---|---:|---|",
    ]
    rows = [_row(n, f, options) for n, f in enumerate(findings, start=1)]
    details = [_detail(n, f) for n, f in enumerate(findings, start=1)]
    fixed = sum(len(line) + 1 for line in (*head, *table_head, _ESTIMATE_NOTE, *foot)) + 600
    budget = MAX_CHARS - fixed
    # The table may take three quarters of the room, so that the first
    # findings keep their cost basis even in a very large report.
    shown_rows = _fitting(rows, budget * 3 // 4)
    budget -= sum(len(r) + 1 for r in rows[:shown_rows])
    shown_details = _fitting(details[:shown_rows], budget)

    lines = [*head, "", *table_head, *rows[:shown_rows]]
    if shown_rows < len(rows):
        lines += [
            "",
            f"_{plural(len(rows) - shown_rows, 'finding')} left out of this table to stay within "
            f"GitHub's comment size; the JSON or SARIF report lists them all._",
        ]
    lines += ["", escape(_ESTIMATE_NOTE)]
    if shown_details:
        lines += [
            "",
            "<details>",
            f"<summary>Cost basis and remediation ({plural(shown_details, 'finding')})</summary>",
            "",
            *details[:shown_details],
        ]
        if shown_details < len(details):
            lines.append(f"_Details of {plural(len(details) - shown_details, 'more finding')} left out._")
        lines += ["</details>"]
    else:
        lines += ["", "_Cost basis and remediation left out to stay within GitHub's comment size._"]
    text = _join([*lines, "", *foot])
    if len(text) > MAX_CHARS:  # only if the fixed parts alone were huge; never exceed the bound
        text = text[: MAX_CHARS - 80].rsplit("\n", 1)[0] + "\n\n_Report cut to GitHub's comment size._\n"
    return text


def _head(result: ScanResult, findings: list[Finding], options: ReportOptions) -> list[str]:
    states = [standing(f, options) for f in findings]
    failing = states.count(Standing.FAILS)
    baseline = any(f.baseline is not None for f in findings)
    if options.fail_on is None:
        title = f"aigov: {plural(len(findings), 'finding')} (the gate never fails)"
    elif failing:
        what = "new finding" if baseline else "finding"
        title = f"aigov: {plural(failing, what)} {'fails' if failing == 1 else 'fail'} the gate"
    else:
        title = f"aigov: {plural(len(findings), 'finding')}, none fails the gate"
    lines = [MARKER, money(result), "", f"### {escape(title)}", "", _at_risk(result, findings)]
    lines.extend(_resource_changes(result))
    lines.append("")
    outcomes = count_by_outcome(findings)
    by_severity = ", ".join(f"{s} {n}" for s, n in count_by_severity(findings).items() if n)
    failing_cost = escape(
        format_usd(monthly_at_risk(f for f, s in zip(findings, states, strict=True) if s is Standing.FAILS))
    )
    lines.append(
        f"- **Gate:** {escape(_gate(options))}: {plural(failing, 'finding')} fail ({failing_cost}/month)"
    )
    lines.append(
        f"- **Findings:** {len(findings)} in {plural(len(result.resources), 'resource')} evaluated: "
        f"{plural(outcomes[Outcome.VIOLATION], 'violation')}, "
        f"{outcomes[Outcome.UNDETERMINED]} undetermined ({by_severity})"
    )
    if baseline:
        new = [f for f in findings if f.baseline is BaselineState.NEW]
        existing = [f for f in findings if f.baseline is BaselineState.EXISTING]
        lines.append(
            f"- **Baseline:** {len(new)} new ({escape(format_usd(monthly_at_risk(new)))}/month), "
            f"{len(existing)} existing ({escape(format_usd(monthly_at_risk(existing)))}/month)"
        )
    waived = states.count(Standing.WAIVED)
    inline = states.count(Standing.SUPPRESSED)
    expired = sum(1 for f in findings if f.suppression is not None and f.suppression.expired)
    if waived or inline or expired:
        parts = [f"{waived} waived", f"{inline} suppressed inline"]
        if expired:
            parts.append(f"{plural(expired, 'expired waiver')} (reported as findings again)")
        lines.append(f"- **Suppressed:** {', '.join(parts)}")
    return lines


def money(result: ScanResult) -> str:
    """The comment's first line: what the change costs per month, and how much of it is in violation.

    With ``--compare-to`` it is the change (``This change adds $X per month of
    Azure AI cost ($Y of it in violation)``); without, the cost of the inputs.
    """
    change = result.cost_change
    if change is not None and change.cost_delta_usd is not None:
        return f"**{escape(money_line(change))}.**"
    text = (
        f"The Azure AI resources of this change cost {input_cost_text(result)}; "
        f"{format_usd(result.cost_summary.spend.monthly_usd)} of it in violation."
    )
    if change is not None:
        text += f" {money_line(change)}."
    return f"**{escape(text)}**"


def _resource_changes(result: ScanResult) -> list[str]:
    """With --compare-to: the billed resources whose monthly cost moved, largest first, folded."""
    change = result.cost_change
    if change is None or not change.resources:
        return []
    rows = []
    for moved in change.resources[:MAX_CHANGES]:
        before = "" if moved.before_usd is None else format_usd(moved.before_usd)
        after = "" if moved.after_usd is None else format_usd(moved.after_usd)
        delta = "unknown" if moved.delta_usd is None else format_delta(moved.delta_usd)
        cells = [escape(moved.address), moved.change, escape(before), escape(after), escape(delta)]
        rows.append("| " + " | ".join(cells) + " |")
    more = len(change.resources) - len(rows)
    return [
        "",
        "<details>",
        f"<summary>Monthly cost by resource ({plural(len(change.resources), 'resource')} changed)</summary>",
        "",
        "| resource | change | before | after | change/month |",
        "|---|---|---:|---:|---:|",
        *rows,
        *(["", f"_{plural(more, 'more resource')} in the JSON report._"] if more else []),
        "</details>",
    ]


def _at_risk(result: ScanResult, findings: list[Finding]) -> str:
    """Spend in violation and possible savings, two lines of the headline (never added together)."""
    summary = result.cost_summary
    figure, notes = spend_text(summary).split(" ", 1)
    return (
        f"**Monthly spend in violation: {escape(figure)}** {escape(notes)}\n\n"
        f"Possible monthly savings: {escape(savings_text(summary))}"
    )


def _gate(options: ReportOptions) -> str:
    if options.fail_on is None:
        return "findings never fail (--fail-on never)"
    unknown = "fail" if options.on_unknown == "fail" else "only warn"
    return f"fails on {options.fail_on} or above, undetermined findings {unknown}"


def _row(number: int, finding: Finding, options: ReportOptions) -> str:
    state = standing(finding, options)
    gate = f"**{state}**" if state is Standing.FAILS else str(state)
    if finding.baseline is BaselineState.NEW and state is Standing.FAILS:
        gate += ", new"
    if finding.suppression is not None and finding.suppression.expired:
        gate += ", waiver expired"
    severity = f"? {finding.severity}" if undetermined_prefix(finding) else str(finding.severity)
    cost = finding.cost
    message = f"{undetermined_prefix(finding)}{finding.message}"
    if len(message) > MAX_CELL:
        message = message[: MAX_CELL - 1] + "…"
    cells = [
        str(number),
        severity,
        gate,
        escape(finding.rule_id),
        escape(finding.resource.address),
        escape(format_cost(cost.monthly_usd, cost.confidence, partial=cost.partial)),
        escape(message),
    ]
    return "| " + " | ".join(cells) + " |"


def _detail(number: int, finding: Finding) -> str:
    origin = finding.resource.origin
    where = origin.file or origin.source
    if origin.file and origin.line is not None:
        where = f"{origin.file}:{origin.line}"
    lines = [
        f"**{number}. {escape(finding.rule_id)}**: {escape(finding.title)} "
        f"({escape(finding.resource.address)}, {escape(where)})",
        "",
    ]
    message = f"{undetermined_prefix(finding)}{finding.message}"
    if len(message) > MAX_CELL:  # cut in the table: the whole text is here
        lines.append(f"- message: {escape(message)}")
    lines.append(f"- cost: {escape(cost_with_basis(finding.cost))}")
    lines.extend(f"- price: {escape(price_text(p))}" for p in finding.cost.prices)
    if finding.remediation:
        lines.append(f"- fix: {escape(finding.remediation)}")
    lines.extend(f"- {escape(note)}" for note in standing_notes(finding))
    return "\n".join([*lines, ""])


def _foot(result: ScanResult) -> list[str]:
    catalog = result.catalog
    lines = [
        f"Prices: {escape(catalog.name)} catalogue, as of {catalog.as_of.isoformat()} "
        f"({escape(catalog.currency)}, default region {escape(catalog.default_region)})."
    ]
    for item in result.not_scanned[:MAX_WARNINGS]:
        lines.append(f"- **Not scanned:** {escape(item.scope[:500])}: {escape(item.reason[:500])}")
    for warning in result.warnings[:MAX_WARNINGS]:
        lines.append(f"- **Warning:** {escape(warning[:500])}")
    more = max(0, len(result.not_scanned) - MAX_WARNINGS) + max(0, len(result.warnings) - MAX_WARNINGS)
    if more:
        lines.append(f"- {plural(more, 'more warning')} in the JSON report.")
    return lines


def _fitting(pieces: Iterable[str], budget: int) -> int:
    """How many of ``pieces``, in order, fit in ``budget`` characters (one newline each)."""
    count = 0
    for piece in pieces:
        budget -= len(piece) + 1
        if budget < 0:
            break
        count += 1
    return count


def _join(lines: list[str]) -> str:
    return "\n".join(lines).rstrip("\n") + "\n"
