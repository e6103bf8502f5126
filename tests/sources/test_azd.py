"""azd ``${VAR}`` placeholders in JSON parameters files, for Bicep and ARM alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aigov.cli.main import main
from aigov.model import UNKNOWN
from aigov.sources.arm import ArmTemplateSource
from aigov.sources.azd import substitute, typed
from aigov.sources.base import SourceInput, SourceOptions
from aigov.sources.bicep.evaluate import Deployment, Evaluation, FileEvaluator
from aigov.sources.bicep.parser import parse
from aigov.sources.bicep.source import BicepSource
from aigov.sources.confine import ScanRoot

ENV = {"AZURE_ENV_NAME": "dev", "EMPTY": ""}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${AZURE_ENV_NAME}", "dev"),
        ("rg-${AZURE_ENV_NAME}-ai", "rg-dev-ai"),
        ("${AZURE_LOCATION}", UNKNOWN),  # not set, no default: known only where azd runs
        ("${AZURE_LOCATION=eastus}", "eastus"),
        ("${AZURE_ENV_NAME=other}", "dev"),  # set: the default is not used
        ("${EMPTY=x}", ""),  # set but empty: '=' keeps it, as in the shell
        ("${EMPTY:=x}", "x"),  # ':=' treats empty as unset
        ("${EMPTY:-x}", "x"),
        ("${MISSING-x}", "x"),
        ("no placeholder $ {here}", "no placeholder $ {here}"),
        ({"a": ["${AZURE_ENV_NAME}", 1, "${NOPE}"]}, {"a": ["dev", 1, UNKNOWN]}),
        (True, True),
    ],
)
def test_substitute(value: Any, expected: Any) -> None:
    assert substitute(value, ENV) == expected


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("80", "int", 80),
        ("-3", "Int", -3),
        ("8x", "int", "8x"),  # not a number: left for the parameter check to report
        ("false", "bool", False),
        ("True", "bool", True),
        ("80", "string", "80"),
        (80, "int", 80),
        ("80", None, "80"),
    ],
)
def test_typed(value: Any, kind: Any, expected: Any) -> None:
    assert typed(value, kind) == expected


BICEP = """
param environmentName string
@allowed(['eastus', 'swedencentral'])
param location string
param capacity int = 10
param tracing bool = true

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: 'oai-${environmentName}'
  location: location
  kind: 'OpenAI'
  sku: { name: 'S0' }
  tags: { capacity: string(capacity + 1), tracing: tracing ? 'on' : 'off' }
}
"""

PARAMETERS = {
    "parameters": {
        "environmentName": {"value": "${AIGOV_TEST_ENV_NAME}"},
        "location": {"value": "${AIGOV_TEST_LOCATION}"},
        "capacity": {"value": "${AIGOV_TEST_CAPACITY=80}"},
        "tracing": {"value": "${AIGOV_TEST_TRACING=false}"},
    }
}


def test_bicep_with_an_azd_parameters_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIGOV_TEST_LOCATION", "eastus")  # set, but not passed in: unknown
    (tmp_path / "main.bicep").write_text(BICEP, encoding="utf-8")
    (tmp_path / "main.parameters.json").write_text(json.dumps(PARAMETERS), encoding="utf-8")
    inventory = BicepSource().load(
        SourceInput.open(str(tmp_path / "main.bicep")),
        SourceOptions(
            parameters_file=str(tmp_path / "main.parameters.json"), environment={"AIGOV_TEST_ENV_NAME": "dev"}
        ),
    )
    body = next(iter(inventory)).body
    assert body["name"] == "oai-dev"
    assert body["location"] is UNKNOWN  # unset: unknown, not an @allowed failure
    assert body["tags"] == {"capacity": "81", "tracing": "off"}  # "80" and "false" bound as int and bool


def test_arm_with_an_azd_parameters_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIGOV_TEST_LOCATION", "eastus")  # set, but not passed in: unknown
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "environmentName": {"type": "string"},
            "location": {"type": "string", "allowedValues": ["eastus", "swedencentral"]},
            "capacity": {"type": "int", "defaultValue": 10},
            "tracing": {"type": "bool", "defaultValue": True},
        },
        "resources": [
            {
                "type": "Microsoft.CognitiveServices/accounts",
                "apiVersion": "2024-10-01",
                "name": "[format('oai-{0}', parameters('environmentName'))]",
                "location": "[parameters('location')]",
                "kind": "OpenAI",
                "sku": {"name": "S0"},
                "tags": {
                    "capacity": "[string(add(parameters('capacity'), 1))]",
                    "tracing": "[if(parameters('tracing'), 'on', 'off')]",
                },
            }
        ],
    }
    (tmp_path / "main.json").write_text(json.dumps(template), encoding="utf-8")
    (tmp_path / "main.parameters.json").write_text(json.dumps(PARAMETERS), encoding="utf-8")
    inventory = ArmTemplateSource().load(
        SourceInput.open(str(tmp_path / "main.json")),
        SourceOptions(
            parameters_file=str(tmp_path / "main.parameters.json"), environment={"AIGOV_TEST_ENV_NAME": "dev"}
        ),
    )
    body = next(iter(inventory)).body
    assert body["name"] == "oai-dev"
    assert body["location"] is UNKNOWN
    assert body["tags"] == {"capacity": "81", "tracing": "off"}


def test_read_environment_variable_reads_only_what_is_passed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    def value(expression: str) -> Any:
        text = f"var v = {expression}\n"
        ev = FileEvaluator(
            parse(text, "t.bicep"),
            file="t.bicep",
            inputs={},
            prefix="",
            deployment=Deployment(),
            evaluation=Evaluation(root=ScanRoot.for_input("."), environment={"AIGOV_TEST_SET": "from-env"}),
        )
        return ev.var_value("v")

    monkeypatch.setenv("AIGOV_TEST_SECRET", "runner-secret")  # in the process, not passed in
    assert value("readEnvironmentVariable('AIGOV_TEST_SET', 'default')") == "from-env"
    assert value("readEnvironmentVariable('AIGOV_TEST_UNSET', 'default')") == "default"
    assert value("readEnvironmentVariable('AIGOV_TEST_UNSET')") is UNKNOWN
    assert value("readEnvironmentVariable('AIGOV_TEST_SECRET')") is UNKNOWN


def test_a_parameters_file_cannot_print_a_runners_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIGOV_TEST_SECRET", "runner-secret-7f1e")
    monkeypatch.setenv("AIGOV_TEST_ENV_NAME", "dev")
    (tmp_path / "main.bicep").write_text(BICEP, encoding="utf-8")
    parameters = json.loads(json.dumps(PARAMETERS))
    parameters["parameters"]["location"] = {"value": "${AIGOV_TEST_SECRET}"}
    (tmp_path / "main.parameters.json").write_text(json.dumps(parameters), encoding="utf-8")
    args = ["scan", str(tmp_path / "main.bicep"), "--parameters", str(tmp_path / "main.parameters.json")]
    result = CliRunner().invoke(main, [*args, "--format", "json", "--env", "AIGOV_TEST_ENV_NAME"])
    assert "runner-secret-7f1e" not in result.output
    assert '"oai-dev"' in result.stdout or "oai-dev" in result.stdout
