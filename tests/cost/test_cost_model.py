from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aigov.cost import CostKind, CostModel, CostSpec, is_fine_tuned, load_catalog
from aigov.model import UNKNOWN, Confidence, CostImpact, Inventory, Origin, Resource

ACCOUNT = "Microsoft.CognitiveServices/accounts"
DEPLOYMENT = "Microsoft.CognitiveServices/accounts/deployments"
SEARCH = "Microsoft.Search/searchServices"
WORKSPACE = "Microsoft.MachineLearningServices/workspaces"
COMPUTE = "Microsoft.MachineLearningServices/workspaces/computes"
FT_MODEL = "gpt-4o-mini-2024-07-18.ft-f8838e7c6d4a4cbe882a002815758510"


@pytest.fixture(scope="module")
def costs() -> CostModel:
    return CostModel(load_catalog())


def _res(key: str, type_: str, body: dict[str, Any], parent: str | None = None) -> Resource:
    return Resource(key=key, type=type_, name=key, body=body, origin=Origin("test"), parent_key=parent)


def _account(location: Any = "eastus") -> Resource:
    return _res("acct", ACCOUNT, {"location": location, "kind": "OpenAI", "sku": {"name": "S0"}})


def _deployment(
    key: str, sku: Any, capacity: Any = 1, model: Any = "gpt-4o", version: Any = "2024-11-20"
) -> Resource:
    body = {
        "sku": {"name": sku, "capacity": capacity},
        "properties": {"model": {"format": "OpenAI", "name": model, "version": version}},
    }
    return _res(key, DEPLOYMENT, body, parent="acct")


def _cost(costs: CostModel, resource: Resource, *others: Resource) -> CostImpact:
    return costs.monthly_cost(resource, Inventory([resource, *others]))


# ---------------------------------------------------------------- Azure OpenAI deployments


@pytest.mark.parametrize(
    ("sku", "region", "capacity", "expected"),
    [
        ("GlobalProvisionedManaged", "eastus", 15, (10_950.00, "1.00", "2024-11-01")),
        ("DataZoneProvisionedManaged", "eastus", 15, (12_045.00, "1.10", "2024-11-01")),
        ("DataZoneProvisionedManaged", "westeurope", 15, (13_140.00, "1.20", "2026-09-01")),
        ("ProvisionedManaged", "eastus", 30, (43_800.00, "2.00", "2024-04-01")),
        ("ProvisionedManaged", "westeurope", 50, (99_280.00, "2.72", "2026-09-01")),
        ("ProvisionedManaged", "italynorth", 100, (172_280.00, "2.36", "2026-09-01")),
    ],
)
def test_provisioned_deployment(
    costs: CostModel, sku: str, region: str, capacity: int, expected: tuple[float, str, str]
) -> None:
    monthly, rate, effective = expected
    dep = _deployment("dep", sku, capacity)
    impact = _cost(costs, dep, _account(region))
    assert impact.monthly_usd == monthly
    assert impact.confidence is Confidence.EXACT
    assert impact.basis == (
        f"{capacity} PTU x {rate} $/h x 730 h ({sku}, {region}, price effective {effective}, read 2026-09-30)"
    )
    (line,) = impact.lines
    assert line.resource_key == "dep"
    assert line.prices[0].meter.startswith("Provisioned Managed")


def test_provisioned_in_unlisted_region_is_an_estimate(costs: CostModel) -> None:
    impact = _cost(costs, _deployment("dep", "ProvisionedManaged", 30), _account("brazilsoutheast"))
    assert impact.monthly_usd == 43_800.00
    assert impact.confidence is Confidence.ESTIMATE
    assert (
        "(ProvisionedManaged, region brazilsoutheast not in catalogue; priced at eastus, "
        "price effective 2024-04-01, read 2026-09-30)" in impact.basis
    )


