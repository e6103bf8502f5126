"""Functions whose value exists only at deployment: UNKNOWN and one scan warning, alike in Bicep and ARM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigov.model import UNKNOWN, Inventory
from aigov.sources.arm import ArmTemplateSource
from aigov.sources.base import SourceInput, SourceOptions
from aigov.sources.bicep.source import BicepSource
from aigov.sources.template_functions import is_runtime, runtime_warning

BICEP = """
resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: 'oai'
  location: 'eastus'
  kind: 'OpenAI'
  sku: { name: 'S0' }
  tags: {
    key: listKeys('x', '2024-10-01').key1
    again: listKeys('y', '2024-10-01').key1
    ref: reference('x', '2024-10-01').endpoint
    id: newGuid()
    zones: string(pickZones('Microsoft.Compute', 'virtualMachines', 'eastus'))
  }
}
"""

ARM = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "resources": [
        {
            "type": "Microsoft.CognitiveServices/accounts",
            "apiVersion": "2024-10-01",
            "name": "oai",
            "location": "eastus",
            "kind": "OpenAI",
            "sku": {"name": "S0"},
            "tags": {
                "key": "[listKeys('x', '2024-10-01').key1]",
                "again": "[listKeys('y', '2024-10-01').key1]",
                "ref": "[reference('x', '2024-10-01').endpoint]",
                "id": "[newGuid()]",
                "zones": "[string(pickZones('Microsoft.Compute', 'virtualMachines', 'eastus'))]",
            },
        }
    ],
}


def scan_both(tmp_path: Path) -> tuple[Inventory, Inventory]:
    bicep_file = tmp_path / "main.bicep"
    bicep_file.write_text(BICEP, encoding="utf-8")
    arm_file = tmp_path / "main.json"
    arm_file.write_text(json.dumps(ARM), encoding="utf-8")
    bicep = BicepSource().load(SourceInput.open(str(bicep_file)), SourceOptions())
    arm = ArmTemplateSource().load(SourceInput.open(str(arm_file)), SourceOptions())
    return bicep, arm


def test_runtime_values_are_unknown_in_both(tmp_path: Path) -> None:
    for inventory in scan_both(tmp_path):
        tags = next(iter(inventory)).body["tags"]
        assert tags == dict.fromkeys(("key", "again", "ref", "id", "zones"), UNKNOWN)


def test_one_warning_per_function_named_alike(tmp_path: Path) -> None:
    bicep, arm = scan_both(tmp_path)
    names = ("listKeys", "newGuid", "pickZones", "reference")
    assert sorted(bicep.warnings) == sorted(runtime_warning(str(tmp_path / "main.bicep"), n) for n in names)
    assert sorted(arm.warnings) == sorted(runtime_warning(str(tmp_path / "main.json"), n) for n in names)


def test_a_resource_method_is_a_runtime_call(tmp_path: Path) -> None:
    path = tmp_path / "m.bicep"
    path.write_text(
        "resource kv 'Microsoft.KeyVault/vaults@2023-07-01' existing = { name: 'kv' }\n"
        "resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {\n"
        "  name: 'oai'\n  kind: 'OpenAI'\n  sku: { name: 'S0' }\n"
        "  tags: { secret: kv.getSecret('s'), admin: kv.listAdminKeys().primaryKey }\n}\n",
        encoding="utf-8",
    )
    inventory = BicepSource().load(SourceInput.open(str(path)), SourceOptions())
    assert next(iter(inventory)).body["tags"] == {"secret": UNKNOWN, "admin": UNKNOWN}
    assert sorted(inventory.warnings) == [
        runtime_warning(str(path), "getSecret"),
        runtime_warning(str(path), "listAdminKeys"),
    ]


@pytest.mark.parametrize(
    ("name", "runtime"),
    [
        ("reference", True),
        ("listKeys", True),
        ("LISTSECRETS", True),
        ("listAnything", True),
        ("utcNow", True),
        ("newGuid", True),
        ("pickZones", True),
        ("deployer", True),
        ("last", False),
        ("lastIndexOf", False),
        ("uniqueString", False),
    ],
)
def test_is_runtime(name: str, runtime: bool) -> None:
    assert is_runtime(name) is runtime
