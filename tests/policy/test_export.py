"""Azure Policy export: the translation table, what is refused and why, the shape of every definition,
and that exported conditions decide the rules' own test cases the way aigov does."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from aigov import armpath
from aigov.armpath import MISSING
from aigov.model import UNKNOWN
from aigov.paths import bundled_policies_dir
from aigov.policy.export import (
    ALIASES,
    EFFECTS,
    NotExpressibleError,
    azure_policy_definition,
    export_rules,
    parameter_references,
)
from aigov.policy.loader import compile_rule, load_rules
from aigov.policy.rule import Rule
from aigov.policy.testing import RuleCase, discover_cases
from tests.conftest import GoldenCheck

DEPLOYMENT = "Microsoft.CognitiveServices/accounts/deployments"
ACCOUNT = "Microsoft.CognitiveServices/accounts"
SEARCH = "Microsoft.Search/searchServices"
PACK = Path(__file__).resolve().parents[2] / "fixtures" / "rules" / "pack"


def rule(condition: Mapping[str, Any], **extra: Any) -> Rule:
    document: dict[str, Any] = {
        "id": "T-001",
        "title": "A test rule",
        "category": "sku",
        "severity": "low",
        "resource": DEPLOYMENT,
        "if": condition,
        "cost": "none",
        "message": "m",
        "remediation": "r",
        **extra,
    }
    return compile_rule(document, "t.yaml")


def exported_condition(r: Rule) -> Any:
    """The rule's own condition: the ``if`` without the leading resource-type test."""
    top = azure_policy_definition(r)["properties"]["policyRule"]["if"]
    return top["allOf"][1] if "allOf" in top else top


LIST = {"allowed": {"type": "array", "default": ["Standard"]}}

TRANSLATIONS: list[tuple[str, Mapping[str, Any], dict[str, Any], Any]] = [
    (
        "alias_and_parameter",
        {"field": "sku.name", "notIn": {"parameter": "allowed"}},
        {"parameters": LIST},
        {"field": f"{DEPLOYMENT}/sku.name", "notIn": "[parameters('allowed')]"},
    ),
    (
        "model_name_alias_case_insensitive_path",
        {"field": "Properties.Model.Name", "in": ["o1", "gpt-4"]},
        {},
        {"field": f"{DEPLOYMENT}/model.name", "in": ["o1", "gpt-4"]},
    ),
    (
        "combinators_and_top_level_fields",
        {
            "anyOf": [
                {"not": {"field": "location", "equals": "eastus"}},
                {"allOf": [{"field": "kind", "like": "Open*"}, {"field": "name", "exists": True}]},
            ]
        },
        {},
        {
            "anyOf": [
                {"not": {"field": "location", "equals": "eastus"}},
                {"allOf": [{"field": "kind", "like": "Open*"}, {"field": "name", "exists": True}]},
            ]
        },
    ),
    (
        "tag_with_a_dot_and_a_quote",
        {"field": 'tags["app.o\'id"]', "exists": False},
        {},
        {"field": "tags['app.o''id']", "exists": False},
    ),
    (
        "dotted_tag",
        {"field": "tags.cost-center", "notEquals": "n/a"},
        {},
        {"field": "tags['cost-center']", "notEquals": "n/a"},
    ),
    (
        "empty_tag",
        {"field": "tags.owner", "empty": True},
        {},
        {
            "anyOf": [
                {"field": "tags['owner']", "exists": False},
                {"value": "[trim(string(field('tags[''owner'']')))]", "equals": ""},
            ]
        },
    ),
    (
        "not_empty_tag",
        {"field": "tags.owner", "empty": False},
        {},
        {
            "allOf": [
                {"field": "tags['owner']", "exists": True},
                {"value": "[trim(string(field('tags[''owner'']')))]", "notEquals": ""},
            ]
        },
    ),
    (
        "literal_starting_with_a_bracket_is_escaped",
        {"field": "name", "in": ["[tmp]", "plain"]},
        {},
        {"field": "name", "in": ["[[tmp]", "plain"]},
    ),
    (
        "foreach_tags_become_a_value_count",
        {"field": "tags['{item}']", "empty": True},
        {
            "parameters": {"required": {"type": "array", "default": ["owner"]}},
            "forEach": {"parameter": "required"},
        },
        {
            "count": {
                "value": "[parameters('required')]",
                "name": "item",
                "where": {
                    "anyOf": [
                        {"field": "[concat('tags[', current('item'), ']')]", "exists": False},
                        {
                            "value": "[trim(string(field(concat('tags[', current('item'), ']'))))]",
                            "equals": "",
                        },
                    ]
                },
            },
            "greater": 0,
        },
    ),
    (
        "foreach_item_inside_an_operand",
        {"field": "properties.model.name", "like": "{item}*"},
        {
            "parameters": {"banned": {"type": "array", "default": ["gpt-35"]}},
            "forEach": {"parameter": "banned"},
        },
        {
            "count": {
                "value": "[parameters('banned')]",
                "name": "item",
                "where": {"field": f"{DEPLOYMENT}/model.name", "like": "[concat(current('item'), '*')]"},
            },
            "greater": 0,
        },
    ),
]


