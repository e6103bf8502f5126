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
import itertools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from aigov import armpath, armtypes
from aigov.cost.alternatives import Fit, bundled_alternatives
from aigov.cost.catalog import (
    FT_HOSTING,
    GLOBAL_REGION,
    PTU,
    PTU_RESERVATION,
    SEARCH_UNIT,
    TOKENS,
    VM,
    Catalog,
    PriceMatch,
)
from aigov.cost.reservations import (
    MONTH,
    RESERVATION_TYPE,
    TERMS,
    YEAR,
    Allocation,
    Provisioned,
    Reservation,
    allocate,
    provisioned,
    take,
)
from aigov.cost.spec import CostKind, CostSpec
from aigov.cost.usage import Usage, UsageProvider, count
from aigov.errors import SourceError
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

# Compared with casefolded resource types.
ACCOUNT: Final = armtypes.ACCOUNT.casefold()
DEPLOYMENT: Final = armtypes.DEPLOYMENT.casefold()
SEARCH: Final = armtypes.SEARCH.casefold()
WORKSPACE: Final = armtypes.WORKSPACE.casefold()
COMPUTE: Final = armtypes.COMPUTE.casefold()
RESERVATION: Final = RESERVATION_TYPE.casefold()
ONLINE_DEPLOYMENT: Final = armtypes.ONLINE_DEPLOYMENT.casefold()
SERVERLESS_ENDPOINT: Final = armtypes.SERVERLESS_ENDPOINT.casefold()

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
    so this is a naming heuristic.
    """
    if not isinstance(model_name, str):
        return False
    name = model_name.casefold()
    return ".ft-" in name or name.startswith("ftchkpt-")


FAMILIES: Final = (PTU, PTU_RESERVATION, FT_HOSTING, TOKENS, SEARCH_UNIT, VM)
"""Meter families a negotiated discount can name (``pricing.discounts`` in aigov.yaml)."""

_DATED_BASE: Final = re.compile(r"^(?P<model>.+)-(?P<version>\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True, slots=True)
class PricingTerms:
    """What the organisation actually pays: negotiated discounts and owned reservations.

    ``discount_percent`` applies to every meter family; ``discounts`` overrides
    it per family (:data:`FAMILIES`). Reservations cover provisioned
    deployments of their type and region in inventory order; the PTUs they
    cover are billed by the reservation, not by the hour.
    """

    discount_percent: float = 0.0
    discounts: Mapping[str, float] = field(default_factory=dict)
    reservations: tuple[Reservation, ...] = ()

    def discount(self, family: str) -> float:
        """The discount in percent that applies to ``family``."""
        return self.discounts.get(family, self.discount_percent)

    @property
    def any_discount(self) -> bool:
        return self.discount_percent > 0 or any(v > 0 for v in self.discounts.values())


NO_TERMS: Final = PricingTerms()


def fine_tuned_base(model_name: str) -> tuple[str, str | None] | None:
    """The base model (and version) of a fine-tuned model id, or None for a checkpoint id.

    ``gpt-4o-mini-2024-07-18.ft-<hex>`` → ``("gpt-4o-mini", "2024-07-18")``.
    Fine-tuned inference tokens bill at the base model's rate (Microsoft Learn:
    https://learn.microsoft.com/azure/ai-foundry/openai/how-to/fine-tuning-cost-management).
    """
    head, sep, _ = model_name.partition(".ft-")
    if not sep:
        return None
    match = _DATED_BASE.match(head)
    if match is None:
        return head, None
    return match["model"], match["version"]


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


@dataclass(slots=True)
class _Memo:
    """Prices already computed for the resources of one inventory, by key."""

    inventory: Inventory
    monthly: dict[str, CostImpact] = field(default_factory=dict)
    leaves: dict[str, _Estimate | None] = field(default_factory=dict)


class CostModel:
    """Prices resources from a catalogue; implements :class:`aigov.cost.spec.CostEstimator`."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        default_region: str | None = None,
        usage: UsageProvider | None = None,
        terms: PricingTerms | None = None,
    ) -> None:
        # aigov.yaml's pricing.default_region overrides the catalogue's own fallback region.
        self.catalog = catalog.with_default_region(default_region) if default_region else catalog
        self.usage = usage
        self.terms = terms or NO_TERMS
        # Reservation coverage per inventory: which PTUs come before each deployment in its pool.
        self._pools: dict[int, tuple[Inventory, list[Provisioned], Allocation]] = {}
        self._memos: dict[int, _Memo] = {}
        # Pay-per-token lines without usage, by model, version, type and region: text and prices.
        self._quoted: dict[tuple[str, str | None, str, object], tuple[str, tuple[Price, ...]]] = {}

    def usage_for(self, resource: Resource, inventory: Inventory) -> Usage | None:
        """The usage the model prices ``resource`` with, if any is known."""
        return self.usage.usage_for(resource, inventory) if self.usage is not None else None

    # ------------------------------------------------------------------ public

    def monthly_cost(self, resource: Resource, inventory: Inventory) -> CostImpact:
        """The resource's own monthly cost; an account or workspace is the sum of its billed children."""
        memo = self._memo(inventory, resource)
        if memo is None:
            return self._monthly_cost(resource, inventory)
        found = memo.monthly.get(resource.key)
        if found is None:
            found = memo.monthly[resource.key] = self._monthly_cost(resource, inventory)
        return found

    def _memo(self, inventory: Inventory, resource: Resource) -> _Memo | None:
        """The per-inventory memo, for a resource as it stands in ``inventory`` (not a delta's modified copy).

        Several rules flag the same resource, and every finding on an account
        re-prices all its deployments: without the memo a large plan spends
        most of its scan pricing the same resources again.
        """
        if inventory.get(resource.key) is not resource:
            return None
        memo = self._memos.get(id(inventory))
        if memo is None or memo.inventory is not inventory:
            memo = self._memos[id(inventory)] = _Memo(inventory)
        return memo

    def _monthly_cost(self, resource: Resource, inventory: Inventory) -> CostImpact:
        kind = resource.type.casefold()
        if kind == ACCOUNT:
            return self._rollup(resource, inventory, (DEPLOYMENT,), "no billed deployments in this input")
        if kind == WORKSPACE:
            return self._rollup(
                resource,
                inventory,
                (COMPUTE, ONLINE_DEPLOYMENT, SERVERLESS_ENDPOINT),
                "no billed computes, online deployments or serverless endpoints in this input",
            )
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
        if spec.kind is CostKind.RESERVATION_SAVING:
            return self.reservation_saving(resource, inventory)
        if spec.kind is CostKind.CHANGE:
            from aigov.cost.change import change_impact  # noqa: PLC0415 - it builds on this module

            return change_impact(self, spec, resource, inventory)
        return self._delta(spec, resource, inventory)

    def line_for(self, resource: Resource, inventory: Inventory) -> CostLine:
        """The resource's monthly cost as one line, also for a modified copy not in ``inventory``."""
        return self._any(resource, inventory).line

    def reservation_saving(self, resource: Resource, inventory: Inventory) -> CostImpact:
        """What a one-month PTU reservation would save on a provisioned deployment billed hourly."""
        body = resource.body
        sku = _text(armpath.get(body, "sku.name"))
        if resource.type.casefold() != DEPLOYMENT or not isinstance(sku, str):
            return CostImpact(0.0, "not a provisioned deployment with a known type", Confidence.EXACT)
        if sku.casefold() not in PROVISIONED_SKUS:
            return CostImpact(0.0, f"{sku} is not a provisioned deployment type", Confidence.EXACT)
        region = inventory.effective_location(resource)
        try:
            return self._reservation_saving(resource, inventory, sku, region)
        except BadQuantity as exc:
            raise bad_quantity_error(exc, resource) from None

    def _reservation_saving(
        self, resource: Resource, inventory: Inventory, sku: str, region: Any
    ) -> CostImpact:
        hourly = self.catalog.ptu_hourly(sku, region)
        monthly = self.catalog.ptu_reservation_monthly(sku, region)
        if hourly is None or monthly is None:
            missing = "hourly PTU" if hourly is None else "PTU reservation"
            return _unknown_impact(resource, f"no {missing} price for {sku} in the price catalogue", ())
        prices = (hourly.price, monthly.price)
        capacity = _quantity(armpath.get(resource.body, "sku.capacity"), "sku.capacity")
        if not isinstance(capacity, float):
            why = "known only after apply" if isinstance(capacity, _Unknown) else "not in the input"
            return _unknown_impact(resource, f"PTU count (sku.capacity) {why}", prices)
        covered = self._covered(resource, inventory, sku, region, capacity)
        billed = capacity - covered
        hour_rate = hourly.price.unit_price * (1 - self.terms.discount(PTU) / 100)
        month_rate = monthly.price.unit_price * (1 - self.terms.discount(PTU_RESERVATION) / 100)
        per_ptu = hour_rate * HOURS_PER_MONTH - month_rate
        amount = round(max(billed * per_ptu, 0.0), 2)
        covered_text = ""
        if covered:
            covered_text = f"{_num(capacity)} PTU − {_num(covered)} covered by owned reservations = "
        basis = (
            f"{covered_text}{_num(billed)} PTU x ({_rate(hour_rate)} $/h x {HOURS_PER_MONTH} h − "
            f"{_rate(month_rate)} $/PTU/month reserved) = {_usd(amount)} $/month saved by a 1-month "
            "reservation "
            f"({_context(sku, hourly)}; reservation {_context(sku, monthly)}"
            f"{self._discount_note((PTU, PTU_RESERVATION))})"
        )
        if per_ptu <= 0:
            basis += "; the reservation is no cheaper here"
        used = [hourly, monthly]
        yearly = self.catalog.ptu_reservation_yearly(sku, region)
        if yearly is not None:
            year_rate = yearly.price.unit_price * (1 - self.terms.discount(PTU_RESERVATION) / 100)
            year_amount = round(max(billed * (hour_rate * HOURS_PER_MONTH - year_rate / 12), 0.0), 2)
            basis += (
                f"; a 1-year reservation saves {_usd(year_amount)} $/month: {_num(billed)} PTU x "
                f"({_rate(hour_rate)} $/h x {HOURS_PER_MONTH} h − {_rate(year_rate)} $/PTU/year / 12) "
                f"(reservation {_context(sku, yearly)})"
            )
            used.append(yearly)
        confidence = Confidence.EXACT
        if any(m.fallback or m.uncertain for m in used):
            confidence = Confidence.ESTIMATE
        line = CostLine(resource.key, amount, basis, confidence, tuple(m.price for m in used), saving=True)
        return CostImpact(amount, basis, confidence, (line,))

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

        fits = bundled_alternatives()
        counts = _search_counts(resource.body) if resource.type.casefold() == SEARCH else {}
        usage = self.usage_for(resource, inventory) if resource.type.casefold() == DEPLOYMENT else None
        if usage is not None and usage.batch:
            # The usage says the traffic can wait: a Batch type is an alternative it could really use.
            counts = {**counts, "batch": 1.0}
        current_value = _text(armpath.get(resource.body, spec.field))
        best: tuple[tuple[tuple[float, ...], float], Any, _Estimate, Fit] | None = None
        skipped: list[tuple[int, str]] = []
        refused: list[str] = []
        candidates: list[tuple[tuple[float, ...], int, Any, Fit]] = []
        for index, value in enumerate(spec.to):
            fit = fits.fit(resource.type, spec.field, current_value, value, counts)
            if fit.reason is not None:
                refused.append(fit.reason)
            else:
                candidates.append((fit.distance, index, value, fit))
        # The nearest in capacity among those that take the same load; the cheaper of equally near ones.
        # Only the nearest that can be priced count, so farther ones are not priced at all.
        candidates.sort(key=lambda candidate: candidate[:2])
        for _, group in itertools.groupby(candidates, key=lambda candidate: candidate[0]):
            for distance, index, value, fit in group:
                body = armpath.with_value(resource.body, spec.field, value)
                if spec.field.casefold() == "properties.model.name":
                    # Another model's versions are its own: price the alternative at its newest version.
                    body = armpath.with_value(body, "properties.model.version", None)
                alternative = self._any(resource.with_body(body), inventory)
                if alternative.fixed is None:
                    skipped.append((index, f"{value} ({alternative.line.formula})"))
                    continue
                rank = (distance, alternative.fixed)
                if best is None or rank < best[0]:
                    best = (rank, value, alternative, fit)
            if best is not None:
                break
        if best is None:
            reasons = "; ".join(refused + [text for _, text in sorted(skipped)])
            what = "accepts the same load or could be priced" if refused else "could be priced"
            return _unknown_impact(
                resource,
                f"{current.line.formula} − no allowed alternative {what}: {reasons}",
                current.line.prices,
            )

        (_, cheapest), value, alternative, fit = best
        label = value if isinstance(value, str) else f"{spec.field} = {value}"
        if spec.to_context is not None and len(spec.to) == 1 and not isinstance(spec.to[0], str):
            chosen = f"as {spec.to_context} says"  # a quantity the context gives (a reservation's PTUs used)
        else:
            chosen = f"nearest allowed ({fit.note})" if fit.note else "cheapest allowed"
        upper_bound = False
        if alternative.pay_per_token and alternative.line.monthly_usd is None:
            # The alternative bills tokens no input states: what it would cost is not counted, so the
            # difference is at most the committed side's cost, an upper bound and never exact.
            described = f"{label}, pay-per-token, its tokens not counted (no usage known)"
            confidence = Confidence.weakest((current.line.confidence, Confidence.ESTIMATE))
            used = current.line.prices
            upper_bound = not current.pay_per_token and cheapest == 0.0
        else:
            # Both sides at their upper bound (a cluster's maxNodeCount): the difference is one too.
            upper_bound = current.line.upper_bound
            described = f"{label}: {alternative.line.formula}"
            confidence = Confidence.weakest((current.line.confidence, alternative.line.confidence))
            used = _unique(current.line.prices + alternative.line.prices)
        difference = round(current.line.monthly_usd - cheapest, 2)
        amount = max(difference, 0.0)
        prefix = "upper bound: " if upper_bound and not current.line.upper_bound else ""
        basis = f"{prefix}{current.line.formula} − {chosen}: {described} = {_usd(amount)} $/month"
        if upper_bound and not current.line.upper_bound:
            basis += " at most (give the deployment's usage to price its tokens)"
        if refused:
            basis += f"; not compared: {'; '.join(refused)}"
        if difference < 0:
            basis += " (already no dearer than the allowed alternative)"
        line = CostLine(resource.key, amount, basis, confidence, used, saving=True, upper_bound=upper_bound)
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
        memo = self._memo(inventory, resource)
        if memo is None:
            return self._price_leaf(resource, inventory)
        if resource.key not in memo.leaves:
            memo.leaves[resource.key] = self._price_leaf(resource, inventory)
        return memo.leaves[resource.key]

    def _price_leaf(self, resource: Resource, inventory: Inventory) -> _Estimate | None:
        try:
            return self._price_leaf_of_kind(resource, inventory)
        except BadQuantity as exc:
            raise bad_quantity_error(exc, resource) from None

    def _price_leaf_of_kind(self, resource: Resource, inventory: Inventory) -> _Estimate | None:
        kind = resource.type.casefold()
        if kind == DEPLOYMENT:
            return self._deployment(resource, inventory)
        if kind == SEARCH:
            return self._search(resource, inventory)
        if kind == COMPUTE:
            return self._compute(resource, inventory)
        if kind == RESERVATION:
            return self._reservation(resource, inventory)
        if kind == ONLINE_DEPLOYMENT:
            return self._online_deployment(resource, inventory)
        if kind == SERVERLESS_ENDPOINT:
            return _unknown(
                resource,
                "serverless endpoint: billed per token at its model's Azure Marketplace price, which the "
                "price catalogue does not hold",
            )
        return None

    def _rollup(
        self, resource: Resource, inventory: Inventory, child_types: tuple[str, ...], empty: str
    ) -> CostImpact:
        lines = []
        for child in inventory.children(resource):
            if child.type.casefold() not in child_types:
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
            return self._provisioned(resource, inventory, sku, region)
        if folded not in PAY_PER_TOKEN_SKUS:
            return _unknown(resource, f"deployment type {sku} not recognised; no price model for it")
        if isinstance(model, _Unknown):
            return _unknown(
                resource,
                f"pay-per-token ({sku}): model known only after apply (a fine-tuned model would add an "
                f"hourly hosting fee); {_NO_USAGE}",
            )
        usage = self.usage_for(resource, inventory)
        if isinstance(model, str) and is_fine_tuned(model):
            return self._fine_tuned(resource, model, sku, region, usage)
        return self._pay_per_token(
            resource, model, version if isinstance(version, str) else None, sku, region, usage
        )

    def _provisioned(self, resource: Resource, inventory: Inventory, sku: str, region: object) -> _Estimate:
        match = self.catalog.ptu_hourly(sku, region)
        if match is None:
            return _unknown(resource, f"no PTU price for {sku} in the price catalogue")
        rate = f"{_rate(match.price.unit_price)} $/PTU/h x {HOURS_PER_MONTH} h ({_context(sku, match)})"
        capacity = _quantity(armpath.get(resource.body, "sku.capacity"), "sku.capacity")
        if isinstance(capacity, _Unknown):
            return _unknown(resource, f"PTU count (sku.capacity) known only after apply; {rate}", match)
        if capacity is None:
            return _unknown(resource, f"no PTU count (sku.capacity) in the input; {rate}", match)
        covered = self._covered(resource, inventory, sku, region, capacity)
        billed = capacity - covered
        monthly = round(billed * match.price.unit_price * HOURS_PER_MONTH, 2)
        reserved = (
            f"{_num(capacity)} PTU − {_num(covered)} covered by owned reservations (billed by the "
            f"reservation, not here) = "
            if covered
            else ""
        )
        formula = (
            f"{reserved}{_num(billed)} PTU x {_rate(match.price.unit_price)} $/h x {HOURS_PER_MONTH} h "
            f"({_context(sku, match)})"
        )
        return self._priced(resource, monthly, formula, Confidence.EXACT, match, PTU)

    def _fine_tuned(
        self, resource: Resource, model: str, sku: str, region: object, usage: Usage | None
    ) -> _Estimate:
        match = self.catalog.ft_hosting_hourly(sku, region)
        if match is None:
            return _unknown(resource, f"fine-tuned model on {sku}: no hosting price in the price catalogue")
        monthly = round(match.price.unit_price * HOURS_PER_MONTH, 2)
        hosting = (
            f"{_rate(match.price.unit_price)} $/h hosting x {HOURS_PER_MONTH} h "
            f"({_context(f'fine-tuned, {sku}', match)})"
        )
        base = fine_tuned_base(model)
        if usage is not None and base is not None:
            tokens = self._pay_per_token(resource, base[0], base[1], sku, region, usage)
            if tokens.line.monthly_usd is not None:
                hosted = self._priced(resource, monthly, hosting, Confidence.EXACT, match, FT_HOSTING)
                assert hosted.line.monthly_usd is not None
                total = round(hosted.line.monthly_usd + tokens.line.monthly_usd, 2)
                formula = (
                    f"{hosted.line.formula} + tokens at the base model's rate: {tokens.line.formula} "
                    f"= {_usd(total)} $/month"
                )
                confidence = Confidence.weakest((hosted.line.confidence, tokens.line.confidence))
                prices = _unique(hosted.line.prices + tokens.line.prices)
                line = CostLine(resource.key, total, formula, confidence, prices)
                return _Estimate(line, total, pay_per_token=True)
        formula = f"{hosting}; tokens billed per use, not included"
        estimate = self._priced(resource, monthly, formula, Confidence.EXACT, match, FT_HOSTING)
        return dataclasses.replace(estimate, pay_per_token=True)

    def _pay_per_token(
        self,
        resource: Resource,
        model: str | None,
        version: str | None,
        sku: str,
        region: object,
        usage: Usage | None = None,
    ) -> _Estimate:
        if model is None:
            text = f"pay-per-token: no model in the input, {sku}; {_NO_USAGE}"
            return _Estimate(CostLine(resource.key, None, text, Confidence.UNKNOWN), 0.0, pay_per_token=True)
        if usage is None:
            # No traffic to price: the line quotes the rates, the same for every deployment of a model.
            key = (model, version, sku, region)
            quoted = self._quoted.get(key)
            if quoted is None:
                quoted = self._quoted[key] = self._quoted_rates(model, version, sku, region)
            text, prices = quoted
            line = CostLine(resource.key, None, text, Confidence.UNKNOWN, prices)
            return _Estimate(line, 0.0, pay_per_token=True)
        matches = self.catalog.token_prices(model, version, sku, region)
        assumed_version = ""
        if not matches and version is None:
            newest = self.catalog.newest_version(model, sku)
            if newest is not None:
                matches = self.catalog.token_prices(model, newest, sku, region)
                assumed_version = f", no version given: priced at version {newest}"
        if not matches:
            text = (
                f"pay-per-token: {model} {sku}, no token price in the price catalogue (usage: {usage.source})"
            )
            return _Estimate(CostLine(resource.key, None, text, Confidence.UNKNOWN), 0.0, pay_per_token=True)
        where = _token_price_place(model, sku, matches) + assumed_version
        return self._tokens(resource, model, matches, usage, where)

    def _quoted_rates(
        self, model: str, version: str | None, sku: str, region: object
    ) -> tuple[str, tuple[Price, ...]]:
        """A pay-per-token line without usage: its text (the rates, or that there are none) and prices."""
        matches = self.catalog.token_prices(model, version, sku, region)
        if not matches:
            return f"pay-per-token: {model} {sku}, no token price in the price catalogue; {_NO_USAGE}", ()
        quoted = ", ".join(
            f"{_rate(m.price.unit_price)} $/1M {direction.replace('_', ' ')}"
            for direction, m in matches.items()
        )
        where = _token_price_place(model, sku, matches)
        text = f"pay-per-token: {model} {sku} {quoted} ({where.partition(', ')[2]}); {_NO_USAGE}"
        return text, tuple(m.price for m in matches.values())

    def _tokens(
        self, resource: Resource, model: str, matches: Mapping[str, PriceMatch], usage: Usage, where: str
    ) -> _Estimate:
        """Token volumes x $/1M per direction, with each volume's derivation."""
        terms: list[str] = []
        notes: list[str] = []
        total = 0.0
        used: list[PriceMatch] = []
        for direction in ("input", "cached_input", "output"):
            volume = usage.volume(direction)
            if volume <= 0:
                continue
            label = direction.replace("_", " ")
            match = matches.get(direction)
            if match is None and direction == "cached_input" and "input" in matches:
                match = matches["input"]
                notes.append("cached input at the input rate, an upper bound (no cached price)")
            if match is None and direction == "output" and "embedding" in model.casefold():
                notes.append("output tokens not billed (embeddings bill input only)")
                continue
            if match is None:
                text = (
                    f"pay-per-token: {count(volume)} {label} tokens but no {label} token price for "
                    f"{where}; usage: {usage.source}"
                )
                return _Estimate(
                    CostLine(resource.key, None, text, Confidence.UNKNOWN, tuple(m.price for m in used)),
                    None,
                    pay_per_token=True,
                )
            derivation = usage.derivations.get(direction)
            shown = f"{count(round(volume))} {label} tokens" + (f" ({derivation})" if derivation else "")
            terms.append(f"{shown} x {_rate(match.price.unit_price)} $/1M")
            total += volume / 1_000_000 * match.price.unit_price
            used.append(match)
        if not terms:
            terms.append("0 tokens")
        monthly = round(total, 2)
        formula = f"{' + '.join(terms)} = {_usd(monthly)} $/month ({where}; usage: {usage.source}"
        formula += "; " + "; ".join(notes) + ")" if notes else ")"
        confidence = Confidence.ESTIMATE  # usage is an assumption or a run-rate, never a bill
        net, formula = self._net(TOKENS, monthly, formula)
        prices = _unique(m.price for m in used)
        return _Estimate(CostLine(resource.key, net, formula, confidence, prices), net, pay_per_token=True)

    # ------------------------------------------------------------------ rate terms

    def _net(self, family: str, monthly: float, formula: str) -> tuple[float, str]:
        """``monthly`` less the negotiated discount for ``family``, the formula saying so."""
        percent = self.terms.discount(family)
        if percent <= 0:
            return monthly, formula
        net = round(monthly * (1 - percent / 100), 2)
        discounted = f"{percent:g}% negotiated discount ({_usd(monthly)} list) = {_usd(net)} $/month"
        return net, f"{formula} − {discounted}"

    def _discount_note(self, families: Iterable[str]) -> str:
        percents = sorted({self.terms.discount(f) for f in families if self.terms.discount(f) > 0})
        if not percents:
            return ""
        return "; after " + " / ".join(f"{p:g}%" for p in percents) + " negotiated discount"

    def _priced(
        self,
        resource: Resource,
        monthly: float,
        formula: str,
        confidence: Confidence,
        match: PriceMatch,
        family: str,
    ) -> _Estimate:
        net, formula = self._net(family, monthly, formula)
        return _priced(resource, net, formula, confidence, match)

    def _covered(
        self, resource: Resource, inventory: Inventory, sku: str, region: object, capacity: float
    ) -> float:
        """PTUs of ``resource`` covered by owned reservations of its type, region and scope."""
        reservations = self.terms.reservations
        if not reservations:
            return 0.0
        members, full = self._allocation(inventory)
        if inventory.get(resource.key) is resource:
            return min(capacity, full.covered.get(resource.key, 0.0))
        # A changed alternative takes its original's place in the queue (the end, for a stranger).
        candidate = provisioned(resource, inventory, capacity)
        if candidate is None:
            return 0.0
        until = resource.key if resource.key in full.covered else None
        _, left = allocate(members, reservations, until=until)
        return take(candidate, reservations, left)

    def reservation_use(self, inventory: Inventory) -> tuple[float, ...]:
        """PTUs of each owned reservation (``terms.reservations`` order) used by ``inventory``."""
        if not self.terms.reservations:
            return ()
        return self._allocation(inventory)[1].used

    def _allocation(self, inventory: Inventory) -> tuple[list[Provisioned], Allocation]:
        cached = self._pools.get(id(inventory))
        if cached is not None and cached[0] is inventory:
            return cached[1], cached[2]
        members = []
        for candidate in inventory:
            name = _text(armpath.get(candidate.body, "sku.name"))
            if candidate.type.casefold() != DEPLOYMENT or not isinstance(name, str):
                continue
            if name.casefold() not in PROVISIONED_SKUS:
                continue
            try:
                amount = _quantity(armpath.get(candidate.body, "sku.capacity"), "sku.capacity")
            except BadQuantity:  # reported when that deployment itself is priced
                amount = None
            member = provisioned(candidate, inventory, amount if isinstance(amount, float) else None)
            if member is not None:
                members.append(member)
        allocation, _ = allocate(members, self.terms.reservations)
        self._pools[id(inventory)] = (inventory, members, allocation)
        return members, allocation

    def _reservation(self, resource: Resource, inventory: Inventory) -> _Estimate:
        """An owned PTU reservation: PTU x its price per month of its term, billed whether used or not."""
        sku = _text(armpath.get(resource.body, "sku.name"))
        if not isinstance(sku, str):
            return _unknown(resource, "no deployment type (sku.name) for the reservation")
        term = _text(armpath.get(resource.body, "properties.term")) or MONTH
        if term not in TERMS:
            return _unknown(resource, f"reservation term {term} is not one Azure sells for PTUs (P1M, P1Y)")
        yearly = term == YEAR
        region = inventory.effective_location(resource)
        match = (self.catalog.ptu_reservation_yearly if yearly else self.catalog.ptu_reservation_monthly)(
            sku, region
        )
        if match is None:
            return _unknown(
                resource, f"no {TERMS[term]} PTU reservation price for {sku} in the price catalogue"
            )
        quantity = _quantity(armpath.get(resource.body, "properties.quantity"), "properties.quantity")
        if not isinstance(quantity, float):
            return _unknown(resource, "no PTU count (properties.quantity) for the reservation", match)
        rate = _rate(match.price.unit_price)
        if yearly:
            monthly = round(quantity * match.price.unit_price / 12, 2)
            formula = (
                f"{_num(quantity)} PTU x {rate} $/PTU/year / 12 months reserved, 1-year term "
                f"({_context(sku, match)})"
            )
        else:
            monthly = round(quantity * match.price.unit_price, 2)
            formula = f"{_num(quantity)} PTU x {rate} $/PTU/month reserved ({_context(sku, match)})"
        return self._priced(resource, monthly, formula, Confidence.EXACT, match, PTU_RESERVATION)

    def _online_deployment(self, resource: Resource, inventory: Inventory) -> _Estimate:
        """An Azure ML online deployment: its instances bill by the hour as VMs of their instance type."""
        body = resource.body
        compute = _text(armpath.get(body, "properties.endpointComputeType"))
        if isinstance(compute, str) and compute.casefold() != "managed":
            text = f"{compute} online deployment: billed on its own compute, not here"
            return _Estimate(CostLine(resource.key, 0.0, text, Confidence.EXACT), 0.0)
        size = _text(armpath.get(body, "properties.instanceType"))
        if isinstance(size, _Unknown):
            return _unknown(resource, "instance type (properties.instanceType) known only after apply")
        if size is None:
            return _unknown(resource, "no instance type (properties.instanceType) in the input")
        match = self.catalog.vm_hourly(size, inventory.effective_location(resource))
        if match is None:
            return _unknown(resource, f"no price for instance type {size} in the price catalogue")
        count = _quantity(armpath.get(body, "sku.capacity"), "sku.capacity")
        rate = _rate(match.price.unit_price)
        if isinstance(count, _Unknown):
            return _unknown(
                resource, f"instance count (sku.capacity) known only after apply; {rate} $/h", match
            )
        if count is None:
            return _unknown(
                resource, f"no instance count (sku.capacity) in the input; {rate} $/h per instance", match
            )
        instances = count
        monthly = round(instances * match.price.unit_price * HOURS_PER_MONTH, 2)
        formula = (
            f"{_num(instances)} instances x {rate} $/h x {HOURS_PER_MONTH} h ({_context(size, match)}; "
            "managed online endpoint instances priced as Linux VMs of that size)"
        )
        return self._priced(resource, monthly, formula, Confidence.ESTIMATE, match, VM)

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
            value = _quantity(armpath.get(body, path), path)
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
        return self._priced(resource, monthly, formula, Confidence.EXACT, match, SEARCH_UNIT)

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
            return self._priced(resource, monthly, formula, Confidence.ESTIMATE, match, VM)

        low_priority = _text(armpath.get(settings, "vmPriority"))
        priority_note = ""
        confidence = Confidence.EXACT
        if isinstance(low_priority, str) and low_priority.casefold() == "lowpriority":
            priority_note = "; low priority, priced at the dedicated rate as an upper bound"
            confidence = Confidence.ESTIMATE
        minimum = _quantity(armpath.get(settings, "scaleSettings.minNodeCount"), "scaleSettings.minNodeCount")
        if isinstance(minimum, _Unknown):
            return _unknown(resource, f"minNodeCount known only after apply; {per_node}", match)
        if minimum is not None and minimum > 0:
            monthly = round(minimum * match.price.unit_price * HOURS_PER_MONTH, 2)
            formula = (
                f"{_num(minimum)} nodes always on (minNodeCount) x {rate} $/h x {HOURS_PER_MONTH} h "
                f"({context}{priority_note})"
            )
            return self._priced(resource, monthly, formula, confidence, match, VM)
        maximum = _quantity(armpath.get(settings, "scaleSettings.maxNodeCount"), "scaleSettings.maxNodeCount")
        if isinstance(maximum, _Unknown):
            return _unknown(resource, f"maxNodeCount known only after apply; {per_node}", match)
        if maximum is None:
            return _unknown(resource, f"no maxNodeCount in the input; {per_node}", match)
        monthly = round(maximum * match.price.unit_price * HOURS_PER_MONTH, 2)
        formula = (
            f"upper bound: {_num(maximum)} nodes (maxNodeCount; minNodeCount 0 scales to zero when idle) x "
            f"{rate} $/h x {HOURS_PER_MONTH} h if all run all month ({context}{priority_note})"
        )
        bound = self._priced(resource, monthly, formula, Confidence.ESTIMATE, match, VM)
        return dataclasses.replace(bound, line=dataclasses.replace(bound.line, upper_bound=True))


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


