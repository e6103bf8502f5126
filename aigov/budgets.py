"""Budgets: monthly spend limits declared in ``aigov.yaml``, checked at pull-request time and at night.

.. code-block:: yaml

    budgets:
      - name: support-bot
        match: {tags: {cost-center: CC-4410}}   # or subscription: ID, workload: NAME, resource: GLOB
        monthly_usd: 20000
        warn_at: 0.8                             # optional share of the limit that gives a warning
        severity: high                           # optional, the default

A budget's forecast spend is the monthly cost of the billed AI resources its
``match`` selects in the input, as the scan prices them (a plan: after the
change; a live scan: fixed costs plus the observed run-rate). Several match
keys must all hold. ``tags`` compares the resource's tags over its
ancestors' (an account's tags count for its deployments); ``workload`` is the
configured workload tag, found the same way; ``subscription`` the resource's
subscription id; ``resource`` a glob over the address, key or name with the
waivers' semantics (:func:`aigov.globs.compile_glob`). Comparisons ignore
case, as Azure Policy's do.

Each budget gives one :class:`~aigov.model.BudgetStatus` (every report shows
it) and, unless it is within its limit, a finding of the built-in rule
:data:`BUDGET_RULE_ID` on the budget itself:

==============  ==========================  =========================================
state           finding                     cost
==============  ==========================  =========================================
over            violation, its severity     the amount over the limit
undetermined    undetermined, its severity  unknown (resources of unknown cost matched)
warning         violation, ``info``         0: nothing over the limit yet
empty           violation, ``info``         0: the match selects nothing
==============  ==========================  =========================================

A resource whose cost is unknown (usage decides it) or whose membership
depends on a value known only after apply (a tag computed at apply, a
subscription not stated) leaves a budget that is under its limit
undetermined: the scan cannot say the budget holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from aigov.errors import ConfigError
from aigov.globs import compile_glob
from aigov.model import (
    UNKNOWN,
    Action,
    BudgetContributor,
    BudgetState,
    BudgetStatus,
    Confidence,
    CostImpact,
    Finding,
    Origin,
    Outcome,
    Resource,
    ResourceCost,
    Severity,
)
from aigov.policy import yamlio

BUDGET_RULE_ID: Final = "AIGOV-BUDGET-001"
"""The rule id of every budget finding (for waivers, baselines and --check)."""

BUDGET_CATEGORY: Final = "budget"
BUDGET_TYPE: Final = "aigov/budget"
"""The type of a budget finding's subject: the budget, not an Azure resource."""

BUDGET_TITLE: Final = "Monthly AI spend stays within its budget"
TOP_CONTRIBUTORS: Final = 3
"""Resources a budget finding's message names, largest first."""


@dataclass(frozen=True, slots=True)
class BudgetMatch:
    """Which billed resources a budget covers; every key given must hold."""

    tags: tuple[tuple[str, str], ...] = ()
    subscription: str | None = None
    workload: str | None = None
    resource: str | None = None  # glob over address, key or name


@dataclass(frozen=True)
class Budget:
    """One entry of ``aigov.yaml``'s ``budgets``."""

    name: str
    match: BudgetMatch
    monthly_usd: float
    warn_at: float | None = None
    severity: Severity = Severity.HIGH
    file: str | None = None
    line: int | None = None

    @property
    def origin(self) -> str | None:
        if self.file is None:
            return None
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    @cached_property
    def _resource_pattern(self) -> re.Pattern[str] | None:
        return compile_glob(self.match.resource) if self.match.resource is not None else None

    def membership(self, resource: ResourceCost, workload_tag: str) -> bool | None:
        """True if the budget covers ``resource``, False if not, None if that is known only after apply."""
        answers = [self._tags_hold(resource, self.match.tags)]
        if self.match.workload is not None:
            answers.append(self._tags_hold(resource, ((workload_tag, self.match.workload),)))
        if self.match.subscription is not None:
            sub = resource.subscription_id
            if sub is None or sub is UNKNOWN:
                answers.append(None)
            else:
                answers.append(str(sub).casefold() == self.match.subscription.casefold())
        if self._resource_pattern is not None:
            names = [resource.address, resource.key, *([resource.name] if resource.name else [])]
            answers.append(any(self._resource_pattern.fullmatch(n) for n in names))
        if False in answers:
            return False
        return None if None in answers else True

    @staticmethod
    def _tags_hold(resource: ResourceCost, wanted: Iterable[tuple[str, str]]) -> bool | None:
        tags = {k.casefold(): v for k, v in resource.tags.items()}
        unknown = {k.casefold() for k in resource.unknown_tags}
        answer: bool | None = True
        for key, value in wanted:
            folded = key.casefold()
            if folded in tags:
                if tags[folded].casefold() != value.casefold():
                    return False
            elif folded in unknown or "*" in unknown:
                answer = None
            else:
                return False
        return answer


