"""Showback: a scan's monthly cost and cost at risk grouped by who pays for them.

Every billed AI resource of a scan (see :mod:`aigov.cost.pricing`) is
*allocated* to a cost center, a workload and a subscription; every finding's
cost lines are attributed the same way through the resource they bill. The
totals are then grouped four ways: by cost center, by workload, by
subscription and by rule family (the rule's ``category``).

Tags are read as Azure Cost Management's tag inheritance applies them to a
resource's charges: the resource's own tag, else the nearest ancestor's in
the same input (a model deployment is billed to its account, a compute to
its workspace), else the subscription's tag (``aigov.yaml`` ``subscriptions``;
a live scan adds the subscription's own tags). Resource-group tags are not
read: neither the inputs nor the live inventory carry them. Tag names match
case-insensitively, as in Azure. A resource with no such tag anywhere is on
the *untagged* line; one whose tag is computed at apply on the *known after
apply* line; a cost is never spread over groups by guess.

Each billed resource counts once in ``monthly_usd`` and each finding's
resource once in ``at_risk_usd`` (its largest line, as in
:func:`aigov.model.monthly_at_risk`), and apart in ``spend_in_violation_usd``
(its own cost) and ``possible_savings_usd`` (differences to an allowed
alternative), as :func:`aigov.model.cost_summary` counts them, so the groups
of one dimension add up to the report's totals. Unit economics: where a resource's monthly requests
are known (a usage file, or the requests a live scan observed), the cost per
1,000 requests is its monthly cost / monthly requests x 1,000; a group's is
the same ratio over those of its resources whose cost and requests are both
known.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from aigov.cost.pricing import EstimateRow
from aigov.cost.usage import OBSERVED_HOURS, REQUESTS_30D, count, observed_usage
from aigov.model import (
    HOURS_PER_MONTH,
    UNKNOWN,
    Confidence,
    Context,
    CostLine,
    Finding,
    Inventory,
    Resource,
    cost_per_1000_requests,
)

UNTAGGED_LABEL: Final = "(untagged)"
UNKNOWN_LABEL: Final = "(known after apply)"
NO_SUBSCRIPTION_LABEL: Final = "(subscription not known)"
DIMENSIONS: Final = ("cost_center", "workload", "subscription", "rule_family")


class GroupKind(enum.StrEnum):
    """Whether a group line names a real value or gathers what has none."""

    VALUE = "value"
    UNTAGGED = "untagged"  # no tag (or no subscription) anywhere the inheritance looks
    UNKNOWN = "unknown"  # the value is computed at apply


@dataclass(frozen=True, slots=True)
class Owner:
    """Whom one resource's cost is charged to: ``None`` for untagged, :data:`UNKNOWN_LABEL` if computed."""

    cost_center: str | None
    workload: str | None
    subscription_id: str | None


NO_OWNER: Final = Owner(None, None, None)


@dataclass(frozen=True, slots=True)
class Allocation:
    """One billed resource's monthly cost, its owner, and its requests where known."""

    key: str
    address: str
    name: str
    type: str
    owner: Owner
    monthly_usd: float | None
    confidence: Confidence
    basis: str
    monthly_requests: float | None = None
    requests_basis: str | None = None

    @property
    def cost_per_1000_requests(self) -> float | None:
        """Monthly cost per 1,000 requests; None when either is unknown or there are no requests."""
        return cost_per_1000_requests(self.monthly_usd, self.monthly_requests)


@dataclass(frozen=True, slots=True)
class GroupTotal:
    """One line of a showback dimension."""

    group: str | None  # the tag value, subscription id or rule family; None for the untagged line
    label: str  # what a reader sees: the value, a subscription's name, "(untagged)"
    kind: GroupKind
    monthly_usd: float  # known monthly cost of its billed resources
    at_risk_usd: float  # de-duplicated cost at risk of its findings (the summary's monthly cost at risk)
    spend_in_violation_usd: float  # of which resources' own cost (the summary's spend in violation)
    possible_savings_usd: float  # differences to an allowed alternative, firm figures (possible savings)
    savings_upper_bound_usd: float  # and those that are upper bounds, never added to the firm figure
    resources: int  # billed resources
    unknown_cost_resources: int  # of which the cost is unknown (not in monthly_usd)
    findings: int
    monthly_requests: float | None = None  # over resources whose requests are known
    cost_per_1000_requests: float | None = None


