"""The scan as one self-contained HTML page for a finance reader (``--format html``).

The page holds everything it shows: the styles are inline, the charts inline
SVG drawn here (:mod:`aigov.report.svg`), there is no script, font, image or
link to load, and a ``Content-Security-Policy`` meta forbids the browser to
load anything at all, so the file opens offline and a value from an input
cannot make it call out. Every string from the inputs is escaped.

Sections: the headline (monthly AI spend, spend in violation and possible
savings, never added together, and the cost at risk); the cost at risk
over the last scans (a live scan with ``--history``); what was fixed since the
last scan or the base report (``--history``, ``--compare-to``) and what it
saves; spend and spend in violation by cost center, subscription and rule family
(bar charts) and by workload; cost per 1,000 requests; the most expensive
resources; anomalies (findings of category ``anomaly``, and any finding that
carries a ``series``, as small charts); the findings; the price catalogue and
warnings. Each figure's basis is in its ``title`` (hover) or a
``<details>`` (click), and appears in print.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any, ClassVar, Final

from aigov import __version__
from aigov.model import Finding, Outcome, ScanResult
from aigov.report.base import (
    DEFAULT_OPTIONS,
    Reporter,
    ReportOptions,
    count_by_outcome,
    format_cost,
    format_usd,
    input_cost_text,
    ordered_findings,
    plural,
    price_text,
    savings_text,
    spend_text,
)
from aigov.report.showback_view import dimensions, inheritance_note
from aigov.report.svg import Bar, Point, bar_chart, line_chart, sparkline
from aigov.showback import Allocation, GroupTotal, Showback

if TYPE_CHECKING:
    from aigov.live.history import HistoryDiff

MAX_BARS: Final = 15
"""Groups drawn per chart; the rest are summed on one ``other`` bar."""
MAX_FINDINGS: Final = 200
"""Findings listed in the page, the most costly first; the JSON and CSV reports list all."""
MAX_RESOURCES: Final = 15
MAX_ANOMALIES: Final = 50
ANOMALY: Final = "anomaly"

CSP: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
)

_STYLE: Final = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:64rem;
padding:0 1rem;color:#1d2330;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #d8dbe0}
.meta{color:#5b6270;font-size:.9rem}
.figures{display:flex;flex-wrap:wrap;gap:1rem;margin:1.2rem 0}
.figure{border:1px solid #d8dbe0;border-radius:6px;padding:.8rem 1rem;min-width:13rem;flex:1}
.figure .amount{font-size:1.7rem;font-weight:600}.figure .what{color:#5b6270;font-size:.9rem}
.risk .amount{color:#c2462e}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.6rem 0}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eceef1;vertical-align:top}
td.num,th.num{text-align:right;white-space:nowrap}
details summary{cursor:pointer}details .basis{color:#3b4250;font-size:.85rem;margin:.3rem 0 .5rem}
svg.chart text{font-family:inherit;font-size:12px;fill:#1d2330}svg.chart .axis{fill:#5b6270;font-size:11px}
svg.chart{max-width:100%;height:auto;display:block;margin:.4rem 0}
.note{color:#5b6270;font-size:.85rem}.sev-critical,.sev-high{color:#a3261a;font-weight:600}
.anomaly{display:flex;gap:1rem;align-items:center;border-bottom:1px solid #eceef1;padding:.4rem 0}
@media print{body{margin:0;max-width:none}details::details-content{content-visibility:visible;display:block}
details>summary{list-style:none}h2{break-after:avoid}.figure,svg.chart,tr{break-inside:avoid}}
"""