def _token_price_place(model: str, sku: str, matches: Mapping[str, PriceMatch]) -> str:
    """Where a model's token prices come from: ``<model> <type>, <region>, price <dates>[, uncertain]``."""
    first = next(iter(matches.values()))
    place = "" if first.price.region == GLOBAL_REGION and not first.fallback else f"{first.where}, "
    uncertain = ", price uncertain" if any(m.uncertain for m in matches.values()) else ""
    return f"{model} {sku}, {place}price {first.price.dates}{uncertain}"


def _context(label: str, match: PriceMatch) -> str:
    """``ProvisionedManaged, eastus, price effective 2024-04-01, read 2026-09-30`` (+ fallback, doubt)."""
    text = f"{label}, {match.where}, price {match.price.dates}"
    if match.uncertain:
        text += ", price uncertain"
    return text


def _text(value: Any) -> str | _Unknown | None:
    if isinstance(value, _Unknown):
        return UNKNOWN
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


class BadQuantity(ValueError):
    """A count in a resource body that no deployment can have: negative, NaN, infinite or beyond a float."""

    def __init__(self, path: str, value: Any) -> None:
        super().__init__(path)
        self.path = path
        self.value = value


def bad_quantity_error(exc: BadQuantity, resource: Resource) -> SourceError:
    """The input error for a bad count, placed at the resource (file, line and address)."""
    shown = repr(exc.value) if not isinstance(exc.value, int) or abs(exc.value) < 10**24 else "a huge integer"
    origin = resource.origin
    where = ", ".join(p for p in (f"line {origin.line}" if origin.line else None, origin.address) if p)
    return SourceError(
        f"{exc.path} is {shown}: a count must be a finite number, 0 or more",
        file=origin.file,
        where=where or None,
    )


