"""The Terraform plan source: actions, unknowns, parents, subscriptions, errors and detection."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest
from plan_builder import account_after, change, config_resource, deployment_after, load, plan

from aigov.errors import SourceError
from aigov.model import UNKNOWN, Action, Inventory, Resource
from aigov.sources import SOURCES, detect
from aigov.sources.base import SourceInput, SourceOptions
from aigov.sources.terraform_plan import TerraformPlanSource, merge_unknown, module_path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "terraform_plan"

PROD = "3f2b8c1e-7d4a-4e59-9b6c-2a8d5f0e1c47"
DEV = "9c4e1a7b-2f3d-4b8e-a1c6-5d7e9f0b3a28"
SHARED = "5b8d2e6f-1c3a-4f7e-9d2b-8a6c4e0f1b39"
DEPLOYMENTS = "Microsoft.CognitiveServices/accounts/deployments"
ACCOUNTS = "Microsoft.CognitiveServices/accounts"


def fixture(name: str, **options: Any) -> Inventory:
    path = FIXTURES / name
    return TerraformPlanSource().load(SourceInput.open(str(path)), SourceOptions(**options))


def get(inventory: Inventory, key: str) -> Resource:
    resource = inventory.get(key)
    assert resource is not None, f"{key} not in {[r.key for r in inventory]}"
    return resource


# --------------------------------------------------------------------------- the bundled example


def test_example_keeps_ai_resources_and_drops_deletes_and_other_types() -> None:
    inventory = fixture("example.json")
    assert sorted(r.key for r in inventory) == [
        "azurerm_cognitive_account.reports",
        'azurerm_cognitive_deployment.reports["chat"]',
        'azurerm_cognitive_deployment.reports["ptu"]',
        "azurerm_machine_learning_compute_cluster.gpu",
        "azurerm_machine_learning_workspace.invoice",
        "module.ai.azurerm_cognitive_account.support",
        "module.ai.azurerm_cognitive_deployment.tuned",
        "module.ai.azurerm_search_service.support",
    ]
    assert {r.subscription_id for r in inventory} == {PROD}


def test_example_provisioned_deployment() -> None:
    inventory = fixture("example.json")
    ptu = get(inventory, 'azurerm_cognitive_deployment.reports["ptu"]')
    assert ptu.type == DEPLOYMENTS
    assert ptu.name == "reports-ptu"
    assert ptu.action is Action.CREATE
    assert ptu.body["sku"] == {"name": "ProvisionedManaged", "capacity": 30}
    assert ptu.body["properties"]["model"] == {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}
    assert "location" not in ptu.body
    assert "tags" not in ptu.body
    assert ptu.parent_key == "azurerm_cognitive_account.reports"
    assert inventory.effective_location(ptu) == "eastus2"
    assert ptu.resource_group == "rg-ai-prod"
    assert ptu.origin.source == "terraform_plan"
    assert ptu.origin.address == 'azurerm_cognitive_deployment.reports["ptu"]'
    assert ptu.origin.file == str(FIXTURES / "example.json")
    assert ptu.origin.line is None


def test_example_account_tags_and_properties() -> None:
    account = get(fixture("example.json"), "azurerm_cognitive_account.reports")
    assert account.type == ACCOUNTS
    assert account.body["kind"] == "OpenAI"
    assert account.body["sku"] == {"name": "S0"}
    assert account.body["tags"] == {
        "cost-center": "cc-4410",
        "environment": "prod",
        "workload": "invoice-reader",
    }
    assert account.body["properties"]["disableLocalAuth"] is True
    assert account.body["properties"]["publicNetworkAccess"] == "Enabled"


def test_example_noop_account_is_context_and_parent_by_known_id() -> None:
    inventory = fixture("example.json")
    support = get(inventory, "module.ai.azurerm_cognitive_account.support")
    assert support.action is Action.NOOP
    assert not support.action.evaluated
    tuned = get(inventory, "module.ai.azurerm_cognitive_deployment.tuned")
    assert tuned.parent_key == support.key
    assert (
        tuned.body["properties"]["model"]["name"]
        == "gpt-4o-mini-2024-07-18.ft-4e7b1c9a2d3f4a5b8c6d7e8f9a0b1c2d"
    )
    assert tuned.body["sku"] == {"name": "GlobalStandard", "capacity": 1}


def test_example_search_and_ml() -> None:
    inventory = fixture("example.json")
    search = get(inventory, "module.ai.azurerm_search_service.support")
    assert search.type == "Microsoft.Search/searchServices"
    assert search.body["sku"] == {"name": "standard3"}
    assert search.body["properties"]["replicaCount"] == 2
    assert search.body["properties"]["partitionCount"] == 1
    cluster = get(inventory, "azurerm_machine_learning_compute_cluster.gpu")
    assert cluster.type == "Microsoft.MachineLearningServices/workspaces/computes"
    assert cluster.parent_key == "azurerm_machine_learning_workspace.invoice"
    assert cluster.body["properties"] == {
        "computeType": "AmlCompute",
        "computeLocation": "eastus2",
        "properties": {
            "vmSize": "Standard_ND96asr_v4",
            "vmPriority": "Dedicated",
            "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 2, "nodeIdleTimeBeforeScaleDown": "PT30M"},
        },
    }
    workspace = get(inventory, "azurerm_machine_learning_workspace.invoice")
    assert workspace.body["sku"] == {"name": "Basic"}
    assert inventory.children(workspace) == (cluster,)


# --------------------------------------------------------------------------- actions


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (("create",), Action.CREATE),
        (("update",), Action.UPDATE),
        (("delete", "create"), Action.REPLACE),
        (("create", "delete"), Action.REPLACE),
        (("no-op",), Action.NOOP),
        (("delete",), None),
        (("read",), None),
    ],
)
def test_actions(actions: tuple[str, ...], expected: Action | None) -> None:
    after = None if actions == ("delete",) else account_after()
    inventory = load(plan([change("azurerm_cognitive_account.a", after, actions=actions)]))
    assert [r.action for r in inventory] == ([expected] if expected else [])


def test_data_sources_and_deposed_objects_are_skipped() -> None:
    deposed = change("azurerm_cognitive_account.b", account_after("b"), actions=("delete",))
    deposed["deposed"] = "00000001"
    inventory = load(
        plan(
            [
                change("data.azurerm_cognitive_account.a", account_after(), actions=("read",), mode="data"),
                change("azurerm_cognitive_account.c", account_after("c"), mode="data"),
                deposed,
            ]
        )
    )
    assert len(inventory) == 0


def test_unmapped_types_are_skipped() -> None:
    inventory = load(
        plan(
            [
                change("azurerm_storage_account.s", {"name": "st"}),
                change(
                    "azapi_resource.c", {"name": "c", "type": "Microsoft.Storage/storageAccounts@2023-01-01"}
                ),
                change("azurerm_cognitive_account.a", account_after()),
            ]
        )
    )
    assert [r.key for r in inventory] == ["azurerm_cognitive_account.a"]


def test_plan_without_changes() -> None:
    document = {"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {}}
    assert len(load(document)) == 0


def test_plan_of_an_empty_configuration_has_no_resources() -> None:
    document = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [{"address": "data.x.y", "mode": "data"}]}},
        "configuration": {"root_module": {"module_calls": {"empty": {"module": {}}}}},
    }
    assert len(load(document)) == 0


RESOURCE = {"address": "azurerm_cognitive_account.a", "mode": "managed", "type": "azurerm_cognitive_account"}
NESTED = {"address": "module.ai.azurerm_cognitive_account.a", "mode": "managed"}


@pytest.mark.parametrize(
    ("members", "address", "member"),
    [
        (
            {"planned_values": {"root_module": {"resources": [RESOURCE]}}},
            RESOURCE["address"],
            "planned_values",
        ),
        (
            {"planned_values": {"root_module": {"child_modules": [{"resources": [NESTED]}]}}},
            NESTED["address"],
            "planned_values",
        ),
        (
            {"planned_values": {}, "configuration": {"root_module": {"resources": [RESOURCE]}}},
            RESOURCE["address"],
            "configuration",
        ),
        (
            {
                "planned_values": {"root_module": {}},
                "configuration": {
                    "root_module": {"module_calls": {"ai": {"module": {"resources": [NESTED]}}}}
                },
            },
            NESTED["address"],
            "configuration",
        ),
    ],
    ids=["planned_values", "planned_child_module", "configuration", "configuration_module_call"],
)
def test_plan_without_resource_changes_but_with_resources_is_an_error(
    members: dict[str, Any], address: str, member: str
) -> None:
    message = _error(json.dumps({"format_version": "1.2", **members}).encode())
    assert message == (
        f"plan.json: no resource_changes, but {member} lists resources ({address}): "
        "the plan's changes are missing (expected terraform show -json PLANFILE)"
    )


# --------------------------------------------------------------------------- unknown values


def test_merge_unknown_nested_leaves_lists_and_blocks() -> None:
    after = {"a": 1, "sku": [{"name": "S", "capacity": None}], "tags": {"x": "1"}, "list": [1]}
    unknown = {"sku": [{"capacity": True}], "tags": {"y": True}, "id": True, "list": [False, True], "n": {}}
    merged = merge_unknown(after, unknown)
    assert merged == {
        "a": 1,
        "sku": [{"name": "S", "capacity": UNKNOWN}],
        "tags": {"x": "1", "y": UNKNOWN},
        "list": [1, UNKNOWN],
        "id": UNKNOWN,
    }
    assert merge_unknown(None, True) is UNKNOWN
    assert merge_unknown({"t": None}, {"t": {}}) == {"t": None}  # nothing unknown inside: stays null


def test_unknown_values_fixture() -> None:
    inventory = fixture("unknown_values.json")
    account = get(inventory, "azurerm_cognitive_account.main")
    assert account.body["tags"] is UNKNOWN
    deployment = get(inventory, "azurerm_cognitive_deployment.main")
    assert deployment.body["sku"]["name"] == "ProvisionedManaged"
    assert deployment.body["sku"]["capacity"] is UNKNOWN
    # the account id is known only after apply: linked through the configuration
    assert deployment.parent_key == account.key
    configured = get(inventory, "azurerm_search_service.configured")
    assert configured.body["properties"]["replicaCount"] is UNKNOWN  # set from a computed value
    assert configured.body["tags"] == {"owner": UNKNOWN, "workload": "rag"}
    defaulted = get(inventory, "azurerm_search_service.defaulted")
    assert defaulted.body["properties"]["replicaCount"] == 1  # not configured: the service default
    assert defaulted.body["properties"]["partitionCount"] == 1


def test_unknown_name_and_whole_block() -> None:
    inventory = load(
        plan(
            [
                change(
                    "azurerm_cognitive_deployment.d",
                    deployment_after(name=None, sku=[]),
                    after_unknown={
                        "name": True,
                        "sku": True,
                        "model": [{"version": True}],
                        "cognitive_account_id": True,
                    },
                )
            ]
        )
    )
    (deployment,) = inventory
    assert deployment.name is UNKNOWN
    assert deployment.body["sku"] is UNKNOWN
    assert deployment.body["properties"]["model"]["version"] is UNKNOWN
    assert deployment.resource_group is UNKNOWN  # its account id is computed and not linked


# --------------------------------------------------------------------------- parents


def _account_and_deployments(
    account_index: list[Any] | None, deployment_index: list[Any] | None
) -> Inventory:
    changes = []
    for i in account_index or [None]:
        suffix = "" if i is None else f"[{i!r}]".replace("'", '"')
        changes.append(change(f"azurerm_cognitive_account.acct{suffix}", account_after(f"oai-{i}"), index=i))
    for i in deployment_index or [None]:
        suffix = "" if i is None else f"[{i!r}]".replace("'", '"')
        changes.append(
            change(
                f"azurerm_cognitive_deployment.dep{suffix}",
                deployment_after(),
                after_unknown={"cognitive_account_id": True},
                index=i,
            )
        )
    reference = {"references": ["azurerm_cognitive_account.acct", "each.key"]}
    resources = [
        config_resource("azurerm_cognitive_account", "acct", {}),
        config_resource("azurerm_cognitive_deployment", "dep", {"cognitive_account_id": reference}),
    ]
    return load(plan(changes, root_resources=resources))


def test_parent_for_each_matches_index_key() -> None:
    inventory = _account_and_deployments(["east", "west"], ["east", "west"])
    assert get(inventory, 'azurerm_cognitive_deployment.dep["west"]').parent_key == (
        'azurerm_cognitive_account.acct["west"]'
    )
    assert get(inventory, 'azurerm_cognitive_deployment.dep["east"]').parent_key == (
        'azurerm_cognitive_account.acct["east"]'
    )


def test_parent_for_each_key_without_a_matching_account_stays_unlinked() -> None:
    inventory = _account_and_deployments(["east", "west", "0"], ["north", 0, "west"])
    assert get(inventory, 'azurerm_cognitive_deployment.dep["north"]').parent_key is None
    assert get(inventory, "azurerm_cognitive_deployment.dep[0]").parent_key is None  # 0 is not "0"
    assert get(inventory, 'azurerm_cognitive_deployment.dep["west"]').parent_key == (
        'azurerm_cognitive_account.acct["west"]'
    )


def test_parent_single_account_for_many_deployments() -> None:
    inventory = _account_and_deployments(None, ["a", "b"])
    assert {r.parent_key for r in inventory if r.type == DEPLOYMENTS} == {"azurerm_cognitive_account.acct"}


def test_parent_ambiguous_stays_unlinked() -> None:
    inventory = _account_and_deployments(["east", "west"], None)
    assert get(inventory, "azurerm_cognitive_deployment.dep").parent_key is None


def test_count_and_for_each_fixture() -> None:
    inventory = fixture("count_and_for_each.json")
    deployment = get(inventory, 'azurerm_cognitive_deployment.regional["swedencentral"]')
    assert deployment.parent_key == 'azurerm_cognitive_account.regional["swedencentral"]'
    assert inventory.effective_location(deployment) == "swedencentral"
    for i in range(2):  # `ml[0].id`: a constant index in the reference
        assert get(inventory, f"azurerm_machine_learning_compute_cluster.pool[{i}]").parent_key == (
            "azurerm_machine_learning_workspace.ml[0]"
        )


def test_parent_by_known_id_and_by_name() -> None:
    account_id = "/subscriptions/{}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/{}"
    changes = [
        change(
            "azurerm_cognitive_account.a",
            account_after("oai-a", id=account_id.format(PROD, "oai-a")),
            actions=("no-op",),
        ),
        # a new account: its id is unknown, but a deployment that names it by id is matched by name
        change("azurerm_cognitive_account.b", account_after("oai-b"), after_unknown={"id": True}),
        change(
            "azurerm_cognitive_deployment.x",
            deployment_after(cognitive_account_id=account_id.format(PROD, "OAI-A")),
        ),
        change(
            "azurerm_cognitive_deployment.y",
            deployment_after(cognitive_account_id=account_id.format(DEV, "oai-b")),
        ),
        change(
            "azurerm_cognitive_deployment.z",
            deployment_after(cognitive_account_id=account_id.format(DEV, "other")),
        ),
    ]
    inventory = load(plan(changes))
    assert get(inventory, "azurerm_cognitive_deployment.x").parent_key == "azurerm_cognitive_account.a"
    assert get(inventory, "azurerm_cognitive_deployment.y").parent_key == "azurerm_cognitive_account.b"
    unlinked = get(inventory, "azurerm_cognitive_deployment.z")
    assert unlinked.parent_key is None
    # an account outside the plan still says where the deployment lives
    assert unlinked.subscription_id == DEV
    assert unlinked.resource_group == "rg-ai"


def test_parent_within_the_same_module_instance() -> None:
    changes = []
    for key in ("a", "b"):
        module = f'module.team["{key}"]'
        changes.append(change(f"{module}.azurerm_cognitive_account.acct", account_after(f"oai-{key}")))
        changes.append(
            change(
                f"{module}.azurerm_cognitive_deployment.dep",
                deployment_after(),
                after_unknown={"cognitive_account_id": True},
            )
        )
    for c in changes:
        c["module_address"] = c["address"].rsplit(".", 2)[0]
    module = {
        "resources": [
            config_resource("azurerm_cognitive_account", "acct", {}),
            config_resource(
                "azurerm_cognitive_deployment",
                "dep",
                {
                    "cognitive_account_id": {
                        "references": ["azurerm_cognitive_account.acct.id", "azurerm_cognitive_account.acct"]
                    }
                },
            ),
        ]
    }
    inventory = load(plan(changes, module_calls={"team": {"source": "./team", "module": module}}))
    assert get(inventory, 'module.team["b"].azurerm_cognitive_deployment.dep').parent_key == (
        'module.team["b"].azurerm_cognitive_account.acct'
    )


def test_cross_module_reference_stays_unlinked() -> None:
    changes = [
        change("module.core.azurerm_cognitive_account.acct", account_after()),
        change(
            "azurerm_cognitive_deployment.dep",
            deployment_after(),
            after_unknown={"cognitive_account_id": True},
        ),
    ]
    changes[0]["module_address"] = "module.core"
    resources = [
        config_resource(
            "azurerm_cognitive_deployment",
            "dep",
            {"cognitive_account_id": {"references": ["module.core.account_id", "module.core"]}},
        )
    ]
    inventory = load(plan(changes, root_resources=resources))
    assert get(inventory, "azurerm_cognitive_deployment.dep").parent_key is None


# --------------------------------------------------------------------------- subscriptions


def test_multi_subscription_fixture() -> None:
    inventory = fixture("multi_subscription.json")
    subscriptions = {r.key: r.subscription_id for r in inventory}
    assert subscriptions == {
        "azurerm_cognitive_account.prod": PROD,  # default provider, via a root variable
        "azurerm_cognitive_account.dev": DEV,  # alias azurerm.dev, a constant
        # the module's own provider block, via the module's variable
        "module.shared.azurerm_cognitive_account.shared": SHARED,
        "module.sandbox.azurerm_cognitive_account.sandbox": DEV,  # alias passed into the module
    }


def test_subscription_override_wins() -> None:
    inventory = fixture("multi_subscription.json", subscription="00000000-0000-0000-0000-000000000001")
    assert {r.subscription_id for r in inventory} == {"00000000-0000-0000-0000-000000000001"}


def _single_account_plan(provider_config: dict[str, Any], key: str = "azurerm", **kw: Any) -> dict[str, Any]:
    return plan(
        [change("azurerm_cognitive_account.a", account_after())],
        root_resources=[config_resource("azurerm_cognitive_account", "a", {}, key)],
        provider_config=provider_config,
        **kw,
    )


def test_subscription_constant_variable_and_indexed_variable() -> None:
    constant = {"azurerm": {"name": "azurerm", "expressions": {"subscription_id": {"constant_value": PROD}}}}
    assert load(_single_account_plan(constant)).resources[0].subscription_id == PROD
    variable = {
        "azurerm": {"name": "azurerm", "expressions": {"subscription_id": {"references": ["var.sub"]}}}
    }
    assert load(_single_account_plan(variable, variables={"sub": DEV})).resources[0].subscription_id == DEV
    indexed = {
        "azurerm": {
            "name": "azurerm",
            "expressions": {"subscription_id": {"references": ['var.subs["dev"]', "var.subs"]}},
        }
    }
    document = _single_account_plan(indexed, variables={"subs": {"dev": DEV, "prod": PROD}})
    assert load(document).resources[0].subscription_id == DEV


def test_subscription_not_stated_or_not_static_is_none() -> None:
    assert load(_single_account_plan({})).resources[0].subscription_id is None
    computed = {
        "azurerm": {
            "name": "azurerm",
            "expressions": {
                "subscription_id": {"references": ["data.azurerm_subscription.x.subscription_id"]}
            },
        }
    }
    assert load(_single_account_plan(computed)).resources[0].subscription_id is None
    mixed = {
        "azurerm": {
            "name": "azurerm",
            "expressions": {"subscription_id": {"references": ["var.a", "local.b"]}},
        }
    }
    assert load(_single_account_plan(mixed, variables={"a": DEV})).resources[0].subscription_id is None


def test_subscription_legacy_module_provider_key_falls_back_to_the_root_block() -> None:
    # Terraform 0.12-0.14 wrote "team:azurerm" for a provider a module inherits.
    changes = [change("module.team.azurerm_cognitive_account.a", account_after())]
    changes[0]["module_address"] = "module.team"
    module = {"resources": [config_resource("azurerm_cognitive_account", "a", {}, "team:azurerm")]}
    providers = {"azurerm": {"name": "azurerm", "expressions": {"subscription_id": {"constant_value": PROD}}}}
    document = plan(changes, module_calls={"team": {"module": module}}, provider_config=providers)
    assert load(document).resources[0].subscription_id == PROD


def test_subscription_of_module_provider_uses_variable_default() -> None:
    changes = [change("module.m.azurerm_cognitive_account.a", account_after())]
    changes[0]["module_address"] = "module.m"
    module = {
        "resources": [config_resource("azurerm_cognitive_account", "a", {}, "module.m:azurerm")],
        "variables": {"sub": {"default": SHARED}},
    }
    providers = {
        "module.m:azurerm": {
            "name": "azurerm",
            "module_address": "module.m",
            "expressions": {"subscription_id": {"references": ["var.sub"]}},
        }
    }
    document = plan(
        changes, module_calls={"m": {"expressions": {}, "module": module}}, provider_config=providers
    )
    assert load(document).resources[0].subscription_id == SHARED


# --------------------------------------------------------------------------- azapi


def test_azapi_v1_string_body() -> None:
    inventory = fixture("azapi_v1_string_body.json")
    assert [r.key for r in inventory] == [
        "azurerm_cognitive_account.ocr",
        "azapi_resource.ocr_gpt4o",
        "azapi_resource.ocr_batch",
    ]
    deployment = get(inventory, "azapi_resource.ocr_gpt4o")
    assert deployment.type == DEPLOYMENTS
    assert deployment.api_version == "2023-05-01"
    assert deployment.body["sku"] == {"capacity": 100, "name": "GlobalStandard"}
    assert deployment.body["properties"]["model"]["name"] == "gpt-4o"
    assert deployment.parent_key == "azurerm_cognitive_account.ocr"
    batch = get(inventory, "azapi_resource.ocr_batch")
    assert batch.body["sku"] is UNKNOWN  # jsonencode() of a computed value: the whole body is unknown
    assert batch.body["properties"] is UNKNOWN


def test_azapi_v2_object_body() -> None:
    inventory = fixture("azapi_v2_object_body.json")
    hub = get(inventory, "azapi_resource.hub")
    assert hub.type == ACCOUNTS
    assert hub.body["kind"] == "AIServices"
    assert hub.body["location"] == "eastus2"
    assert hub.body["tags"] == {"owner": "agents-team", "workload": "agent-lab"}
    assert hub.resource_group == "rg-agents-dev"
    assert hub.subscription_id == DEV
    model = get(inventory, "azapi_resource.agent_model")
    assert model.parent_key == hub.key
    assert model.body["sku"] == {"name": "GlobalProvisionedManaged", "capacity": UNKNOWN}
    assert "location" not in model.body  # an ARM child: billed in the account's region
    assert "tags" not in model.body  # computed by azapi but not configured: none will be set
    scoring = get(inventory, "azapi_resource.scoring")
    assert scoring.type == "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
    assert scoring.body["properties"]["instanceType"] == "Standard_NC24ads_A100_v4"
    assert scoring.body["sku"]["capacity"] == 2


def test_azapi_body_that_is_not_json_names_the_address() -> None:
    after = {
        "name": "d",
        "type": "Microsoft.CognitiveServices/accounts/deployments@2024-10-01",
        "body": "{sku: 1",
    }
    with pytest.raises(SourceError) as caught:
        load(plan([change("module.ai.azapi_resource.dep", after)]), path="tfplan.json")
    assert str(caught.value).startswith(
        "tfplan.json: module.ai.azapi_resource.dep: azapi body is not valid JSON"
    )
    assert "\n" not in str(caught.value)


# --------------------------------------------------------------------------- versions and mappings by fixture


def test_scale_block_v3() -> None:
    inventory = fixture("scale_block_v3.json")
    deployment = get(inventory, "azurerm_cognitive_deployment.chat")
    assert deployment.body["sku"] == {"name": "Standard", "capacity": 120}
    assert deployment.parent_key == "azurerm_cognitive_account.chat"
    assert deployment.subscription_id == DEV


def test_ai_services_v4() -> None:
    inventory = fixture("ai_services_v4.json")
    account = get(inventory, "azurerm_ai_services.foundry")
    assert account.type == ACCOUNTS
    assert account.body["kind"] == "AIServices"
    assert account.body["properties"]["publicNetworkAccess"] == "Disabled"
    assert account.body["properties"]["disableLocalAuth"] is True
    assert get(inventory, "azurerm_cognitive_deployment.gpt41").parent_key == account.key


@pytest.mark.parametrize("version", ["0.1", "0.2", "1.0", "1.2", "1.10"])
def test_supported_format_versions(version: str) -> None:
    assert (
        len(load(plan([change("azurerm_cognitive_account.a", account_after())], format_version=version))) == 1
    )


def test_stdin_is_named_stdin() -> None:
    (account,) = load(plan([change("azurerm_cognitive_account.a", account_after())]), path="-")
    assert account.origin.file == "<stdin>"


def test_byte_order_mark_is_accepted() -> None:
    data = (FIXTURES / "scale_block_v3.json").read_bytes()
    assert (
        len(
            TerraformPlanSource().load(
                SourceInput.from_bytes("p.json", b"\xef\xbb\xbf" + data), SourceOptions()
            )
        )
        == 2
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_plan_powershell_wrote_as_utf16_reads_as_its_utf8(encoding: str, tmp_path: Path) -> None:
    # Windows PowerShell 5's `terraform show -json tfplan > plan.json` writes UTF-16 with a byte-order mark.
    text = (FIXTURES / "example.json").read_text(encoding="utf-8")
    data = ("\ufeff" + text).encode(encoding) if encoding == "utf-16-be" else text.encode(encoding)
    assert data[:2] in (b"\xff\xfe", b"\xfe\xff")
    written = tmp_path / "plan.json"
    written.write_bytes(data)
    source_input = SourceInput.open(str(written))
    assert detect(source_input) is TerraformPlanSource
    read = TerraformPlanSource().load(source_input, SourceOptions())
    expected = fixture("example.json")
    assert [(r.key, r.body, r.subscription_id) for r in read] == [
        (r.key, r.body, r.subscription_id) for r in expected
    ]


def test_utf16_that_does_not_decode_names_the_byte() -> None:
    data = "{}".encode("utf-16") + b"\x00\xd8" + b"{\x00"  # a lone high surrogate
    assert _error(data) == "plan.json: not UTF-16 text (byte 7)"


def test_module_path() -> None:
    assert module_path("") == ()
    assert module_path("module.ai") == ("ai",)
    assert module_path('module.a["x.module.y"].module.b[0]') == ("a", "b")


# --------------------------------------------------------------------------- errors


def _error(name_or_data: str | bytes, path: str = "plan.json") -> str:
    data = (FIXTURES / name_or_data).read_bytes() if isinstance(name_or_data, str) else name_or_data
    with pytest.raises(SourceError) as caught:
        TerraformPlanSource().load(SourceInput.from_bytes(path, data), SourceOptions())
    message = str(caught.value)
    assert "\n" not in message
    assert "Traceback" not in message
    return message


def test_error_truncated_json_gives_line_and_column() -> None:
    assert (
        _error("truncated.json")
        == "plan.json: line 40, column 8: invalid JSON: unexpected end of data (is the file truncated?)"
    )


def test_error_not_json() -> None:
    assert _error("not_json.json").startswith("plan.json: line 1, column 1: invalid JSON: ")


def test_error_not_a_plan() -> None:
    assert _error("not_a_plan.json") == (
        "plan.json: not a Terraform plan: no format_version "
        "(expected the output of terraform show -json PLANFILE)"
    )


def test_error_format_v2() -> None:
    assert _error("format_v2.json") == (
        "plan.json: format_version: unsupported plan format_version 2.0: "
        "aigov reads format versions 0.x and 1.x"
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "plan.json: invalid JSON: the input is empty"),
        (b"[1, 2]", "plan.json: not a Terraform plan: the JSON is a array, expected an object"),
        (
            b'{"format_version": "1.0", "terraform_version": "1.9.0", "values": {}}',
            "plan.json: this is a Terraform state, not a plan",
        ),
        (
            b'{"format_version": "1.0", "terraform_version": "1.9.0"}',
            "plan.json: not a Terraform plan: no resource_changes",
        ),
        (
            b'{"format_version": 1, "resource_changes": []}',
            "plan.json: format_version: unreadable plan format_version 1",
        ),
        (
            b'{"format_version": "1.2", "resource_changes": {}}',
            "plan.json: resource_changes: resource_changes is not an array",
        ),
        (
            b'{"format_version": "1.2", "resource_changes": [], "errored": true}',
            "plan.json: the plan is marked errored",
        ),
    ],
)
def test_error_messages(data: bytes, expected: str) -> None:
    assert _error(data).startswith(expected)


def test_error_change_without_after_object() -> None:
    document = plan([change("azurerm_cognitive_account.a", None)])
    document["resource_changes"][0]["change"]["after"] = "oops"
    assert _error(json.dumps(document).encode()) == (
        "plan.json: azurerm_cognitive_account.a: the planned values (change.after) are not an object"
    )


def test_error_bytes_that_are_not_utf8_name_the_byte() -> None:
    data = json.dumps(plan([change("azurerm_cognitive_account.a", account_after("caf-x"))])).encode()
    at = data.index(b"caf-x") + 3
    assert _error(data[:at] + b"\xe9" + data[at + 1 :]) == f"plan.json: not UTF-8 text (byte {at + 1})"


def test_error_a_number_beyond_a_float_in_a_change_is_refused() -> None:
    document = plan([change("azurerm_cognitive_deployment.d", deployment_after())])
    text = json.dumps(document, indent=1).replace('"capacity": 10', '"capacity": 1e999')
    assert "1e999" in text
    assert _error(text.encode()) == "plan.json: invalid JSON: 1e999 is too large a number"


def test_what_python_json_reads_is_read_a_lone_surrogate_in_a_tag() -> None:
    # msgspec refuses the escape; the standard library's path reads the plan as json.loads would.
    after = account_after("a") | {"tags": {"team": "x\ud800"}}
    data = json.dumps(plan([change("azurerm_cognitive_account.a", after)])).encode()
    assert b"\\ud800" in data
    inventory = TerraformPlanSource().load(SourceInput.from_bytes("p.json", data), SourceOptions())
    assert get(inventory, "azurerm_cognitive_account.a").body["tags"] == {"team": "x\ud800"}


# --------------------------------------------------------------------------- detection


def test_registry_and_detection() -> None:
    # The plan source comes last: more specific sources (ARM templates, what-if) sniff first.
    assert list(SOURCES)[-1] == "terraform_plan"
    assert SOURCES["terraform_plan"] is TerraformPlanSource
    for name in ("example.json", "format_v2.json", "truncated.json"):
        data = (FIXTURES / name).read_bytes()
        assert detect(SourceInput.from_bytes(name, data)) is TerraformPlanSource


@pytest.mark.parametrize("name", ["not_json.json", "not_a_plan.json"])
def test_detection_rejects_other_inputs(name: str) -> None:
    with pytest.raises(SourceError) as caught:
        detect(SourceInput.from_bytes(name, (FIXTURES / name).read_bytes()))
    message = str(caught.value)
    assert message.startswith(f"{name}: not a recognised input: expected a ")
    assert message.endswith("; no source recognises this input")
    for source in SOURCES.values():
        assert source.description in message


def test_detection_of_empty_stdin() -> None:
    with pytest.raises(SourceError, match=r"^<stdin>: not a recognised input: .*; the input is empty$"):
        detect(SourceInput.from_bytes("-", b"  \n"))


def test_a_byte_order_mark_changes_nothing() -> None:
    data = (FIXTURES / "example.json").read_bytes()
    plain = TerraformPlanSource().load(SourceInput.from_bytes("p.json", data), SourceOptions())
    marked = TerraformPlanSource().load(
        SourceInput.from_bytes("p.json", b"\xef\xbb\xbf" + data), SourceOptions()
    )
    assert [(r.key, r.body, r.parent_key, r.subscription_id) for r in marked] == [
        (r.key, r.body, r.parent_key, r.subscription_id) for r in plain
    ]
    assert (
        _error("truncated.json")
        == "plan.json: line 40, column 8: invalid JSON: unexpected end of data (is the file truncated?)"
    )


def test_collector_is_restored_after_load() -> None:
    assert gc.isenabled()
    _error("truncated.json")
    assert gc.isenabled()
    gc.disable()
    try:
        load(plan([]))
        assert not gc.isenabled()
    finally:
        gc.enable()
