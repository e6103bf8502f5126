"""Monthly cost of a resource, and what a rule violation costs (design.md §3).

:class:`CostModel` prices Azure OpenAI deployments (provisioned, fine-tuned
hosting, pay-per-token), AI Search services and Azure ML computes from a
:class:`~aigov.cost.catalog.Catalog`, rolls accounts and workspaces up from
their children, and turns a rule's :class:`~aigov.cost.spec.CostSpec` into a
:class:`~aigov.model.CostImpact`. Every figure carries its formula, the
prices used (meter, region, source, date) and a confidence; where usage or a
missing price decides the figure it is ``None``, never a guess.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from aigov import armpath
from aigov.cost.catalog import GLOBAL_REGION, Catalog, PriceMatch
from aigov.cost.spec import CostKind, CostSpec
from aigov.model import (
    HOURS_PER_MONTH,
    UNKNOWN,
    Confidence,
    CostImpact,
    CostLine,
    Inventory,
    Price,
    Resource,
    _Unknown,
)

ACCOUNT: Final = "microsoft.cognitiveservices/accounts"
DEPLOYMENT: Final = "microsoft.cognitiveservices/accounts/deployments"
SEARCH: Final = "microsoft.search/searchservices"
WORKSPACE: Final = "microsoft.machinelearningservices/workspaces"
COMPUTE: Final = "microsoft.machinelearningservices/workspaces/computes"

PROVISIONED_SKUS: Final = frozenset(
    {"globalprovisionedmanaged", "datazoneprovisionedmanaged", "provisionedmanaged"}
)
PAY_PER_TOKEN_SKUS: Final = frozenset(
    {"standard", "globalstandard", "datazonestandard", "globalbatch", "datazonebatch", "developertier"}
)

_NO_USAGE: Final = "no usage known"
_SEARCH_COUNTS: Final = (("properties.replicaCount", "replicas"), ("properties.partitionCount", "partitions"))


def is_fine_tuned(model_name: object) -> bool:
    """Whether an Azure OpenAI model name is a fine-tuned model or checkpoint.

    Fine-tuned ids look like ``gpt-4o-mini-2024-07-18.ft-<32 hex>``;
    checkpoints deploy as ``ftchkpt-<32 hex>``. The API has no explicit flag,
    so this is a naming heuristic (azure-facts §1.3).
    """
    if not isinstance(model_name, str):
        return False
    name = model_name.casefold()
    return ".ft-" in name or name.startswith("ftchkpt-")


@dataclass(frozen=True, slots=True)
class _Estimate:
    """A resource's own cost line, plus what a delta may compare.

    ``fixed`` is the monthly charge that does not depend on usage: the line's
    amount for committed meters, ``0.0`` for a pay-per-token deployment whose
    line is unknown, ``None`` when even that is unknown.
    """

    line: CostLine
    fixed: float | None
    pay_per_token: bool = False  # no fixed charge; tokens are billed per use


class CostModel:
    """Prices resources from a catalogue; implements :class:`aigov.cost.spec.CostEstimator`."""

    def __init__(self, catalog: Catalog, *, default_region: str | None = None) -> None:
        # aigov.yaml's pricing.default_region overrides the catalogue's own fallback region.
        self.catalog = catalog.with_default_region(default_region) if default_region else catalog

    # ------------------------------------------------------------------ public

    def monthly_cost(self, resource: Resource, inventory: Inventory) -> CostImpact:
        """The resource's own monthly cost; an account or workspace is the sum of its billed children."""
        kind = resource.type.casefold()
        if kind == ACCOUNT:
            return self._rollup(resource, inventory, DEPLOYMENT, "no billed deployments in this input")
        if kind == WORKSPACE:
            return self._rollup(resource, inventory, COMPUTE, "no billed computes in this input")
        estimate = self._leaf(resource, inventory)
        if estimate is None:
            return CostImpact.unknown(f"aigov has no price model for {resource.type}")
        return CostImpact.from_lines([estimate.line])

    def impact(self, spec: CostSpec, resource: Resource, inventory: Inventory) -> CostImpact:
        """What a violation of a rule with ``spec`` on ``resource`` costs per month."""
        if spec.kind is CostKind.RESOURCE:
            return self.monthly_cost(resource, inventory)
        if spec.kind is CostKind.NONE:
            return CostImpact(0.0, "the rule carries no cost of its own", Confidence.EXACT)
        return self._delta(spec, resource, inventory)

    # ------------------------------------------------------------------ delta

    def _delta(self, spec: CostSpec, resource: Resource, inventory: Inventory) -> CostImpact:
        current = self._any(resource, inventory)
        if current.line.monthly_usd is None:
            return _unknown_impact(
                resource, f"current cost unknown: {current.line.formula}", current.line.prices
            )
        if spec.field is None or not spec.to:
            return _unknown_impact(
                resource,
                f"{current.line.formula} − no allowed alternative to compare with",
                current.line.prices,
            )

        best: tuple[float, Any, _Estimate] | None = None
        skipped: list[str] = []
        for value in spec.to:
            changed = dataclasses.replace(resource, body=armpath.with_value(resource.body, spec.field, value))
            alternative = self._any(changed, inventory)
            if alternative.fixed is None:
                skipped.append(f"{value} ({alternative.line.formula})")
                continue
            if best is None or alternative.fixed < best[0]:
                best = (alternative.fixed, value, alternative)
        if best is None:
            return _unknown_impact(
                resource,
                f"{current.line.formula} − no allowed alternative could be priced: {'; '.join(skipped)}",
                current.line.prices,
            )

        cheapest, value, alternative = best
        label = value if isinstance(value, str) else f"{spec.field} = {value}"
        if alternative.pay_per_token and alternative.line.monthly_usd is None:
            described = f"{label}, pay-per-token, no fixed charge (tokens not included)"
            # Only the committed side carries a price; the alternative's 0 is exact by construction,
            # and its token prices play no part in the figure.
            confidence = current.line.confidence
            used = current.line.prices
        else:
            described = f"{label}: {alternative.line.formula}"
            confidence = Confidence.weakest((current.line.confidence, alternative.line.confidence))
            used = _unique(current.line.prices + alternative.line.prices)
        difference = round(current.line.monthly_usd - cheapest, 2)
        amount = max(difference, 0.0)
        basis = f"{current.line.formula} − cheapest allowed: {described} = {_usd(amount)} $/month"
        if difference < 0:
            basis += " (already no dearer than every allowed alternative)"
        line = CostLine(resource.key, amount, basis, confidence, used)
        return CostImpact(amount, basis, confidence, (line,))

    # ------------------------------------------------------------------ dispatch

    def _any(self, resource: Resource, inventory: Inventory) -> _Estimate:
        """The resource's cost as one line, whatever its type (parents are rolled up)."""
        estimate = self._leaf(resource, inventory)
        if estimate is not None:
            return estimate
        impact = self.monthly_cost(resource, inventory)
        line = CostLine(resource.key, impact.monthly_usd, impact.basis, impact.confidence, impact.prices)
        return _Estimate(line, impact.monthly_usd)

    def _leaf(self, resource: Resource, inventory: Inventory) -> _Estimate | None:
        kind = resource.type.casefold()
        if kind == DEPLOYMENT:
            return self._deployment(resource, inventory)
        if kind == SEARCH:
            return self._search(resource, inventory)
        if kind == COMPUTE:
            return self._compute(resource, inventory)
        return None

    def _rollup(self, resource: Resource, inventory: Inventory, child_type: str, empty: str) -> CostImpact:
        lines = []
        for child in inventory.children(resource):
            if child.type.casefold() != child_type:
                continue
            estimate = self._leaf(child, inventory)
            if estimate is not None:
                name = child.name if isinstance(child.name, str) else child.key
                lines.append(dataclasses.replace(estimate.line, formula=f"{name}: {estimate.line.formula}"))
        return CostImpact.from_lines(lines, empty_basis=empty)

    # ------------------------------------------------------------------ Azure OpenAI deployments

    def _deployment(self, resource: Resource, inventory: Inventory) -> _Estimate:
        body = resource.body
        sku = _text(armpath.get(body, "sku.name"))
        if isinstance(sku, _Unknown):
            return _unknown(resource, "deployment type (sku.name) known only after apply")
        if sku is None:
            return _unknown(resource, "no deployment type (sku.name) in the input")
        model = _text(armpath.get(body, "properties.model.name"))
        version = _text(armpath.get(body, "properties.model.version"))
        region = inventory.effective_location(resource)
        folded = sku.casefold()

        if folded in PROVISIONED_SKUS:
            return self._provisioned(resource, sku, region)
        if folded not in PAY_PER_TOKEN_SKUS:
            return _unknown(resource, f"deployment type {sku} not recognised; no price model for it")
        if isinstance(model, _Unknown):
            return _unknown(
                resource,
                f"pay-per-token ({sku}): model known only after apply (a fine-tuned model would add an "
                f"hourly hosting fee); {_NO_USAGE}",
            )
        if isinstance(model, str) and is_fine_tuned(model):
            return self._fine_tuned(resource, sku, region)
        return self._pay_per_token(
            resource, model, version if isinstance(version, str) else None, sku, region
        )

    def _provisioned(self, resource: Resource, sku: str, region: object) -> _Estimate:
        match = self.catalog.ptu_hourly(sku, region)
        if match is None:
            return _unknown(resource, f"no PTU price for {sku} in the price catalogue")
        rate = f"{_rate(match.price.unit_price)} $/PTU/h x {HOURS_PER_MONTH} h ({_context(sku, match)})"
        capacity = _quantity(armpath.get(resource.body, "sku.capacity"))
        if isinstance(capacity, _Unknown):
            return _unknown(resource, f"PTU count (sku.capacity) known only after apply; {rate}", match)
        if capacity is None:
            return _unknown(resource, f"no PTU count (sku.capacity) in the input; {rate}", match)
        monthly = round(capacity * match.price.unit_price * HOURS_PER_MONTH, 2)
        formula = (
            f"{_num(capacity)} PTU x {_rate(match.price.unit_price)} $/h x {HOURS_PER_MONTH} h "
            f"({_context(sku, match)})"
        )
        return _priced(resource, monthly, formula, Confidence.EXACT, match)

    def _fine_tuned(self, resource: Resource, sku: str, region: object) -> _Estimate:
        match = self.catalog.ft_hosting_hourly(sku, region)
        if match is None:
            return _unknown(resource, f"fine-tuned model on {sku}: no hosting price in the price catalogue")
        monthly = round(match.price.unit_price * HOURS_PER_MONTH, 2)
        formula = (
            f"{_rate(match.price.unit_price)} $/h hosting x {HOURS_PER_MONTH} h "
            f"({_context(f'fine-tuned, {sku}', match)}); tokens billed per use, not included"
        )
        estimate = _priced(resource, monthly, formula, Confidence.EXACT, match)
        return dataclasses.replace(estimate, pay_per_token=True)

    def _pay_per_token(
        self, resource: Resource, model: str | None, version: str | None, sku: str, region: object
    ) -> _Estimate:
        if model is None:
            text = f"pay-per-token: no model in the input, {sku}; {_NO_USAGE}"
            return _Estimate(CostLine(resource.key, None, text, Confidence.UNKNOWN), 0.0, pay_per_token=True)
        matches = self.catalog.token_prices(model, version, sku, region)
        if not matches:
            text = f"pay-per-token: {model} {sku}, no token price in the price catalogue; {_NO_USAGE}"
            return _Estimate(CostLine(resource.key, None, text, Confidence.UNKNOWN), 0.0, pay_per_token=True)
        quoted = ", ".join(
            f"{_rate(m.price.unit_price)} $/1M {direction.replace('_', ' ')}"
            for direction, m in matches.items()
        )
        first = next(iter(matches.values()))
        place = "" if first.price.region == GLOBAL_REGION and not first.fallback else f"{first.where}, "
        uncertain = ", price uncertain" if any(m.uncertain for m in matches.values()) else ""
        text = (
            f"pay-per-token: {model} {sku} {quoted} "
            f"({place}price of {first.price.as_of.isoformat()}{uncertain}); {_NO_USAGE}"
        )
        prices = tuple(m.price for m in matches.values())
        line = CostLine(resource.key, None, text, Confidence.UNKNOWN, prices)
        return _Estimate(line, 0.0, pay_per_token=True)

    # ------------------------------------------------------------------ AI Search

    def _search(self, resource: Resource, inventory: Inventory) -> _Estimate:
        body = resource.body
        sku = _text(armpath.get(body, "sku.name"))
        if isinstance(sku, _Unknown):
            return _unknown(resource, "AI Search tier (sku.name) known only after apply")
        if sku is None:
            return _unknown(resource, "no AI Search tier (sku.name) in the input")
        match = self.catalog.search_unit_hourly(sku, inventory.effective_location(resource))
        if match is None:
            return _unknown(resource, f"no price for AI Search tier {sku} in the price catalogue")
        per_unit = f"{_rate(match.price.unit_price)} $/h per search unit ({_context(sku, match)})"
        counts = []
        for path, label in _SEARCH_COUNTS:
            value = _quantity(armpath.get(body, path))
            if isinstance(value, _Unknown):
                return _unknown(resource, f"{label} ({path}) known only after apply; {per_unit}", match)
            # Both counts default to 1 in ARM when not set.
            counts.append((1 if value is None else value, label))
        (replicas, _), (partitions, _) = counts
        monthly = round(match.price.unit_price * replicas * partitions * HOURS_PER_MONTH, 2)
        formula = (
            f"{_rate(match.price.unit_price)} $/h x {_num(replicas)} replicas x {_num(partitions)} partitions"
            f" x {HOURS_PER_MONTH} h ({_context(sku, match)})"
        )
        return _priced(resource, monthly, formula, Confidence.EXACT, match)

    # ------------------------------------------------------------------ Azure ML computes

    def _compute(self, resource: Resource, inventory: Inventory) -> _Estimate:
        body = resource.body
        compute_type = _text(armpath.get(body, "properties.computeType"))
        if isinstance(compute_type, _Unknown):
            return _unknown(resource, "compute type (properties.computeType) known only after apply")
        if compute_type is None:
            return _unknown(resource, "no compute type (properties.computeType) in the input")
        folded = compute_type.casefold()
        if folded not in {"amlcompute", "computeinstance"}:
            text = f"{compute_type} compute: attached, billed on its own resource, not here"
            return _Estimate(CostLine(resource.key, 0.0, text, Confidence.EXACT), 0.0)

        # ARM nests the compute's own settings under properties.properties.
        settings = _first_present(body, "properties.properties", "properties")
        size = _text(armpath.get(settings, "vmSize"))
        if isinstance(size, _Unknown):
            return _unknown(resource, "VM size (vmSize) known only after apply")
        if size is None:
            return _unknown(resource, "no VM size (vmSize) in the input")
        match = self.catalog.vm_hourly(size, inventory.effective_location(resource))
        if match is None:
            return _unknown(resource, f"no price for VM size {size} in the price catalogue")
        rate = _rate(match.price.unit_price)
        context = _context(size, match)
        per_node = f"{rate} $/h per node ({context})"
        if folded == "computeinstance":
            monthly = round(match.price.unit_price * HOURS_PER_MONTH, 2)
            formula = f"1 instance x {rate} $/h x {HOURS_PER_MONTH} h, assuming it runs all month ({context})"
            return _priced(resource, monthly, formula, Confidence.ESTIMATE, match)

        low_priority = _text(armpath.get(settings, "vmPriority"))
        priority_note = ""
        confidence = Confidence.EXACT
        if isinstance(low_priority, str) and low_priority.casefold() == "lowpriority":
            priority_note = "; low priority, priced at the dedicated rate as an upper bound"
            confidence = Confidence.ESTIMATE
        minimum = _quantity(armpath.get(settings, "scaleSettings.minNodeCount"))
        if isinstance(minimum, _Unknown):
            return _unknown(resource, f"minNodeCount known only after apply; {per_node}", match)
        if minimum is not None and minimum > 0:
            monthly = round(minimum * match.price.unit_price * HOURS_PER_MONTH, 2)
            formula = (
                f"{_num(minimum)} nodes always on (minNodeCount) x {rate} $/h x {HOURS_PER_MONTH} h "
                f"({context}{priority_note})"
            )
            return _priced(resource, monthly, formula, confidence, match)
        maximum = _quantity(armpath.get(settings, "scaleSettings.maxNodeCount"))
        if isinstance(maximum, _Unknown):
            return _unknown(resource, f"maxNodeCount known only after apply; {per_node}", match)
        if maximum is None:
            return _unknown(resource, f"no maxNodeCount in the input; {per_node}", match)
        monthly = round(maximum * match.price.unit_price * HOURS_PER_MONTH, 2)
        formula = (
            f"upper bound: {_num(maximum)} nodes (maxNodeCount; minNodeCount 0 scales to zero when idle) x "
            f"{rate} $/h x {HOURS_PER_MONTH} h if all run all month ({context}{priority_note})"
        )
        return _priced(resource, monthly, formula, Confidence.ESTIMATE, match)