@dataclass(frozen=True, slots=True)
class Showback:
    """The four groupings of one scan, and the allocations they were summed from."""

    cost_center_tag: str
    workload_tag: str
    allocations: tuple[Allocation, ...]
    owners: Mapping[str, Owner]  # every resource's owner, by resource key (findings on accounts too)
    by_cost_center: tuple[GroupTotal, ...]
    by_workload: tuple[GroupTotal, ...]
    by_subscription: tuple[GroupTotal, ...]
    by_rule_family: tuple[GroupTotal, ...]

    def owner(self, key: str) -> Owner:
        """Whom the resource with ``key`` is charged to (untagged when it is not in the scan)."""
        return self.owners.get(key, NO_OWNER)

    def dimension(self, name: str) -> tuple[GroupTotal, ...]:
        """The groups of one of :data:`DIMENSIONS`."""
        return {
            "cost_center": self.by_cost_center,
            "workload": self.by_workload,
            "subscription": self.by_subscription,
            "rule_family": self.by_rule_family,
        }[name]

    @property
    def unit_costs(self) -> tuple[Allocation, ...]:
        """Allocations whose cost per 1,000 requests is known, the dearest first."""
        known = [a for a in self.allocations if a.cost_per_1000_requests is not None]
        return tuple(sorted(known, key=lambda a: (-(a.cost_per_1000_requests or 0.0), a.address)))


# --------------------------------------------------------------------------- building


@dataclass(frozen=True, slots=True)
class ShowbackInput:
    """What one input contributes: every resource's owner, and its billed resources' allocations."""

    owners: Mapping[str, Owner]  # by resource key
    allocations: tuple[Allocation, ...]


def allocate(
    inventory: Inventory,
    rows: Iterable[EstimateRow],
    context: Context,
    cost_center_tag: str,
) -> ShowbackInput:
    """The owners of ``inventory``'s resources and an allocation per priced row.

    ``rows`` are :func:`aigov.cost.pricing.estimate_inventory`'s for the same
    inventory; requests come from the row (usage assumptions) or else from
    the usage the live scan observed (``context.usage``).
    """
    owners = {r.key: _owner(r, inventory, context, cost_center_tag) for r in inventory}
    by_address = {r.address: r for r in inventory}
    allocations = []
    for row in rows:
        resource = by_address.get(row.address)
        if resource is None:  # an input aigov could not read: its own line, owner unknown
            owner = NO_OWNER
            key = row.address
        else:
            owner = owners[resource.key]
            key = resource.key
        observed, observed_basis = (
            _observed_requests(context.usage[resource.key])
            if resource is not None and resource.key in context.usage
            else (None, None)
        )
        # The cost model's own requests win (the figure is priced on them); the basis says whence they came.
        requests = row.monthly_requests if row.monthly_requests is not None else observed
        if requests is None:
            requests_basis = None
        elif observed is not None:
            requests_basis = observed_basis
        else:
            requests_basis = "usage assumption (usage file or aigov.yaml)"
        allocations.append(
            Allocation(
                key=key,
                address=row.address,
                name=row.name,
                type=row.type,
                owner=owner,
                monthly_usd=row.monthly_usd,
                confidence=row.confidence,
                basis=row.basis,
                monthly_requests=requests,
                requests_basis=requests_basis,
            )
        )
    return ShowbackInput(owners, tuple(allocations))


def _observed_requests(metrics: Mapping[str, Any]) -> tuple[float | None, str | None]:
    """A live scan's observed 30-day requests (``requests_30d``) as a monthly run-rate, and its basis."""
    observed = observed_usage(metrics)
    if observed is not None and observed.requests is not None:
        return observed.requests, observed.derivations.get("requests")
    requests = metrics.get(REQUESTS_30D)
    if isinstance(requests, int | float) and not isinstance(requests, bool):
        # Requests without token counts: the same run-rate observed_usage would give.
        scale = HOURS_PER_MONTH / OBSERVED_HOURS
        return requests * scale, f"{count(requests)} requests in 30 days x {HOURS_PER_MONTH}/{OBSERVED_HOURS}"
    return None, None


