"""Export rules as Azure Policy definitions, so the same rule can deny at deploy time.

A rule becomes one definition::

    {"properties": {
        "displayName": <title>, "description": <first paragraph>, "mode": "All" | "Indexed",
        "metadata": {"category": "Cost Management", "version": "1.0.0", "aigov": {...}},
        "parameters": {<each parameter the condition uses>, "effect": Audit | Deny | Disabled},
        "policyRule": {"if": {"allOf": [{"field": "type", ...}, <condition>]},
                       "then": {"effect": "[parameters('effect')]"}}}}

Translation, from the rule document (so ``{parameter: X}`` stays a reference):

* ``allOf``/``anyOf``/``not`` and the Azure Policy operators map one to one.
* Fields: the top-level ``type``, ``name``, ``location``, ``kind`` and ``tags``
  as they are; ``tags.X`` becomes ``tags['X']``; any other path needs an alias
  from :data:`ALIASES` (per resource type).
* ``{parameter: X}`` becomes ``"[parameters('X')]"`` and ``X`` a definition
  parameter (its default the rule's resolved value); a literal string that
  starts with ``[`` is escaped as ``[[`` so Azure does not read it as an expression.
* ``empty`` on a tag becomes "does not exist, or its trimmed value equals ''" (tag values are
  strings; a value of only whitespace names nothing, as in aigov).
* ``forEach`` over a list parameter becomes an Azure Policy *value count*:
  ``{"count": {"value": "[parameters('X')]", "name": "item", "where": ...},
  "greater": 0}``, with ``{item}`` turned into ``current('item')``: the rule
  fails if any item fails, as in aigov.
* A rule on several resource types whose condition uses type-specific aliases
  becomes ``anyOf`` one branch per type; otherwise ``field: type`` is ``in`` the list.

``mode`` is ``Indexed`` when the condition reads tags (Azure evaluates only
resource types that support tags and location, as Microsoft recommends for
tag policies), else ``All`` (deployments are child resources that ``Indexed``
would skip).

What Azure Policy cannot see or say is not exported, with the reason:
``context`` subjects (subscription environment, PoC approvals, usage, plan
action), ``regex``/``notRegex``, ``olderThan``/``newerThan``, ``empty`` on a
field other than a tag, ``forEach`` over a mapping, and paths without a known alias.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aigov import armpath, armtypes
from aigov.armpath import WILDCARD
from aigov.errors import RuleError
from aigov.policy.conditions import EXTENSIONS
from aigov.policy.conditions import OPERATORS as CONDITION_OPERATORS
from aigov.policy.rule import Rule

CATEGORY: Final = "Cost Management"
VERSION: Final = "1.0.0"
EFFECTS: Final = ("Audit", "Deny", "Disabled")
DEFAULT_EFFECT: Final = "Audit"
ITEM: Final = "item"  # the value count's name for the current forEach item
MAX_DESCRIPTION: Final = 512  # Azure Policy's limit on a definition's description

_DEPLOYMENTS = armtypes.DEPLOYMENT.lower()
_ACCOUNTS = armtypes.ACCOUNT.lower()
_SEARCH = armtypes.SEARCH.lower()
_COMPUTES = armtypes.COMPUTE.lower()
_CS = "Microsoft.CognitiveServices/accounts"
_ML = "Microsoft.MachineLearningServices/workspaces/computes"

ALIASES: Final[Mapping[tuple[str, str], str]] = {
    # (lower-case ARM type, lower-case ARM path) -> Azure Policy alias. Deployment and
    # account aliases as Microsoft's "Control model deployment with custom policies"
    # uses them and the provider's alias list shows them (`az provider show -n
    # Microsoft.CognitiveServices --expand resourceTypes/aliases`).
    (_DEPLOYMENTS, "sku.name"): "Microsoft.CognitiveServices/accounts/deployments/sku.name",
    (_DEPLOYMENTS, "sku.capacity"): "Microsoft.CognitiveServices/accounts/deployments/sku.capacity",
    (_DEPLOYMENTS, "properties.model.name"): "Microsoft.CognitiveServices/accounts/deployments/model.name",
    (_DEPLOYMENTS, "properties.model.version"): (
        "Microsoft.CognitiveServices/accounts/deployments/model.version"
    ),
    (_DEPLOYMENTS, "properties.model.format"): f"{_CS}/deployments/model.format",
    (_DEPLOYMENTS, "properties.versionupgradeoption"): (
        "Microsoft.CognitiveServices/accounts/deployments/versionUpgradeOption"
    ),
    (_ACCOUNTS, "sku.name"): "Microsoft.CognitiveServices/accounts/sku.name",
    (_SEARCH, "sku.name"): "Microsoft.Search/searchServices/sku.name",
    (_SEARCH, "properties.replicacount"): "Microsoft.Search/searchServices/replicaCount",
    (_SEARCH, "properties.partitioncount"): "Microsoft.Search/searchServices/partitionCount",
    (_COMPUTES, "properties.computetype"): f"{_ML}/computeType",
    # Used by public custom policies; confirm against the provider's alias list before relying on Deny.
    (_COMPUTES, "properties.properties.vmsize"): f"{_ML}/vmSize",
}

TOP_LEVEL_FIELDS: Final = frozenset({"type", "name", "location", "kind", "tags"})

OPERATORS: Final[Mapping[str, str]] = {
    # aigov operator -> Azure Policy operator: the same name and meaning (both case-insensitive on strings)
    name: name
    for name in CONDITION_OPERATORS
    if name not in EXTENSIONS
}

NOT_EXPRESSIBLE: Final[Mapping[str, str]] = {
    "regex": "Azure Policy has no regular expressions (only like and match patterns)",
    "notRegex": "Azure Policy has no regular expressions (only like and match patterns)",
    "olderThan": "Azure Policy cannot compare a field's date with the time of evaluation",
    "newerThan": "Azure Policy cannot compare a field's date with the time of evaluation",
}

CONTEXT_REASONS: Final[Mapping[str, str]] = {
    "subscription": "the subscription's environment comes from aigov.yaml, which Azure Policy cannot see",
    "poc": "PoC approvals live in aigov.yaml, which Azure Policy cannot see",
    "usage": "usage metrics are observed by a live scan, not at deployment",
    "resource": "whether a resource is planned or live is not a property Azure Policy evaluates",
    "workload": "the workload is inherited from a parent's tag, which Azure Policy cannot read",
    "lifecycle": (
        "retirement dates come from aigov's retirement table and the scan's date; Azure Policy has no "
        "alias for a model version's retirement"
    ),
    "assumed": "usage assumptions live in aigov's usage file and aigov.yaml, which Azure Policy cannot see",
    "carbon": "emissions are reported by the Carbon Optimization API a month later, not at deployment",
    "hosted": (
        "the publisher and model are read by aigov out of the model id or the deployment's model; aigov "
        "uses no alias for them, so the rule is not exported as something broader"
    ),
    "equivalent": (
        "model equivalents and their token prices live in aigov.yaml and the price catalogue, which Azure "
        "Policy cannot see"
    ),
}

_AZURE_TYPES: Final[Mapping[str, str]] = {
    "string": "String",
    "number": "Float",
    "integer": "Integer",
    "boolean": "Boolean",
    "array": "Array",
    "object": "Object",
}
_ITEM_PLACEHOLDER = re.compile(r"\{item(?:\.[A-Za-z]+)?\}")


class NotExpressibleError(Exception):
    """A rule (or part of it) has no Azure Policy equivalent; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ExportedPolicy:
    rule_id: str
    definition: Mapping[str, Any]

    def to_json(self) -> str:
        return json.dumps(self.definition, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True, slots=True)
