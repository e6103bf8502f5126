"""The ARM template source: compiled Bicep, nested deployments, symbolic resources, parameters, errors."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigov.cli.main import main
from aigov.errors import SourceError
from aigov.model import UNKNOWN, Action, Inventory, Resource, UnreadInput
from aigov.sources import detect
from aigov.sources.arm import ArmTemplateSource, load_located_json, split_name
from aigov.sources.arm_expressions import opaque
from aigov.sources.base import SourceInput, SourceOptions

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "arm"
SUB = "3f2b8c1e-7d4a-4e59-9b6c-2a8d5f0e1c47"
ACCOUNT = "Microsoft.CognitiveServices/accounts"
TOKEN = "${toLower(uniqueString(subscription().id, resourceGroup().id, parameters('environmentName')))}"


def load(name: str, **options: Any) -> Inventory:
    return ArmTemplateSource().load(SourceInput.open(str(FIXTURES / name)), SourceOptions(**options))


def load_text(text: str, **options: Any) -> Inventory:
    return ArmTemplateSource().load(SourceInput.from_bytes("t.json", text.encode()), SourceOptions(**options))


def template(resources: Any, **extra: Any) -> str:
    doc = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        **extra,
        "resources": resources,
    }
    return json.dumps(doc, indent=2)


def get(inventory: Inventory, key: str) -> Resource:
    resource = inventory.get(key)
    assert resource is not None, f"{key} not in {[r.key for r in inventory]}"
    return resource


# --------------------------------------------------------------------------- compiled Bicep


def test_compiled_bicep_with_defaults() -> None:
    inventory = load("foundry_compiled.json")
    account_key = f"{ACCOUNT}/aoai-{TOKEN}"
    assert sorted(r.key for r in inventory) == sorted(
        [
            account_key,
            f"{account_key}/deployments/chat",
            f"{account_key}/deployments/reports-ptu",
            f"Microsoft.Search/searchServices/srch-{TOKEN}",
        ]
    )  # the storage account is not an AI resource
    account = get(inventory, account_key)
    assert account.name is UNKNOWN  # uniqueString of the resource group id: known at deployment
    assert account.body["location"] is UNKNOWN  # resourceGroup().location
    assert account.body["tags"] == {"azd-env-name": UNKNOWN, "workload": "foundry-chat"}
    assert account.action is Action.DEPLOY
    assert account.origin.source == "arm"
    assert account.origin.line == 91
    ptu = get(inventory, f"{account_key}/deployments/reports-ptu")
    assert ptu.name == "reports-ptu"
    assert ptu.parent_key == account_key  # linked through the equal placeholders in both names
    assert ptu.body["sku"] == {"name": "ProvisionedManaged", "capacity": 50}
    assert ptu.body["properties"]["raiPolicyName"] == "Microsoft.DefaultV2"
    assert ptu.origin.line == 110
    assert ptu.api_version == "2025-06-01"
    search = get(inventory, f"Microsoft.Search/searchServices/srch-{TOKEN}")
    assert search.body["properties"]["replicaCount"] == 1
    assert any("environmentName" in w and "--parameters" in w for w in inventory.warnings)


def test_compiled_bicep_with_parameters_file() -> None:
    inventory = load(
        "foundry_compiled.json",
        parameters_file=str(FIXTURES / "foundry_compiled.parameters.json"),
        subscription=SUB,
    )
    account = get(inventory, f"{ACCOUNT}/aoai-{TOKEN}")
    assert account.body["location"] == "eastus2"
    assert account.body["tags"] == {
        "cost-center": "CC-1042",
        "owner": "ana@contoso.example",
        "azd-env-name": "chat-prod",
        "workload": "foundry-chat",
    }
    assert account.subscription_id == SUB
    assert account.resource_group is UNKNOWN
    search = get(inventory, f"Microsoft.Search/searchServices/srch-{TOKEN}")
    assert search.body["sku"] == {"name": "standard2"}
    assert search.body["properties"]["replicaCount"] == 3
    assert inventory.warnings == ()


def test_cli_scan_with_parameters_reports_findings_and_costs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no aigov.yaml: the bundled defaults
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "scan",
            str(FIXTURES / "foundry_compiled.json"),
            "--parameters",
            str(FIXTURES / "foundry_compiled.parameters.json"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    findings = {(f["rule_id"], f["resource"]["address"].rsplit("/", 1)[-1]): f for f in report["findings"]}
    sku = findings[("AIGOV-SKU-001", "reports-ptu")]
    assert sku["cost"]["monthly_usd"] == 73000.0  # 50 PTU x 2.00 $/h x 730 h in eastus2
    assert sku["location"] == {"source": "arm", "file": str(FIXTURES / "foundry_compiled.json"), "line": 110}
    assert ("AIGOV-SKU-005", f"srch-{TOKEN}") in findings  # standard2 from the parameters file


def test_cli_parameters_error_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps({"parameters": {"searchSku": {"value": "enterprise"}}}))
    result = CliRunner().invoke(
        main, ["scan", str(FIXTURES / "foundry_compiled.json"), "--parameters", str(bad)]
    )
    assert result.exit_code == 2
    assert "parameter 'searchSku': \"enterprise\" (from the parameters file) is not one of the allowed" in (
        result.stderr
    )
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- nested deployments and children


def test_nested_children_copy_conditions_and_deployments() -> None:
    inventory = load("nested.json")
    keys = {r.key for r in inventory}
    assert keys == {
        f"{ACCOUNT}/contoso-aoai",
        f"{ACCOUNT}/contoso-aoai/deployments/ptu",
        f"{ACCOUNT}/contoso-aoai/deployments/embeddings",
        f"{ACCOUNT}/contoso-aoai/deployments/model-1",
        "Microsoft.Search/searchServices/contoso-search",
        "Microsoft.MachineLearningServices/workspaces/contoso-mlw",
        "Microsoft.MachineLearningServices/workspaces/contoso-mlw/computes/gpu",
        "Microsoft.Search/searchServices/contoso-linked",
    }  # legacy-aoai's condition is false
    account = get(inventory, f"{ACCOUNT}/contoso-aoai")
    assert account.body["properties"]["networkAcls"] == [{"value": "10.0.0.0/24"}, {"value": "10.0.1.0/24"}]
    assert account.body["tags"]["workload"] == "[literal]"  # the [[ escape
    ptu = get(inventory, f"{ACCOUNT}/contoso-aoai/deployments/ptu")
    assert ptu.parent_key == account.key
    assert ptu.body["sku"] == {"name": "DataZoneProvisionedManaged", "capacity": 25}
    assert ptu.origin.line == 45
    # outer scope: the nested template sees the outer variables (including a variable copy loop)
    assert get(inventory, f"{ACCOUNT}/contoso-aoai/deployments/model-1").parent_key == account.key
    # inner scope: parameters passed from the outer template, a user function, a resource group
    compute = get(inventory, "Microsoft.MachineLearningServices/workspaces/contoso-mlw/computes/gpu")
    assert compute.parent_key == "Microsoft.MachineLearningServices/workspaces/contoso-mlw"
    assert compute.resource_group == "rg-ml"
    assert compute.body["properties"]["properties"]["scaleSettings"]["minNodeCount"] == 2
    assert compute.body["location"] is UNKNOWN
    # a linked template read from a relative path, with its own file and line
    linked = get(inventory, "Microsoft.Search/searchServices/contoso-linked")
    assert linked.body["properties"] == {"replicaCount": 4, "partitionCount": 2}
    assert linked.origin.file == str(FIXTURES / "linked" / "search.json")
    assert linked.origin.line == 9
    warnings = "\n".join(inventory.warnings)
    assert "contoso-search is deployed only if its condition" in warnings
    assert inventory.unread == (
        UnreadInput(
            reference="https://raw.githubusercontent.com/contoso/templates/main/ai.json",
            reason="nested deployment 'remote': aigov reads no template offline from there",
            address="Microsoft.Resources/deployments/remote",
            source="arm",
            file=str(FIXTURES / "nested.json"),
            line=158,
        ),
    )


def test_a_linked_template_that_is_missing_or_a_template_spec_is_an_unread_input(tmp_path: Path) -> None:
    def deployment(name: str, link: dict[str, str]) -> dict[str, object]:
        return {
            "type": "Microsoft.Resources/deployments",
            "apiVersion": "2022-09-01",
            "name": name,
            "properties": {"mode": "Incremental", "templateLink": link},
        }

    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            deployment("missing", {"relativePath": "nope.json"}),
            deployment(
                "spec", {"id": "/subscriptions/x/providers/Microsoft.Resources/templateSpecs/s/versions/1"}
            ),
        ],
    }
    (tmp_path / "main.json").write_text(json.dumps(template))
    unread = load(str(tmp_path / "main.json")).unread
    assert [(u.reference, u.reason, u.address) for u in unread] == [
        ("nope.json", "nested deployment 'missing': no such file", "Microsoft.Resources/deployments/missing"),
        (
            "a template spec",
            "nested deployment 'spec': aigov reads no template offline from there",
            "Microsoft.Resources/deployments/spec",
        ),
    ]


def test_symbolic_resources_lambdas_and_unknown_copy_count() -> None:
    inventory = load("symbolic.json")
    keys = sorted(r.key for r in inventory)
    assert keys == [
        f"{ACCOUNT}/aoai-symbolic",
        f"{ACCOUNT}/aoai-symbolic/deployments/batch",
        f"{ACCOUNT}/aoai-symbolic/deployments/chat",
        "resources.unknownLoop[?]",
    ]
    batch = get(inventory, f"{ACCOUNT}/aoai-symbolic/deployments/batch")
    assert batch.body["sku"] == {"name": "GlobalProvisionedManaged", "capacity": 100}
    assert batch.parent_key == f"{ACCOUNT}/aoai-symbolic"
    assert get(inventory, f"{ACCOUNT}/aoai-symbolic").body["tags"] == {"workload": "chat+batch"}
    loop = get(inventory, "resources.unknownLoop[?]")
    assert loop.name is UNKNOWN
    assert any("number of copies of resources.unknownLoop" in w for w in inventory.warnings)


def test_top_level_copy_child_names_and_property_copy() -> None:
    text = template(
        [
            {
                "type": "Microsoft.CognitiveServices/accounts",
                "name": "acct",
                "location": "eastus",
                "resources": [],
            },
            {
                "copy": {"name": "d", "count": 2},
                "type": "Microsoft.CognitiveServices/accounts/deployments",
                "name": "[concat('acct/dep', copyIndex('d', 1))]",
                "sku": {"name": "Standard", "capacity": "[mul(10, copyIndex(1))]"},
            },
        ]
    )
    inventory = load_text(text)
    dep2 = get(inventory, f"{ACCOUNT}/acct/deployments/dep2")
    assert dep2.body["sku"]["capacity"] == 20
    assert dep2.parent_key == f"{ACCOUNT}/acct"
    assert inventory.effective_location(dep2) == "eastus"


def test_duplicate_keys_are_made_unique() -> None:
    resource = {"type": "Microsoft.Search/searchServices", "name": "s", "sku": {"name": "basic"}}
    inventory = load_text(template([resource, resource]))
    assert [r.key for r in inventory] == [
        "Microsoft.Search/searchServices/s",
        "Microsoft.Search/searchServices/s#2",
    ]


def test_comments_are_allowed_and_lines_stay_right() -> None:
    text = (
        '{\n/* block\ncomment */ "$schema": "x/deploymentTemplate.json#", // trailing\n'
        '"resources": [\n {"type": "Microsoft.Search/searchServices", "name": "s"}]}'
    )
    inventory = load_text(text)
    assert next(iter(inventory)).origin.line == 5


def test_split_name_ignores_slashes_inside_placeholders() -> None:
    name = f"acct-{opaque('format(1/2)')}/chat"
    assert split_name(name) == [f"acct-{opaque('format(1/2)')}", "chat"]


def test_located_json_records_object_lines() -> None:
    located = load_located_json('{"a": [\n{"b": 1},\n {"c": {"d": 2}}]}', "x")
    assert located.line(("a", 0)) == 2
    assert located.line(("a", 1, "c")) == 3


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the input is empty"),
        ('{"$schema": "x/deploymentTemplate.json#", "resources": [', "truncated"),
        ("[1, 2]", "not an ARM template"),
        (template({"x": 1}, languageVersion="2.0"), "a resource is not an object"),
        (
            template([{"type": "Microsoft.Search/searchServices", "name": "[parameters('nope')]"}]),
            "parameter 'nope' is not defined",
        ),
        (template([{"type": "Microsoft.Search/searchServices", "name": "a/b"}]), "has 2 segments"),
        (
            template(
                [
                    {
                        "copy": {"name": "c", "count": 900},
                        "type": "Microsoft.Search/searchServices",
                        "name": "x",
                    }
                ]
            ),
            "outside ARM's limit",
        ),
        (
            template([], parameters={"sku": {"type": "string", "defaultValue": "x", "allowedValues": ["a"]}}),
            "parameter 'sku': \"x\" (from its default) is not one of the allowed values",
        ),
        (
            json.dumps({"$schema": "x/deploymentParameters.json#", "parameters": {}}),
            "this is an ARM parameters file",
        ),
        (
            template([{"type": "Microsoft.Resources/deployments", "name": "d", "properties": {}}]),
            "neither properties.template nor properties.templateLink",
        ),
    ],
)
def test_invalid_templates_are_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(SourceError) as caught:
        load_text(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_error_names_the_line_of_the_resource() -> None:
    text = template([{"type": "Microsoft.Search/searchServices", "name": "[variables('v')]"}])
    with pytest.raises(SourceError) as caught:
        load_text(text)
    assert caught.value.where == "line 5"
    assert "resources[0].name: variable 'v' is not defined" in caught.value.message


def test_errors_in_resources_aigov_does_not_evaluate_are_ignored() -> None:
    inventory = load_text(
        template([{"type": "Microsoft.Storage/storageAccounts", "name": "[variables('v')]"}])
    )
    assert len(inventory) == 0


def test_parameters_file_naming_an_undeclared_parameter(tmp_path: Path) -> None:
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"parameters": {"other": {"value": 1}}}))
    with pytest.raises(SourceError, match="parameter 'other' is not declared"):
        load("foundry_compiled.json", parameters_file=str(params))


def test_key_vault_reference_is_unknown(tmp_path: Path) -> None:
    params = tmp_path / "p.json"
    params.write_text(
        json.dumps(
            {"parameters": {"environmentName": {"reference": {"keyVault": {"id": "x"}, "secretName": "s"}}}}
        )
    )
    inventory = load("foundry_compiled.json", parameters_file=str(params))
    account = next(r for r in inventory if r.type == ACCOUNT)
    assert account.body["tags"]["azd-env-name"] is UNKNOWN


def test_detection() -> None:
    assert detect(SourceInput.open(str(FIXTURES / "foundry_compiled.json"))) is ArmTemplateSource
    assert detect(SourceInput.open(str(FIXTURES / "nested.json"))) is ArmTemplateSource
    with pytest.raises(SourceError, match="not a recognised input"):
        detect(SourceInput.from_bytes("x.json", b'{"hello": "world"}'))


# --------------------------------------------------------------------------- fuzz


_SEED = (FIXTURES / "nested.json").read_text()


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=len(_SEED)), st.text(max_size=40))
def test_fuzz_truncated_and_mutated_templates(cut: int, noise: str) -> None:
    for text in (_SEED[:cut], _SEED[:cut] + noise + _SEED[cut:]):
        with contextlib.suppress(SourceError):
            load_text(text)


@settings(max_examples=150, deadline=2000)
@given(st.text(alphabet="[]()',.'abcdefgpqrstuvwxyz0123456789 ", max_size=60))
def test_fuzz_expressions(expression: str) -> None:
    text = template(
        [{"type": "Microsoft.Search/searchServices", "name": "s", "sku": {"name": f"[{expression}]"}}]
    )
    with contextlib.suppress(SourceError):
        load_text(text)
