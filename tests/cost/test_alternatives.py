"""The alternative a delta compares with: it takes the same load and is the nearest in capacity."""

from __future__ import annotations

from typing import Any

import pytest

from aigov.cost import CostKind, CostModel, CostSpec, load_catalog
from aigov.cost.alternatives import bundled_alternatives
from aigov.model import Confidence, Inventory, Origin, Resource

COMPUTE = "Microsoft.MachineLearningServices/workspaces/computes"
T4_AND_A100 = (
    "Standard_NC4as_T4_v3",
    "Standard_NC8as_T4_v3",
    "Standard_NC16as_T4_v3",
    "Standard_NC24ads_A100_v4",
)


@pytest.fixture(scope="module")
def costs() -> CostModel:
    return CostModel(load_catalog())


def _cluster(size: str, nodes: int) -> Resource:
    body: dict[str, Any] = {
        "location": "eastus",
        "properties": {
            "computeType": "AmlCompute",
            "properties": {"vmSize": size, "scaleSettings": {"minNodeCount": nodes, "maxNodeCount": nodes}},
        },
    }
    return Resource(key="c", type=COMPUTE, name="c", body=body, origin=Origin("test"))


def _vm(size: str) -> float:
    match = load_catalog().vm_hourly(size, "eastus")
    assert match is not None
    return match.price.unit_price


def test_an_eight_gpu_a100_compares_with_the_a100_size_not_a_single_t4(costs: CostModel) -> None:
    cluster = _cluster("Standard_ND96asr_v4", 2)
    spec = CostSpec(CostKind.DELTA, "properties.properties.vmSize", T4_AND_A100)
    impact = costs.impact(spec, cluster, Inventory([cluster]))
    nd96, a100 = _vm("Standard_ND96asr_v4"), _vm("Standard_NC24ads_A100_v4")
    assert (nd96, a100) == (27.197, 3.673)
    assert impact.monthly_usd == round((nd96 - a100) * 2 * 730, 2) == 34_345.04
    assert "nearest in GPUs: 1 A100 (80 GB) per node against 8 A100 (320 GB), same node count" in impact.basis
    assert "Standard_NC24ads_A100_v4: 2 nodes always on" in impact.basis
    assert impact.saving


def test_more_gpus_allowed_is_nearer(costs: CostModel) -> None:
    cluster = _cluster("Standard_ND96asr_v4", 1)
    spec = CostSpec(
        CostKind.DELTA, "properties.properties.vmSize", (*T4_AND_A100, "Standard_NC96ads_A100_v4")
    )
    impact = costs.impact(spec, cluster, Inventory([cluster]))
    assert impact.monthly_usd == round((27.197 - _vm("Standard_NC96ads_A100_v4")) * 730, 2) == 9_128.65
    assert "4 A100 (320 GB) per node" in impact.basis


def test_a_size_with_no_gpu_facts_is_compared_after_every_described_one(costs: CostModel) -> None:
    cluster = _cluster("Standard_ND96asr_v4", 1)
    spec = CostSpec(
        CostKind.DELTA, "properties.properties.vmSize", ("Standard_F4s_v2", "Standard_NC4as_T4_v3")
    )
    impact = costs.impact(spec, cluster, Inventory([cluster]))
    assert impact.monthly_usd == round((27.197 - 0.526) * 730, 2)
    assert impact.confidence is Confidence.ESTIMATE


def test_batch_is_no_alternative_for_an_online_deployment() -> None:
    fit = bundled_alternatives().fit(
        "Microsoft.CognitiveServices/accounts/deployments",
        "sku.name",
        "GlobalProvisionedManaged",
        "GlobalBatch",
        {},
    )
    assert fit.reason == "GlobalBatch answers in batches (asynchronously), not online requests"
    same_scope = bundled_alternatives().fit(
        "Microsoft.CognitiveServices/accounts/deployments",
        "sku.name",
        "GlobalProvisionedManaged",
        "GlobalStandard",
        {},
    )
    other_scope = bundled_alternatives().fit(
        "Microsoft.CognitiveServices/accounts/deployments",
        "sku.name",
        "GlobalProvisionedManaged",
        "Standard",
        {},
    )
    assert same_scope.distance < other_scope.distance


def test_every_priced_search_tier_and_gpu_size_has_capacity_facts() -> None:
    facts = bundled_alternatives()
    catalog = load_catalog()
    for family, keys, _, _ in catalog.entries():
        if family == "search_unit":
            assert str(keys[0]).casefold() in facts.search_tiers, keys
        if family == "vm" and str(keys[0]).casefold().startswith("standard_n"):
            assert str(keys[0]).casefold() in facts.gpu_sizes, keys
    # Free takes one replica and one partition only (Learn: service limits).
    free = facts.search_tiers["free"]
    assert (free.max_replicas, free.max_partitions) == (1, 1)