def test_unknown_capacity_is_unknown_and_says_why(costs: CostModel) -> None:
    impact = _cost(costs, _deployment("dep", "ProvisionedManaged", UNKNOWN), _account())
    assert impact.monthly_usd is None
    assert impact.confidence is Confidence.UNKNOWN
    assert "PTU count (sku.capacity) known only after apply" in impact.basis
    assert "2.00 $/PTU/h" in impact.basis


def test_unknown_sku_is_unknown(costs: CostModel) -> None:
    impact = _cost(costs, _deployment("dep", UNKNOWN), _account())
    assert impact.monthly_usd is None
    assert impact.basis == "deployment type (sku.name) known only after apply"


def test_unknown_region_prices_at_default(costs: CostModel) -> None:
    impact = _cost(costs, _deployment("dep", "ProvisionedManaged", 10), _account(UNKNOWN))
    assert impact.monthly_usd == 14_600.00
    assert impact.confidence is Confidence.ESTIMATE
    assert "region known only after apply; priced at eastus" in impact.basis


def test_fine_tuned_hosting(costs: CostModel) -> None:
    impact = _cost(costs, _deployment("ft", "GlobalStandard", 1, FT_MODEL, "1"), _account())
    assert impact.monthly_usd == 1_241.00
    assert impact.confidence is Confidence.EXACT
    assert impact.basis.startswith(
        "1.70 $/h hosting x 730 h (fine-tuned, GlobalStandard, eastus, "
        "price effective date not given by source, read 2026-11-27)"
    )
    assert "tokens billed per use, not included" in impact.basis


def test_fine_tuned_developer_tier_is_free(costs: CostModel) -> None:
    impact = _cost(
        costs,
        _deployment("ft", "DeveloperTier", 1, "ftchkpt-e559c011ecc04fc68eaa339d8227d02d", "1"),
        _account(),
    )
    assert impact.monthly_usd == 0.0
    assert impact.confidence is Confidence.EXACT


def test_pay_per_token_is_unknown_with_prices_quoted(costs: CostModel) -> None:
    impact = _cost(costs, _deployment("chat", "GlobalStandard", 100), _account())
    assert impact.monthly_usd is None
    assert impact.confidence is Confidence.UNKNOWN
    assert impact.basis == (
        "pay-per-token: gpt-4o GlobalStandard 2.50 $/1M input, 1.25 $/1M cached input, 10.00 $/1M output "
        "(price effective 2024-12-01, read 2026-09-30); no usage known"
    )
    assert len(impact.prices) == 3


def test_pay_per_token_without_catalogued_price(costs: CostModel) -> None:
    impact = _cost(costs, _deployment("chat", "GlobalStandard", 1, "mystery-model", "1"), _account())
    assert impact.monthly_usd is None
    assert "no token price in the price catalogue" in impact.basis


def test_pay_per_token_lines_quoted_once_per_model_keep_each_deployment_s_own(costs: CostModel) -> None:
    deployments = [
        _deployment("a", "GlobalStandard"),
        _deployment("b", "GlobalStandard"),
        _deployment("c", "DataZoneStandard"),
        _deployment("d", "GlobalStandard", 1, "mystery-model", "1"),
        _deployment("e", "GlobalStandard"),
    ]
    inventory = Inventory([_account(), *deployments])
    lines = {d.key: costs.monthly_cost(d, inventory).lines[0] for d in deployments}
    assert {key: line.resource_key for key, line in lines.items()} == {key: key for key in "abcde"}
    assert lines["a"].formula == lines["b"].formula == lines["e"].formula
    assert lines["a"].prices == lines["e"].prices
    assert lines["c"].formula != lines["a"].formula
    assert "DataZoneStandard" in lines["c"].formula
    assert "no token price in the price catalogue" in lines["d"].formula
    assert lines["d"].prices == ()