class HtmlReporter(Reporter):
    """One self-contained HTML page: headline figures, charts, showback, top resources, findings."""

    name: ClassVar[str] = "html"
    description: ClassVar[str] = "self-contained HTML page with charts, for finance readers (no network)"

    def render(self, result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> str:
        return render_html(result, options)


def render_html(
    result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS, history: HistoryDiff | None = None
) -> str:
    """The page; ``history`` (a live scan's comparison with its history) adds the trend and what was fixed."""
    findings = ordered_findings(result.findings)
    body = [
        _head(result),
        _headline(result, findings, options),
        _trend(history),
        _fixed(result, history),
        _showback(result.showback),
        _top_resources(result.showback),
        _anomalies(findings),
        _findings(findings, options),
        _foot(result),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>Azure AI cost report: {escape(format_usd(result.cost_summary.spend.monthly_usd))} "
        "in violation</title>"
        f"<style>{_STYLE}</style></head><body>\n"
        + "\n".join(part for part in body if part)
        + "\n</body></html>\n"
    )


# --------------------------------------------------------------------------- sections


def _head(result: ScanResult) -> str:
    inputs = ", ".join(result.inputs)
    return (
        "<header><h1>Azure AI cost report</h1>"
        f'<p class="meta">Generated {escape(result.generated_at.strftime("%Y-%m-%d %H:%M %Z").strip())} '
        f"by aigov {escape(__version__)} from {escape(_cut(inputs, 300))}. All amounts are "
        f"{escape(result.catalog.currency)} per month.</p></header>"
    )


def _headline(result: ScanResult, findings: list[Finding], options: ReportOptions) -> str:
    cost = result.cost
    summary = result.cost_summary
    outcomes = count_by_outcome(findings)
    failing = sum(1 for f in findings if options.fails_gate(f))
    spend_basis = (
        "The monthly cost of every billed Azure AI resource scanned, in violation or not: "
        f"{input_cost_text(result)}. "
        "Accounts and workspaces are billed through their deployments and computes."
    )
    violation_basis = (
        "The monthly cost of the resources that break a rule or that a rule could not decide, where the "
        f"finding's cost is the resource's own: {spend_text(summary)}. Each finding's formula and prices "
        "are in the findings below."
    )
    savings = summary.savings
    firm_savings = round(savings.monthly_usd - savings.upper_bound_usd, 2)
    savings_basis = (
        "What moving to an allowed alternative (a cheaper deployment type, SKU or capacity) or a "
        f"reservation would save per month, not added to the spend it would reduce: {savings_text(summary)}."
    )
    at_risk = result.monthly_cost_at_risk_usd
    at_risk_basis = (
        "Every finding's cost, each resource counted once at its largest figure, spend and savings together: "
        "the figure the history and --compare-to follow."
    )
    cards = [
        _card("spend", "Monthly AI spend", cost.monthly_usd, spend_basis, ""),
        _card(
            "in-violation", "Monthly spend in violation", summary.spend.monthly_usd, violation_basis, "risk"
        ),
        _card("savings", "Possible monthly savings", firm_savings, savings_basis, ""),
    ]
    counts = (
        f'<div class="figure" data-figure="findings" data-value="{len(findings)}">'
        f'<div class="what">Findings</div><div class="amount">{len(findings)}</div>'
        f'<div class="what">{plural(outcomes[Outcome.VIOLATION], "violation")}, '
        f"{outcomes[Outcome.UNDETERMINED]} undetermined; {failing} fail the gate</div></div>"
    )
    risk_line = (
        f'<p class="note" data-figure="at-risk" data-value="{at_risk:.2f}" title="{escape(at_risk_basis)}">'
        f"Cost at risk of all findings: {escape(format_usd(at_risk))} per month ({escape(at_risk_basis)})</p>"
    )
    return f'<section id="headline"><div class="figures">{"".join(cards)}{counts}</div>{risk_line}</section>'


def _card(name: str, what: str, amount: float, basis: str, css: str) -> str:
    return (
        f'<div class="figure {css}" data-figure="{name}" data-value="{amount:.2f}" title="{escape(basis)}">'
        f'<div class="what">{escape(what)}</div><div class="amount">{escape(format_usd(amount))}</div>'
        f'<details><summary>basis</summary><p class="basis">{escape(basis)}</p></details></div>'
    )


def _trend(history: HistoryDiff | None) -> str:
    if history is None or not history.trend:
        return ""
    points = [
        Point(
            label=s.generated_at.strftime("%m-%d %H:%M"),
            value=s.monthly_at_risk_usd,
            hint=(
                f"{s.generated_at:%Y-%m-%d %H:%M} UTC: {format_usd(s.monthly_at_risk_usd)}/month at risk, "
                f"{plural(s.findings, 'finding')}{' (partial scan)' if s.partial else ''}"
            ),
        )
        for s in history.trend
    ]
    chart = line_chart("Monthly cost at risk over the last scans", points, chart_id="trend")
    rows = "".join(
        f"<tr><td>{escape(p.hint.split(': ', 1)[0])}</td>"
        f"<td class='num'>{escape(format_usd(p.value))}</td></tr>"
        for p in points
    )
    return (
        '<section id="trend"><h2>Cost at risk over the last scans</h2>'
        f"{chart}<details><summary>figures</summary><table><tr><th>scan</th>"
        f"<th class='num'>at risk</th></tr>{rows}</table></details></section>"
    )


def _fixed(result: ScanResult, history: HistoryDiff | None) -> str:
    if history is not None and history.previous_at is not None:
        items = [(f.rule_id, f.address, f.monthly_usd) for f in history.fixed]
        saved = history.fixed_monthly_usd
        since = f"the previous scan ({history.previous_at:%Y-%m-%d %H:%M} UTC)"
        basis = "what the fixed findings cost per month at the last scan that saw them, each resource once"
    elif result.cost_change is not None:
        change = result.cost_change
        items = [(i.rule_id, i.address, i.monthly_usd) for i in change.removed]
        saved = round(change.before_usd - change.after_usd, 2)
        since = f"the base report {change.base}"
        basis = (
            f"cost at risk {format_usd(change.before_usd)} in the base, {format_usd(change.after_usd)} now; "
            f"{len(change.added)} findings added, {len(change.removed)} removed"
        )
    else:
        return ""
    verb = "saves" if saved >= 0 else "adds"
    rows = "".join(
        f"<tr><td>{escape(rule)}</td><td>{escape(_cut(address, 200))}</td>"
        f"<td class='num'>{escape(format_usd(monthly) if monthly is not None else 'unknown')}</td></tr>"
        for rule, address, monthly in items[:MAX_FINDINGS]
    )
    more = (
        f'<p class="note">{len(items) - MAX_FINDINGS} more in the JSON report.</p>'
        if len(items) > MAX_FINDINGS
        else ""
    )
    table = (
        f"<table><tr><th>rule</th><th>resource</th><th class='num'>was costing</th></tr>{rows}</table>"
        if items
        else "<p>Nothing was fixed.</p>"
    )
    return (
        f'<section id="fixed"><h2>Fixed since {escape(since)}</h2>'
        f'<p data-figure="saved" data-value="{saved:.2f}" title="{escape(basis)}">'
        f"{plural(len(items), 'finding')} fixed; the change {verb} "
        f"<strong>{escape(format_usd(abs(saved)))}</strong> per month of cost at risk "
        f'<span class="note">({escape(basis)})</span>.</p>{table}{more}</section>'
    )


def _showback(showback: Showback | None) -> str:
    if showback is None or not (showback.allocations or any(g.findings for g in showback.by_rule_family)):
        return ""
    parts = [
        '<section id="showback"><h2>Who spends it: showback</h2>',
        f'<p class="note">{escape(inheritance_note(showback))} Bars: monthly cost (blue) and spend in '
        "violation (red); hover a bar for its basis, open “figures” for the table.</p>",
    ]
    for dimension in dimensions(showback):
        if not dimension.groups:
            continue
        name = dimension.name
        parts.append(f'<h3 id="by-{name}">{escape(dimension.title)}</h3>')
        if name != "workload":
            parts.append(
                bar_chart(
                    f"Monthly cost and spend in violation by {dimension.title.lower()}",
                    _bars(dimension.groups),
                    chart_id=f"chart-{name}",
                )
            )
        parts.append(_group_table(name, dimension.groups))
    units = showback.unit_costs
    if units:
        parts.append(
            '<h3 id="unit-costs">Cost per 1,000 requests</h3><table><tr><th>resource</th>'
            "<th>cost center</th><th class='num'>cost/month</th><th class='num'>requests/month</th>"
            "<th class='num'>per 1,000 requests</th></tr>"
        )
        for a in units[: MAX_RESOURCES * 4]:
            basis = (
                f"{format_usd(a.monthly_usd or 0.0)} / {a.monthly_requests or 0:,.0f} requests x 1,000; "
                f"requests: {a.requests_basis or 'usage assumption'}"
            )
            parts.append(
                f"<tr><td>{escape(_cut(a.address, 200))}</td>"
                f"<td>{escape(a.owner.cost_center or '(untagged)')}</td>"
                f"<td class='num'>{escape(format_usd(a.monthly_usd or 0.0))}</td>"
                f"<td class='num'>{a.monthly_requests or 0:,.0f}</td>"
                f"<td class='num' title=\"{escape(basis)}\">${a.cost_per_1000_requests or 0:,.4f}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</section>")
    return "".join(parts)


def _bars(groups: Sequence[GroupTotal]) -> list[Bar]:
    shown = list(groups[:MAX_BARS])
    bars = [Bar(g.label, g.monthly_usd, g.spend_in_violation_usd, _group_hint(g)) for g in shown]
    rest = groups[MAX_BARS:]
    if rest:
        spend = round(sum(g.monthly_usd for g in rest), 2)
        violation = round(sum(g.spend_in_violation_usd for g in rest), 2)
        hint = (
            f"{len(rest)} smaller groups together: {format_usd(spend)}/month, "
            f"{format_usd(violation)} in violation"
        )
        bars.append(Bar(f"{len(rest)} others", spend, violation, hint))
    return bars


def _group_hint(group: GroupTotal) -> str:
    unknown = (
        f"; {plural(group.unknown_cost_resources, 'resource')} of unknown cost not included"
        if group.unknown_cost_resources
        else ""
    )
    return (
        f"{group.label}: {format_usd(group.monthly_usd)}/month, the sum of its "
        f"{plural(group.resources, 'billed resource')}{unknown}; {format_usd(group.spend_in_violation_usd)} "
        f"in violation and {format_usd(group.possible_savings_usd)} possible savings"
        f"{_bound(group)} from "
        f"{plural(group.findings, 'finding')}, each resource counted once"
    )


def _group_table(name: str, groups: Sequence[GroupTotal]) -> str:
    rows = "".join(
        f'<tr data-group="{escape(g.label)}" data-spend="{g.monthly_usd:.2f}" '
        f'data-violation="{g.spend_in_violation_usd:.2f}" data-savings="{g.possible_savings_usd:.2f}" '
        f'title="{escape(_group_hint(g))}"><td>{escape(g.label)}</td>'
        f"<td class='num'>{'≥' if g.unknown_cost_resources else ''}{escape(format_usd(g.monthly_usd))}</td>"
        f"<td class='num'>{escape(format_usd(g.spend_in_violation_usd))}</td>"
        f"<td class='num'>{escape(format_usd(g.possible_savings_usd))}</td><td class='num'>{g.resources}</td>"
        f"<td class='num'>{g.findings}</td>"
        f"<td class='num'>{_unit(g.cost_per_1000_requests)}</td></tr>"
        for g in groups
    )
    opened = " open" if name == "workload" else ""
    return (
        f'<details{opened}><summary>figures</summary><table class="groups" data-dimension="{name}"><tr>'
        "<th>group</th><th class='num'>cost/month</th><th class='num'>in violation</th>"
        "<th class='num'>possible savings</th>"
        "<th class='num'>resources</th><th class='num'>findings</th><th class='num'>per 1,000 requests</th>"
        f"</tr>{rows}</table></details>"
    )


def _top_resources(showback: Showback | None) -> str:
    if showback is None:
        return ""
    priced = sorted(
        (a for a in showback.allocations if a.monthly_usd is not None),
        key=lambda a: (-(a.monthly_usd or 0.0), a.address),
    )[:MAX_RESOURCES]
    if not priced:
        return ""
    rows = "".join(_resource_row(a) for a in priced)
    return (
        '<section id="top-resources"><h2>The most expensive resources</h2>'
        "<table><tr><th>resource</th><th>cost center</th><th>workload</th>"
        "<th class='num'>cost/month</th></tr>"
        f"{rows}</table></section>"
    )


def _resource_row(a: Allocation) -> str:
    figure = format_cost(a.monthly_usd, a.confidence)
    return (
        f"<tr><td>{escape(_cut(a.address, 200))}</td><td>{escape(a.owner.cost_center or '(untagged)')}</td>"
        f"<td>{escape(a.owner.workload or '(untagged)')}</td>"
        f"<td class='num'><details><summary>{escape(figure)}"
        f'</summary><p class="basis">{escape(a.basis)}</p></details></td></tr>'
    )


def _anomalies(findings: list[Finding]) -> str:
    chosen = [f for f in findings if f.category == ANOMALY or _series(f) is not None][:MAX_ANOMALIES]
    if not chosen:
        return ""
    parts = ['<section id="anomalies"><h2>Anomalies</h2>']
    for i, finding in enumerate(chosen):
        series = _series(finding)
        chart = ""
        if series is not None:
            values, baseline = series
            title = f"{finding.resource.address}: last {len(values)} values" + (
                f", baseline {baseline:,.0f}" if baseline is not None else ""
            )
            chart = sparkline(title, values, baseline=baseline, chart_id=f"series-{i}")
        cost = format_cost(finding.cost.monthly_usd, finding.cost.confidence, partial=finding.cost.partial)
        parts.append(
            f'<div class="anomaly">{chart}<div>'
            f"<strong>{escape(_cut(finding.resource.address, 200))}</strong>: "
            f'{escape(_cut(finding.message, 600))}<br><span title="{escape(finding.cost.basis)}">'
            f"{escape(cost)} per month</span></div></div>"
        )
    parts.append("</section>")
    return "".join(parts)


def _series(finding: Finding) -> tuple[list[float], float | None] | None:
    """The values a finding was judged on, when it carries them (``finding.series``), and their baseline.

    A series is a sequence of numbers, of ``(label, number)`` pairs, or an
    object whose ``values`` is one (and whose ``baseline``, a number or a
    sequence whose median is taken, is drawn dashed).
    """
    carried = getattr(finding, "series", None)
    if carried is None:
        return None
    values = _numbers(getattr(carried, "values", carried))
    if not values:
        return None
    baseline: Any = getattr(carried, "baseline", None)
    if isinstance(baseline, Iterable) and not isinstance(baseline, str):
        numbers = _numbers(baseline)
        baseline = statistics.median(numbers) if numbers else None
    return values, float(baseline) if isinstance(baseline, int | float) else None


def _numbers(items: Any) -> list[float]:
    if isinstance(items, Mapping):
        items = list(items.values())
    if not isinstance(items, Iterable) or isinstance(items, str):
        return []
    out = []
    for item in items:
        value = item[-1] if isinstance(item, tuple | list) and item else item
        if isinstance(value, int | float) and not isinstance(value, bool):
            out.append(float(value))
    return out


def _findings(findings: list[Finding], options: ReportOptions) -> str:
    if not findings:
        return (
            '<section id="findings"><h2>Findings</h2>'
            "<p>No findings: every resource passes the rules.</p></section>"
        )
    shown = sorted(findings, key=lambda f: -(f.cost.monthly_usd or 0.0))[:MAX_FINDINGS]
    rows = []
    for finding in shown:
        cost = format_cost(finding.cost.monthly_usd, finding.cost.confidence, partial=finding.cost.partial)
        prices = "".join(f"<li>{escape(price_text(p))}</li>" for p in finding.cost.prices)
        fails = "fails the gate" if options.fails_gate(finding) else "reported"
        rows.append(
            f"<tr><td class='sev-{escape(str(finding.severity))}'>{escape(str(finding.severity))}</td>"
            f"<td>{escape(finding.rule_id)}<br>"
            f"<span class='note'>{escape(finding.category)}; {fails}</span></td>"
            f"<td><strong>{escape(_cut(finding.resource.address, 200))}</strong><br>"
            f"{escape(_cut(finding.message, 600))}</td>"
            f"<td class='num'><details><summary>{escape(cost)}</summary>"
            f"<p class='basis'>{escape(finding.cost.basis)}</p>"
            f"<ul class='basis'>{prices}</ul></details></td></tr>"
        )
    more = (
        f'<p class="note">The {MAX_FINDINGS} most costly of {len(findings)} findings; '
        "the JSON and CSV reports "
        "list them all.</p>"
        if len(findings) > MAX_FINDINGS
        else ""
    )
    return (
        '<section id="findings"><h2>Findings</h2><p class="note">Open a cost for its formula and prices.</p>'
        "<table><tr><th>severity</th><th>rule</th><th>resource and finding</th>"
        "<th class='num'>cost/month</th></tr>"
        f"{''.join(rows)}</table>{more}</section>"
    )


def _foot(result: ScanResult) -> str:
    catalog = result.catalog
    items = [
        f"<li>Prices: {escape(catalog.label)} "
        f"({escape(catalog.currency)}, default region {escape(catalog.default_region)}).</li>"
    ]
    items.extend(
        f"<li><strong>Not scanned:</strong> {escape(_cut(n.scope, 300))}: {escape(_cut(n.reason, 500))}</li>"
        for n in result.not_scanned[:50]
    )
    items.extend(f"<li>Warning: {escape(_cut(w, 500))}</li>" for w in result.warnings[:50])
    return f'<footer><h2>About these figures</h2><ul class="note">{"".join(items)}</ul></footer>'


def _bound(group: GroupTotal) -> str:
    if not group.savings_upper_bound_usd:
        return ""
    return f" (plus up to {format_usd(group.savings_upper_bound_usd)} more as upper bounds, not added)"


def _unit(value: float | None) -> str:
    return "" if value is None else f"${value:,.4f}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
