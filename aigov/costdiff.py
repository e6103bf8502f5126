"""The monthly cost-at-risk change between a base report and this scan (``--compare-to``).

Pure: it takes the base branch's report (read by :func:`aigov.baseline.load_report`)
and this scan's findings, and returns a :class:`~aigov.model.CostChange`
that the reporters render (the table's "Cost change" section, the JSON
report's ``cost_change``). Both totals are computed the same way, each billed
resource counted once (:func:`aigov.model.monthly_at_risk`), so the delta
compares like with like. Findings are matched on their fingerprint (rule id
and resource key), so a moved block or a changed message is neither added nor
removed; a finding whose cost changed appears in the delta but in neither list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from aigov.baseline import PreviousReport
from aigov.model import (
    CostChange,
    CostChangeItem,
    Finding,
    InputCost,
    ResourceCostChange,
    cost_changes,
    monthly_at_risk,
)
from aigov.report.base import format_delta, format_usd, money_line


def compare(base: PreviousReport, findings: Sequence[Finding], cost: InputCost | None = None) -> CostChange:
    """This scan's ``findings`` and input ``cost`` against the base report.

    The cost at risk: both totals, the findings added and removed. The cost of
    the inputs (when the base report carries one): both totals and each billed
    resource added, removed or changed in cost, largest change first.
    """
    base_fingerprints = base.fingerprints
    current = {f.fingerprint for f in findings}
    added = sorted(
        (
            CostChangeItem(f.rule_id, f.resource.address, f.fingerprint, f.cost.monthly_usd)
            for f in findings
            if f.fingerprint not in base_fingerprints
        ),
        key=_order,
    )
    seen: set[str] = set()
    removed = []
    for item in base.findings:
        if item.fingerprint not in current and item.fingerprint not in seen:
            seen.add(item.fingerprint)
            removed.append(CostChangeItem(item.rule_id, item.address, item.fingerprint, item.monthly_usd))
    new_fingerprints = {item.fingerprint for item in added}
    change = CostChange(
        base=base.file,
        before_usd=round(base.monthly_cost_at_risk_usd, 2),
        after_usd=monthly_at_risk(findings),
        added=tuple(added),
        removed=tuple(sorted(removed, key=_order)),
        added_at_risk_usd=monthly_at_risk(f for f in findings if f.fingerprint in new_fingerprints),
    )
    if cost is None or base.resource_costs is None:
        return change
    return replace(
        change,
        cost_before_usd=round(sum(v for v in base.resource_costs.values() if v is not None), 2),
        cost_after_usd=cost.monthly_usd,
        resources=resource_changes(base.resource_costs, cost),
    )


def resource_changes(before: Mapping[str, float | None], cost: InputCost) -> tuple[ResourceCostChange, ...]:
    """Each billed resource added, removed or changed in monthly cost, largest change first."""
    return cost_changes(before, {r.address: r.monthly_usd for r in cost.resources})


def _order(item: CostChangeItem) -> tuple[int, float, str, str]:
    # Largest first, unknown cost last: the reader looks for what moved the total.
    known = item.monthly_usd is not None
    return (0 if known else 1, -(item.monthly_usd or 0.0), item.rule_id, item.address)


def summary_line(change: CostChange) -> str:
    """One line for a CI log: the cost change, the cost-at-risk change, findings added and removed."""
    at_risk = (
        f"cost at risk {format_usd(change.before_usd)} -> {format_usd(change.after_usd)} per month "
        f"({format_delta(change.delta_usd)}); {len(change.added)} added, {len(change.removed)} removed"
    )
    money = money_line(change)
    return f"Against {change.base}: {money[0].lower()}{money[1:]}; {at_risk}"