def test_account_rolls_up_its_deployments(costs: CostModel) -> None:
    account = _account()
    ptu = _deployment("ptu", "ProvisionedManaged", 30)
    ft = _deployment("ft", "Standard", 1, FT_MODEL, "1")
    chat = _deployment("chat", "GlobalStandard", 10)
    impact = costs.monthly_cost(account, Inventory([account, ptu, ft, chat]))
    assert impact.monthly_usd == 45_041.00  # 43,800 + 1,241; tokens unknown
    # Both priced lines are exact; the usage-priced one makes the sum a lower bound.
    assert impact.confidence is Confidence.EXACT
    assert impact.partial
    assert [line.resource_key for line in impact.lines] == ["ptu", "ft", "chat"]
    assert impact.basis.startswith("ptu: 30 PTU x 2.00 $/h")


def test_account_without_deployments_costs_nothing(costs: CostModel) -> None:
    impact = _cost(costs, _account())
    assert impact.monthly_usd == 0.0
    assert impact.confidence is Confidence.EXACT
    assert impact.basis == "no billed deployments in this input"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (FT_MODEL, True),
        ("gpt-35-turbo-0125.FT-b044a9d3cf9c4228b5d393567f693b83", True),
        ("FTCHKPT-e559c011ecc04fc68eaa339d8227d02d", True),
        ("gpt-4o", False),
        ("gpt-4.1-mini", False),
        (UNKNOWN, False),
        (None, False),
    ],
)
def test_is_fine_tuned(name: object, expected: bool) -> None:
    assert is_fine_tuned(name) is expected


# ---------------------------------------------------------------- AI Search


def _search(sku: Any, replicas: Any = None, partitions: Any = None, location: str = "eastus") -> Resource:
    props = {k: v for k, v in (("replicaCount", replicas), ("partitionCount", partitions)) if v is not None}
    return _res("search", SEARCH, {"location": location, "sku": {"name": sku}, "properties": props})


def test_search_replicas_times_partitions(costs: CostModel) -> None:
    impact = _cost(costs, _search("standard", 2, 1))
    assert impact.monthly_usd == 490.56
    assert impact.confidence is Confidence.EXACT
    assert impact.basis == (
        "0.336 $/h x 2 replicas x 1 partitions x 730 h "
        "(standard, eastus, price effective date not given by source, read 2026-11-27)"
    )


def test_search_defaults_to_one_replica_and_partition(costs: CostModel) -> None:
    assert _cost(costs, _search("basic")).monthly_usd == 73.73


def test_free_search_costs_nothing(costs: CostModel) -> None:
    impact = _cost(costs, _search("free"))
    assert impact.monthly_usd == 0.0
    assert impact.confidence is Confidence.EXACT


def test_search_uncertain_tier_is_an_estimate(costs: CostModel) -> None:
    impact = _cost(costs, _search("standard3", 1, 1))
    assert impact.monthly_usd == 1_962.24
    assert impact.confidence is Confidence.ESTIMATE
    assert "price uncertain" in impact.basis


def test_search_tier_not_catalogued_is_unknown(costs: CostModel) -> None:
    impact = _cost(costs, _search("storage_optimized_l1"))
    assert impact.monthly_usd is None
    assert "no price for AI Search tier storage_optimized_l1" in impact.basis


def test_search_unknown_replicas(costs: CostModel) -> None:
    impact = _cost(costs, _search("standard", UNKNOWN))
    assert impact.monthly_usd is None
    assert "replicas (properties.replicaCount) known only after apply" in impact.basis


# ---------------------------------------------------------------- Azure ML computes


EXACT_VM_CATALOG = """\
catalog: {name: test, currency: USD, default_region: eastus, as_of: 2026-11-01}
sources:
  s1:
    kind: retail-api
    title: Test source
    url: "https://prices.azure.com/api/retail/prices"
    retrieved: 2026-11-01
prices:
  - family: vm
    meter: NC24ads A100 v4
    size: Standard_NC24ads_A100_v4
    regions: [eastus]
    unit: "1 Hour"
    unit_price: 3.673
    source: s1
    effective: 2026-11-01
"""


