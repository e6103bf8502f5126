"""Undeclared names make a Bicep file uncompilable: exit 2 with the name and line, wherever they hide."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from aigov.cli.main import main
from aigov.errors import SourceError
from aigov.sources.bicep.names import check_declared, extension_aliases
from aigov.sources.bicep.parser import parse


def check(text: str) -> None:
    check_declared(parse(text, "main.bicep"), text)


DECLARED = {
    "params_vars_and_outputs": "param a string\nvar b = a\noutput c string = '${a}${b}'\n",
    "resources_modules_existing": (
        "resource st 'Microsoft.Storage/storageAccounts@2023-01-01' existing = { name: 'x' }\n"
        "module m './m.bicep' = { name: 'm', params: { id: st.id } }\n"
        "output o string = m.outputs.x\n"
    ),
    "used_before_declared": "var b = a\nparam a string\n",
    "namespaces": "var rg = az.resourceGroup().location\nvar s = sys.concat('a', 'b')\n",
    "loop_item_and_index": (
        "var xs = [for (x, i) in range(0, 3): { v: x, i: i }]\nvar f = [for x in xs: if (x.i > 0) x]\n"
    ),
    "lambda_parameters": (
        "var m = map(range(0, 3), n => n * 2)\nvar r = reduce([1], 0, (acc, v) => acc + v)\n"
    ),
    "user_function_parameters": "func double(n int) int => n * 2\nvar d = double(2)\n",
    "imports": (
        "import {a, b as c} from './lib.bicep'\nimport * as lib from './lib.bicep'\nvar x = [a, c, lib.d]\n"
    ),
    "extension_alias": "extension kubernetes with {\n  namespace: 'default'\n} as k8s\nvar v = k8s.config\n",
    "extension_name": "extension microsoftGraphV1\nvar v = microsoftGraphV1.x\n",
    "nested_children_in_the_parent_body": (
        "resource acct 'Microsoft.CognitiveServices/accounts@2024-10-01' = {\n"
        "  name: 'a'\n"
        "  resource chat 'deployments' = { name: 'c' }\n"
        "  resource other 'deployments' = { name: 'o', dependsOn: [chat] }\n"
        "}\n"
        "output id string = acct::chat.id\n"
    ),
    "types_are_not_values": "type t = { a: string }\nparam p t\n",
    "loop_in_a_resource": (
        "param names array\n"
        "resource s 'Microsoft.Search/searchServices@2023-11-01' = [for n in names: { name: n }]\n"
    ),
}


@pytest.mark.parametrize("text", DECLARED.values(), ids=DECLARED.keys())
def test_declared_names_pass(text: str) -> None:
    check(text)


UNDECLARED = {
    "unused_variable": ("param a string\nvar unused = nope\n", "nope", 2, 14),
    "unused_output": ("output o string = missing.id\n", "missing", 1, 19),
    "decorator_argument": ("@minValue(lowest)\nparam p int\n", "lowest", 1, 11),
    "loop_variable_outside_its_loop": ("var xs = [for x in range(0, 3): x]\nvar y = x\n", "x", 2, 9),
    "lambda_parameter_outside_its_lambda": ("var m = map([1], n => n)\nvar k = n\n", "n", 2, 9),
    "nested_child_outside_its_parent": (
        "resource acct 'Microsoft.CognitiveServices/accounts@2024-10-01' = {\n"
        "  name: 'a'\n"
        "  resource chat 'deployments' = { name: 'c' }\n"
        "}\n"
        "output id string = chat.id\n",
        "chat",
        5,
        20,
    ),
    "interpolation": ("var s = 'x-${who}'\n", "who", 1, 14),
    "object_key_and_spread": ("var o = { '${k}': 1 }\n", "k", 1, 14),
    "function_argument": ("var l = length(items)\n", "items", 1, 16),
    "member_target": ("var l = storage.properties.primaryEndpoints\n", "storage", 1, 9),
    "ternary": ("param a bool\nvar v = a ? yes : 'no'\n", "yes", 2, 13),
    "module_condition": ("module m './m.bicep' = if (deploy) { name: 'm' }\n", "deploy", 1, 28),
}


@pytest.mark.parametrize(("text", "name", "line", "col"), UNDECLARED.values(), ids=UNDECLARED.keys())
def test_an_undeclared_name_is_an_error_with_its_position(text: str, name: str, line: int, col: int) -> None:
    with pytest.raises(SourceError) as caught:
        check(text)
    assert str(caught.value).startswith(f"main.bicep: line {line}, column {col}: '{name}' is not declared")


def test_extension_aliases_are_read_from_the_tokens() -> None:
    text = (
        "extension kubernetes with {\n  namespace: 'x'\n} as k8s\n"
        "extension 'br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:0.1.8-preview' as graph\n"
        "import 'az@1.0.0' as azure\n"
        "var as = 1\n"
    )
    assert extension_aliases(text, "main.bicep") == {"k8s", "graph", "azure"}


def test_a_bicepparam_extending_a_base_file_inherits_its_names() -> None:
    text = "using './main.bicep'\nextends './base.bicepparam'\nparam b = inherited\n"
    check_declared(parse(text, "main.bicepparam"), text)


def test_scan_exits_2_on_an_undeclared_name_in_a_module(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text("module m './m.bicep' = {\n  name: 'm'\n}\n")
    (tmp_path / "m.bicep").write_text("var used = 1\n\noutput o int = used + typo\n")
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "main.bicep")])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {tmp_path / 'm.bicep'}: line 3, column 23: 'typo' is not declared"
    )
    assert result.stderr.count("\n") == 1