def summarise(
    parts: Iterable[ShowbackInput],
    findings: Iterable[Finding],
    context: Context,
    cost_center_tag: str,
) -> Showback:
    """Group the allocations and the findings' cost at risk by the four dimensions."""
    owners: dict[str, Owner] = {}
    allocations: list[Allocation] = []
    for part in parts:
        owners.update(part.owners)
        allocations.extend(part.allocations)
    findings = tuple(findings)
    at_risk = _per_resource(findings)
    # a finding's identity is its rule and resource (what its fingerprint hashes); only counts are kept
    findings_on: dict[str, set[tuple[str, str]]] = {}
    for finding in findings:
        identity = (finding.rule_id, finding.resource.key)
        lines = finding.cost.lines
        if len(lines) <= 1:  # most findings: one line, on the resource or the one it bills
            keys: Iterable[str] = (lines[0].resource_key if lines else finding.resource.key,)
        else:
            keys = {line.resource_key for line in lines}
        for key in keys:
            found = findings_on.get(key)
            if found is None:
                found = findings_on[key] = set()
            found.add(identity)

    def owner_of(key: str) -> Owner:
        return owners.get(key, NO_OWNER)

    names = {sub_id: s.name for sub_id, s in context.subscriptions.items() if s.name}
    grouped = {
        "cost_center": _group(allocations, at_risk, findings_on, owner_of, lambda o: o.cost_center, {}),
        "workload": _group(allocations, at_risk, findings_on, owner_of, lambda o: o.workload, {}),
        "subscription": _group(
            allocations,
            at_risk,
            findings_on,
            owner_of,
            lambda o: o.subscription_id,
            names,
            NO_SUBSCRIPTION_LABEL,
        ),
    }
    return Showback(
        cost_center_tag=cost_center_tag,
        workload_tag=context.workload_tag,
        allocations=tuple(allocations),
        owners=owners,
        by_cost_center=grouped["cost_center"],
        by_workload=grouped["workload"],
        by_subscription=grouped["subscription"],
        by_rule_family=_families(findings, allocations),
    )


Risk = tuple[float, float, float, float]
"""A resource's cost at risk, spend in violation, firm possible saving and saving upper bound: each its
largest line of that kind (a saving line counts as firm or as an upper bound, as the line says)."""
NO_RISK: Final[Risk] = (0.0, 0.0, 0.0, 0.0)


def _per_resource(findings: Iterable[Finding]) -> dict[str, Risk]:
    """Per billed resource key: its largest line (the report's cost at risk), its largest own-cost line
    (spend in violation) and its largest saving line, firm or an upper bound as that line is (possible
    savings), each as :func:`aigov.model.cost_summary` picks them."""
    largest: dict[str, float] = {}
    spend: dict[str, float] = {}
    saving: dict[str, CostLine] = {}
    for finding in findings:
        for line in finding.cost.lines:
            amount = line.monthly_usd
            if amount is None:
                continue
            key = line.resource_key
            largest[key] = max(largest.get(key, 0.0), amount)
            if not line.saving:
                spend[key] = max(spend.get(key, 0.0), amount)
            elif key not in saving or amount > (saving[key].monthly_usd or 0.0):
                saving[key] = line
    out: dict[str, Risk] = {}
    for key, amount in largest.items():
        held = saving.get(key)
        saved = (held.monthly_usd or 0.0) if held is not None else 0.0
        bound = held is not None and held.upper_bound
        out[key] = (amount, spend.get(key, 0.0), 0.0 if bound else saved, saved if bound else 0.0)
    return out


def _add(total: Risk, amounts: Risk) -> Risk:
    return (total[0] + amounts[0], total[1] + amounts[1], total[2] + amounts[2], total[3] + amounts[3])


def _owner(resource: Resource, inventory: Inventory, context: Context, cost_center_tag: str) -> Owner:
    subscription = resource.subscription_id
    sub_id = subscription.lower() if isinstance(subscription, str) else None
    if subscription is UNKNOWN:
        sub_id = UNKNOWN_LABEL
    chain = [resource, *inventory.ancestors(resource)]
    known = context.subscriptions.get(sub_id) if sub_id is not None else None
    sub_tags = known.tags if known is not None else {}
    return Owner(
        cost_center=_inherited(chain, sub_tags, cost_center_tag),
        workload=_inherited(chain, sub_tags, context.workload_tag),
        subscription_id=sub_id,
    )


def _inherited(chain: list[Resource], subscription_tags: Mapping[str, str], name: str) -> str | None:
    """The tag's value on the first holder that has it: the resource, its ancestors, the subscription."""
    folded = name.casefold()
    for holder in chain:
        tags = holder.body.get("tags")
        if tags is UNKNOWN:
            return UNKNOWN_LABEL
        value = _lookup(tags, folded)
        if value is not None:
            return value
    return _lookup(subscription_tags, folded)