def _cluster(size: str, minimum: Any, maximum: Any, priority: str = "Dedicated") -> Resource:
    settings = {
        "vmSize": size,
        "vmPriority": priority,
        "scaleSettings": {"minNodeCount": minimum, "maxNodeCount": maximum},
    }
    return _res(
        "cluster", COMPUTE, {"properties": {"computeType": "AmlCompute", "properties": settings}}, parent="ws"
    )


def _workspace() -> Resource:
    return _res("ws", WORKSPACE, {"location": "eastus", "sku": {"name": "Basic"}})


def test_cluster_with_always_on_nodes_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(EXACT_VM_CATALOG, encoding="utf-8")
    exact = CostModel(load_catalog(path))
    impact = _cost(exact, _cluster("Standard_NC24ads_A100_v4", 2, 4), _workspace())
    assert impact.monthly_usd == 5_362.58
    assert impact.confidence is Confidence.EXACT
    assert impact.basis.startswith("2 nodes always on (minNodeCount) x 3.673 $/h x 730 h")


def test_nc48_a100_node_all_month_is_twice_nc24_linux(costs: CostModel) -> None:
    impact = _cost(costs, _cluster("Standard_NC48ads_A100_v4", 1, 1), _workspace())
    assert impact.monthly_usd == 5_362.58  # 7.346 $/h x 730 h, not the Windows 9.554
    (price,) = impact.prices
    assert price.meter == "NC48ads A100 v4"
    assert price.source.startswith("derived (2 x NC24ads A100 v4) from third-party copy: ")
    assert price.query is None


def test_a10_v5_node_all_month_is_priced_from_its_linux_row(costs: CostModel) -> None:
    impact = _cost(costs, _cluster("Standard_NV36ads_A10_v5", 1, 1), _workspace())
    assert impact.monthly_usd == 2_336.00  # 3.2 $/h x 730 h in eastus
    assert impact.confidence is Confidence.ESTIMATE  # a third-party copy: price uncertain
    (price,) = impact.prices
    assert price.meter == "NV36ads A10 v5"
    assert price.region == "eastus"
    assert price.source.startswith("third-party copy: ")
    assert "catalogs/v5/azure/vms.csv" in (price.url or "")


def test_cluster_priced_with_third_party_price_is_an_estimate(costs: CostModel) -> None:
    impact = _cost(costs, _cluster("Standard_NC24ads_A100_v4", 2, 4), _workspace())
    assert impact.monthly_usd == 5_362.58
    assert impact.confidence is Confidence.ESTIMATE
    assert "price uncertain" in impact.basis


