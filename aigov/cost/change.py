"""``cost: {change: {field: PATH, to: ...}}``: what a resource would cost more with PATH changed.

The figure of a change forced on a deployment (a retiring model version
upgraded to the replacement Microsoft names): the resource's cost with
``PATH`` set to the alternative minus its cost as it is, at the same usage.
A rise is the finding's monthly figure; a fall is 0 with the saving in the
basis (the change costs nothing more). Without usage a pay-per-token
deployment's figure is unknown, and the basis quotes both sides' token prices
so the difference per token is still visible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aigov import armpath
from aigov.model import Confidence, CostImpact, CostLine, Inventory, Resource

if TYPE_CHECKING:
    from aigov.cost.model import CostModel
    from aigov.cost.spec import CostSpec


def change_impact(costs: CostModel, spec: CostSpec, resource: Resource, inventory: Inventory) -> CostImpact:
    """The monthly rise (0 for a fall) of ``resource``'s cost with ``spec.field`` set to ``spec.to[0]``."""
    current = costs.line_for(resource, inventory)
    if spec.field is None or not spec.to:
        basis = f"now: {current.formula}; no alternative to compare with"
        return _unknown(resource, basis, current)
    value = spec.to[0]
    body = armpath.with_value(resource.body, spec.field, value)
    if spec.field.casefold() == "properties.model.name":
        # Another model's versions are its own: price the alternative at its newest catalogued version.
        sku = armpath.get(body, "sku.name")
        newest = None
        if isinstance(value, str) and isinstance(sku, str):
            newest = costs.catalog.newest_version(value, sku)
        body = armpath.with_value(body, "properties.model.version", newest)
    alternative = costs.line_for(resource.with_body(body), inventory)
    label = value if isinstance(value, str) else f"{spec.field} = {value}"
    if current.monthly_usd is None or alternative.monthly_usd is None:
        basis = f"now: {current.formula}; with {label}: {alternative.formula}; the difference depends on both"
        return _unknown(resource, basis, current, alternative)
    difference = round(alternative.monthly_usd - current.monthly_usd, 2)
    amount = max(difference, 0.0)
    if difference > 0:
        outcome = f"{difference:,.2f} $/month more"
    elif difference < 0:
        outcome = f"{-difference:,.2f} $/month less (no added cost)"
    else:
        outcome = "the same cost"
    basis = f"with {label}: {alternative.formula} − now: {current.formula} = {outcome}"
    confidence = Confidence.weakest((current.confidence, alternative.confidence))
    prices = tuple(dict.fromkeys(current.prices + alternative.prices))
    line = CostLine(resource.key, amount, basis, confidence, prices)
    return CostImpact(amount, basis, confidence, (line,))


def _unknown(resource: Resource, basis: str, *lines: CostLine) -> CostImpact:
    prices = tuple(dict.fromkeys(p for line in lines for p in line.prices))
    line = CostLine(resource.key, None, basis, Confidence.UNKNOWN, prices)
    return CostImpact(None, basis, Confidence.UNKNOWN, (line,))
