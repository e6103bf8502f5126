"""The azurerm/azapi -> ARM mapping table, on attribute values alone (no plan around them)."""

from __future__ import annotations

from typing import Any

import pytest

from aigov.model import UNKNOWN
from aigov.sources.azurerm import (
    TERRAFORM_TYPES,
    ArmId,
    MappingError,
    map_resource,
    parse_arm_id,
    split_azapi_type,
)

WS_ID = "/subscriptions/s1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw"


def test_table_lists_every_supported_type() -> None:
    assert set(TERRAFORM_TYPES) == {
        "azurerm_cognitive_account",
        "azurerm_ai_services",
        "azurerm_cognitive_deployment",
        "azurerm_search_service",
        "azurerm_machine_learning_workspace",
        "azurerm_machine_learning_compute_cluster",
        "azurerm_machine_learning_compute_instance",
        "azapi_resource",
    }
    assert map_resource("azurerm_storage_account", {"name": "st"}) is None


def test_cognitive_account() -> None:
    mapped = map_resource(
        "azurerm_cognitive_account",
        {
            "name": "oai",
            "kind": "AIServices",
            "sku_name": "S0",
            "location": "swedencentral",
            "resource_group_name": "rg",
            "custom_subdomain_name": "oai-sub",
            "local_auth_enabled": True,
            "public_network_access_enabled": False,
            "project_management_enabled": True,
            "tags": {"owner": "team"},
            "id": None,
        },
    )
    assert mapped is not None
    assert mapped.body == {
        "type": "Microsoft.CognitiveServices/accounts",
        "name": "oai",
        "location": "swedencentral",
        "kind": "AIServices",
        "sku": {"name": "S0"},
        "tags": {"owner": "team"},
        "properties": {
            "customSubDomainName": "oai-sub",
            "publicNetworkAccess": "Disabled",
            "disableLocalAuth": False,
            "allowProjectManagement": True,
        },
    }
    assert mapped.resource_group == "rg"
    assert mapped.parent_id is None
    assert mapped.own_id is None


def test_account_unknowns_stay_unknown() -> None:
    mapped = map_resource(
        "azurerm_cognitive_account",
        {
            "name": "oai",
            "sku_name": UNKNOWN,
            "local_auth_enabled": UNKNOWN,
            "public_network_access_enabled": UNKNOWN,
        },
    )
    assert mapped is not None
    assert mapped.body["sku"] == {"name": UNKNOWN}
    assert mapped.body["properties"]["disableLocalAuth"] is UNKNOWN
    assert mapped.body["properties"]["publicNetworkAccess"] is UNKNOWN


def test_ai_services_4x() -> None:
    mapped = map_resource(
        "azurerm_ai_services",
        {
            "name": "ais",
            "sku_name": "S0",
            "public_network_access": "Enabled",
            "local_authentication_enabled": True,
        },
    )
    assert mapped is not None
    assert mapped.arm_type == "Microsoft.CognitiveServices/accounts"
    assert mapped.body["kind"] == "AIServices"
    assert mapped.body["properties"] == {"publicNetworkAccess": "Enabled", "disableLocalAuth": False}


@pytest.mark.parametrize(
    ("values", "sku"),
    [
        (
            {"sku": [{"name": "GlobalStandard", "capacity": 5, "tier": "", "size": None}]},
            {"name": "GlobalStandard", "capacity": 5},
        ),
        (
            {"sku": [{"name": "Standard", "capacity": 1, "tier": "Premium"}]},
            {"name": "Standard", "capacity": 1, "tier": "Premium"},
        ),
        (
            {"sku": [], "scale": [{"type": "Standard", "capacity": 120}]},
            {"name": "Standard", "capacity": 120},
        ),
        (
            {"scale": [{"type": "P3", "capacity": 2, "family": "P"}]},
            {"name": "P3", "capacity": 2, "family": "P"},
        ),
        ({"sku": UNKNOWN}, UNKNOWN),
        (
            {"sku": [{"name": "ProvisionedManaged", "capacity": UNKNOWN}]},
            {"name": "ProvisionedManaged", "capacity": UNKNOWN},
        ),
    ],
)
def test_deployment_sku_and_v3_scale(values: dict[str, Any], sku: Any) -> None:
    mapped = map_resource("azurerm_cognitive_deployment", {"name": "d", **values})
    assert mapped is not None
    assert mapped.body["sku"] == sku


