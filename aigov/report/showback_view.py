"""The showback as rows of text: what the table, Markdown and HTML reports share.

The figures come from :class:`aigov.showback.Showback`; this module only
names the dimensions and formats the cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aigov.report.base import format_usd
from aigov.showback import DIMENSIONS, GroupTotal, Showback

MAX_GROUPS: Final = 10
"""Groups a text report lists per dimension (the largest by spend); the JSON and CSV reports list all."""

HEADERS: Final = ("cost/month", "in violation", "savings", "resources", "findings", "$/1k req")


@dataclass(frozen=True, slots=True)
class Dimension:
    """One showback dimension as a report titles it."""

    name: str  # a member of aigov.showback.DIMENSIONS
    title: str  # "By cost center (tag cost-center)"
    groups: tuple[GroupTotal, ...]


def dimensions(showback: Showback) -> list[Dimension]:
    """The four dimensions in report order, titled with the tag names they read."""
    titles = {
        "cost_center": "Cost center",
        "workload": "Workload",
        "subscription": "Subscription",
        "rule_family": "Rule family",
    }
    return [Dimension(name, titles[name], showback.dimension(name)) for name in DIMENSIONS]


def cells(group: GroupTotal) -> tuple[str, str, str, str, str, str]:
    """A group's figures as text, in :data:`HEADERS` order.

    ``≥``: resources of unknown cost left out; ``+`` after the savings: more savings as upper bounds.
    """
    bound = "≥" if group.unknown_cost_resources else ""
    unit = "" if group.cost_per_1000_requests is None else f"${group.cost_per_1000_requests:,.4f}"
    return (
        bound + format_usd(group.monthly_usd),
        format_usd(group.spend_in_violation_usd),
        format_usd(group.possible_savings_usd) + ("+" if group.savings_upper_bound_usd else ""),
        str(group.resources),
        str(group.findings),
        unit,
    )


def inheritance_note(showback: Showback) -> str:
    """Which tags the grouping read, and how they are inherited."""
    return (
        f"Cost center: tag {showback.cost_center_tag}; workload: tag {showback.workload_tag}; each the "
        "resource's own, else its parent's (an account's for its deployments), else the subscription's, "
        "as Azure applies tags to charges. Each resource counts once per grouping; "
        "spend in violation and possible savings are never added together; savings+ has more as upper bounds."
    )
