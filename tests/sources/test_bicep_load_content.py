"""Bicep ``loadYamlContent``/``loadJsonContent`` parse through the bounded YAML and JSON readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigov.errors import SourceError
from aigov.sources.base import SourceInput, SourceOptions
from aigov.sources.bicep.source import BicepSource

TEMPLATE = """\
var settings = {function}('settings.{extension}')
resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {{
  name: 'acct'
  location: 'eastus'
  kind: 'OpenAI'
  sku: {{ name: settings.sku }}
}}
"""
BOMB = 'sku: S0\na: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


def _scan(tmp_path: Path, function: str, extension: str, content: str) -> SourceError | str:
    (tmp_path / f"settings.{extension}").write_text(content, encoding="utf-8")
    main = tmp_path / "main.bicep"
    main.write_text(TEMPLATE.format(function=function, extension=extension), encoding="utf-8")
    try:
        inventory = BicepSource().load(SourceInput.open(str(main)), SourceOptions())
    except SourceError as exc:
        return exc
    return str(next(iter(inventory)).body["sku"]["name"])


def test_yaml_and_json_content_load(tmp_path: Path) -> None:
    assert _scan(tmp_path, "loadYamlContent", "yaml", "sku: S0\n") == "S0"
    assert _scan(tmp_path, "loadJsonContent", "json", '{"sku": "S0"}') == "S0"


@pytest.mark.parametrize(
    ("function", "extension", "content", "reason"),
    [
        ("loadYamlContent", "yaml", BOMB, "aliases expand to more than 100000 nodes"),
        ("loadYamlContent", "yaml", "sku: &s [*s]\n", "is inside the node &s it names"),
        ("loadYamlContent", "yaml", "sku: .nan\n", ".nan is not a finite number"),
        ("loadJsonContent", "json", '{"sku": NaN}', "NaN is not a JSON number"),
        ("loadJsonContent", "json", "[" * 50_000 + "]" * 50_000, "nested too deeply"),
    ],
)
def test_hostile_content_is_one_error_at_the_call(
    tmp_path: Path, function: str, extension: str, content: str, reason: str
) -> None:
    error = _scan(tmp_path, function, extension, content)
    assert isinstance(error, SourceError)
    assert f"'settings.{extension}' is not valid {extension.upper()}: " in error.message
    assert reason in error.message
    assert "\n" not in str(error)