@pytest.mark.parametrize(
    ("condition", "extra", "expected"), [t[1:] for t in TRANSLATIONS], ids=[t[0] for t in TRANSLATIONS]
)
def test_translation(condition: Mapping[str, Any], extra: dict[str, Any], expected: Any) -> None:
    assert exported_condition(rule(condition, **extra)) == expected


REFUSED: list[tuple[str, Mapping[str, Any], dict[str, Any], str]] = [
    (
        "context_subject",
        {"context": "usage.requests", "lessOrEquals": 0},
        {},
        "condition uses context usage.requests: usage metrics",
    ),
    ("regex", {"field": "name", "regex": "^a"}, {}, "regex on name: Azure Policy has no regular expressions"),
    (
        "older_than",
        {"field": "properties.createdAt", "olderThan": "P7D"},
        {},
        "olderThan on properties.createdAt",
    ),
    (
        "empty_on_a_non_tag",
        {"field": "sku.name", "empty": True},
        {},
        "empty on sku.name: Azure Policy can test emptiness only of a tag",
    ),
    (
        "no_alias",
        {"field": "properties.raiPolicyName", "equals": "x"},
        {},
        f"no known Azure Policy alias for properties.raiPolicyName on {DEPLOYMENT.lower()}",
    ),
    (
        "wildcard_without_alias",
        {"field": "properties.rateLimits[*].count", "greater": 1},
        {},
        "no known Azure Policy alias for properties.rateLimits[*].count",
    ),
    (
        "foreach_over_a_mapping",
        {"field": "tags['{item.key}']", "exists": True},
        {
            "parameters": {"formats": {"type": "object", "default": {"a": "b"}}},
            "forEach": {"parameter": "formats"},
        },
        "forEach over the mapping parameter 'formats'",
    ),
    (
        "foreach_item_in_a_non_tag_field",
        {"field": "properties.{item}", "exists": True},
        {"parameters": {"keys": {"type": "array", "default": ["a"]}}, "forEach": {"parameter": "keys"}},
        "forEach field properties.{item}: only tags['{item}']",
    ),
    (
        "a_parameter_named_effect",
        {"field": "sku.name", "equals": {"parameter": "effect"}},
        {"parameters": {"effect": {"default": "x"}}},
        "declares a parameter named 'effect'",
    ),
    (
        "one_type_without_the_alias",
        {"field": "sku.capacity", "greater": 1},
        {"resource": [DEPLOYMENT, SEARCH]},
        f"no known Azure Policy alias for sku.capacity on {SEARCH.lower()}",
    ),
]


@pytest.mark.parametrize(
    ("condition", "extra", "reason"), [t[1:] for t in REFUSED], ids=[t[0] for t in REFUSED]
)
def test_refused_with_a_reason(condition: Mapping[str, Any], extra: dict[str, Any], reason: str) -> None:
    with pytest.raises(NotExpressibleError) as caught:
        azure_policy_definition(rule(condition, **extra))
    assert caught.value.reason.startswith(reason), caught.value.reason


def test_a_refused_rule_is_listed_not_dropped() -> None:
    ok = rule({"field": "name", "equals": "a"})
    refused = compile_rule({**ok.document, "id": "T-002", "if": {"field": "name", "regex": "a"}}, "t.yaml")
    result = export_rules([ok, refused])
    assert [e.rule_id for e in result.exported] == ["T-001"]
    assert result.not_exported_text() == (
        "T-002: regex on name: Azure Policy has no regular expressions (only like and match patterns)\n"
    )


def test_several_types_share_one_type_test_when_the_condition_is_the_same() -> None:
    r = rule({"field": "tags.owner", "exists": False}, resource=[ACCOUNT, SEARCH])
    properties = azure_policy_definition(r)["properties"]
    assert properties["policyRule"]["if"]["allOf"][0] == {"field": "type", "in": [ACCOUNT, SEARCH]}
    assert properties["mode"] == "Indexed", "a tag policy evaluates taggable resources only"


