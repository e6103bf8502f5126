"""Loading rule files: safe YAML, the JSON Schema, semantic checks, then one compile per rule.

Rule files are untrusted data (they may come from a pull request): they are
read with ``yaml.SafeLoader`` only, validated by ``rule.schema.json`` (the one
validator of their shape) and compiled into closures; nothing in them is
ever evaluated as code. Every error is one line naming the file, the line and
the JSON path: ``policies/sku/AIGOV-SKU-001.yaml: line 12: $.if.allOf[1]: ...``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigov import armpath
from aigov.budgets import BUDGET_RULE_ID
from aigov.cost.spec import CostKind, CostSpec
from aigov.errors import ConfigError, RuleError
from aigov.model import Severity
from aigov.paths import is_bundled
from aigov.policy import yamlio
from aigov.policy.conditions import ConditionError, compile_condition
from aigov.policy.context import check_context_path
from aigov.policy.rule import ParameterSpec, Rule, RuleOverride, RuleSet
from aigov.policy.selection import ALL_RULES, RuleSelection
from aigov.policy.unread import UNREAD_RULE_ID

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

__all__ = ["RuleOverride", "RuleSet", "compile_rule", "discover", "load_rule_file", "load_rules"]

RULE_SCHEMA = "rule.schema.json"
TEST_SUFFIX = ".test.yaml"

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def explain_schema_error(error: ValidationError) -> str:
    """A schema error in the words a rule author needs."""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if "field" in schema.get("properties", {}) and error.validator in (
        "minProperties",
        "maxProperties",
        "oneOf",
    ):
        return "a condition needs exactly one subject (field or context) and exactly one operator"
    return error.message


def discover(dirs: Sequence[Path]) -> list[Path]:
    """Rule files under ``dirs`` (a directory is searched recursively; ``*.test.yaml`` are tests)."""
    found: list[Path] = []
    for d in dirs:
        if d.is_file():
            found.append(d)
            continue
        if not d.is_dir():
            raise RuleError("no such rules directory", file=str(d))
        # Anything but a directory is a rule file: a FIFO or a dangling link is then refused, not skipped.
        found.extend(
            p for p in sorted(d.rglob("*.yaml")) if not p.name.endswith(TEST_SUFFIX) and not p.is_dir()
        )
    return found


def load_rule_file(path: Path, overrides: RuleOverride | None = None) -> Rule:
    """Read, validate and compile one rule file (with ``overrides`` applied, if any)."""
    data, root = read_rule_document(path)
    return compile_rule(data, str(path), root, overrides)


def read_rule_document(path: Path) -> tuple[dict[str, Any], yamlio.Root]:
    """A rule file's schema-valid document and its YAML node tree."""
    data, root = yamlio.load(path, RuleError)
    if data is None:
        raise RuleError("empty rule file", file=str(path))
    if not is_bundled(path):  # bundled rules are validated by the test suite, not on every run
        yamlio.validate(RULE_SCHEMA, data, root, str(path), RuleError, explain=explain_schema_error)
    return data, root


