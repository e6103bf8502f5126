"""Small Terraform plan documents for unit tests, built in code so each test shows what matters."""

from __future__ import annotations

import json
from typing import Any

from aigov.model import Inventory
from aigov.sources.base import SourceInput, SourceOptions
from aigov.sources.terraform_plan import TerraformPlanSource


def change(
    address: str,
    after: dict[str, Any] | None,
    *,
    actions: tuple[str, ...] = ("create",),
    after_unknown: dict[str, Any] | None = None,
    index: int | str | None = None,
    mode: str = "managed",
) -> dict[str, Any]:
    """One ``resource_changes`` entry; type, name and module come from the address."""
    parts = address.split(".")
    module_parts: list[str] = []
    while parts[0] == "module":
        module_parts += parts[:2]
        parts = parts[2:]
    if parts[0] == "data":
        parts = parts[1:]
    tf_type, name = parts[0], ".".join(parts[1:]).split("[", 1)[0]
    entry: dict[str, Any] = {"address": address}
    if module_parts:
        entry["module_address"] = ".".join(module_parts)
    entry.update({"mode": mode, "type": tf_type, "name": name})
    if index is not None:
        entry["index"] = index
    entry["provider_name"] = "registry.terraform.io/hashicorp/" + tf_type.split("_", 1)[0]
    entry["change"] = {
        "actions": list(actions),
        "before": None,
        "after": after,
        "after_unknown": after_unknown or {},
        "before_sensitive": False,
        "after_sensitive": {},
    }
    return entry


def config_resource(
    tf_type: str, name: str, expressions: dict[str, Any], provider_config_key: str | None = None
) -> dict[str, Any]:
    return {
        "address": f"{tf_type}.{name}",
        "mode": "managed",
        "type": tf_type,
        "name": name,
        "provider_config_key": provider_config_key or tf_type.split("_", 1)[0],
        "expressions": expressions,
    }


def plan(
    changes: list[dict[str, Any]],
    *,
    root_resources: list[dict[str, Any]] | None = None,
    module_calls: dict[str, Any] | None = None,
    provider_config: dict[str, Any] | None = None,
    variables: dict[str, Any] | None = None,
    format_version: str = "1.2",
) -> dict[str, Any]:
    root: dict[str, Any] = {"resources": root_resources or []}
    if module_calls:
        root["module_calls"] = module_calls
    doc: dict[str, Any] = {"format_version": format_version, "terraform_version": "1.9.8"}
    if variables:
        doc["variables"] = {k: {"value": v} for k, v in variables.items()}
    doc["resource_changes"] = changes
    doc["configuration"] = {"provider_config": provider_config or {}, "root_module": root}
    return doc


def load(
    document: dict[str, Any] | bytes, *, path: str = "plan.json", subscription: str | None = None
) -> Inventory:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    return TerraformPlanSource().load(
        SourceInput.from_bytes(path, data), SourceOptions(subscription=subscription)
    )


def deployment_after(name: str = "chat", **overrides: Any) -> dict[str, Any]:
    after: dict[str, Any] = {
        "name": name,
        "cognitive_account_id": None,
        "model": [{"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}],
        "sku": [{"name": "GlobalStandard", "capacity": 10, "tier": None, "size": None, "family": None}],
        "rai_policy_name": "Microsoft.DefaultV2",
        "version_upgrade_option": "OnceNewDefaultVersionAvailable",
        "dynamic_throttling_enabled": None,
    }
    after.update(overrides)
    return after


def account_after(name: str = "oai", **overrides: Any) -> dict[str, Any]:
    after: dict[str, Any] = {
        "name": name,
        "kind": "OpenAI",
        "sku_name": "S0",
        "location": "eastus",
        "resource_group_name": "rg-ai",
        "custom_subdomain_name": name,
        "local_auth_enabled": True,
        "public_network_access_enabled": True,
        "project_management_enabled": False,
        "tags": {"workload": "chat"},
        "id": None,
    }
    after.update(overrides)
    return after