# --------------------------------------------------------------------------- configuration


def parse_budgets(items: Sequence[Mapping[str, Any]], root: yamlio.Root, file: str) -> tuple[Budget, ...]:
    """Schema-valid ``budgets`` entries of ``file`` as values; a name given twice is an error at its line."""
    out: list[Budget] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        name = item["name"].strip()
        folded = name.casefold()
        if folded in seen:
            raise ConfigError(
                f"budget {name!r} is declared twice (first as budgets[{seen[folded]}])",
                file=file,
                where=yamlio.where(root, ["budgets", i, "name"]),
            )
        seen[folded] = i
        match = item["match"]
        out.append(
            Budget(
                name=name,
                match=BudgetMatch(
                    tags=tuple((str(k), str(v)) for k, v in match.get("tags", {}).items()),
                    subscription=match.get("subscription"),
                    workload=match.get("workload"),
                    resource=match.get("resource"),
                ),
                monthly_usd=float(item["monthly_usd"]),
                warn_at=float(item["warn_at"]) if "warn_at" in item else None,
                severity=Severity(item.get("severity", Severity.HIGH)),
                file=file,
                line=yamlio.line_of(root, ["budgets", i]),
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------- evaluation


def check_budgets(
    budgets: Sequence[Budget], resources: Sequence[ResourceCost], workload_tag: str
) -> tuple[BudgetStatus, ...]:
    """Each budget against the billed resources of the input (pure)."""
    return tuple(_status(budget, resources, workload_tag) for budget in budgets)


def _status(budget: Budget, resources: Sequence[ResourceCost], workload_tag: str) -> BudgetStatus:
    contributors: list[BudgetContributor] = []
    for resource in resources:
        member = budget.membership(resource, workload_tag)
        if member is not False:
            contributors.append(
                BudgetContributor(resource.address, resource.monthly_usd, member is True, resource.confidence)
            )
    contributors.sort(
        key=lambda c: (c.monthly_usd is None, not c.certain, -(c.monthly_usd or 0.0), c.address)
    )
    spend = round(sum(c.monthly_usd for c in contributors if c.certain and c.monthly_usd is not None), 2)
    if not contributors:
        state = BudgetState.EMPTY
    elif spend > budget.monthly_usd:
        state = BudgetState.OVER
    elif any(c.monthly_usd is None or not c.certain for c in contributors):
        state = BudgetState.UNDETERMINED
    elif budget.warn_at is not None and spend >= budget.warn_at * budget.monthly_usd:
        state = BudgetState.WARNING
    else:
        state = BudgetState.WITHIN
    return BudgetStatus(
        name=budget.name,
        limit_usd=round(budget.monthly_usd, 2),
        spend_usd=spend,
        state=state,
        warn_at=budget.warn_at,
        contributors=tuple(contributors),
        origin=budget.origin,
    )


def budget_findings(budgets: Sequence[Budget], statuses: Sequence[BudgetStatus]) -> list[Finding]:
    """A finding for each budget that is over, undetermined, near its limit, or matches nothing."""
    findings = []
    for budget, status in zip(budgets, statuses, strict=True):
        if status.state is not BudgetState.WITHIN:
            findings.append(_finding(budget, status))
    return findings


def _usd(amount: float) -> str:
    return f"${amount:,.2f}"


def _contributors_text(status: BudgetStatus) -> str:
    shown = [c for c in status.contributors if c.certain][:TOP_CONTRIBUTORS]
    if not shown:
        return ""
    parts = [f"{c.address} ({'unknown' if c.monthly_usd is None else _usd(c.monthly_usd)})" for c in shown]
    rest = sum(1 for c in status.contributors if c.certain) - len(shown)
    more = f" and {rest} more" if rest else ""
    return f"; largest: {', '.join(parts)}{more}"


def _unknown_text(status: BudgetStatus) -> str:
    unknown = status.unknown_resources
    if not unknown:
        return ""
    return f" ({unknown} matched resource{'s' if unknown != 1 else ''} of unknown cost not included)"


def _finding(budget: Budget, status: BudgetStatus) -> Finding:
    limit = _usd(status.limit_usd)
    spend = _usd(status.spend_usd)
    top = _contributors_text(status)
    unknown_fields: tuple[str, ...] = ()
    severity = budget.severity
    outcome = Outcome.VIOLATION
    if status.state is BudgetState.OVER:
        message = (
            f"Budget {budget.name} is over: forecast {spend} per month against a limit of {limit}, over "
            f"by {_usd(status.over_usd)}{_unknown_text(status)}{top}"
        )
        known = sum(1 for c in status.contributors if c.certain and c.monthly_usd is not None)
        basis = f"forecast {spend} (the {known} matched resources of known cost) - limit {limit} = over"
        # No cost line: the cost at risk counts billed resources once each, and
        # the overspend is made of resources already priced there, not a new one.
        cost = CostImpact(status.over_usd, basis, _confidence(status))
        remediation = "Reduce the spend of the resources it matches, or raise the budget in aigov.yaml."
    elif status.state is BudgetState.UNDETERMINED:
        unknown = [c.address for c in status.contributors if c.monthly_usd is None or not c.certain]
        unknown_fields = tuple(unknown)
        outcome = Outcome.UNDETERMINED
        listed = ", ".join(unknown[:TOP_CONTRIBUTORS]) + ("" if len(unknown) <= TOP_CONTRIBUTORS else ", ...")
        message = (
            f"Budget {budget.name} is undetermined: forecast at least {spend} per month against a limit "
            f"of {limit}; "
            f"{len(unknown)} matched resource{'s' if len(unknown) != 1 else ''} of unknown cost or "
            f"membership ({listed}){top}"
        )
        cost = CostImpact.unknown(
            f"forecast {spend} of known figures; not known: {listed} (usage decides the cost, or a value "
            "known only after apply decides whether the budget covers it)"
        )
        remediation = (
            "Give the usage of pay-per-token deployments with --usage, state the subscription with "
            "--subscription, or set the tags the budget matches to known values."
        )
    elif status.state is BudgetState.WARNING:
        severity = Severity.INFO
        share = status.share
        message = (
            f"Budget {budget.name} is near its limit: forecast {spend} per month is {share or 0:.0%} "
            f"of {limit} (warning at {budget.warn_at or 0:.0%}){top}"
        )
        cost = CostImpact(0.0, f"forecast {spend} is within the limit of {limit}", Confidence.EXACT)
        remediation = "Nothing is over yet; plan the spend or raise the budget before it is."
    else:
        severity = Severity.INFO
        message = (
            f"Budget {budget.name} matches nothing: its match selects no billed AI resource of the input"
        )
        cost = CostImpact(0.0, "no resource matched", Confidence.EXACT)
        remediation = "Check the budget's match (tag names and values, subscription id, workload, glob)."
    return Finding(
        rule_id=BUDGET_RULE_ID,
        title=BUDGET_TITLE,
        category=BUDGET_CATEGORY,
        severity=severity,
        outcome=outcome,
        message=message,
        remediation=remediation,
        resource=Resource(
            key=_key(budget),
            type=BUDGET_TYPE,
            name=budget.name,
            body={"name": budget.name, "type": BUDGET_TYPE},
            origin=Origin("config", budget.file, budget.line, _key(budget)),
            action=Action.DEPLOY,
        ),
        cost=cost,
        unknown_fields=unknown_fields,
    )


def _key(budget: Budget) -> str:
    return f"budget:{budget.name}"


def _confidence(status: BudgetStatus) -> Confidence:
    # The overspend is as sure as the figures it adds up; unknown parts can only add to it.
    known = [c.confidence for c in status.contributors if c.certain and c.monthly_usd is not None]
    return Confidence.weakest(known)