def load_rules(
    dirs: Sequence[Path],
    overrides: Mapping[str, RuleOverride] | None = None,
    *,
    bundled: Sequence[Path] = (),
    use_bundled: bool = True,
    selection: RuleSelection = ALL_RULES,
) -> RuleSet:
    """Every rule under ``bundled`` and ``dirs``, with ``aigov.yaml``'s per-rule overrides applied.

    A rule under ``dirs`` may take a ``bundled`` rule's id only where its
    override says ``replaces_bundled: true``; it then replaces the bundled
    rule. With ``use_bundled`` false the bundled rules are read (their ids
    stay known to overrides and waivers) but not run. ``selection`` keeps
    the rules ``--check``/``--skip-check`` choose.

    Raises :class:`RuleError` for a bad rule file or a duplicate id,
    :class:`ConfigError` for an override that names an unknown rule, an
    undeclared parameter or a replacement that is not there, and
    :class:`AigovError` for a selection pattern that matches no rule.
    """
    overrides = dict(overrides or {})
    shipped = _read_documents(bundled, {})
    documents = _read_documents(dirs, {}, shipped if use_bundled else None, overrides)
    for rule_id, entry in overrides.items():
        where = _config_where(entry, rule_id)
        if rule_id not in documents and rule_id not in shipped:
            raise ConfigError(f"unknown rule {rule_id!r}", file=entry.file, where=where)
        if entry.replaces_bundled and rule_id not in shipped:
            raise ConfigError(
                f"replaces_bundled: {rule_id} is not a bundled rule", file=entry.file, where=where
            )
        if entry.replaces_bundled and rule_id not in documents:
            raise ConfigError(
                f"replaces_bundled: no rule under --policies has the id {rule_id}",
                file=entry.file,
                where=where,
            )
    known = shipped.keys() | documents.keys()
    # The built-in checks (unread inputs, budgets) are no rule file, but --check may name them.
    selection.check_known(known | {UNREAD_RULE_ID, BUDGET_RULE_ID})
    if use_bundled:
        documents = {**{k: v for k, v in shipped.items() if k not in documents}, **documents}
    rules = []
    for rule_id, (path, data, root) in documents.items():
        override = overrides.get(rule_id)
        if (override is not None and not override.enabled) or not selection.selects(rule_id):
            continue
        rules.append(compile_rule(data, str(path), root, override))
    return RuleSet(rules, known_ids=known)


Documents = dict[str, tuple[Path, Any, yamlio.Root]]


def _read_documents(
    dirs: Sequence[Path],
    documents: Documents,
    shipped: Documents | None = None,
    overrides: Mapping[str, RuleOverride] | None = None,
) -> Documents:
    """Schema-valid rule documents under ``dirs`` by id; an id twice, or a bundled id unasked, is an error."""
    for path in discover(dirs):
        data, root = read_rule_document(path)
        rule_id = data["id"]
        if rule_id in documents:
            raise RuleError(
                f"duplicate rule id {rule_id} (also in {documents[rule_id][0]})",
                file=str(path),
                where=yamlio.where(root, ["id"]),
            )
        override = (overrides or {}).get(rule_id)
        if shipped is not None and rule_id in shipped and not (override and override.replaces_bundled):
            raise RuleError(
                f"rule id {rule_id} is also the bundled rule {shipped[rule_id][0]}; to replace that, "
                f"set rules.{rule_id}.replaces_bundled: true in aigov.yaml",
                file=str(path),
                where=yamlio.where(root, ["id"]),
            )
        documents[rule_id] = (path, data, root)
    return documents


def _config_where(override: RuleOverride, rule_id: str, parameter: str | None = None) -> str:
    if parameter is None:
        line = override.line
        where = yamlio.json_path(["rules", rule_id])
    else:
        line = override.parameter_lines.get(parameter, override.line)
        where = yamlio.json_path(["rules", rule_id, "parameters", parameter])
    return f"line {line}: {where}" if line is not None else where