def test_deployment_body_has_no_location_or_tags() -> None:
    account = "/subscriptions/s1/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/oai"
    mapped = map_resource(
        "azurerm_cognitive_deployment",
        {
            "name": "d",
            "cognitive_account_id": account,
            "model": [{"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}],
            "sku": [{"name": "Standard", "capacity": 1}],
            "rai_policy_name": "Microsoft.DefaultV2",
            "version_upgrade_option": "NoAutoUpgrade",
            "dynamic_throttling_enabled": True,
            "location": "eastus",
            "tags": {"x": "y"},
        },
    )
    assert mapped is not None
    assert mapped.body == {
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "name": "d",
        "sku": {"name": "Standard", "capacity": 1},
        "properties": {
            "model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"},
            "raiPolicyName": "Microsoft.DefaultV2",
            "versionUpgradeOption": "NoAutoUpgrade",
            "dynamicThrottlingEnabled": True,
        },
    }
    assert mapped.parent_id == account
    assert mapped.resource_group == "rg-ai"


def test_search_service_defaults() -> None:
    mapped = map_resource("azurerm_search_service", {"name": "s", "sku": "basic", "location": "eastus"})
    assert mapped is not None
    assert mapped.body["properties"] == {"replicaCount": 1, "partitionCount": 1}
    unknown = {"name": "s", "sku": "standard", "replica_count": UNKNOWN, "partition_count": UNKNOWN}
    configured = map_resource("azurerm_search_service", unknown, frozenset({"replica_count"}))
    assert configured is not None
    assert configured.body["properties"] == {"replicaCount": UNKNOWN, "partitionCount": 1}
    no_config = map_resource("azurerm_search_service", unknown)
    assert no_config is not None  # without the configuration we cannot tell: stays unknown
    assert no_config.body["properties"] == {"replicaCount": UNKNOWN, "partitionCount": UNKNOWN}


def test_search_service_full() -> None:
    mapped = map_resource(
        "azurerm_search_service",
        {
            "name": "s",
            "sku": "standard3",
            "replica_count": 3,
            "partition_count": 2,
            "hosting_mode": "highDensity",
            "semantic_search_sku": "free",
            "tags": {},
            "location": "westeurope",
        },
    )
    assert mapped is not None
    assert mapped.body == {
        "type": "Microsoft.Search/searchServices",
        "name": "s",
        "location": "westeurope",
        "sku": {"name": "standard3"},
        "tags": {},
        "properties": {
            "replicaCount": 3,
            "partitionCount": 2,
            "hostingMode": "highDensity",
            "semanticSearch": "free",
        },
    }


def test_ml_workspace() -> None:
    mapped = map_resource(
        "azurerm_machine_learning_workspace",
        {"name": "mlw", "location": "eastus", "tags": {"a": "b"}, "kind": "Hub", "sku_name": None},
    )
    assert mapped is not None
    assert mapped.body["type"] == "Microsoft.MachineLearningServices/workspaces"
    assert mapped.body["sku"] == {"name": "Basic"}
    assert mapped.body["kind"] == "Hub"


def test_ml_compute_cluster() -> None:
    mapped = map_resource(
        "azurerm_machine_learning_compute_cluster",
        {
            "name": "gpu",
            "location": "eastus",
            "machine_learning_workspace_id": WS_ID,
            "vm_size": "Standard_NC24ads_A100_v4",
            "vm_priority": "LowPriority",
            "scale_settings": [{"min_node_count": 1, "max_node_count": UNKNOWN}],
            "tags": None,
        },
    )
    assert mapped is not None
    assert mapped.body == {
        "type": "Microsoft.MachineLearningServices/workspaces/computes",
        "name": "gpu",
        "location": "eastus",
        "properties": {
            "computeType": "AmlCompute",
            "computeLocation": "eastus",
            "properties": {
                "vmSize": "Standard_NC24ads_A100_v4",
                "vmPriority": "LowPriority",
                "scaleSettings": {"minNodeCount": 1, "maxNodeCount": UNKNOWN},
            },
        },
    }
    assert mapped.parent_id == WS_ID
    assert mapped.resource_group == "rg-ml"


def test_ml_compute_instance() -> None:
    mapped = map_resource(
        "azurerm_machine_learning_compute_instance",
        {"name": "ci", "machine_learning_workspace_id": UNKNOWN, "virtual_machine_size": "STANDARD_DS3_V2"},
    )
    assert mapped is not None
    assert mapped.body["properties"] == {
        "computeType": "ComputeInstance",
        "properties": {"vmSize": "STANDARD_DS3_V2"},
    }
    assert "location" not in mapped.body  # 4.x has none: the workspace's region applies
    assert mapped.resource_group is UNKNOWN


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"sku": {"name": "Standard", "capacity": 1}}', {"sku": {"name": "Standard", "capacity": 1}}),
        ({"sku": {"name": "Standard", "capacity": 1}}, {"sku": {"name": "Standard", "capacity": 1}}),
        ("", {}),
        (None, {}),
    ],
)
def test_azapi_body_forms(body: Any, expected: dict[str, Any]) -> None:
    mapped = map_resource(
        "azapi_resource",
        {"type": "microsoft.cognitiveservices/ACCOUNTS/deployments@2024-10-01", "name": "d", "body": body},
    )
    assert mapped is not None
    assert mapped.arm_type == "Microsoft.CognitiveServices/accounts/deployments"
    assert mapped.api_version == "2024-10-01"
    assert mapped.body == {
        **expected,
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "name": "d",
    }


