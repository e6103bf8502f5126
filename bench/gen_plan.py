"""Write a synthetic but realistic Terraform plan JSON for benchmarking the plan source.

    python bench/gen_plan.py --resources 20000 --out /tmp/plan.json [--seed 7]

The plan has what ``terraform show -json`` writes for a large Azure estate:
``planned_values``, ``resource_changes`` (before, after, after_unknown and
sensitivity markers), ``prior_state`` for existing resources and a
``configuration`` whose resource blocks are shared by count/for_each
instances. Resources are spread over team modules; about 70% are AI
resources aigov maps (accounts with several deployments each, search
services, ML workspaces with computes) and 30% are other azurerm types
(storage accounts, networks, key vaults) that aigov must skip. Actions are a
mix of create, update, no-op, replace and delete. Output is deterministic for
a given seed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import uuid
from pathlib import Path
from typing import Any

AZURERM = "registry.terraform.io/hashicorp/azurerm"
REGIONS = ["eastus", "eastus2", "westeurope", "swedencentral", "westus3", "japaneast"]
DEPLOYMENT_SKUS = [
    ("GlobalStandard", 50),
    ("GlobalStandard", 200),
    ("DataZoneStandard", 100),
    ("Standard", 120),
    ("ProvisionedManaged", 50),
    ("GlobalProvisionedManaged", 15),
]
MODELS = [
    ("gpt-4o", "2024-11-20"),
    ("gpt-4o-mini", "2024-07-18"),
    ("gpt-4.1", "2025-04-14"),
    ("o3-mini", "2025-01-31"),
]
VM_SIZES = ["Standard_NC24ads_A100_v4", "Standard_ND96asr_v4", "Standard_DS3_v2", "Standard_NC6s_v3"]
SEARCH_SKUS = ["basic", "standard", "standard2", "standard3"]

Index = int | str | None
_MODULE_STEP = re.compile(r"module\.([A-Za-z_][A-Za-z0-9_-]*)(\[[^\]]*\])?\.?")


def module_path(module_address: str) -> tuple[tuple[str, str | None], ...]:
    """``module.a["x"].module.b`` -> ``(("a", '"x"'), ("b", None))``: call names and their instance keys."""
    return tuple((m.group(1), m.group(2)) for m in _MODULE_STEP.finditer(module_address))


def _refs(target: str) -> list[str]:
    """The references Terraform lists for ``target.id``: the attribute and the resource."""
    return [f"{target}.id", target]


class Names:
    """How one shape of plan names module instances and resource blocks.

    ``team`` (the default): one module instance per team (``module.team["t0001"]``),
    each with one account and deployments ``models["d0"]``: Terraform's kindest shape.
    """

    stacks_per_module = 1

    def place(self, stack: int) -> tuple[int, int]:
        """(team, slot within the team's module instance) of the ``stack``-th AI stack."""
        return stack // self.stacks_per_module, stack % self.stacks_per_module

    def module(self, team: int) -> str:
        return f'module.team["t{team:04d}"]'

    def account(self, slot: int) -> tuple[str, Index]:
        return "main", None

    def account_references(self, slot: int) -> list[str]:
        return _refs("azurerm_cognitive_account.main")

    def deployment(self, slot: int, d: int, name: str) -> tuple[str, Index]:
        return "models", f"d{d}"

    def search(self, slot: int) -> tuple[str, Index]:
        return "main", None

    def workspace(self, slot: int) -> tuple[str, Index]:
        return "main", None

    def compute(self, slot: int, c: int) -> tuple[str, Index]:
        return "pools", c

    def workspace_references(self, slot: int, c: int) -> list[str]:
        return _refs("azurerm_machine_learning_workspace.main")

    def other(self, block: str, i: int) -> tuple[str, Index]:
        return block, i


class DistinctNames(Names):
    """``distinct``: every resource its own block in nested modules, no instance keys.

    ``module.platform.module.team_0007.azurerm_cognitive_deployment.oai_2_gpt_4o_1``,
    its account ``...azurerm_cognitive_account.oai_2``: the configuration has one
    block per resource and grows with the plan.
    """

    stacks_per_module = 4

    def module(self, team: int) -> str:
        return f"module.platform.module.team_{team:04d}"

    def account(self, slot: int) -> tuple[str, Index]:
        return f"oai_{slot}", None

    def account_references(self, slot: int) -> list[str]:
        return _refs(f"azurerm_cognitive_account.oai_{slot}")

    def deployment(self, slot: int, d: int, name: str) -> tuple[str, Index]:
        return f"oai_{slot}_" + name.replace("-", "_").replace(".", "_"), None

    def search(self, slot: int) -> tuple[str, Index]:
        return f"search_{slot}", None

    def workspace(self, slot: int) -> tuple[str, Index]:
        return f"mlw_{slot}", None

    def compute(self, slot: int, c: int) -> tuple[str, Index]:
        return f"mlw_{slot}_pool_{c}", None

    def workspace_references(self, slot: int, c: int) -> list[str]:
        return _refs(f"azurerm_machine_learning_workspace.mlw_{slot}")

    def other(self, block: str, i: int) -> tuple[str, Index]:
        return f"{block}_{i:05d}", None


class ForEachNames(Names):
    """``for_each``: two team module instances holding thousands of for_each instances each.

    ``module.ai["team-a"]`` has one account ``this`` with deployments
    ``this["gpt-4o-0"]`` (the Azure Verified Modules pattern), then accounts
    ``shared["acct-0001"]`` whose deployments ``shared["acct-0001/gpt-4o-0"]``
    refer to ``azurerm_cognitive_account.shared[each.value.account]`` (no
    static index), and workspaces ``this["mlw-0001"]`` whose first compute has
    the same key (``azurerm_machine_learning_workspace.this[each.key]``).
    """

    teams = 2

    def place(self, stack: int) -> tuple[int, int]:
        return stack % self.teams, stack // self.teams

    def module(self, team: int) -> str:
        return f'module.ai["team-{chr(ord("a") + team)}"]'

    def account(self, slot: int) -> tuple[str, Index]:
        return ("this", None) if slot == 0 else ("shared", f"acct-{slot:04d}")

    def account_references(self, slot: int) -> list[str]:
        if slot == 0:
            return _refs("azurerm_cognitive_account.this")
        return ["azurerm_cognitive_account.shared", "each.value.account", "each.value"]

    def deployment(self, slot: int, d: int, name: str) -> tuple[str, Index]:
        return ("this", name) if slot == 0 else ("shared", f"acct-{slot:04d}/{name}")

    def search(self, slot: int) -> tuple[str, Index]:
        return "this", f"srch-{slot:04d}"

    def workspace(self, slot: int) -> tuple[str, Index]:
        return "this", f"mlw-{slot:04d}"

    def compute(self, slot: int, c: int) -> tuple[str, Index]:
        return "this", f"mlw-{slot:04d}" + (f"-{c}" if c else "")

    def workspace_references(self, slot: int, c: int) -> list[str]:
        if c == 0:
            return ["azurerm_machine_learning_workspace.this", "each.key"]
        return ["azurerm_machine_learning_workspace.this", "each.value.workspace", "each.value"]

    def other(self, block: str, i: int) -> tuple[str, Index]:
        return block, f"{block}-{i:05d}"


SHAPES: dict[str, Names] = {"team": Names(), "distinct": DistinctNames(), "for_each": ForEachNames()}


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.changes: list[dict[str, Any]] = []
        self.planned: dict[str, list[dict[str, Any]]] = {}
        self.prior: dict[str, list[dict[str, Any]]] = {}
        # configuration blocks per module path: (type, name) -> block
        self.config: dict[tuple[tuple[str, str | None], ...], dict[tuple[str, str], dict[str, Any]]] = {}
        self.subscriptions = [str(uuid.UUID(int=self.rng.getrandbits(128), version=4)) for _ in range(4)]

    # ------------------------------------------------------------------ helpers

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def action(self) -> list[str]:
        roll = self.rng.random()
        if roll < 0.35:
            return ["create"]
        if roll < 0.75:
            return ["no-op"]
        if roll < 0.90:
            return ["update"]
        if roll < 0.95:
            return ["delete", "create"]
        return ["delete"]

    def add(
        self,
        where: tuple[str, str, str, int | str | None],  # module instance, type, name, index
        after: dict[str, Any],
        unknown: dict[str, Any],
        expressions: dict[str, Any],
        *,
        actions: list[str] | None = None,
        sensitive: dict[str, Any] | None = None,
        arm_id: str | None = None,
    ) -> str:
        module, tf_type, name, index = where
        actions = actions or self.action()
        local = f"{tf_type}.{name}" + ("" if index is None else f"[{json.dumps(index)}]")
        address = f"{module}.{local}"
        existing = actions != ["create"]
        if existing and arm_id:
            after = dict(after, id=arm_id)
            unknown = {k: v for k, v in unknown.items() if k != "id"}
        before = dict(after) if existing else None
        if actions == ["update"] and before is not None:
            before["tags"] = dict(before.get("tags") or {}, revision=str(self.rng.randint(1, 9)))
        change = {
            "actions": actions,
            "before": before,
            "after": None if actions == ["delete"] else after,
            "after_unknown": {} if actions == ["delete"] else (unknown if not existing else {}),
            "before_sensitive": False if not existing else (sensitive or {}),
            "after_sensitive": False if actions == ["delete"] else (sensitive or {}),
        }
        entry: dict[str, Any] = {
            "address": address,
            "module_address": module,
            "mode": "managed",
            "type": tf_type,
        }
        entry["name"] = name
        if index is not None:
            entry["index"] = index
        entry["provider_name"] = AZURERM
        entry["change"] = change
        self.changes.append(entry)
        value = {
            "address": address,
            "mode": "managed",
            "type": tf_type,
            "name": name,
            "provider_name": AZURERM,
            "schema_version": 0,
            "sensitive_values": {},
        }
        if index is not None:
            value["index"] = index
        if actions != ["delete"]:
            self.planned.setdefault(module, []).append(
                dict(value, values={k: v for k, v in after.items() if unknown.get(k) is not True})
            )
        if existing:
            self.prior.setdefault(module, []).append(dict(value, values=before))
        blocks = self.config.setdefault(module_path(module), {})
        if (tf_type, name) not in blocks:
            block: dict[str, Any] = {
                "address": f"{tf_type}.{name}",
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_config_key": "azurerm",
                "expressions": expressions,
                "schema_version": 0,
            }
            if isinstance(index, str):
                block["for_each_expression"] = {"references": [f"local.{name}", "local"]}
            elif isinstance(index, int):
                block["count_expression"] = {"references": [f"var.{name}_count"]}
            blocks[(tf_type, name)] = block
        return address

    @staticmethod
    def ref(target: str, attribute: str = "id") -> dict[str, Any]:
        return {"references": [f"{target}.{attribute}", target]}

    # ------------------------------------------------------------------ resource kinds

    def ai_stack(
        self, module: str, team: int, sub: str, rg: str, region: str, names: Names, slot: int
    ) -> int:
        """One account with 2-5 deployments, a search service, a workspace with 1-3 computes."""
        tags = {"cost-center": f"cc-{4000 + team}", "environment": "prod", "workload": f"wl-{team}"}
        if self.rng.random() < 0.2:
            del tags["workload"]
        account_name = f"oai-t{team}-{slot}-{self.rng.randrange(16**6):06x}"
        providers = f"/subscriptions/{sub}/resourceGroups/{rg}/providers"
        account_id = f"{providers}/Microsoft.CognitiveServices/accounts/{account_name}"
        account_actions = self.action()
        if account_actions == ["delete"]:
            account_actions = ["no-op"]
        self.add(
            (module, "azurerm_cognitive_account", *names.account(slot)),
            {
                "custom_question_answering_search_service_id": None,
                "custom_subdomain_name": account_name,
                "customer_managed_key": [],
                "dynamic_throttling_enabled": False,
                "endpoint": None,
                "fqdns": None,
                "id": None,
                "identity": [
                    {"identity_ids": None, "principal_id": None, "tenant_id": None, "type": "SystemAssigned"}
                ],
                "kind": "OpenAI",
                "local_auth_enabled": False,
                "location": region,
                "metrics_advisor_aad_client_id": None,
                "metrics_advisor_aad_tenant_id": None,
                "metrics_advisor_super_user_name": None,
                "metrics_advisor_website_name": None,
                "name": account_name,
                "network_acls": [
                    {
                        "bypass": "AzureServices",
                        "default_action": "Deny",
                        "ip_rules": [],
                        "virtual_network_rules": [],
                    }
                ],
                "network_injection": [],
                "outbound_network_access_restricted": False,
                "primary_access_key": None,
                "project_management_enabled": False,
                "public_network_access_enabled": False,
                "qna_runtime_endpoint": None,
                "resource_group_name": rg,
                "secondary_access_key": None,
                "sku_name": "S0",
                "storage": [],
                "tags": tags,
                "timeouts": None,
            },
            {
                "customer_managed_key": [],
                "endpoint": True,
                "id": True,
                "identity": [{"identity_ids": True, "principal_id": True, "tenant_id": True}],
                "network_acls": [{"ip_rules": [], "virtual_network_rules": []}],
                "network_injection": [],
                "primary_access_key": True,
                "secondary_access_key": True,
                "storage": [],
                "tags": {},
            },
            {
                "custom_subdomain_name": {"references": ["local.account_name"]},
                "identity": [{"type": {"constant_value": "SystemAssigned"}}],
                "kind": {"constant_value": "OpenAI"},
                "local_auth_enabled": {"constant_value": False},
                "location": {"references": ["var.location"]},
                "name": {"references": ["local.account_name"]},
                "network_acls": [
                    {
                        "default_action": {"constant_value": "Deny"},
                        "bypass": {"constant_value": "AzureServices"},
                    }
                ],
                "public_network_access_enabled": {"constant_value": False},
                "resource_group_name": {"references": ["var.resource_group_name"]},
                "sku_name": {"constant_value": "S0"},
                "tags": {"references": ["local.tags"]},
            },
            actions=account_actions,
            sensitive={"primary_access_key": True, "secondary_access_key": True},
            arm_id=account_id,
        )
        count = 1
        for d in range(self.rng.randint(2, 5)):
            sku, capacity = self.rng.choice(DEPLOYMENT_SKUS)
            model, version = self.rng.choice(MODELS)
            known_parent = account_actions != ["create"]
            self.add(
                (module, "azurerm_cognitive_deployment", *names.deployment(slot, d, f"{model}-{d}")),
                {
                    "cognitive_account_id": account_id if known_parent else None,
                    "dynamic_throttling_enabled": None,
                    "id": None,
                    "model": [{"format": "OpenAI", "name": model, "version": version}],
                    "name": f"{model}-{d}",
                    "rai_policy_name": "Microsoft.DefaultV2",
                    "sku": [{"capacity": capacity, "family": None, "name": sku, "size": None, "tier": None}],
                    "timeouts": None,
                    "version_upgrade_option": "OnceNewDefaultVersionAvailable",
                },
                {
                    "id": True,
                    "model": [{}],
                    "sku": [{}],
                    **({} if known_parent else {"cognitive_account_id": True}),
                },
                {
                    "cognitive_account_id": {"references": names.account_references(slot)},
                    "model": [
                        {
                            "format": {"constant_value": "OpenAI"},
                            "name": {"references": ["each.value.model", "each.value"]},
                            "version": {"references": ["each.value.version", "each.value"]},
                        }
                    ],
                    "name": {"references": ["each.key"]},
                    "rai_policy_name": {"constant_value": "Microsoft.DefaultV2"},
                    "sku": [
                        {
                            "capacity": {"references": ["each.value.capacity", "each.value"]},
                            "name": {"references": ["each.value.sku", "each.value"]},
                        }
                    ],
                },
                arm_id=f"{account_id}/deployments/{model}-{d}",
            )
            count += 1
        if self.rng.random() < 0.6:
            search = f"srch-t{team}-{slot}-{self.rng.randrange(16**6):06x}"
            self.add(
                (module, "azurerm_search_service", *names.search(slot)),
                {
                    "allowed_ips": None,
                    "authentication_failure_mode": None,
                    "customer_managed_key_enforcement_enabled": False,
                    "hosting_mode": "default",
                    "id": None,
                    "identity": [],
                    "local_authentication_enabled": True,
                    "location": region,
                    "name": search,
                    "network_rule_bypass_option": "None",
                    "partition_count": self.rng.choice([1, 2, 3]),
                    "primary_key": None,
                    "public_network_access_enabled": True,
                    "query_keys": None,
                    "replica_count": self.rng.choice([1, 2, 3]),
                    "resource_group_name": rg,
                    "secondary_key": None,
                    "semantic_search_sku": None,
                    "sku": self.rng.choice(SEARCH_SKUS),
                    "tags": tags,
                    "timeouts": None,
                },
                {
                    "id": True,
                    "identity": [],
                    "primary_key": True,
                    "query_keys": True,
                    "secondary_key": True,
                    "tags": {},
                },
                {
                    "location": {"references": ["var.location"]},
                    "name": {"references": ["local.search_name"]},
                    "partition_count": {"references": ["var.search_partitions"]},
                    "replica_count": {"references": ["var.search_replicas"]},
                    "resource_group_name": {"references": ["var.resource_group_name"]},
                    "sku": {"references": ["var.search_sku"]},
                    "tags": {"references": ["local.tags"]},
                },
                sensitive={"primary_key": True, "secondary_key": True, "query_keys": True},
            )
            count += 1
        workspace = f"mlw-t{team}-{slot}-{self.rng.randrange(16**6):06x}"
        ws_id = f"{providers}/Microsoft.MachineLearningServices/workspaces/{workspace}"
        ws_actions = self.action()
        self.add(
            (module, "azurerm_machine_learning_workspace", *names.workspace(slot)),
            {
                "application_insights_id": f"{providers}/Microsoft.Insights/components/appi-{team}",
                "container_registry_id": None,
                "description": None,
                "discovery_url": None,
                "encryption": [],
                "friendly_name": None,
                "high_business_impact": None,
                "id": None,
                "identity": [
                    {"identity_ids": None, "principal_id": None, "tenant_id": None, "type": "SystemAssigned"}
                ],
                "image_build_compute_name": None,
                "key_vault_id": f"{providers}/Microsoft.KeyVault/vaults/kv-{team}",
                "kind": "Default",
                "location": region,
                "managed_network": [{"isolation_mode": "Disabled"}],
                "name": workspace,
                "public_network_access_enabled": True,
                "resource_group_name": rg,
                "sku_name": "Basic",
                "storage_account_id": f"{providers}/Microsoft.Storage/storageAccounts/st{team}",
                "tags": tags,
                "timeouts": None,
                "v1_legacy_mode_enabled": False,
                "workspace_id": None,
            },
            {
                "discovery_url": True,
                "encryption": [],
                "id": True,
                "identity": [{"identity_ids": True, "principal_id": True, "tenant_id": True}],
                "managed_network": [{}],
                "tags": {},
                "workspace_id": True,
            },
            {
                "application_insights_id": self.ref("azurerm_application_insights.main"),
                "identity": [{"type": {"constant_value": "SystemAssigned"}}],
                "key_vault_id": self.ref("azurerm_key_vault.main"),
                "location": {"references": ["var.location"]},
                "name": {"references": ["local.workspace_name"]},
                "resource_group_name": {"references": ["var.resource_group_name"]},
                "storage_account_id": self.ref("azurerm_storage_account.main"),
                "tags": {"references": ["local.tags"]},
            },
            actions=ws_actions,
            arm_id=ws_id,
        )
        count += 1
        for c in range(self.rng.randint(1, 3)):
            known_parent = ws_actions != ["create"]
            self.add(
                (module, "azurerm_machine_learning_compute_cluster", *names.compute(slot, c)),
                {
                    "description": None,
                    "id": None,
                    "identity": [],
                    "local_auth_enabled": True,
                    "location": region,
                    "machine_learning_workspace_id": ws_id if known_parent else None,
                    "name": f"pool-{c}",
                    "node_public_ip_enabled": True,
                    "scale_settings": [
                        {
                            "max_node_count": self.rng.choice([2, 4, 8]),
                            "min_node_count": self.rng.choice([0, 0, 1]),
                            "scale_down_nodes_after_idle_duration": "PT30M",
                        }
                    ],
                    "ssh": [],
                    "ssh_public_access_enabled": None,
                    "subnet_resource_id": None,
                    "tags": tags,
                    "timeouts": None,
                    "vm_priority": "Dedicated",
                    "vm_size": self.rng.choice(VM_SIZES),
                },
                {
                    "id": True,
                    "identity": [],
                    "scale_settings": [{}],
                    "ssh": [],
                    "ssh_public_access_enabled": True,
                    "tags": {},
                    **({} if known_parent else {"machine_learning_workspace_id": True}),
                },
                {
                    "location": {"references": ["var.location"]},
                    "machine_learning_workspace_id": {"references": names.workspace_references(slot, c)},
                    "name": {"references": ["count.index"]},
                    "scale_settings": [
                        {
                            "max_node_count": {"references": ["var.max_nodes"]},
                            "min_node_count": {"constant_value": 0},
                            "scale_down_nodes_after_idle_duration": {"constant_value": "PT30M"},
                        }
                    ],
                    "vm_priority": {"constant_value": "Dedicated"},
                    "vm_size": {"references": ["var.vm_size"]},
                },
            )
            count += 1
        return count

    def other(self, module: str, team: int, i: int, rg: str, region: str, names: Names) -> None:
        """A resource aigov does not evaluate: a storage account, a network or a key vault."""
        kind = i % 3
        if kind == 0:
            after = {
                "access_tier": "Hot",
                "account_kind": "StorageV2",
                "account_replication_type": self.rng.choice(["LRS", "ZRS", "GRS"]),
                "account_tier": "Standard",
                "allow_nested_items_to_be_public": False,
                "allowed_copy_scope": None,
                "blob_properties": [
                    {
                        "change_feed_enabled": False,
                        "container_delete_retention_policy": [{"days": 7}],
                        "cors_rule": [],
                        "delete_retention_policy": [{"days": 7, "permanent_delete_enabled": False}],
                        "versioning_enabled": True,
                    }
                ],
                "cross_tenant_replication_enabled": False,
                "default_to_oauth_authentication": True,
                "https_traffic_only_enabled": True,
                "id": None,
                "infrastructure_encryption_enabled": False,
                "is_hns_enabled": False,
                "location": region,
                "min_tls_version": "TLS1_2",
                "name": f"st{team}x{i}",
                "network_rules": [
                    {
                        "bypass": ["AzureServices"],
                        "default_action": "Deny",
                        "ip_rules": [],
                        "virtual_network_subnet_ids": [],
                    }
                ],
                "primary_access_key": None,
                "primary_blob_endpoint": None,
                "primary_connection_string": None,
                "public_network_access_enabled": False,
                "resource_group_name": rg,
                "secondary_access_key": None,
                "shared_access_key_enabled": False,
                "tags": {"workload": f"wl-{team}"},
                "timeouts": None,
            }
            unknown = {
                "blob_properties": [
                    {
                        "container_delete_retention_policy": [{}],
                        "cors_rule": [],
                        "delete_retention_policy": [{}],
                    }
                ],
                "id": True,
                "network_rules": [{"bypass": [False], "ip_rules": [], "virtual_network_subnet_ids": []}],
                "primary_access_key": True,
                "primary_blob_endpoint": True,
                "primary_connection_string": True,
                "secondary_access_key": True,
                "tags": {},
            }
            self.add(
                (module, "azurerm_storage_account", *names.other("data", i)),
                after,
                unknown,
                {
                    "name": {"references": ["local.storage_names"]},
                    "account_tier": {"constant_value": "Standard"},
                },
                sensitive={
                    "primary_access_key": True,
                    "secondary_access_key": True,
                    "primary_connection_string": True,
                },
            )
        elif kind == 1:
            self.add(
                (module, "azurerm_virtual_network", *names.other("spokes", i)),
                {
                    "address_space": [f"10.{team % 250}.{i % 250}.0/24"],
                    "bgp_community": None,
                    "ddos_protection_plan": [],
                    "dns_servers": [],
                    "encryption": [],
                    "flow_timeout_in_minutes": None,
                    "guid": None,
                    "id": None,
                    "location": region,
                    "name": f"vnet-{team}-{i}",
                    "resource_group_name": rg,
                    "subnet": [],
                    "tags": {"workload": f"wl-{team}"},
                    "timeouts": None,
                },
                {
                    "address_space": [False],
                    "ddos_protection_plan": [],
                    "encryption": [],
                    "guid": True,
                    "id": True,
                    "subnet": True,
                    "tags": {},
                },
                {"address_space": {"references": ["each.value"]}, "name": {"references": ["each.key"]}},
            )
        else:
            self.add(
                (module, "azurerm_key_vault", *names.other("secrets", i)),
                {
                    "access_policy": [],
                    "enable_rbac_authorization": True,
                    "enabled_for_deployment": False,
                    "enabled_for_disk_encryption": False,
                    "enabled_for_template_deployment": False,
                    "id": None,
                    "location": region,
                    "name": f"kv-{team}-{i}",
                    "network_acls": [
                        {
                            "bypass": "AzureServices",
                            "default_action": "Deny",
                            "ip_rules": [],
                            "virtual_network_subnet_ids": [],
                        }
                    ],
                    "public_network_access_enabled": False,
                    "purge_protection_enabled": True,
                    "resource_group_name": rg,
                    "sku_name": "standard",
                    "soft_delete_retention_days": 90,
                    "tags": {"workload": f"wl-{team}"},
                    "tenant_id": "72f988bf-0000-4000-8000-2d7cd011db47",
                    "timeouts": None,
                    "vault_uri": None,
                },
                {
                    "access_policy": True,
                    "id": True,
                    "network_acls": [{"ip_rules": [], "virtual_network_subnet_ids": []}],
                    "tags": {},
                    "vault_uri": True,
                },
                {"name": {"references": ["each.key"]}, "sku_name": {"constant_value": "standard"}},
            )

    # ------------------------------------------------------------------ the plan

    def configuration_tree(self) -> dict[str, Any]:
        """The configuration's module tree: one module call per call name, its blocks shared by instances."""
        root: dict[str, Any] = {"resources": [], "module_calls": {}}
        for path, blocks in self.config.items():
            module = root
            for name, key in path:
                call = module["module_calls"].setdefault(
                    name,
                    {
                        "source": f"./modules/{name}",
                        "expressions": {"location": {"references": ["each.value.location", "each.value"]}},
                        "module": {"resources": [], "module_calls": {}},
                    },
                )
                if key is not None:
                    call["for_each_expression"] = {"references": ["var.teams"]}
                module = call["module"]
            known = {(b["type"], b["name"]) for b in module["resources"]}
            module["resources"].extend(b for k, b in blocks.items() if k not in known)
        return root

    def generate(self, resources: int, shape: str = "team") -> dict[str, Any]:
        names = SHAPES[shape]
        ai_target = int(resources * 0.7)
        made_ai = 0
        stack = 0
        others = 0
        teams = 0
        while made_ai + others < resources:
            team, slot = names.place(stack)
            teams = max(teams, team + 1)
            module = names.module(team)
            sub = self.subscriptions[team % len(self.subscriptions)]
            rg = f"rg-team-{team:04d}"
            region = self.rng.choice(REGIONS)
            if made_ai < ai_target:
                made_ai += self.ai_stack(module, team, sub, rg, region, names, slot)
            want_others = int((made_ai / 0.7) * 0.3) - others
            for i in range(max(0, min(want_others, resources - made_ai - others))):
                self.other(module, team, others + i, rg, region, names)
            others += max(0, min(want_others, resources - made_ai - others))
            stack += 1
        return {
            "format_version": "1.2",
            "terraform_version": "1.9.8",
            "variables": {
                "subscription_id": {"value": self.subscriptions[0]},
                "teams": {"value": [names.module(t) for t in range(teams)]},
            },
            "planned_values": {
                "root_module": {
                    "child_modules": [{"address": m, "resources": r} for m, r in self.planned.items()]
                }
            },
            "resource_changes": self.changes[:resources],
            "prior_state": {
                "format_version": "1.0",
                "terraform_version": "1.9.8",
                "values": {
                    "root_module": {
                        "child_modules": [{"address": m, "resources": r} for m, r in self.prior.items()]
                    }
                },
            },
            "configuration": {
                "provider_config": {
                    "azurerm": {
                        "name": "azurerm",
                        "full_name": AZURERM,
                        "expressions": {
                            "features": [{}],
                            "subscription_id": {"references": ["var.subscription_id"]},
                        },
                    }
                },
                "root_module": dict(
                    self.configuration_tree(), variables={"subscription_id": {}, "teams": {}}
                ),
            },
            "timestamp": "2026-11-20T09:14:03Z",
            "applyable": True,
            "complete": True,
            "errored": False,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--resources", type=int, required=True, help="number of resource changes (10..20000)")
    parser.add_argument(
        "--out", type=Path, required=True, help="where to write the plan JSON ('-' for stdout)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="team", help="how resources are named")
    args = parser.parse_args(argv)
    if not 10 <= args.resources <= 20000:
        parser.error("--resources must be between 10 and 20000")
    document = Generator(args.seed).generate(args.resources, args.shape)
    text = json.dumps(document, separators=(",", ":"))
    if str(args.out) == "-":
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(
            f"{args.out}: {len(document['resource_changes'])} resource changes, {len(text) / 1e6:.1f} MB",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
