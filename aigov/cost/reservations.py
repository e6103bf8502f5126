"""Which provisioned deployments owned PTU reservations cover, and which reservations go unused.

A PTU reservation (``pricing.reservations`` in aigov.yaml) covers
provisioned deployments of its deployment type, in its region (any region
when it names none) and in its scope: every subscription (shared, the
default), one subscription, or one resource group of a subscription.
Reservations are not interchangeable between deployment types (Microsoft
Learn: provisioned throughput onboarding), so a Data Zone reservation beside
Global deployments covers nothing.

:func:`allocate` hands out reservation PTUs to deployments in inventory
order, each deployment taking first from the most specific reservation that
matches it (a resource group's, then a subscription's, then a shared one),
so one reservation is never counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from aigov import armpath, armtypes
from aigov.cost.catalog import normalise_region
from aigov.model import LIVE_SOURCE, Action, Inventory, Origin, Resource

_DEPLOYMENT = armtypes.DEPLOYMENT.casefold()
MONTH: Final = "P1M"
YEAR: Final = "P1Y"
TERMS: Final = {MONTH: "1-month", YEAR: "1-year"}
"""The PTU reservation terms Azure sells (Microsoft Learn: one month or one year), as ARM writes them."""


def provisioned_type(text: str) -> str | None:
    """The provisioned deployment type a PTU reservation's name or SKU text names, if it names one.

    Reservation SKUs and Retail Prices API reservation rows spell the
    deployment type out (``Provisioned Managed Global``, ``... Data Zone``,
    ``... Regional``); a text naming none is not guessed at.
    """
    folded = text.casefold()
    if "global" in folded:
        return "GlobalProvisionedManaged"
    if "data zone" in folded or "datazone" in folded or "data_zone" in folded:
        return "DataZoneProvisionedManaged"
    if "regional" in folded:
        return "ProvisionedManaged"
    return None


@dataclass(frozen=True, slots=True)
class Reservation:
    """Owned PTU reservations: ``ptu`` units of ``deployment_type`` in ``region`` (None: any region).

    ``subscription`` / ``resource_group`` narrow its scope (None: shared, every subscription).
    """

    deployment_type: str
    ptu: float
    region: str | None = None
    subscription: str | None = None  # casefolded
    resource_group: str | None = None  # casefolded; only with a subscription
    name: str | None = None
    term: str = MONTH  # ARM's term: P1M (one month) or P1Y (one year)
    id: str | None = None  # the reservation's ARM id, when read from the Reservations API

    def key(self, index: int) -> str:
        """The reservation's resource key: its ARM id (lower case), else its place in aigov.yaml."""
        return self.id.casefold() if self.id else reservation_key(index)

    @property
    def specificity(self) -> int:
        return (self.subscription is not None) + (self.resource_group is not None)

    @property
    def scope_text(self) -> str:
        if self.resource_group is not None:
            return f"resource group {self.resource_group} of subscription {self.subscription}"
        if self.subscription is not None:
            return f"subscription {self.subscription}"
        return "shared scope"

    def matches(self, sku: str, place: str, subscription: Any, resource_group: Any) -> bool:
        """Whether this reservation can cover a deployment of ``sku`` in ``place`` and that scope."""
        if self.deployment_type.casefold() != sku.casefold() or self.region not in (None, place):
            return False
        if self.subscription is not None and (
            not isinstance(subscription, str) or subscription.casefold() != self.subscription
        ):
            return False
        return self.resource_group is None or (
            isinstance(resource_group, str) and resource_group.casefold() == self.resource_group
        )


@dataclass(frozen=True, slots=True)
class Allocation:
    """PTUs covered per deployment key, and PTUs used per reservation (in configuration order)."""

    covered: dict[str, float]
    used: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Provisioned:
    """One provisioned deployment as reservations see it."""

    key: str
    sku: str
    place: str
    subscription: Any
    resource_group: Any
    ptu: float


def provisioned(resource: Resource, inventory: Inventory, ptu: float | None) -> Provisioned | None:
    """``resource`` as a candidate for coverage, if it is a deployment with a known type and PTU count."""
    sku = armpath.get(resource.body, "sku.name")
    if resource.type.casefold() != _DEPLOYMENT or not isinstance(sku, str) or ptu is None:
        return None
    place = normalise_region(inventory.effective_location(resource)) or ""
    return Provisioned(resource.key, sku, place, resource.subscription_id, resource.resource_group, ptu)