def compile_rule(
    data: Mapping[str, Any],
    file: str,
    root: yamlio.Root = None,
    override: RuleOverride | None = None,
    *,
    parameter_error: type[RuleError] | type[ConfigError] = ConfigError,
) -> Rule:
    """Compile one schema-valid rule document; ``root`` (its YAML nodes) places errors by line.

    Override parameters are checked against the declared ones; an error about
    them is a ``parameter_error`` naming the override's file.
    """

    def fail(message: str, path: Sequence[str | int]) -> RuleError:
        return RuleError(message, file=file, where=yamlio.where(root, path))

    specs = {
        name: ParameterSpec(name, spec["default"], spec.get("description"), spec.get("type"))
        for name, spec in data.get("parameters", {}).items()
    }
    parameters: dict[str, Any] = {}
    for name, spec in specs.items():
        if not _type_ok(spec.type, spec.default):
            raise fail(f"default of {name!r} is not of type {spec.type}", ["parameters", name, "default"])
        parameters[name] = spec.default
    severity = Severity(data["severity"])
    if override is not None:
        for name, value in override.parameters.items():
            spec_ = specs.get(name)
            if spec_ is None:
                declared = ", ".join(sorted(specs)) or "none"
                raise parameter_error(
                    f"rule {data['id']} has no parameter {name!r} (declared: {declared})",
                    file=override.file,
                    where=_config_where(override, data["id"], name),
                )
            if not _type_ok(spec_.type, value):
                raise parameter_error(
                    f"parameter {name!r} of rule {data['id']} must be of type {spec_.type}",
                    file=override.file,
                    where=_config_where(override, data["id"], name),
                )
            parameters[name] = value
        if override.severity is not None:
            severity = override.severity

    for_each = None
    if "forEach" in data:
        name = data["forEach"]["parameter"]
        if name not in parameters:
            raise fail(f"forEach parameter {name!r} is not declared in parameters", ["forEach", "parameter"])
        for_each = parameters[name]
        if not isinstance(for_each, list | Mapping):
            raise fail(f"forEach parameter {name!r} must be a list or a mapping", ["forEach", "parameter"])
    try:
        condition = compile_condition(data["if"], parameters, for_each)
    except ConditionError as exc:
        raise fail(exc.message, ["if", *exc.path]) from None

    cost = _cost(data["cost"], parameters, fail)
    types = data["resource"] if isinstance(data["resource"], list) else [data["resource"]]
    return Rule(
        id=data["id"],
        title=data["title"],
        category=data["category"],
        severity=severity,
        resource_types=frozenset(t.lower() for t in types),
        parameters=parameters,
        parameter_specs=specs,
        condition=condition,
        cost=cost,
        message=data["message"],
        remediation=data["remediation"],
        description=data.get("description"),
        references=tuple(data.get("references", ())),
        file=file,
        document=data,
    )


def _type_ok(json_type: str | None, value: Any) -> bool:
    if json_type is None:
        return True
    if isinstance(value, bool) and json_type in ("number", "integer"):
        return False
    return isinstance(value, _JSON_TYPES[json_type])


def _cost(
    spec: Any, parameters: Mapping[str, Any], fail: Callable[[str, Sequence[str | int]], RuleError]
) -> CostSpec:
    if spec == "resource":
        return CostSpec(CostKind.RESOURCE)
    if spec == "none":
        return CostSpec(CostKind.NONE)
    if spec == "reservation_saving":
        return CostSpec(CostKind.RESERVATION_SAVING)
    name = "delta" if "delta" in spec else "change"
    kind = CostKind.DELTA if name == "delta" else CostKind.CHANGE
    delta = spec[name]
    try:
        path = armpath.parse(delta["field"])
    except RuleError as exc:
        raise fail(exc.message, ["cost", name, "field"]) from None
    if path.has_wildcard:
        raise fail(f"a cost {name} cannot change a [*] path", ["cost", name, "field"])
    to = delta["to"]
    if isinstance(to, Mapping) and "context" in to:
        try:
            context_path = armpath.parse(to["context"])
            check_context_path(context_path)
        except RuleError as exc:
            raise fail(exc.message, ["cost", name, "to", "context"]) from None
        return CostSpec(kind, field=path.text, to_context=context_path.text)
    if isinstance(to, Mapping):
        parameter = to["parameter"]
        if parameter not in parameters:
            raise fail(
                f"parameter {parameter!r} is not declared in parameters", ["cost", name, "to", "parameter"]
            )
        to = parameters[parameter]
    values = tuple(to) if isinstance(to, list) else (to,)
    if not values:
        raise fail(f"a cost {name} needs at least one value to change to", ["cost", name, "to"])
    return CostSpec(kind, field=path.text, to=values)