def test_several_types_with_their_own_aliases_get_a_branch_each() -> None:
    r = rule(
        {"field": "sku.name", "notIn": {"parameter": "allowed"}}, resource=[ACCOUNT, SEARCH], parameters=LIST
    )
    condition = azure_policy_definition(r)["properties"]["policyRule"]["if"]
    assert condition == {
        "anyOf": [
            {
                "allOf": [
                    {"field": "type", "equals": ACCOUNT},
                    {"field": f"{ACCOUNT}/sku.name", "notIn": "[parameters('allowed')]"},
                ]
            },
            {
                "allOf": [
                    {"field": "type", "equals": SEARCH},
                    {"field": f"{SEARCH}/sku.name", "notIn": "[parameters('allowed')]"},
                ]
            },
        ]
    }


def test_parameters_effect_mode_and_metadata() -> None:
    r = rule(
        {
            "allOf": [
                {"field": "sku.name", "in": ["ProvisionedManaged"]},
                {"field": "sku.capacity", "greater": {"parameter": "max_ptu"}},
            ]
        },
        parameters={
            "max_ptu": {"type": "integer", "default": 50, "description": "The  cap,\n in PTUs."},
            "unused": {"default": 1.5},
        },
    )
    properties = azure_policy_definition(r)["properties"]
    assert properties["mode"] == "All"
    assert properties["metadata"] == {
        "category": "Cost Management",
        "version": "1.0.0",
        "aigov": {"rule": "T-001", "family": "sku", "severity": "low"},
    }
    assert properties["parameters"]["max_ptu"] == {
        "type": "Integer",
        "metadata": {"displayName": "Max ptu", "description": "The cap, in PTUs."},
        "defaultValue": 50,
    }
    assert "unused" not in properties["parameters"], "only parameters the condition uses are declared"
    assert properties["parameters"]["effect"]["allowedValues"] == ["Audit", "Deny", "Disabled"]
    assert properties["parameters"]["effect"]["defaultValue"] == "Audit"
    assert properties["policyRule"]["then"] == {"effect": "[parameters('effect')]"}


def test_description_is_the_first_paragraph_within_azure_limits() -> None:
    long_text = "word " * 200 + "\n\nSecond paragraph."
    r = rule({"field": "name", "equals": "a"}, description=long_text)
    description = azure_policy_definition(r)["properties"]["description"]
    assert len(description) <= 512
    assert description.endswith("… (aigov rule T-001)")
    assert "Second" not in description


# ------------------------------------------------------------------------------ shape of every definition

AZURE_OPERATORS = {
    "equals", "notEquals", "in", "notIn", "like", "notLike", "match", "notMatch", "matchInsensitively",
    "notMatchInsensitively", "contains", "notContains", "containsKey", "notContainsKey", "exists",
    "greater", "greaterOrEquals", "less", "lessOrEquals",
}  # fmt: skip
AZURE_PARAMETER_TYPES = {"String", "Array", "Object", "Boolean", "Integer", "Float", "DateTime"}
PYTHON_TYPES: Mapping[str, type | tuple[type, ...]] = {
    "String": str, "Array": list, "Object": dict, "Boolean": bool, "Integer": int, "Float": (int, float),
}  # fmt: skip


def check_condition(node: Any, where: str = "$") -> None:
    """Azure Policy's ``if`` grammar: logical operators, or one of field/value/count with one operator."""
    assert isinstance(node, dict), where
    if set(node) in ({"allOf"}, {"anyOf"}):
        (children,) = node.values()
        assert isinstance(children, list), where
        assert children, where
        for i, child in enumerate(children):
            check_condition(child, f"{where}[{i}]")
        return
    if set(node) == {"not"}:
        check_condition(node["not"], f"{where}.not")
        return
    subjects = set(node) & {"field", "value", "count"}
    operators = set(node) - subjects
    assert len(subjects) == 1, f"{where}: {node}"
    assert len(operators) == 1, f"{where}: {node}"
    assert operators <= AZURE_OPERATORS, f"{where}: {operators}"
    if "count" in node:
        count = node["count"]
        assert set(count) <= {"field", "value", "name", "where"}
        assert len(set(count) & {"field", "value"}) == 1
        check_condition(count["where"], f"{where}.count.where")
    else:
        assert isinstance(node[next(iter(subjects))], str), where


