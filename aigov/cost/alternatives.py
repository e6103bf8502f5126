"""Which allowed value a resource could really move to, and how near it is in capacity.

A rule whose cost is the difference to an allowed alternative (``cost:
{delta: ...}``) compares with an option the user could move to: one that
accepts what the resource has (a search tier its replicas and partitions, an
online deployment an online type), and among those the one nearest in
capacity (search storage per partition, GPUs per VM, the deployment type's
data processing scope). The facts are data, ``alternatives.yaml``, each
group with the page that states them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from aigov import armtypes
from aigov.errors import CatalogError
from aigov.paths import package_data
from aigov.policy import yamlio
from aigov.readfile import read_regular_text

_SEARCH: Final = armtypes.SEARCH.casefold()
_DEPLOYMENT: Final = armtypes.DEPLOYMENT.casefold()
_COMPUTE: Final = armtypes.COMPUTE.casefold()
_LIMIT: Final = 1024 * 1024

FAR: Final = (math.inf,)
"""The distance of an option the data says nothing about: compared only after every described one."""


@dataclass(frozen=True, slots=True)
class Fit:
    """How an allowed value fits a resource: ``reason`` says why it cannot take the resource's load.

    ``distance`` orders the options that fit (smaller is nearer in
    capacity); ``note`` says what was compared, for the cost basis.
    """

    reason: str | None = None
    distance: tuple[float, ...] = FAR
    note: str = ""


@dataclass(frozen=True, slots=True)
class SearchTier:
    storage_gb: float
    max_replicas: int
    max_partitions: int
    max_units: int


@dataclass(frozen=True, slots=True)
class GpuSize:
    gpus: float
    gpu: str
    gpu_memory_gb: float


@dataclass(frozen=True, slots=True)
class DeploymentType:
    scope: str
    billing: str
    batch: bool


@dataclass(frozen=True, slots=True)
class Alternatives:
    """The capacity facts of ``alternatives.yaml``, keyed by casefolded name."""

    search_tiers: Mapping[str, SearchTier]
    gpu_sizes: Mapping[str, GpuSize]
    deployment_types: Mapping[str, DeploymentType]

    def fit(
        self, resource_type: str, field: str, current: object, value: object, counts: Mapping[str, float]
    ) -> Fit:
        """How ``value`` for ``field`` fits a resource of ``resource_type`` whose ``field`` is ``current``.

        ``counts`` holds the resource's ``replicas`` and ``partitions`` (search services).
        """
        if not isinstance(current, str) or not isinstance(value, str):
            return Fit()
        kind, path = resource_type.casefold(), field.casefold()
        if kind == _SEARCH and path == "sku.name":
            return self._search(current, value, counts)
        if kind == _COMPUTE and path.endswith("vmsize"):
            return self._gpu(current, value)
        if kind == _DEPLOYMENT and path == "sku.name":
            return self._deployment(current, value)
        return Fit()

    def _search(self, current: str, value: str, counts: Mapping[str, float]) -> Fit:
        tier = self.search_tiers.get(value.casefold())
        if tier is None:
            return Fit()
        replicas, partitions = counts.get("replicas", 1.0), counts.get("partitions", 1.0)
        load = f"{_num(replicas)} replicas x {_num(partitions)} partitions"
        if replicas > tier.max_replicas or partitions > tier.max_partitions:
            limits = f"at most {tier.max_replicas} replicas and {tier.max_partitions} partitions"
            return Fit(f"{value} takes {limits}, not {load}")
        if replicas * partitions > tier.max_units:
            return Fit(f"{value} takes at most {tier.max_units} search units, not {load}")
        have = self.search_tiers.get(current.casefold())
        if have is None:
            return Fit(note=f"accepts {load}")
        distance = abs(math.log(tier.storage_gb / have.storage_gb))
        note = (
            f"accepts {load}; nearest in capacity: {_num(tier.storage_gb)} GB per partition "
            f"against {_num(have.storage_gb)} GB"
        )
        return Fit(distance=(distance,), note=note)

    def _gpu(self, current: str, value: str) -> Fit:
        size, have = self.gpu_sizes.get(value.casefold()), self.gpu_sizes.get(current.casefold())
        if size is None or have is None:
            return Fit()
        distance = (
            abs(math.log(size.gpus / have.gpus)),
            abs(math.log(size.gpu_memory_gb / have.gpu_memory_gb)),
        )
        note = (
            f"nearest in GPUs: {_num(size.gpus)} {size.gpu} ({_num(size.gpu_memory_gb)} GB) per node "
            f"against {_num(have.gpus)} {have.gpu} ({_num(have.gpu_memory_gb)} GB), same node count"
        )
        return Fit(distance=distance, note=note)

    def _deployment(self, current: str, value: str) -> Fit:
        option = self.deployment_types.get(value.casefold())
        have = self.deployment_types.get(current.casefold())
        if option is None or have is None:
            return Fit()
        if option.batch and not have.batch:
            return Fit(f"{value} answers in batches (asynchronously), not online requests")
        same_scope = option.scope == have.scope
        distance = (0.0 if same_scope else 1.0, 0.0 if option.billing == have.billing else 1.0)
        note = f"{'same' if same_scope else option.scope + ' instead of ' + have.scope} data processing scope"
        return Fit(distance=distance, note=note)


@cache
def bundled_alternatives() -> Alternatives:
    """The bundled ``alternatives.yaml`` (package data the test suite checks)."""
    path = package_data("cost", "alternatives.yaml")
    text = read_regular_text(path, _LIMIT, CatalogError, encoding="utf-8")
    document, _ = yamlio.loads(text, str(path), CatalogError)
    return parse_alternatives(document)


def parse_alternatives(document: Any) -> Alternatives:
    """The facts of an ``alternatives.yaml`` document."""
    return Alternatives(
        search_tiers={k.casefold(): SearchTier(**v) for k, v in document["search_tiers"]["tiers"].items()},
        gpu_sizes={k.casefold(): GpuSize(**v) for k, v in document["gpu_sizes"]["sizes"].items()},
        deployment_types={
            k.casefold(): DeploymentType(**v) for k, v in document["deployment_types"]["types"].items()
        },
    )


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
