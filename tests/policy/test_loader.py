"""Loading rules: schema errors by file, line and JSON path; semantic checks; overrides."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aigov.cost.spec import CostKind
from aigov.errors import ConfigError, RuleError
from aigov.model import Severity
from aigov.policy.loader import load_rule_file, load_rules
from aigov.policy.rule import RuleOverride

RULE = """\
id: T-SKU-001
title: Deployments use an allowed type
category: sku
severity: high
resource: Microsoft.CognitiveServices/accounts/deployments
parameters:
  allowed:
    description: allowed types
    default: [Standard, GlobalStandard]
if:
  allOf:
    - field: sku.name
      notIn: {parameter: allowed}
    - field: sku.capacity
      greater: 0
cost:
  delta: {field: sku.name, to: {parameter: allowed}}
message: "{name} uses {sku.name}; allowed: {allowed}"
remediation: Use an allowed type.
"""


def write(tmp_path: Path, text: str, name: str = "rule.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_valid_rule_compiles_once_with_resolved_parameters(tmp_path: Path) -> None:
    rule = load_rule_file(write(tmp_path, RULE))
    assert rule.id == "T-SKU-001"
    assert rule.severity is Severity.HIGH
    assert rule.resource_types == frozenset({"microsoft.cognitiveservices/accounts/deployments"})
    assert rule.parameters == {"allowed": ["Standard", "GlobalStandard"]}
    assert rule.parameter_specs["allowed"].description == "allowed types"
    assert rule.cost.kind is CostKind.DELTA
    assert rule.cost.field == "sku.name"
    assert rule.cost.to == ("Standard", "GlobalStandard")
    assert rule.file == str(tmp_path / "rule.yaml")


def test_schema_error_names_file_line_and_json_path(tmp_path: Path) -> None:
    bad = RULE.replace("greater: 0", "greatr: 0")
    path = write(tmp_path, bad)
    with pytest.raises(RuleError) as err:
        load_rule_file(path)
    assert err.value.file == str(path)
    assert err.value.where == "line 14: $.if.allOf[1]"
    assert "'greatr' was unexpected" in err.value.message
    assert str(err.value).startswith(f"{path}: line 14: $.if.allOf[1]: ")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "where", "fragment"),
    [
        ("severity: high", "severity: urgent", "line 4: $.severity", "'urgent' is not one of"),
        ("category: sku", "category: cost", "line 3: $.category", "is not one of"),
        ("id: T-SKU-001", "id: 1bad", "line 1: $.id", "does not match"),
        ("      greater: 0", "      greater: 0\n      less: 5", "line 14: $.if.allOf[1]", "exactly one"),
        (
            "    - field: sku.capacity",
            "    - context: x\n      field: sku.capacity",
            "line 14",
            "exactly one",
        ),
        ("  allOf:", "  anyOf: []\n  allOf:", "line 11: $.if", "Additional properties"),
        ("remediation: Use an allowed type.\n", "", "line 1: $", "'remediation' is a required property"),
    ],
)
def test_schema_errors(tmp_path: Path, old: str, new: str, where: str, fragment: str) -> None:
    assert old in RULE
    with pytest.raises(RuleError) as err:
        load_rule_file(write(tmp_path, RULE.replace(old, new)))
    assert err.value.where is not None
    assert err.value.where.startswith(where)
    assert fragment in err.value.message


@pytest.mark.parametrize(
    ("old", "new", "where", "fragment"),
    [
        (
            "notIn: {parameter: allowed}",
            "notIn: {parameter: allowd}",
            "line 13: $.if.allOf[0].notIn.parameter",
            "allowd",
        ),
        ("greater: 0", "regex: '(['", "line 15: $.if.allOf[1].regex", "invalid regular expression"),
        ("greater: 0", "regex: '(?<=a)b'", "line 15: $.if.allOf[1].regex", "look-around is not supported"),
        ("greater: 0", "notRegex: '(a)\\1'", "line 15: $.if.allOf[1].notRegex", "backreferences are not"),
        ("greater: 0", "olderThan: P7", "line 15: $.if.allOf[1].olderThan", "ISO 8601"),
        ("field: sku.capacity", "field: sku..capacity", "line 14: $.if.allOf[1].field", "malformed"),
        ("to: {parameter: allowed}", "to: {parameter: nope}", "$.cost.delta.to.parameter", "nope"),
    ],
)
def test_semantic_errors_are_placed_too(
    tmp_path: Path, old: str, new: str, where: str, fragment: str
) -> None:
    with pytest.raises(RuleError) as err:
        load_rule_file(write(tmp_path, RULE.replace(old, new)))
    assert err.value.where is not None
    assert err.value.where.endswith(where)
    assert fragment in err.value.message


def test_unsafe_yaml_is_a_rule_error(tmp_path: Path) -> None:
    path = write(tmp_path, "id: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(RuleError) as err:
        load_rule_file(path)
    assert err.value.where == "line 1, column 5"
    assert "invalid YAML" in err.value.message


def test_malformed_yaml_is_a_rule_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="invalid YAML"):
        load_rule_file(write(tmp_path, "id: [unclosed\n"))


def test_empty_file_is_a_rule_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="empty rule file"):
        load_rule_file(write(tmp_path, ""))


def test_discovery_is_recursive_and_skips_tests(tmp_path: Path) -> None:
    write(tmp_path, RULE, "sku/T-SKU-001.yaml")
    write(tmp_path, "rule: T-SKU-001\ncases: []\n", "sku/T-SKU-001.test.yaml")
    write(tmp_path, RULE.replace("T-SKU-001", "T-SKU-002"), "deeper/still/T-SKU-002.yaml")
    rules = load_rules([tmp_path])
    assert [r.id for r in rules] == ["T-SKU-001", "T-SKU-002"]


def test_duplicate_id_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, RULE, "a/one.yaml")
    second = write(tmp_path, RULE, "b/two.yaml")
    with pytest.raises(RuleError) as err:
        load_rules([tmp_path])
    assert err.value.file == str(second)
    assert str(first) in err.value.message
    assert err.value.where == "line 1: $.id"


def test_overrides_apply_parameters_and_severity(tmp_path: Path) -> None:
    write(tmp_path, RULE)
    override = RuleOverride(parameters={"allowed": ["Standard"]}, severity=Severity.CRITICAL)
    rule = load_rules([tmp_path], {"T-SKU-001": override}).rules[0]
    assert rule.parameters == {"allowed": ["Standard"]}
    assert rule.severity is Severity.CRITICAL
    assert rule.cost.to == ("Standard",)


def test_disabled_rule_is_removed(tmp_path: Path) -> None:
    write(tmp_path, RULE)
    assert len(load_rules([tmp_path], {"T-SKU-001": RuleOverride(enabled=False)})) == 0


def test_override_of_unknown_rule_is_a_config_error(tmp_path: Path) -> None:
    write(tmp_path, RULE)
    with pytest.raises(ConfigError) as err:
        load_rules([tmp_path], {"T-NOPE": RuleOverride(file="aigov.yaml", line=7)})
    assert err.value.file == "aigov.yaml"
    assert err.value.where == "line 7: $.rules.T-NOPE"


def test_override_of_undeclared_parameter_is_a_config_error(tmp_path: Path) -> None:
    write(tmp_path, RULE)
    override = RuleOverride(
        parameters={"alowed": []}, file="aigov.yaml", line=7, parameter_lines={"alowed": 8}
    )
    with pytest.raises(ConfigError) as err:
        load_rules([tmp_path], {"T-SKU-001": override})
    assert err.value.where == "line 8: $.rules.T-SKU-001.parameters.alowed"
    assert "alowed" in err.value.message


def test_parameter_types_are_checked(tmp_path: Path) -> None:
    typed = RULE.replace(
        "    default: [Standard, GlobalStandard]", "    type: array\n    default: [Standard]"
    )
    write(tmp_path, typed)
    with pytest.raises(ConfigError, match="must be of type array"):
        load_rules([tmp_path], {"T-SKU-001": RuleOverride(parameters={"allowed": "Standard"})})


def test_for_each_parameter_must_be_declared_and_a_collection(tmp_path: Path) -> None:
    rule = RULE.replace("if:\n", "forEach: {parameter: allowed}\nif:\n")
    assert load_rule_file(write(tmp_path, rule)).condition.items == ("Standard", "GlobalStandard")
    with pytest.raises(RuleError, match="forEach parameter 'nope'"):
        load_rule_file(
            write(tmp_path, rule.replace("forEach: {parameter: allowed}", "forEach: {parameter: nope}"))
        )


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="no such rules directory"):
        load_rules([tmp_path / "absent"])
