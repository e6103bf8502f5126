"""The reporter interface, and the presentation helpers every format shares.

A reporter turns a :class:`~aigov.model.ScanResult` into text and nothing
more: totals come from the model (``cost_summary``, ``monthly_cost_at_risk_usd``,
``unknown_cost_findings``), whether a finding fails the gate from
:mod:`aigov.gate`. Reporters order, count and format; they never price.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar, TextIO

from aigov.gate import OnUnknown, fails_gate
from aigov.model import (
    BudgetState,
    BudgetStatus,
    Confidence,
    CostChange,
    CostSummary,
    CostTotal,
    Finding,
    Inventory,
    Outcome,
    Price,
    Resource,
    ScanResult,
    Severity,
    _Unknown,
)


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """How to render: presentation settings, and the gate policy used to label failing findings."""

    color: bool = False  # ANSI colour (human formats only)
    width: int = 120  # columns for human formats
    compact: bool = False  # table: one line per finding and the totals, no cost basis
    fail_on: Severity | None = Severity.LOW  # None: findings never fail (``--fail-on never``)
    on_unknown: OnUnknown = "fail"

    def fails_gate(self, finding: Finding) -> bool:
        """Whether ``finding`` fails the gate under these options."""
        return fails_gate(finding, self.fail_on, self.on_unknown)


DEFAULT_OPTIONS = ReportOptions()
"""Plain text, 120 columns, the CLI's default gate (fail on ``low`` and above, unknowns fail)."""


class Reporter(ABC):
    """One output format. Subclasses are listed in :data:`aigov.report.REPORTERS`."""

    name: ClassVar[str]  # the ``--format`` value
    description: ClassVar[str]  # one line for ``--help``

    @abstractmethod
    def render(self, result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> str:
        """The whole report as text, ending with a newline."""

    def write(self, result: ScanResult, options: ReportOptions, out: TextIO) -> None:
        """Write the report to ``out``: what :meth:`render` returns, or piece by piece where a format can."""
        out.write(self.render(result, options))


SEVERITIES_DESCENDING: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: s.rank, reverse=True))
"""Severities from the most to the least severe, the order reports list them in."""


def _order_key(finding: Finding) -> tuple[int, int, float, str, str, str]:
    monthly = finding.cost.monthly_usd
    # Unknown costs sort after every known one of the same severity: a figure
    # nobody can state is not evidence of a large one.
    cost_rank = (0, -monthly) if monthly is not None else (1, 0.0)
    return (
        -finding.severity.rank,
        cost_rank[0],
        cost_rank[1],
        finding.rule_id,
        finding.resource.address,
        finding.fingerprint,
    )


def ordered_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in report order: severity descending, then monthly cost descending
    (unknown cost last), then rule id, then resource address."""
    return sorted(findings, key=_order_key)


def count_by_severity(findings: Iterable[Finding]) -> dict[Severity, int]:
    """How many findings have each severity, every severity present, most severe first."""
    counts = dict.fromkeys(SEVERITIES_DESCENDING, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def count_by_outcome(findings: Iterable[Finding]) -> dict[Outcome, int]:
    """How many findings have each outcome, every outcome present."""
    counts = dict.fromkeys(Outcome, 0)
    for finding in findings:
        counts[finding.outcome] += 1
    return counts


RegionLookup = Callable[[Resource], str | _Unknown | None]


def region_lookup(result: ScanResult) -> RegionLookup:
    """A function giving a resource's region: its own, or its nearest ancestor's in the same input.

    ARM child resources (deployments) carry no location of their own; they
    are billed in their parent's region, which is what a reader wants to see.
    Resources are grouped per input because keys are only unique within one.
    """
    groups: dict[tuple[str, str | None], list[Resource]] = {}
    for resource in result.resources:
        groups.setdefault((resource.origin.source, resource.origin.file), []).append(resource)
    inventories = {group: Inventory(resources) for group, resources in groups.items()}
    # A plan located with --repo-root spreads one input over several .tf
    # files, so a parent may sit in another group: look it up by source too.
    by_source = {
        source: Inventory(r for r in result.resources if r.origin.source == source)
        for source in {r.origin.source for r in result.resources}
    }

    def lookup(resource: Resource) -> str | _Unknown | None:
        inventory = inventories.get((resource.origin.source, resource.origin.file))
        if inventory is None:
            return resource.location
        found = inventory.effective_location(resource)
        if found is None and resource.parent_key is not None:
            found = by_source[resource.origin.source].effective_location(resource)
        return found

    return lookup


def format_usd(amount: float) -> str:
    """``43800.0`` as ``$43,800.00``; negative amounts as ``-$12.00``."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def format_cost(monthly_usd: float | None, confidence: Confidence, *, partial: bool = False) -> str:
    """A monthly figure as a reader sees it.

    ``unknown``; ``~$1,241.00`` for an estimate; ``≥$43,800.00`` for a lower
    bound (some of what is billed to the resource depends on usage); else exact.
    """
    if monthly_usd is None:
        return "unknown"
    marker = "~" if confidence is Confidence.ESTIMATE else ""
    bound = "≥" if partial else ""
    return f"{bound}{marker}{format_usd(monthly_usd)}"


def format_number(value: float) -> str:
    """A unit price without losing digits: ``2.00``, ``0.0000025``."""
    if round(value, 2) == value:
        return f"{value:,.2f}"
    return f"{value:,.10f}".rstrip("0")


