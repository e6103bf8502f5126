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

from collections.abc import Sequence

from aigov.baseline import PreviousReport
from aigov.model import CostChange, CostChangeItem, Finding, monthly_at_risk
from aigov.report.base import format_usd


def compare(base: PreviousReport, findings: Sequence[Finding]) -> CostChange:
    """This scan's ``findings`` against the base report: totals and the findings added and removed."""
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
    return CostChange(
        base=base.file,
        before_usd=round(base.monthly_cost_at_risk_usd, 2),
        after_usd=monthly_at_risk(findings),
        added=tuple(added),
        removed=tuple(sorted(removed, key=_order)),
    )


def _order(item: CostChangeItem) -> tuple[int, float, str, str]:
    # Largest first, unknown cost last: the reader looks for what moved the total.
    known = item.monthly_usd is not None
    return (0 if known else 1, -(item.monthly_usd or 0.0), item.rule_id, item.address)


def format_delta(amount: float) -> str:
    """``+$1,241.00``, ``-$43,800.00``, ``$0.00``."""
    return f"+{format_usd(amount)}" if amount > 0 else format_usd(amount)


def summary_line(change: CostChange) -> str:
    """One line for a CI log: the totals and how many findings were added and removed."""
    return (
        f"Cost change against {change.base}: {format_usd(change.before_usd)} -> "
        f"{format_usd(change.after_usd)} per month ({format_delta(change.delta_usd)}); "
        f"{len(change.added)} added, {len(change.removed)} removed"
    )