def check_definition(definition: Mapping[str, Any]) -> None:
    assert set(definition) == {"properties"}
    properties = definition["properties"]
    assert set(properties) == {"displayName", "description", "mode", "metadata", "parameters", "policyRule"}
    assert 0 < len(properties["displayName"]) <= 128
    assert 0 < len(properties["description"]) <= 512
    assert properties["mode"] in ("All", "Indexed")
    assert properties["metadata"]["category"] == "Cost Management"
    assert re.fullmatch(r"\d+\.\d+\.\d+", properties["metadata"]["version"])
    for name, spec in properties["parameters"].items():
        assert spec["type"] in AZURE_PARAMETER_TYPES, name
        assert spec["metadata"]["displayName"], name
        assert spec["metadata"]["description"], name
        assert isinstance(spec["defaultValue"], PYTHON_TYPES[spec["type"]]), name
        assert spec.get("allowedValues") is None or spec["defaultValue"] in spec["allowedValues"], name
    rule_ = properties["policyRule"]
    assert set(rule_) == {"if", "then"}
    check_condition(rule_["if"])
    assert rule_["then"] == {"effect": "[parameters('effect')]"}
    assert properties["parameters"]["effect"]["allowedValues"] == list(EFFECTS)
    assert parameter_references(rule_) == set(properties["parameters"]), "referenced == declared"


BUNDLED = load_rules([bundled_policies_dir()])
BUNDLED_EXPORT = export_rules(BUNDLED)


@pytest.mark.parametrize(
    "exported", BUNDLED_EXPORT.exported, ids=[e.rule_id for e in BUNDLED_EXPORT.exported]
)
def test_every_exported_bundled_definition_is_well_formed(exported: Any) -> None:
    check_definition(exported.definition)
    assert exported.to_json().endswith("}\n")


def test_every_translation_case_is_well_formed() -> None:
    for _, condition, extra, _ in TRANSLATIONS:
        check_definition(azure_policy_definition(rule(condition, **extra)))


def test_bundled_rules_that_need_aigov_context_are_listed_with_reasons() -> None:
    reasons = {n.rule_id: n.reason for n in BUNDLED_EXPORT.not_exported}
    assert reasons["AIGOV-ENV-001"].startswith("condition uses context subscription.environment")
    assert reasons["AIGOV-IDLE-001"].startswith("condition uses context resource.live")
    assert "forEach over the mapping parameter 'formats'" in reasons["AIGOV-TAG-002"]
    assert {e.rule_id for e in BUNDLED_EXPORT.exported} | set(reasons) == {r.id for r in BUNDLED}


@pytest.mark.parametrize("rule_id", ["AIGOV-SKU-001", "AIGOV-TAG-001"])
def test_golden_definitions(rule_id: str, golden: GoldenCheck) -> None:
    exported = next(e for e in BUNDLED_EXPORT.exported if e.rule_id == rule_id)
    golden(f"rules/azure-policy/{rule_id}.json", exported.to_json())


def test_alias_table_is_keyed_by_lower_case_type_and_path() -> None:
    for (resource_type, path), alias in ALIASES.items():
        assert resource_type == resource_type.lower()
        assert path == path.lower()
        assert alias.lower().startswith(resource_type + "/")


# ----------------------------------------------- exported conditions decide the rules' own cases alike

_ALIAS_PATHS = {alias.lower(): path for (_, path), alias in ALIASES.items()}


def _expression(text: str, parameters: Mapping[str, Any], item: Any) -> Any:
    """The few template expressions the export writes: parameters(), current(), concat() of those."""
    if text.startswith("[["):
        return text[1:]
    if not text.startswith("["):
        return text
    inner = text[1:-1]
    if m := re.fullmatch(r"parameters\('([^']+)'\)", inner):
        return parameters[m[1]]
    if inner == "current('item')":
        return item
    m = re.fullmatch(r"concat\((.*)\)", inner)
    assert m is not None, text
    pieces = re.finditer(r"'((?:[^']|'')*)'|current\('item'\)", m[1])
    return "".join(str(item) if p[1] is None else p[1].replace("''", "'") for p in pieces)


def _field(body: Mapping[str, Any], name: str, parameters: Mapping[str, Any], item: Any) -> Any:
    name = _expression(name, parameters, item)
    if m := re.fullmatch(r"tags\[([^'\]]+)\]", name):  # Azure's unquoted form, from concat('tags[', ...)
        return armpath.get(body.get("tags") or {}, armpath.ArmPath(m[1], (m[1],)))
    if name.lower() in _ALIAS_PATHS:
        return armpath.get(body, _ALIAS_PATHS[name.lower()])
    return armpath.get(body, name)