class NotExported:
    rule_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ExportResult:
    exported: tuple[ExportedPolicy, ...]
    not_exported: tuple[NotExported, ...]

    def not_exported_text(self) -> str:
        """``RULE-ID: reason`` lines, one per rule that was not exported."""
        return "".join(f"{n.rule_id}: {n.reason}\n" for n in self.not_exported)


def export_rules(rules: Iterable[Rule]) -> ExportResult:
    """Every rule as a definition, or with the reason it cannot be one."""
    exported: list[ExportedPolicy] = []
    skipped: list[NotExported] = []
    for rule in rules:
        try:
            exported.append(ExportedPolicy(rule.id, azure_policy_definition(rule)))
        except NotExpressibleError as exc:
            skipped.append(NotExported(rule.id, exc.reason))
    return ExportResult(tuple(exported), tuple(skipped))


def azure_policy_definition(rule: Rule) -> dict[str, Any]:
    """The Azure Policy definition for ``rule``; raises :class:`NotExpressibleError`."""
    document = rule.document
    types = document["resource"] if isinstance(document["resource"], list) else [document["resource"]]
    if "effect" in rule.parameters:
        raise NotExpressibleError("declares a parameter named 'effect', which the export reserves")
    translator = _Translator(rule)
    per_type = [translator.condition_for(t) for t in types]
    if all(c == per_type[0] for c in per_type):
        type_test: dict[str, Any] = (
            {"field": "type", "equals": types[0]} if len(types) == 1 else {"field": "type", "in": list(types)}
        )
        condition: dict[str, Any] = {"allOf": [type_test, per_type[0]]}
    else:
        condition = {
            "anyOf": [
                {"allOf": [{"field": "type", "equals": t}, c]} for t, c in zip(types, per_type, strict=True)
            ]
        }
    parameters = {name: _parameter(rule, name) for name in sorted(translator.used)}
    parameters["effect"] = {
        "type": "String",
        "metadata": {
            "displayName": "Effect",
            "description": "Audit reports non-compliant resources, Deny blocks them, Disabled turns it off.",
        },
        "allowedValues": list(EFFECTS),
        "defaultValue": DEFAULT_EFFECT,
    }
    return {
        "properties": {
            "displayName": rule.title,
            "description": _description(rule),
            "mode": "Indexed" if translator.reads_tags else "All",
            "metadata": {
                "category": CATEGORY,
                "version": VERSION,
                "aigov": {"rule": rule.id, "family": rule.category, "severity": rule.severity.value},
            },
            "parameters": parameters,
            "policyRule": {"if": condition, "then": {"effect": "[parameters('effect')]"}},
        }
    }