def test_azapi_location_and_tags_override_the_body() -> None:
    mapped = map_resource(
        "azapi_resource",
        {
            "type": "Microsoft.Search/searchServices@2025-05-01",
            "name": "s",
            "location": "eastus",
            "tags": {"a": "1"},
            "body": {"sku": {"name": "basic"}, "location": "ignored"},
            "parent_id": "/subscriptions/s1/resourceGroups/rg-s",
        },
    )
    assert mapped is not None
    assert mapped.body["location"] == "eastus"
    assert mapped.body["tags"] == {"a": "1"}
    assert mapped.resource_group == "rg-s"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "azapi body is not valid JSON: "),
        ("[1, 2]", "azapi body is not a JSON object"),
        (42, "azapi body is a int, expected an object"),
    ],
)
def test_azapi_bad_body(body: Any, message: str) -> None:
    with pytest.raises(MappingError, match=f"^{message}"):
        map_resource("azapi_resource", {"type": "Microsoft.Search/searchServices@2025-05-01", "body": body})


def test_azapi_unknown_type_is_skipped() -> None:
    assert map_resource("azapi_resource", {"type": "Microsoft.Web/sites@2024-04-01", "body": "{"}) is None
    assert split_azapi_type(UNKNOWN) is None
    assert split_azapi_type("Microsoft.Search/searchServices") == ("Microsoft.Search/searchServices", None)


def test_parse_arm_id() -> None:
    assert parse_arm_id(WS_ID + "/computes/gpu") == ArmId(
        "s1", "rg-ml", "Microsoft.MachineLearningServices/workspaces/computes", "gpu"
    )
    assert parse_arm_id("/subscriptions/s1/resourceGroups/rg") == ArmId("s1", "rg", None, None)
    assert parse_arm_id("/subscriptions/s1") == ArmId("s1", None, None, None)
    assert parse_arm_id("not-an-id") is None
