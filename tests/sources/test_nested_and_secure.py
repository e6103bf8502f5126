"""Deployments resources written in Bicep, and secrets whose empty default is a placeholder (Bicep and ARM).

Both come from real templates: a ``Microsoft.Resources/deployments`` resource
that deploys a template spec (the Bicep repository's samples) must not pass
unseen, and the Azure Verified Modules' tests give ``@secure()`` resource IDs
an empty default that their pipelines fill from a Key Vault.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from aigov.cli.main import main
from aigov.model import UNKNOWN
from aigov.sources import load_input
from aigov.sources.base import SourceOptions

SPEC_ID = (
    "/subscriptions/0000/resourceGroups/specs/providers/Microsoft.Resources/templateSpecs/ai/versions/1.0"
)


def scan_json(path: Path, *args: str) -> tuple[int, dict[str, object]]:
    done = CliRunner().invoke(main, ["scan", str(path), "--format", "json", *args])
    assert done.exit_code in (0, 1), done.output
    return done.exit_code, json.loads(done.stdout)


def test_a_bicep_deployment_of_a_template_spec_is_an_input_not_read(tmp_path: Path) -> None:
    template = tmp_path / "main.bicep"
    template.write_text(
        "resource spec 'Microsoft.Resources/deployments@2022-09-01' = {\n"
        "  name: 'from-spec'\n"
        f"  properties: {{ mode: 'Incremental', templateLink: {{ id: '{SPEC_ID}' }} }}\n"
        "}\n",
        encoding="utf-8",
    )
    code, report = scan_json(template)
    assert code == 1  # an input the gate cannot see fails it, as in the ARM path
    findings = report["findings"]
    assert isinstance(findings, list)
    (unread,) = [f for f in findings if f["rule_id"] == "AIGOV-INPUT-001"]
    assert unread["resource"]["address"] == "spec"
    assert "a template spec" in unread["message"]
    assert "nested deployment 'from-spec'" in unread["message"]


def test_a_bicep_inline_template_holding_a_deployed_value_is_not_read(tmp_path: Path) -> None:
    template = tmp_path / "main.bicep"
    template.write_text(
        "resource acct 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = { name: 'oai' }\n"
        "resource nested 'Microsoft.Resources/deployments@2022-09-01' = {\n"
        "  name: 'inline'\n"
        "  properties: {\n"
        "    mode: 'Incremental'\n"
        "    template: {\n"
        "      '$schema': 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#'\n"
        "      contentVersion: '1.0.0.0'\n"
        "      resources: [ { type: 'Microsoft.Search/searchServices', apiVersion: '2023-11-01'\n"
        "        name: acct.properties.endpoint, location: 'eastus', sku: { name: 'basic' } } ]\n"
        "    }\n"
        "  }\n"
        "}\n",
        encoding="utf-8",
    )
    inventory = load_input(str(template), SourceOptions())[1]
    (unread,) = inventory.unread
    assert unread.address == "nested"
    assert "known only after deployment" in unread.reason


BICEP_SECURE = """
@secure()
param hsmId string = ''
@secure()
param keyName string = 'fallback-key'
resource search 'Microsoft.Search/searchServices@2023-11-01' = {
  name: 'srch-${split(hsmId, '/')[2]}'
  location: 'eastus'
  sku: { name: 'basic' }
  tags: { key: keyName }
}
"""

ARM_SECURE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {
        "hsmId": {"type": "securestring", "defaultValue": ""},
        "keyName": {"type": "securestring", "defaultValue": "fallback-key"},
    },
    "resources": [
        {
            "type": "Microsoft.Search/searchServices",
            "apiVersion": "2023-11-01",
            "name": "[format('srch-{0}', split(parameters('hsmId'), '/')[2])]",
            "location": "eastus",
            "sku": {"name": "basic"},
            "tags": {"key": "[parameters('keyName')]"},
        }
    ],
}


@pytest.fixture(params=["bicep", "arm"])
def secure_template(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "bicep":
        path = tmp_path / "main.bicep"
        path.write_text(BICEP_SECURE, encoding="utf-8")
    else:
        path = tmp_path / "main.json"
        path.write_text(json.dumps(ARM_SECURE), encoding="utf-8")
    return path


def test_an_empty_secure_default_is_unknown_not_an_index_error(secure_template: Path) -> None:
    # split('', '/')[2] would stop the scan; the pipeline gives the real resource ID.
    inventory = load_input(str(secure_template), SourceOptions())[1]
    (search,) = list(inventory)
    assert search.name is UNKNOWN
    assert search.body["tags"] == {"key": "fallback-key"}  # a secure default that is not empty deploys
    assert any("hsmId" in w and "empty default" in w for w in inventory.warnings)


def test_a_secure_value_given_in_a_parameters_file_is_used(secure_template: Path, tmp_path: Path) -> None:
    parameters = tmp_path / "main.parameters.json"
    hsm = "/subscriptions/0000/resourceGroups/keys/providers/Microsoft.KeyVault/managedHSMs/hsm1"
    parameters.write_text(json.dumps({"parameters": {"hsmId": {"value": hsm}}}), encoding="utf-8")
    inventory = load_input(str(secure_template), SourceOptions(parameters_file=str(parameters)))[1]
    (search,) = list(inventory)
    assert search.name == "srch-0000"
    assert not any("empty default" in w for w in inventory.warnings)


def test_an_escaped_property_name_is_a_literal_in_arm(tmp_path: Path) -> None:
    template = dict(ARM_SECURE, parameters={})
    template["resources"] = [
        {
            "type": "Microsoft.Search/searchServices",
            "apiVersion": "2023-11-01",
            "name": "srch",
            "location": "eastus",
            "sku": {"name": "basic"},
            "tags": {"[[team]": "x", "[concat('cost', '-center')]": "cc-1"},
        }
    ]
    path = tmp_path / "main.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    (search,) = list(load_input(str(path), SourceOptions())[1])
    assert search.body["tags"] == {"[team]": "x", "cost-center": "cc-1"}


def test_an_inline_template_reads_its_linked_template_inside_the_scan_root(tmp_path: Path) -> None:
    schema = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
    child = {
        "$schema": schema,
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.Search/searchServices",
                "apiVersion": "2023-11-01",
                "name": "srch-child",
                "location": "eastus",
                "sku": {"name": "basic"},
            }
        ],
    }
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "child.json").write_text(json.dumps(child), encoding="utf-8")
    (tmp_path / "outside.json").write_text(json.dumps(child), encoding="utf-8")

    def bicep(link: str) -> Path:
        path = tmp_path / "infra" / "main.bicep"
        path.write_text(
            "resource outer 'Microsoft.Resources/deployments@2022-09-01' = {\n"
            "  name: 'outer'\n"
            "  properties: {\n"
            "    mode: 'Incremental'\n"
            "    template: {\n"
            f"      '$schema': '{schema}'\n"
            "      contentVersion: '1.0.0.0'\n"
            "      resources: [ {\n"
            "        type: 'Microsoft.Resources/deployments', apiVersion: '2022-09-01', name: 'child'\n"
            f"        properties: {{ mode: 'Incremental', templateLink: {{ relativePath: '{link}' }} }}\n"
            "      } ]\n"
            "    }\n"
            "  }\n"
            "}\n",
            encoding="utf-8",
        )
        return path

    inventory = load_input(str(bicep("child.json")), SourceOptions(repo_root=str(tmp_path / "infra")))[1]
    assert [r.name for r in inventory] == ["srch-child"]
    done = CliRunner().invoke(
        main, ["scan", str(bicep("../outside.json")), "--repo-root", str(tmp_path / "infra")]
    )
    assert done.exit_code == 2
    assert "outside the scan root" in done.stderr


@pytest.mark.parametrize(
    "name",
    [
        "[format('{0}/{1}', parameters('accountName'), 'chat')]",
        "[concat(parameters('accountName'), '/', 'chat')]",
    ],
)
def test_a_child_keeps_its_leaf_name_when_only_the_parent_part_is_unknown(tmp_path: Path, name: str) -> None:
    # As the Bicep path gives it (azd templates name accounts from a token known only at deployment).
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"accountName": {"type": "object"}},
        "resources": [
            {
                "type": "Microsoft.CognitiveServices/accounts/deployments",
                "apiVersion": "2024-10-01",
                "name": name,
                "sku": {"name": "GlobalStandard", "capacity": 10},
                "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}},
            }
        ],
    }
    path = tmp_path / "main.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    (chat,) = list(load_input(str(path), SourceOptions())[1])
    assert chat.name == "chat"
    assert chat.body["name"] == "chat"  # the leaf, as the Bicep path has it