def _description(rule: Rule) -> str:
    text = rule.description or rule.title
    first = " ".join(text.strip().split("\n\n")[0].split())
    suffix = f" (aigov rule {rule.id})"
    if len(first) + len(suffix) > MAX_DESCRIPTION:
        first = first[: MAX_DESCRIPTION - len(suffix) - 1].rstrip() + "…"
    return first + suffix


def _parameter(rule: Rule, name: str) -> dict[str, Any]:
    spec = rule.parameter_specs[name]
    value = rule.parameters[name]
    return {
        "type": _AZURE_TYPES[spec.type] if spec.type is not None else _infer_type(value),
        "metadata": {
            "displayName": name.replace("_", " ").capitalize(),
            "description": " ".join((spec.description or name).split()),
        },
        "defaultValue": value,
    }


def _infer_type(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return "String"


@dataclass
class _Translator:
    """Translates one rule's condition for one resource type at a time, collecting what it uses."""

    rule: Rule
    used: set[str] = field(default_factory=set)
    reads_tags: bool = False

    def condition_for(self, resource_type: str) -> dict[str, Any]:
        document = self.rule.document
        for_each = document.get("forEach")
        if for_each is None:
            return self._node(document["if"], resource_type.lower(), [], in_item=False)
        name = for_each["parameter"]
        if not isinstance(self.rule.parameters[name], list):
            raise NotExpressibleError(
                f"forEach over the mapping parameter {name!r}: Azure Policy's value count takes arrays only"
            )
        self.used.add(name)
        where = self._node(document["if"], resource_type.lower(), [], in_item=True)
        return {
            "count": {"value": f"[parameters('{name}')]", "name": ITEM, "where": where},
            "greater": 0,
        }

    def _node(self, node: Mapping[str, Any], rtype: str, at: list[str], *, in_item: bool) -> dict[str, Any]:
        for combinator in ("allOf", "anyOf"):
            if combinator in node:
                return {
                    combinator: [
                        self._node(child, rtype, [*at, f"{combinator}[{i}]"], in_item=in_item)
                        for i, child in enumerate(node[combinator])
                    ]
                }
        if "not" in node:
            return {"not": self._node(node["not"], rtype, [*at, "not"], in_item=in_item)}
        return self._leaf(node, rtype, in_item=in_item)

    def _leaf(self, node: Mapping[str, Any], rtype: str, *, in_item: bool) -> dict[str, Any]:
        if "context" in node:
            path = node["context"]
            reason = CONTEXT_REASONS.get(path.split(".")[0], "it is not a property of the resource")
            raise NotExpressibleError(f"condition uses context {path}: {reason}")
        path_text: str = node["field"]
        ((operator, operand),) = ((k, v) for k, v in node.items() if k != "field")
        if operator in NOT_EXPRESSIBLE:
            raise NotExpressibleError(f"{operator} on {path_text}: {NOT_EXPRESSIBLE[operator]}")
        target = self._field(path_text, rtype, in_item=in_item)
        if operator == "empty":
            if not (target.startswith(("tags[", "[concat('tags[")) and isinstance(operand, bool)):
                raise NotExpressibleError(
                    f"empty on {path_text}: Azure Policy can test emptiness only of a tag "
                    "(missing or ''), with a literal true or false"
                )
            trimmed = _trimmed(target)
            if operand:
                return {"anyOf": [{"field": target, "exists": False}, {"value": trimmed, "equals": ""}]}
            return {"allOf": [{"field": target, "exists": True}, {"value": trimmed, "notEquals": ""}]}
        return {"field": target, OPERATORS[operator]: self._operand(operand, in_item=in_item)}

    def _field(self, text: str, rtype: str, *, in_item: bool) -> str:
        if in_item and _ITEM_PLACEHOLDER.search(text):
            return self._item_field(text)
        try:
            path = armpath.parse(text)
        except RuleError as exc:  # compiled rules parse; kept so a raw document cannot crash the export
            raise NotExpressibleError(exc.message) from None
        steps = path.steps
        head = steps[0].lower() if isinstance(steps[0], str) else ""
        if len(steps) == 1 and head in TOP_LEVEL_FIELDS:
            self.reads_tags |= head == "tags"
            return head
        if head == "tags" and len(steps) == 2 and isinstance(steps[1], str) and steps[1] != WILDCARD:
            self.reads_tags = True
            return _tag_field(steps[1])
        key = ".".join("[*]" if s == WILDCARD else f"[{s}]" if isinstance(s, int) else s for s in steps)
        alias = ALIASES.get((rtype, key.lower().replace(".[", "[")))
        if alias is None:
            raise NotExpressibleError(f"no known Azure Policy alias for {text} on {rtype}")
        return alias

    def _item_field(self, text: str) -> str:
        match = re.fullmatch(r"""tags(?:\.\{item\}|\[\s*(['"])\{item\}\1\s*\])""", text.strip())
        if match is None:
            raise NotExpressibleError(
                f"forEach field {text}: only tags['{{item}}'] can name a field by the current item"
            )
        self.reads_tags = True
        return f"[concat('tags[', current('{ITEM}'), ']')]"

    def _operand(self, value: Any, *, in_item: bool) -> Any:
        if isinstance(value, Mapping):
            name = value["parameter"]
            self.used.add(name)
            return f"[parameters('{name}')]"
        if isinstance(value, list):
            return [self._operand(v, in_item=in_item) for v in value]
        if isinstance(value, str):
            if in_item and _ITEM_PLACEHOLDER.search(value):
                return _item_expression(value)
            return "[" + value if value.startswith("[") else value
        return value


def _trimmed(target: str) -> str:
    """The tag's value without surrounding whitespace, as a policy expression: blank counts as empty."""
    inner = target[1:-1] if target.startswith("[") else "'" + target.replace("'", "''") + "'"
    return f"[trim(string(field({inner})))]"


def _tag_field(name: str) -> str:
    return "tags['" + name.replace("'", "''") + "']"


def _item_expression(text: str) -> str:
    """``"env-{item}"`` as ``"[concat('env-', current('item'))]"``."""
    parts: list[str] = []
    pos = 0
    for m in _ITEM_PLACEHOLDER.finditer(text):
        if m.group(0) != "{item}":
            raise NotExpressibleError(f"{m.group(0)} in {text!r}: only {{item}} of a list parameter exports")
        if m.start() > pos:
            parts.append(_quote(text[pos : m.start()]))
        parts.append(f"current('{ITEM}')")
        pos = m.end()
    if pos < len(text):
        parts.append(_quote(text[pos:]))
    return f"[{parts[0]}]" if len(parts) == 1 else f"[concat({', '.join(parts)})]"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parameter_references(node: Any) -> set[str]:
    """Names used as ``parameters('X')`` anywhere in a definition's JSON (for checks and tests)."""
    found: set[str] = set()
    if isinstance(node, Mapping):
        for v in node.values():
            found |= parameter_references(v)
    elif isinstance(node, Sequence) and not isinstance(node, str):
        for v in node:
            found |= parameter_references(v)
    elif isinstance(node, str) and node.startswith("[") and not node.startswith("[["):
        found.update(re.findall(r"parameters\('([^']+)'\)", node))
    return found