def _value(body: Mapping[str, Any], text: str, parameters: Mapping[str, Any], item: Any) -> Any:
    """The one value expression the export writes: ``[trim(string(field(NAME)))]``."""
    m = re.fullmatch(r"\[trim\(string\(field\((.*)\)\)\)\]", text)
    assert m is not None, text
    name = m[1][1:-1].replace("''", "'") if m[1].startswith("'") else f"[{m[1]}]"
    found = _field(body, name, parameters, item)
    return "null" if found is MISSING or found is None else str(found).strip()


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _azure(
    node: Mapping[str, Any], body: Mapping[str, Any], parameters: Mapping[str, Any], item: Any = None
) -> bool:
    """A small Azure Policy evaluator over an ARM body (missing fields behave as in Azure Policy)."""
    if "allOf" in node:
        return all(_azure(c, body, parameters, item) for c in node["allOf"])
    if "anyOf" in node:
        return any(_azure(c, body, parameters, item) for c in node["anyOf"])
    if "not" in node:
        return not _azure(node["not"], body, parameters, item)
    ((operator, raw),) = ((k, v) for k, v in node.items() if k not in ("field", "value", "count"))
    operand = _expression(raw, parameters, item) if isinstance(raw, str) else raw
    if "count" in node:
        count = node["count"]
        values = _expression(count["value"], parameters, item)
        value: Any = sum(_azure(count["where"], body, parameters, v) for v in values)
    elif "value" in node:
        value = _value(body, node["value"], parameters, item)
    else:
        value = _field(body, node["field"], parameters, item)
    present = value is not MISSING and value is not None
    if operator == "exists":
        return present == bool(operand)
    negated = operator.startswith("not")
    base = operator[3].lower() + operator[4:] if negated else operator
    if not present:
        return negated
    if base == "equals":
        result = _fold(value) == _fold(operand)
    elif base == "in":
        result = _fold(value) in [_fold(o) for o in operand]
    elif base == "like":
        result = fnmatch.fnmatchcase(str(value).casefold(), str(operand).casefold())
    elif base in ("greater", "less", "greaterOrEquals", "lessOrEquals"):
        a, b = float(value), float(operand)
        result = {"greater": a > b, "less": a < b, "greaterOrEquals": a >= b, "lessOrEquals": a <= b}[base]
    else:
        pytest.fail(f"the test evaluator does not know {operator}")
    return result != negated


def _has_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return False


def _comparable_cases() -> list[tuple[Rule, RuleCase, Mapping[str, Any]]]:
    exported = {e.rule_id: e.definition for e in BUNDLED_EXPORT.exported}
    out = []
    for rules, cases in (
        (BUNDLED, discover_cases([bundled_policies_dir()])),
        (load_rules([PACK]), discover_cases([PACK])),
    ):
        pack_export = {e.rule_id: e.definition for e in export_rules(rules).exported}
        for case in cases:
            definition = exported.get(case.rule_id) or pack_export.get(case.rule_id)
            if definition is None:
                continue
            subject = next(r for r in case.inventory if r.key == case.subject_key)
            undetermined = case.expect.outcome is not None and case.expect.outcome.value == "undetermined"
            if undetermined or _has_unknown(subject.body):
                continue  # Azure Policy has no "known after apply"
            rule_ = rules.get(case.rule_id)
            assert rule_ is not None
            out.append((rule_, case, definition))
    return out


COMPARABLE = _comparable_cases()


@pytest.mark.parametrize(("rule_", "case", "definition"), COMPARABLE, ids=[c.id for _, c, _ in COMPARABLE])
def test_exported_condition_decides_the_case_as_aigov_does(
    rule_: Rule, case: RuleCase, definition: Mapping[str, Any]
) -> None:
    properties = definition["properties"]
    parameters = {name: spec["defaultValue"] for name, spec in properties["parameters"].items()}
    parameters.update({k: v for k, v in (case.parameters or {}).items() if k in parameters})
    subject = next(r for r in case.inventory if r.key == case.subject_key)
    body = {**subject.body, "type": subject.type}
    assert _azure(properties["policyRule"]["if"], body, parameters) == (case.expect.findings > 0)


def test_enough_cases_are_compared() -> None:
    assert len(COMPARABLE) >= 30
    assert {r.id for r, _, _ in COMPARABLE} >= {
        "AIGOV-SKU-001",
        "AIGOV-SKU-003",
        "AIGOV-TAG-001",
        "ACME-LOC-001",
    }
