"""Bicep values known only after deployment are UNKNOWN; only a name that does not exist is an error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aigov.config import load_config
from aigov.errors import SourceError
from aigov.model import UNKNOWN, Outcome
from aigov.scan import run_scan
from aigov.sources.bicep.evaluate import Deployment, Evaluation, FileEvaluator
from aigov.sources.bicep.parser import parse
from aigov.sources.confine import ScanRoot

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "bicep" / "deployed-values" / "main.bicep"
NOW = datetime(2026, 11, 1, tzinfo=UTC)

RESOURCES = """
resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: 'vnet'
  properties: {
    subnets: [ { name: 'a', properties: { addressPrefix: '10.0.1.0/24' } } ]
  }
}
resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv'
  identity: { type: 'SystemAssigned' }
  properties: { tenantId: 't', sku: { family: 'A', name: 'standard' } }
}
resource many 'Microsoft.Storage/storageAccounts@2023-05-01' = [for i in range(0, 2): {
  name: 'st${i}'
}]
var plain = { a: 1 }
"""


def file_evaluator(path: Path) -> FileEvaluator:
    return FileEvaluator(
        parse(path.read_text(encoding="utf-8"), str(path)),
        file=str(path),
        inputs={},
        prefix="",
        deployment=Deployment(),
        evaluation=Evaluation(root=ScanRoot.for_input(str(path))),
    )


def value(expression: str) -> Any:
    text = f"{RESOURCES}var v = {expression}\n"
    return FileEvaluator(
        parse(text, "t.bicep"),
        file="t.bicep",
        inputs={},
        prefix="",
        deployment=Deployment(),
        evaluation=Evaluation(root=ScanRoot.for_input(".")),
    ).var_value("v")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("kv.properties.vaultUri", UNKNOWN),  # not declared: the deployed vault's
        ("kv.properties.sku.capacity", UNKNOWN),  # deeper in a declared object
        ("kv.identity.principalId", UNKNOWN),
        ("kv.properties.?vaultUri", UNKNOWN),  # a safe read does not make it null: it may exist
        ("kv['properties']['vaultUri']", UNKNOWN),
        ("kv.properties.tenantId", "t"),  # declared: the template's value
        ("kv.properties.sku.name", "standard"),
        ("vnet.properties.subnets[0].id", UNKNOWN),
        ("vnet.properties.subnets[0].name", "a"),
        ("vnet.properties.subnets[0].properties.addressPrefix", "10.0.1.0/24"),
        ("vnet.properties.subnets[3]", UNKNOWN),  # the deployed vnet may hold more subnets
        ("length(vnet.properties.subnets)", 1),
        ("many[5].name", UNKNOWN),  # a resource collection is read by name at deployment
        ("many[1].name", "st1"),
        ("kv.listKeys().keys[0].value", UNKNOWN),
        ("listKeys(kv.id, '2023-07-01').keys[0].value", UNKNOWN),
        ("listAdminKeys('x', '2023-01-01').primaryKey", UNKNOWN),
        ("reference('x', '2023-01-01').endpoint", UNKNOWN),
        ("'${kv.properties.vaultUri}secrets'", UNKNOWN),
        ("union(kv.properties, { a: 1 }).a", 1),  # a merge is a plain object again
    ],
)
def test_deployed_values(expression: str, expected: Any) -> None:
    assert value(expression) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("plain.b", "the object has no property 'b' (it has: a)"),  # a variable is fully known
        ("[1, 2][2]", "index 2 is outside the array (length 2)"),
        ("nothere.properties.x", "'nothere' is not declared"),
        ("union(kv.properties, { a: 1 }).missing", "the object has no property 'missing'"),
    ],
)
def test_what_does_not_exist_is_still_an_error(expression: str, message: str) -> None:
    with pytest.raises(SourceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        value(expression)


def test_fixture_outputs_from_resources_and_modules() -> None:
    ev = file_evaluator(FIXTURE)
    ev.run()
    outputs = ev.outputs_value()
    assert outputs == {
        "endpoint": UNKNOWN,
        "principalId": UNKNOWN,
        "subnetId": UNKNOWN,
        "subnetName": "snet-pe",
        "secondSubnet": UNKNOWN,
        "key": UNKNOWN,
        "declared": "oai-deployed",
        "moduleEndpoint": UNKNOWN,  # an existing resource's property, through a module output
    }


def test_explicit_null_module_parameter_takes_the_default() -> None:
    ev = file_evaluator(FIXTURE)
    ev.run()
    chat = next(i for i in ev.evaluation.instances if i.symbol == "chat")
    assert chat.body["sku"] == {"name": UNKNOWN, "capacity": 10}


@pytest.mark.parametrize(
    ("declaration", "given", "expected"),
    [
        ("param p int = 3", None, 3),
        ("param p int = 3", 4, 4),
        ("param p int?", None, None),  # no default: null stays null
        ("param p string = 'd'", UNKNOWN, UNKNOWN),
    ],
)
def test_explicit_null_parameter_value(declaration: str, given: Any, expected: Any) -> None:
    ev = FileEvaluator(
        parse(f"{declaration}\n", "t.bicep"),
        file="t.bicep",
        inputs={"p": given},
        prefix="",
        deployment=Deployment(),
        evaluation=Evaluation(root=ScanRoot.for_input(".")),
    )
    assert ev.param_value("p") == expected


def test_a_rule_needing_a_deployed_value_is_undetermined() -> None:
    result = run_scan([str(FIXTURE)], load_config(None), now=NOW)
    chat = [f for f in result.findings if f.resource.key == "chat" and f.rule_id == "AIGOV-SKU-001"]
    assert [f.outcome for f in chat] == [Outcome.UNDETERMINED]


def test_a_sibling_reads_a_nested_child_without_naming_the_parent() -> None:
    text = (
        "resource parent 'My.Rp/parentType@2020-12-01' = {\n  name: 'p'\n"
        "  resource child 'childType' = {\n    name: 'c'\n"
        "    resource grandchild 'grandchildType' = {\n      name: 'g'\n"
        "      properties: { style: 'cool' }\n    }\n  }\n"
        "  resource sibling 'childType' = {\n    name: 's'\n"
        "    properties: {\n      style: child::grandchild.properties.style\n"
        "      id: child::grandchild.properties.other\n    }\n  }\n}\n"
    )
    ev = FileEvaluator(
        parse(text, "t.bicep"),
        file="t.bicep",
        inputs={},
        prefix="",
        deployment=Deployment(),
        evaluation=Evaluation(root=ScanRoot.for_input(".")),
    )
    ev.run()
    sibling = next(i for i in ev.evaluation.instances if i.symbol == "sibling")
    assert sibling.body["properties"] == {"style": "cool", "id": UNKNOWN}
