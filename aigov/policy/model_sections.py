"""The ``context: lifecycle.*`` and ``context: equivalent.*`` sections of an Azure OpenAI deployment.

Both come from :class:`aigov.cost.modelfacts.ModelFacts` (the retirement
table, the equivalence list and the price catalogue) in the run's context.

``lifecycle`` (a deployment pinned to a model version the retirement table lists)

==================  ==============================================================
``retires_on``      the retirement date (ISO)
``days_left``       days from ``now`` to it; 0 or less once retired
``retired``         ``true`` once the date has passed
``retires``         ``retires`` or, once past, ``retired`` (for messages)
``when``            ``in 45 days``, ``today`` or ``45 days ago``
``after``           what happens then: upgraded automatically, or returns errors
``successor``       the replacement model Microsoft names, when it names one
``source``          the URL of the row, ``read`` the day it was read
==================  ==============================================================

A deployment without a version is not pinned (Azure deploys the default
version and upgrades it), so it has no ``lifecycle`` section; nor does a
model version the table does not list. A model, version or type known only
after apply makes the section ``UNKNOWN``.

``equivalent`` (a deployment whose model the equivalence list names)

==================  ==============================================================
``listed``          the models the list names for it
``cheaper``         those with token prices no higher in every direction and lower
                    in one, at the deployment's type and region (catalogue prices)
``prices``          the per-token prices compared, for messages
==================  ==============================================================

``cheaper`` is ``UNKNOWN`` when the catalogue has no token price for the
deployment's own model; a listed model the catalogue does not price is
left out of ``cheaper`` and named in ``prices``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from aigov import armpath, armtypes
from aigov.armpath import MISSING
from aigov.cost.catalog import PriceMatch
from aigov.cost.model import PAY_PER_TOKEN_SKUS, PROVISIONED_SKUS, fine_tuned_base, is_fine_tuned
from aigov.model import UNKNOWN, _Unknown

if TYPE_CHECKING:
    from aigov.cost.modelfacts import ModelFacts, Retirement
    from aigov.policy.context import Scope

_DEPLOYMENT: Final = armtypes.DEPLOYMENT.casefold()
_COMPARED: Final = ("input", "cached_input", "output")


def _text(value: Any) -> str | _Unknown | None:
    if isinstance(value, _Unknown):
        return UNKNOWN
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _facts(scope: Scope) -> ModelFacts | None:
    return scope.context.models


def lifecycle_section(scope: Scope) -> Any:
    """The ``lifecycle`` section of a deployment (``MISSING`` when the table does not date it)."""
    if scope.resource.type.casefold() != _DEPLOYMENT:
        return MISSING
    body = scope.body
    model = _text(armpath.get(body, "properties.model.name"))
    version = _text(armpath.get(body, "properties.model.version"))
    sku = _text(armpath.get(body, "sku.name"))
    if isinstance(model, _Unknown):
        return UNKNOWN
    if model is None:
        return MISSING
    fine_tuned = is_fine_tuned(model)
    if fine_tuned:
        # A fine-tune retires with its base model version's deployment retirement.
        base = fine_tuned_base(model)
        if base is None or base[1] is None:
            return MISSING
        model, version = base
    elif isinstance(version, _Unknown):
        return UNKNOWN
    elif version is None:
        return MISSING  # not pinned: Azure deploys and upgrades the default version
    facts = _facts(scope)
    if facts is None:
        return UNKNOWN
    assert isinstance(version, str)
    candidates = facts.lifecycle.candidates(model, version, fine_tuned=fine_tuned)
    if not candidates:
        return MISSING
    if isinstance(sku, _Unknown):
        # The date depends on the type only where some row names types.
        if any(r.deployment_types for r in candidates):
            return UNKNOWN
        sku = None
    row = facts.lifecycle.lookup(model, version, sku or "", fine_tuned=fine_tuned)
    if row is None:
        return MISSING
    days_left = (row.retires_on - scope.context.now.date()).days
    section: dict[str, Any] = {
        "retires_on": row.retires_on.isoformat(),
        "days_left": days_left,
        "retired": days_left <= 0,
        "retires": "retired" if days_left < 0 else "retires",
        "when": _when(days_left),
        "after": _after(row, sku, armpath.get(body, "properties.versionUpgradeOption"), fine_tuned),
        "source": row.url,
        "read": row.read.isoformat(),
    }
    if row.replacement is not None:
        section["successor"] = row.replacement
    return section


def _when(days_left: int) -> str:
    if days_left > 0:
        return f"in {days_left} day{'s' if days_left != 1 else ''}"
    if days_left == 0:
        return "today"
    return f"{-days_left} day{'s' if days_left != -1 else ''} ago"


def _after(row: Retirement, sku: str | None, option: Any, fine_tuned: bool) -> str:
    """What happens to the deployment at retirement (Microsoft Learn: Azure OpenAI model versions)."""
    named = f"; the replacement Microsoft names is {row.replacement}" if row.replacement else ""
    if fine_tuned:
        return "inference and deployment return errors (fine-tuned deployment retirement)"
    if sku is not None and sku.casefold() in PROVISIONED_SKUS:
        return (
            "it returns errors unless migrated first: automatic version upgrades cover Standard "
            f"deployment types only{named}"
        )
    if isinstance(option, _Unknown):
        return f"it is upgraded or stops serving, by versionUpgradeOption (known after apply){named}"
    if isinstance(option, str) and option.casefold() == "noautoupgrade":
        return f"it stops serving: a NoAutoUpgrade deployment returns errors once its version retires{named}"
    shown = option if isinstance(option, str) and option else "not set, upgrade when expired"
    return f"it is upgraded automatically (versionUpgradeOption {shown}){named}"


def equivalent_section(scope: Scope) -> Any:
    """The ``equivalent`` section of a deployment (``MISSING`` when the list names nothing for its model)."""
    if scope.resource.type.casefold() != _DEPLOYMENT:
        return MISSING
    body = scope.body
    model = _text(armpath.get(body, "properties.model.name"))
    sku = _text(armpath.get(body, "sku.name"))
    if isinstance(model, _Unknown):
        return UNKNOWN
    if model is None or is_fine_tuned(model):
        return MISSING  # a fine-tune cannot move to another base model without training again
    facts = _facts(scope)
    if facts is None:
        return UNKNOWN
    entry = facts.equivalents.of(model)
    if entry is None:
        return MISSING
    section: dict[str, Any] = {"listed": list(entry.to)}
    if isinstance(sku, _Unknown):
        section["cheaper"] = UNKNOWN
        return section
    if sku is None or sku.casefold() not in PAY_PER_TOKEN_SKUS:
        section["cheaper"] = []
        return section
    version = _text(armpath.get(body, "properties.model.version"))
    region = scope.inventory.effective_location(scope.resource)
    catalog = facts.catalog
    own_version = version if isinstance(version, str) else catalog.newest_version(model, sku)
    own = catalog.token_prices(model, own_version, sku, region)
    if "input" not in own:
        section["cheaper"] = UNKNOWN
        section["prices"] = f"no {model} {sku} token price in the price catalogue"
        return section
    cheaper: list[str] = []
    shown = [f"{model} {_quote(own)}"]
    for other in entry.to:
        theirs = catalog.token_prices(other, catalog.newest_version(other, sku), sku, region)
        if "input" not in theirs:
            shown.append(f"{other} not priced for {sku}")
            continue
        shown.append(f"{other} {_quote(theirs)}")
        if _cheaper(theirs, own):
            cheaper.append(other)
    section["cheaper"] = cheaper
    section["prices"] = "; ".join(shown)
    return section


def _cheaper(theirs: dict[str, PriceMatch], own: dict[str, PriceMatch]) -> bool:
    """No direction dearer, one cheaper; a direction only one side prices cannot be compared."""
    pairs = [
        (theirs[d].price.unit_price, own[d].price.unit_price) for d in _COMPARED if d in theirs and d in own
    ]
    if any(d in own and d not in theirs for d in ("input", "output")):
        return False
    return all(t <= o for t, o in pairs) and any(t < o for t, o in pairs)


def _quote(prices: dict[str, PriceMatch]) -> str:
    parts = [f"{prices[d].price.unit_price:g} {d.replace('_', ' ')}" for d in _COMPARED if d in prices]
    return f"({', '.join(parts)} $/1M)"


_BATCH_TYPES: Final = {"globalstandard": "GlobalBatch", "datazonestandard": "DataZoneBatch"}


def assumed_section(scope: Scope) -> Any:
    """The ``assumed`` section: what the usage a deployment is priced with says about its traffic.

    ``batch`` is ``true`` when its usage entry says ``batch: true`` (the traffic
    can wait for a Batch deployment's turnaround); ``batch_type`` is the Batch
    type of the same data scope (GlobalStandard → GlobalBatch, DataZoneStandard
    → DataZoneBatch); ``source`` names the entry. Missing when no usage is known.
    """
    book = scope.context.assumed
    if book is None or scope.resource.type.casefold() != _DEPLOYMENT:
        return MISSING
    usage = book.usage_for(scope.resource, scope.inventory)
    if usage is None:
        return MISSING
    section: dict[str, Any] = {"batch": usage.batch, "source": usage.source}
    sku = _text(armpath.get(scope.body, "sku.name"))
    if isinstance(sku, str) and sku.casefold() in _BATCH_TYPES:
        section["batch_type"] = _BATCH_TYPES[sku.casefold()]
    return section
