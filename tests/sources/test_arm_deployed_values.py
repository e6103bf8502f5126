"""ARM: an explicit null parameter value deploys the default; runtime values stay unknown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aigov.model import UNKNOWN, Inventory
from aigov.sources.arm import ArmTemplateSource
from aigov.sources.base import SourceInput, SourceOptions

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def account(sku: str, capacity: str) -> dict[str, Any]:
    return {
        "type": "Microsoft.CognitiveServices/accounts",
        "apiVersion": "2024-10-01",
        "name": "oai",
        "location": "eastus",
        "kind": "OpenAI",
        "sku": {"name": sku},
        "tags": {"capacity": capacity},
    }


def scan(tmp_path: Path, document: dict[str, Any], parameters: dict[str, Any] | None = None) -> Inventory:
    template = tmp_path / "main.json"
    template.write_text(json.dumps(document), encoding="utf-8")
    options = SourceOptions()
    if parameters is not None:
        given = tmp_path / "main.parameters.json"
        given.write_text(json.dumps({"parameters": parameters}), encoding="utf-8")
        options = SourceOptions(parameters_file=str(given))
    return ArmTemplateSource().load(SourceInput.open(str(template)), options)


def test_explicit_null_in_a_parameters_file_takes_the_default(tmp_path: Path) -> None:
    document = {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "parameters": {
            "sku": {"type": "string", "defaultValue": "S0", "allowedValues": ["S0"]},
            "capacity": {"type": "string", "nullable": True},
        },
        "resources": [account("[parameters('sku')]", "[string(parameters('capacity'))]")],
    }
    inventory = scan(tmp_path, document, {"sku": {"value": None}, "capacity": {"value": None}})
    body = next(iter(inventory)).body
    assert body["sku"] == {"name": "S0"}  # null: the default, and no allowed-values failure
    assert body["tags"] == {"capacity": ""}  # no default: null stays null


def test_explicit_null_to_a_nested_template_takes_its_default(tmp_path: Path) -> None:
    inner = {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "parameters": {"sku": {"type": "string", "defaultValue": "S0"}},
        "resources": [account("[parameters('sku')]", "1")],
    }
    document = {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": "inner",
                "properties": {
                    "mode": "Incremental",
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "parameters": {"sku": {"value": "[null()]"}},
                    "template": inner,
                },
            }
        ],
    }
    body = next(iter(scan(tmp_path, document))).body
    assert body["sku"] == {"name": "S0"}


def test_reference_of_a_deployed_property_is_unknown(tmp_path: Path) -> None:
    document = {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "resources": [account("S0", "[reference('other', '2024-10-01').properties.capacity]")],
    }
    body = next(iter(scan(tmp_path, document))).body
    assert body["tags"] == {"capacity": UNKNOWN}