def _lookup(tags: Any, folded: str) -> str | None:
    if not isinstance(tags, Mapping):
        return None
    for key, value in tags.items():
        if str(key).casefold() != folded:
            continue
        if value is UNKNOWN:
            return UNKNOWN_LABEL
        text = str(value).strip() if isinstance(value, str | int | float) else ""
        return text or None  # an empty tag allocates nothing: it is untagged
    return None


def _group(
    allocations: list[Allocation],
    at_risk: Mapping[str, Risk],
    findings_on: Mapping[str, set[tuple[str, str]]],
    owner_of: Callable[[str], Owner],
    value_of: Callable[[Owner], str | None],
    labels: Mapping[str, str],
    untagged: str = UNTAGGED_LABEL,
) -> tuple[GroupTotal, ...]:
    cost: dict[str | None, list[Allocation]] = {}
    for allocation in allocations:
        cost.setdefault(value_of(allocation.owner), []).append(allocation)
    risk: dict[str | None, Risk] = {}
    found: dict[str | None, set[tuple[str, str]]] = {}
    for key, amount in at_risk.items():
        group = value_of(owner_of(key))
        risk[group] = _add(risk.get(group, NO_RISK), amount)
    for key, identities in findings_on.items():
        found.setdefault(value_of(owner_of(key)), set()).update(identities)
    lines = [
        _total(
            group, labels, cost.get(group, []), risk.get(group, NO_RISK), len(found.get(group, ())), untagged
        )
        for group in {*cost, *risk, *found}
    ]
    return tuple(sorted(lines, key=_line_order))


def _families(findings: tuple[Finding, ...], allocations: list[Allocation]) -> tuple[GroupTotal, ...]:
    """Per rule family: its findings, their de-duplicated cost at risk, the cost of what they bill."""
    by_key = {a.key: a for a in allocations}
    families: dict[str, list[Finding]] = {}
    for finding in findings:
        families.setdefault(finding.category, []).append(finding)
    lines = []
    for family, members in families.items():
        billed: dict[str, Allocation] = {}
        for finding in members:
            for line in finding.cost.lines:
                if line.resource_key in by_key:
                    billed[line.resource_key] = by_key[line.resource_key]
        risk = NO_RISK
        for amounts in _per_resource(members).values():
            risk = _add(risk, amounts)
        total = _total(family, {}, list(billed.values()), risk, len(members))
        lines.append(total)
    return tuple(sorted(lines, key=_line_order))


def _total(
    group: str | None,
    labels: Mapping[str, str],
    members: list[Allocation],
    risk: Risk,
    findings: int,
    untagged: str = UNTAGGED_LABEL,
) -> GroupTotal:
    with_requests = [a for a in members if a.monthly_requests is not None]
    priced = [a for a in with_requests if a.monthly_usd is not None and a.monthly_requests]
    requests = sum(a.monthly_requests or 0.0 for a in with_requests) if with_requests else None
    priced_requests = sum(a.monthly_requests or 0.0 for a in priced)
    unit = (
        cost_per_1000_requests(sum(a.monthly_usd or 0.0 for a in priced), priced_requests) if priced else None
    )
    if group is None:
        kind, label = GroupKind.UNTAGGED, untagged
    elif group == UNKNOWN_LABEL:
        kind, label = GroupKind.UNKNOWN, UNKNOWN_LABEL
    else:
        kind, label = GroupKind.VALUE, labels.get(group, group)
    return GroupTotal(
        group=group,
        label=label,
        kind=kind,
        monthly_usd=round(float(sum(a.monthly_usd for a in members if a.monthly_usd is not None)), 2),
        at_risk_usd=round(float(risk[0]), 2),
        spend_in_violation_usd=round(float(risk[1]), 2),
        possible_savings_usd=round(float(risk[2]), 2),
        savings_upper_bound_usd=round(float(risk[3]), 2),
        resources=len(members),
        unknown_cost_resources=sum(1 for a in members if a.monthly_usd is None),
        findings=findings,
        monthly_requests=round(requests, 0) if requests is not None else None,
        cost_per_1000_requests=unit,
    )


def _line_order(line: GroupTotal) -> tuple[int, float, float, str]:
    # Named groups by spend, then cost at risk; the untagged and unknown lines last, where a reader looks
    # for what is left to allocate.
    return (line.kind is not GroupKind.VALUE, -line.monthly_usd, -line.at_risk_usd, line.label)