def allocate(
    deployments: Iterable[Provisioned], reservations: Sequence[Reservation], until: str | None = None
) -> tuple[Allocation, list[float]]:
    """Hand reservation PTUs to ``deployments`` in order; stop before the key ``until`` if given.

    Returns the allocation and the PTUs each reservation has left.
    """
    left = [r.ptu for r in reservations]
    covered: dict[str, float] = {}
    for deployment in deployments:
        if deployment.key == until:
            break
        covered[deployment.key] = take(deployment, reservations, left)
    used = tuple(r.ptu - remaining for r, remaining in zip(reservations, left, strict=True))
    return Allocation(covered, used), left


def take(deployment: Provisioned, reservations: Sequence[Reservation], left: list[float]) -> float:
    """Cover ``deployment`` from the PTUs ``left``, most specific reservation first; returns PTUs covered."""
    need = deployment.ptu
    order = sorted(range(len(reservations)), key=lambda i: -reservations[i].specificity)
    got = 0.0
    for i in order:
        if need <= 0:
            break
        r = reservations[i]
        if left[i] <= 0 or not r.matches(
            deployment.sku, deployment.place, deployment.subscription, deployment.resource_group
        ):
            continue
        share = min(need, left[i])
        left[i] -= share
        need -= share
        got += share
    return got


# ---------------------------------------------------------------------------- reservations as resources

RESERVATION_TYPE = "Microsoft.Capacity/reservationOrders/reservations"
"""The ARM type of a reservation; aigov.yaml's reservations are evaluated as resources of it."""

RESERVATION_SOURCE = "aigov.yaml"


def reservation_key(index: int) -> str:
    return f"pricing.reservations[{index}]"


def reservation_resources(reservations: Sequence[Reservation], file: str | None) -> list[Resource]:
    """aigov.yaml's reservations in ARM shape (``sku.name`` the deployment type, ``properties.quantity``)."""
    out = []
    for i, r in enumerate(reservations):
        key = r.key(i)
        scopes = []
        if r.subscription is not None:
            scope = f"/subscriptions/{r.subscription}"
            scopes.append(scope if r.resource_group is None else f"{scope}/resourceGroups/{r.resource_group}")
        body: dict[str, Any] = {
            "name": r.name or key,
            "type": RESERVATION_TYPE,
            "sku": {"name": r.deployment_type},
            "properties": {
                "quantity": r.ptu,
                "term": r.term,
                "appliedScopeType": "Single" if scopes else "Shared",
                "appliedScopes": scopes,
                "scope": r.scope_text,
            },
        }
        if r.region is not None:
            body["location"] = r.region
        out.append(
            Resource(
                key=key,
                type=RESERVATION_TYPE,
                name=r.name or key,
                body=body,
                origin=Origin(source=RESERVATION_SOURCE, file=file, address=key)
                if r.id is None
                else Origin(source=LIVE_SOURCE, address=r.id),
                action=Action.LIVE,
            )
        )
    return out


def reservation_usage(
    inventory: Inventory, reservations: Sequence[Reservation], used: Sequence[float]
) -> dict[str, dict[str, Any]]:
    """``context.usage`` of each reservation resource: PTUs used and unused, and what else runs in scope.

    ``other_types`` names the provisioned deployments of *other* types in the
    reservation's region and scope (a Data Zone reservation beside Global
    deployments), with ``other_types_ptu`` their PTUs: what the reservation
    was probably meant to cover.
    """
    deployments = []
    for resource in inventory:
        sku = armpath.get(resource.body, "sku.name")
        ptu = armpath.get(resource.body, "sku.capacity")
        if resource.type.casefold() != _DEPLOYMENT or not isinstance(sku, str):
            continue
        if (
            not isinstance(ptu, int | float)
            or isinstance(ptu, bool)
            or not sku.casefold().endswith("provisionedmanaged")
        ):
            continue
        member = provisioned(resource, inventory, float(ptu))
        if member is not None:
            deployments.append(member)
    out: dict[str, dict[str, Any]] = {}
    for i, (r, taken) in enumerate(zip(reservations, used, strict=True)):
        others: dict[str, float] = {}
        for d in deployments:
            if d.sku.casefold() == r.deployment_type.casefold():
                continue
            if r.matches(r.deployment_type, d.place, d.subscription, d.resource_group):
                others[d.sku] = others.get(d.sku, 0.0) + d.ptu
        out[r.key(i)] = {
            "used_ptu": _number(taken),
            "unused_ptu": _number(r.ptu - taken),
            "other_types": ", ".join(f"{sku} ({_number(ptu)} PTU)" for sku, ptu in sorted(others.items())),
            "other_types_ptu": _number(sum(others.values())),
        }
    return out


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)