def test_cluster_scaling_to_zero_is_an_upper_bound(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(EXACT_VM_CATALOG, encoding="utf-8")
    impact = _cost(CostModel(load_catalog(path)), _cluster("Standard_NC24ads_A100_v4", 0, 4), _workspace())
    assert impact.monthly_usd == 10_725.16
    assert impact.confidence is Confidence.ESTIMATE
    assert impact.basis.startswith("upper bound: 4 nodes (maxNodeCount")


def test_low_priority_cluster_is_an_estimate(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(EXACT_VM_CATALOG, encoding="utf-8")
    impact = _cost(
        CostModel(load_catalog(path)), _cluster("Standard_NC24ads_A100_v4", 1, 1, "LowPriority"), _workspace()
    )
    assert impact.confidence is Confidence.ESTIMATE
    assert "low priority" in impact.basis


def test_compute_instance_assumes_it_runs_all_month(costs: CostModel) -> None:
    body = {"properties": {"computeType": "ComputeInstance", "properties": {"vmSize": "Standard_DS3_v2"}}}
    impact = _cost(costs, _res("ci", COMPUTE, body, parent="ws"), _workspace())
    assert impact.monthly_usd == 213.89
    assert impact.confidence is Confidence.ESTIMATE
    assert "assuming it runs all month" in impact.basis


def test_compute_size_not_catalogued_is_unknown(costs: CostModel) -> None:
    impact = _cost(costs, _cluster("Standard_NC8ads_A10_v4", 1, 1), _workspace())
    assert impact.monthly_usd is None
    assert "no price for VM size Standard_NC8ads_A10_v4" in impact.basis


def test_workspace_rolls_up_its_computes(costs: CostModel) -> None:
    workspace = _workspace()
    cluster = _cluster("Standard_NC4as_T4_v3", 1, 2)
    instance = _res(
        "ci",
        COMPUTE,
        {"properties": {"computeType": "ComputeInstance", "properties": {"vmSize": "Standard_DS3_v2"}}},
        parent="ws",
    )
    impact = costs.monthly_cost(workspace, Inventory([workspace, cluster, instance]))
    assert impact.monthly_usd == 383.98 + 213.89
    assert {line.resource_key for line in impact.lines} == {"cluster", "ci"}
    empty = costs.monthly_cost(workspace, Inventory([workspace]))
    assert empty.monthly_usd == 0.0
    assert empty.basis == "no billed computes, online deployments or serverless endpoints in this input"


def test_unsupported_type_is_unknown(costs: CostModel) -> None:
    impact = _cost(costs, _res("sa", "Microsoft.Storage/storageAccounts", {"location": "eastus"}))
    assert impact.monthly_usd is None
    assert impact.basis == "aigov has no price model for Microsoft.Storage/storageAccounts"


# ---------------------------------------------------------------- rule cost specs


def test_resource_and_none_specs(costs: CostModel) -> None:
    dep, account = _deployment("dep", "ProvisionedManaged", 30), _account()
    inventory = Inventory([account, dep])
    assert costs.impact(CostSpec(CostKind.RESOURCE), dep, inventory).monthly_usd == 43_800.00
    none = costs.impact(CostSpec(CostKind.NONE), dep, inventory)
    assert none.monthly_usd == 0.0
    assert none.confidence is Confidence.EXACT
    assert "no cost of its own" in none.basis


def test_delta_provisioned_to_pay_as_you_go_without_usage_is_an_upper_bound(costs: CostModel) -> None:
    dep, account = _deployment("dep", "ProvisionedManaged", 30), _account()
    spec = CostSpec(CostKind.DELTA, field="sku.name", to=("Standard", "GlobalStandard", "DataZoneStandard"))
    impact = costs.impact(spec, dep, Inventory([account, dep]))
    assert impact.monthly_usd == 43_800.00
    # The tokens the alternative would bill are not known: never exact, and labelled an upper bound.
    assert impact.confidence is Confidence.ESTIMATE
    assert impact.upper_bound
    assert impact.saving
    assert impact.basis == (
        "upper bound: 30 PTU x 2.00 $/h x 730 h (ProvisionedManaged, eastus, price effective 2024-04-01, "
        "read 2026-09-30) − nearest allowed (same data processing scope): "
        "Standard, pay-per-token, its tokens not counted (no usage known) = 43,800.00 $/month at most "
        "(give the deployment's usage to price its tokens)"
    )
    (line,) = impact.lines
    assert line.resource_key == "dep"
    assert [p.meter for p in line.prices] == ["Provisioned Managed Regional Unit"]


def test_delta_capacity_cap(costs: CostModel) -> None:
    dep, account = _deployment("dep", "GlobalProvisionedManaged", 80), _account()
    impact = costs.impact(
        CostSpec(CostKind.DELTA, field="sku.capacity", to=(50,)), dep, Inventory([account, dep])
    )
    assert impact.monthly_usd == 21_900.00  # (80 - 50) x 1.00 x 730
    assert impact.confidence is Confidence.EXACT
    assert "cheapest allowed: sku.capacity = 50: 50 PTU x 1.00 $/h" in impact.basis


def test_delta_floors_at_zero(costs: CostModel) -> None:
    dep, account = _deployment("dep", "GlobalProvisionedManaged", 30), _account()
    impact = costs.impact(
        CostSpec(CostKind.DELTA, field="sku.capacity", to=(50,)), dep, Inventory([account, dep])
    )
    assert impact.monthly_usd == 0.0


def test_delta_search_compares_with_the_nearest_tier_that_takes_its_replicas(costs: CostModel) -> None:
    search = _search("standard3", 3, 1)
    inventory = Inventory([search])
    allowed = CostSpec(CostKind.DELTA, "sku.name", ("free", "basic", "standard"))
    impact = costs.impact(allowed, search, inventory)
    # Free takes one replica: no alternative for three. S1 is the allowed tier nearest S3 in capacity.
    assert impact.monthly_usd == round((2.688 - 0.336) * 3 * 730, 2) == 5_150.88
    assert impact.confidence is Confidence.ESTIMATE  # S3's price is uncertain (derived)
    assert impact.saving
    assert not impact.upper_bound
    assert (
        "nearest allowed (accepts 3 replicas x 1 partitions; nearest in capacity: 160 GB per" in impact.basis
    )
    assert "standard: 0.336 $/h x 3 replicas x 1 partitions x 730 h" in impact.basis
    assert impact.basis.endswith(
        "not compared: free takes at most 1 replicas and 1 partitions, not 3 replicas x 1 partitions"
    )
    basic_only = costs.impact(CostSpec(CostKind.DELTA, "sku.name", ("basic",)), search, inventory)
    assert basic_only.monthly_usd == round((2.688 - 0.101) * 3 * 730, 2) == 5_665.53


def test_delta_search_with_no_tier_taking_its_load_is_unknown(costs: CostModel) -> None:
    search = _search("standard3", 4, 2)
    allowed = CostSpec(CostKind.DELTA, "sku.name", ("free", "basic"))
    impact = costs.impact(allowed, search, Inventory([search]))
    assert impact.monthly_usd is None
    assert impact.confidence is Confidence.UNKNOWN
    assert "basic takes at most 3 replicas and 3 partitions, not 4 replicas x 2 partitions" in impact.basis


def test_delta_skips_unknown_alternatives(costs: CostModel) -> None:
    search = _search("standard", 2, 1)
    spec = CostSpec(CostKind.DELTA, "sku.name", ("storage_optimized_l1", "basic"))
    impact = costs.impact(spec, search, Inventory([search]))
    assert impact.monthly_usd == round(490.56 - 0.101 * 2 * 730, 2)


def test_delta_everything_unknown(costs: CostModel) -> None:
    unknown_current = _deployment("dep", "ProvisionedManaged", UNKNOWN)
    account = _account()
    spec = CostSpec(CostKind.DELTA, "sku.name", ("GlobalStandard",))
    impact = costs.impact(spec, unknown_current, Inventory([account, unknown_current]))
    assert impact.monthly_usd is None
    assert impact.confidence is Confidence.UNKNOWN
    assert impact.basis.startswith("current cost unknown: PTU count (sku.capacity) known only after apply")

    search = _search("standard", 1, 1)
    no_alternative = costs.impact(
        CostSpec(CostKind.DELTA, "sku.name", ("storage_optimized_l1", "storage_optimized_l2")),
        search,
        Inventory([search]),
    )
    assert no_alternative.monthly_usd is None
    assert no_alternative.confidence is Confidence.UNKNOWN
    assert "no allowed alternative could be priced" in no_alternative.basis


def test_delta_from_pay_per_token_is_unknown(costs: CostModel) -> None:
    dep, account = _deployment("dep", "GlobalStandard", 10), _account()
    impact = costs.impact(CostSpec(CostKind.DELTA, "sku.name", ("Standard",)), dep, Inventory([account, dep]))
    assert impact.monthly_usd is None
    assert "current cost unknown: pay-per-token" in impact.basis


def test_configured_default_region(costs: CostModel) -> None:
    swedish = CostModel(load_catalog(), default_region="swedencentral")
    impact = _cost(swedish, _deployment("dep", "ProvisionedManaged", 10), _account("brazilsoutheast"))
    assert impact.monthly_usd == 17_228.00  # 10 x 2.36 x 730
    assert "priced at swedencentral" in impact.basis