def price_text(price: Price) -> str:
    """A price as a reader traces it: meter, figure, region, source with its URL, and its two dates.

    ``Provisioned Managed Regional Unit: 2.00 USD per 1 Hour, eastus (source, URL; effective
    2024-04-01, read 2026-09-30; check: Retail Prices API query URL)``.
    """
    check = f"; check: {price.query}" if price.query else ""
    return (
        f"{price.meter}: {format_number(price.unit_price)} {price.currency} per {price.unit}, "
        f"{price.region} ({price.source}, {price.url}; {price.dates}{check})"
    )


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 finding``, ``2 findings``."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count} {word}"


def input_cost_text(result: ScanResult) -> str:
    """``$1,234.00 per month (exact $1,000.00, estimated $234.00; 2 resources of unknown cost not included)``.

    The monthly cost of every billed AI resource of the inputs, in violation or not.
    """
    cost = result.cost
    parts = [f"exact {format_usd(cost.exact_usd)}"]
    if cost.estimated_usd:
        parts.append(f"estimated {format_usd(cost.estimated_usd)}")
    text = ", ".join(parts)
    if cost.unknown_resources:
        text += f"; {plural(cost.unknown_resources, 'resource')} of unknown cost not included"
    return f"{format_usd(cost.monthly_usd)} per month ({text})"


def spend_text(summary: CostSummary) -> str:
    """``$1,241.00 (exact $1,000.00, estimated $241.00; each resource counted once)``.

    The money the input commits to in findings (a resource's own cost); an
    upper bound inside the estimated part is named in the same line.
    """
    notes = [_firmness(summary.spend), "each resource counted once"]
    if summary.unknown_findings:
        notes.append(f"{plural(summary.unknown_findings, 'finding')} with unknown cost not included")
    return f"{format_usd(summary.spend.monthly_usd)} ({'; '.join(notes)})"


def savings_text(summary: CostSummary) -> str:
    """``$3,433.92 (exact $0.00, estimated $3,433.92), plus up to $43,800.00 more as upper bounds, ...``.

    Differences to an allowed alternative and reservation savings: not added
    to the spend they would reduce, and upper bounds never added to firm figures.
    """
    total = summary.savings
    if not total.monthly_usd:
        return f"{format_usd(0.0)} (no finding is a difference to an allowed alternative)"
    firm = CostTotal(total.exact_usd, round(total.estimated_usd - total.upper_bound_usd, 2))
    text = f"{format_usd(firm.monthly_usd)} ({_firmness(firm)})"
    if total.upper_bound_usd:
        text += f", plus up to {format_usd(total.upper_bound_usd)} more as upper bounds, not added"
    return text


def _firmness(total: CostTotal) -> str:
    parts = [f"exact {format_usd(total.exact_usd)}"]
    if total.estimated_usd:
        estimated = f"estimated {format_usd(total.estimated_usd)}"
        if total.upper_bound_usd:
            estimated += f", of which {format_usd(total.upper_bound_usd)} upper bounds"
        parts.append(estimated)
    return ", ".join(parts)


def format_delta(amount: float) -> str:
    """``+$1,241.00``, ``-$43,800.00``, ``$0.00``."""
    return f"+{format_usd(amount)}" if amount > 0 else format_usd(amount)


def money_line(change: CostChange) -> str:
    """``This change adds $X per month of Azure AI cost ($Y of it in violation)``, for the reader of a PR."""
    delta = change.cost_delta_usd
    violation = f"{format_usd(change.added_at_risk_usd)} of it in violation"
    if delta is None:
        return "The cost of this change is not known: the base report carries no input cost (an older aigov)"
    if delta > 0:
        return f"This change adds {format_usd(delta)} per month of Azure AI cost ({violation})"
    if delta < 0:
        return f"This change removes {format_usd(-delta)} per month of Azure AI cost ({violation})"
    return f"This change leaves the monthly Azure AI cost unchanged ({violation})"


def budget_text(status: BudgetStatus) -> str:
    """One budget's standing in a line, for every human format.

    ``support-bot: $5,165.48 of $6,000.00 per month (86%; warning at 80%)``;
    ``invoice-reader: $83,507.62 of $60,000.00 per month, over by $23,507.62``.
    """
    limit = format_usd(status.limit_usd)
    spend = format_usd(status.spend_usd)
    share = status.share
    percent = f"{share:.0%}" if share is not None else "limit 0"
    unknown = status.unknown_resources
    unknown_note = f"; {plural(unknown, 'resource')} of unknown cost or membership" if unknown else ""
    if status.state is BudgetState.EMPTY:
        return f"{status.name}: matches no billed AI resource in the input (limit {limit} per month)"
    if status.state is BudgetState.OVER:
        return (
            f"{status.name}: {spend} of {limit} per month, over by {format_usd(status.over_usd)}"
            f" ({percent}{unknown_note})"
        )
    if status.state is BudgetState.UNDETERMINED:
        return f"{status.name}: at least {spend} of {limit} per month ({percent}{unknown_note}), undetermined"
    warn = f"; warning at {status.warn_at:.0%}" if status.warn_at is not None else ""
    word = "warning" if status.state is BudgetState.WARNING else "within"
    return f"{status.name}: {spend} of {limit} per month ({percent}{warn}), {word}"


def over_budget_note(result: ScanResult) -> str | None:
    """The headline note for budgets over their limits: the overspend is not added to the spend."""
    over = result.over_budget_usd
    if not over:
        return None
    return f"over their limits by {format_usd(over)} (not added to the spend in violation: its resources are)"