# ---------------------------------------------------------------------------- helpers


def _priced(
    resource: Resource, monthly: float, formula: str, confidence: Confidence, match: PriceMatch
) -> _Estimate:
    if match.fallback or match.uncertain:
        confidence = Confidence.weakest((confidence, Confidence.ESTIMATE))
    return _Estimate(CostLine(resource.key, monthly, formula, confidence, (match.price,)), monthly)


def _unknown(resource: Resource, text: str, match: PriceMatch | None = None) -> _Estimate:
    prices = (match.price,) if match is not None else ()
    return _Estimate(CostLine(resource.key, None, text, Confidence.UNKNOWN, prices), None)


def _unknown_impact(resource: Resource, basis: str, prices: tuple[Price, ...]) -> CostImpact:
    line = CostLine(resource.key, None, basis, Confidence.UNKNOWN, prices)
    return CostImpact(None, basis, Confidence.UNKNOWN, (line,))


def _context(label: str, match: PriceMatch) -> str:
    """``ProvisionedManaged, eastus, price of 2026-09-30`` (+ fallback and uncertainty when they apply)."""
    text = f"{label}, {match.where}, price of {match.price.as_of.isoformat()}"
    if match.uncertain:
        text += ", price uncertain"
    return text


def _text(value: Any) -> str | _Unknown | None:
    if isinstance(value, _Unknown):
        return UNKNOWN
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _quantity(value: Any) -> float | _Unknown | None:
    """A count from the body: a number, or a string holding one; None if absent or not a number."""
    if isinstance(value, _Unknown):
        return UNKNOWN
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _first_present(body: Any, *paths: str) -> Any:
    for path in paths:
        value = armpath.get(body, path)
        if value is not armpath.MISSING and value is not None:
            return value
    return {}


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _rate(value: float) -> str:
    """A unit price with at least two decimals and no noise: 2.00, 0.336, 0.0275."""
    whole, _, fraction = f"{value:.4f}".rstrip("0").partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _usd(value: float) -> str:
    return f"{value:,.2f}"


def _unique(prices: Iterable[Price]) -> tuple[Price, ...]:
    return tuple(dict.fromkeys(prices))