def _quantity(value: Any, path: str) -> float | _Unknown | None:
    """A count from the body: a number, or a string holding one; None if absent or not a number.

    A negative, NaN, infinite or float-overflowing count raises :class:`BadQuantity`: never a cost.
    """
    if isinstance(value, _Unknown):
        return UNKNOWN
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        try:
            number = float(value)
        except ValueError:
            return None  # a string that is no number: not a count
        except OverflowError:
            raise BadQuantity(path, value) from None
        if not math.isfinite(number) or number < 0:
            raise BadQuantity(path, value)
        return number
    return None


def _search_counts(body: Any) -> dict[str, float]:
    """A search service's replicas and partitions where the input states them as numbers (ARM default 1)."""
    counts = {}
    for path, label in _SEARCH_COUNTS:
        value = _quantity(armpath.get(body, path), path)
        counts[label] = value if isinstance(value, float) else 1.0
    return counts


def _first_present(body: Any, *paths: str) -> Any:
    for path in paths:
        value = armpath.get(body, path)
        if value is not armpath.MISSING and value is not None:
            return value
    return {}


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@lru_cache(maxsize=4096)
def _rate(value: float) -> str:
    """A unit price with at least two decimals and no noise: 2.00, 0.336, 0.0275."""
    whole, _, fraction = f"{value:.4f}".rstrip("0").partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _usd(value: float) -> str:
    return f"{value:,.2f}"


def _unique(prices: Iterable[Price]) -> tuple[Price, ...]:
    return tuple(dict.fromkeys(prices))
