"""Bicep templates and ``.bicepparam`` files as an inventory, without the Bicep CLI.

``aigov scan infra/main.bicep`` parses the template with aigov's own parser
(:mod:`aigov.sources.bicep.parser`), evaluates it
(:mod:`aigov.sources.bicep.evaluate`) with its parameters' defaults (or the
values of a JSON parameters file given with ``--parameters``), and maps every
resource of a type aigov evaluates to ARM shape. ``aigov scan
infra/main.bicepparam`` evaluates the template its ``using`` names with the
file's values. Every file read is first checked for undeclared names
(:mod:`aigov.sources.bicep.names`); registry modules are read from the local
module cache (:mod:`aigov.sources.bicep.registry`).

Resources:

* key and address: the symbol, with the loop index and nested-resource path
  (``account::deployments[1]``) and the module calls leading to it
  (``module.openAi.account::deployments[1]``);
* origin: the file that declares it (a module's own file) and the line of
  its ``resource`` declaration;
* ``existing`` resources: :attr:`~aigov.model.Action.REFERENCE` (context for
  their children, neither evaluated nor estimated, as in the ARM path); all others
  :attr:`~aigov.model.Action.DEPLOY`;
* parent: the enclosing resource of a nested child, the resource named in
  ``parent:``, or, for a name written ``account/deployment``, the resource of
  the parent type with that name;
* subscription: ``--subscription`` when given, else unknown; resource group:
  the one a module is scoped to when it is declared in the template, else
  unknown.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aigov.armtypes import ARM_TYPES, TEMPLATE_DEPLOYMENT
from aigov.errors import SourceError
from aigov.jsontext import decode
from aigov.model import UNKNOWN, Action, Inventory, Origin, Resource, UnreadInput
from aigov.readfile import DOCUMENT_LIMIT, read_regular_text
from aigov.sources import sniff
from aigov.sources.arm import load_inline_template
from aigov.sources.arm_expressions import DeploymentContext
from aigov.sources.azd import substitute
from aigov.sources.base import Source, SourceInput, SourceOptions
from aigov.sources.bicep import ast
from aigov.sources.bicep.evaluate import (
    Closure,
    Deployment,
    Evaluation,
    FileEvaluator,
    Instance,
    ModuleInstance,
    Namespace,
    load_file,
)
from aigov.sources.bicep.names import check_declared
from aigov.sources.bicep.parser import parse
from aigov.sources.bicep.registry import prefixed, prefixed_unread, with_registry_modules
from aigov.sources.template_values import contains_undetermined


class BicepSource(Source):
    """Reads a Bicep template (``.bicep``) or a Bicep parameters file (``.bicepparam``)."""

    name = "bicep"
    description = "Bicep template (.bicep) or Bicep parameters file (.bicepparam)"

    @classmethod
    def detect(cls, source_input: SourceInput) -> bool:
        return sniff.bicep(source_input)

    def load(self, source_input: SourceInput, options: SourceOptions) -> Inventory:
        evaluation = evaluate_input(source_input, options)
        inventory = with_nested_deployments(to_inventory(evaluation), evaluation, options)
        return with_registry_modules(inventory, evaluation.registry_calls, options, evaluation.root)


def evaluate_input(source_input: SourceInput, options: SourceOptions) -> Evaluation:
    """Parse and evaluate a .bicep or .bicepparam input; its resources and unresolved modules."""
    file = source_input.name
    text = source_input.read_text()
    tree = parse(text, file)
    check_declared(tree, text)
    evaluation = Evaluation(root=options.scan_root(source_input.path), environment=options.environment)
    deployment = Deployment(subscription_id=options.subscription or UNKNOWN)
    inputs: dict[str, Any] = {}
    template_file = file
    given: dict[str, tuple[str, str]] = {}  # parameter -> (file, where) of the value given to it
    if file.lower().endswith(".bicepparam"):
        values = [s for s in tree.statements if isinstance(s, ast.Param)]
        given.update((p.name, (file, f"line {p.line}, column {p.col}")) for p in values)
        template_file, tree, inputs = _parameters_file(tree, file, deployment, evaluation)
    if options.parameters_file:
        from_json = read_json_parameters(options.parameters_file, options.environment)
        inputs.update(from_json)
        given.update((name, (options.parameters_file, f"$.parameters.{name}")) for name in from_json)
        evaluation.files.append(os.path.realpath(options.parameters_file))
    template = FileEvaluator(
        tree,
        file=template_file,
        inputs=inputs,
        prefix="",
        deployment=deployment,
        evaluation=evaluation,
    )
    for name in inputs:
        if name not in template.params:
            # As the compiler and ARM refuse it: a value for no parameter is a typo or a stale file.
            given_in, where = given.get(name, (file, ""))
            raise SourceError(
                f"parameter '{name}' is given a value but {template_file} declares no such parameter",
                file=given_in,
                where=where or None,
            )
    template.run()
    return evaluation


def _parameters_file(
    tree: ast.File, file: str, deployment: Deployment, evaluation: Evaluation
) -> tuple[str, ast.File, dict[str, Any]]:
    using = next((s for s in tree.statements if isinstance(s, ast.Using)), None)
    if using is None:
        raise SourceError("a .bicepparam file starts with `using '<template>.bicep'`; none found", file=file)
    where = f"line {using.line}, column {using.col}"
    if not using.path:
        raise SourceError("`using none`: no template to evaluate", file=file, where=where)
    if using.path.startswith(("br:", "br/", "ts:", "ts/")):
        raise SourceError(
            f"the template {using.path} is in a registry; aigov reads local templates only",
            file=file,
            where=where,
        )
    if not using.path.lower().endswith(".bicep"):
        raise SourceError(f"the template {using.path} is not a .bicep file", file=file, where=where)
    template = load_file(evaluation, using.path, file, where)
    values = FileEvaluator(
        tree, file=file, inputs={}, prefix="", deployment=deployment, evaluation=evaluation
    )
    inputs = {name: values.param_value(name) for name in values.params}
    return template.path, template, inputs


def read_json_parameters(path: str, environment: Mapping[str, str]) -> dict[str, Any]:
    """Values of an ARM JSON parameters file (``{"parameters": {"x": {"value": ...}}}``).

    A Key Vault ``reference`` is a secret known only at deployment: unknown.
    azd's ``${VAR}`` placeholders take the environment's values (see
    :mod:`aigov.sources.azd`).
    """
    data = decode(read_regular_text(path, DOCUMENT_LIMIT, SourceError), path, SourceError)
    parameters = data.get("parameters") if isinstance(data, dict) else None
    if not isinstance(parameters, dict):
        raise SourceError("not an ARM parameters file: no 'parameters' object", file=path)
    out: dict[str, Any] = {}
    for name, entry in parameters.items():
        if not isinstance(entry, dict) or not ("value" in entry or "reference" in entry):
            raise SourceError(
                "expected an object with 'value' or 'reference'", file=path, where=f"$.parameters.{name}"
            )
        out[name] = substitute(entry["value"], environment) if "value" in entry else UNKNOWN
    return out


# --------------------------------------------------------------------------- to the model


def to_inventory(evaluation: Evaluation) -> Inventory:
    """The evaluated instances of the types aigov knows, as resources linked to their parents."""
    by_name: dict[tuple[str, str], Instance] = {}
    for instance in evaluation.instances:
        if isinstance(instance.full_name, str):
            by_name.setdefault((instance.type.lower(), instance.full_name.lower()), instance)
    resources: list[Resource] = []
    for instance in evaluation.instances:
        arm_type = ARM_TYPES.get(instance.type.lower())
        if arm_type is None:
            continue
        resources.append(_resource(instance, arm_type, _parent(instance, by_name)))
    return Inventory(resources, warnings=evaluation.warnings, files=evaluation.files)


def with_nested_deployments(
    inventory: Inventory, evaluation: Evaluation, options: SourceOptions
) -> Inventory:
    """``inventory`` plus what each declared ``Microsoft.Resources/deployments`` resource deploys.

    As the ARM path reads a nested deployment, with the compiler's meaning of
    Bicep in it: an inline ``properties.template`` is the Bicep-evaluated
    object, where every string is a literal (the compiler escapes one that
    starts with ``[``, so ARM never evaluates it), given the values of
    ``properties.parameters``. A ``templateLink`` (a template spec, a URL) is
    an input not read, and so is a template holding values known only after
    deployment: the rules that would check its resources are undetermined
    rather than passed.
    """
    resources = list(inventory.resources)
    warnings = list(inventory.warnings)
    unread = list(inventory.unread)
    files = list(inventory.files)
    for instance in evaluation.instances:
        if instance.existing or instance.type.lower() != TEMPLATE_DEPLOYMENT.lower():
            continue
        label = (
            f"nested deployment {instance.name!r}"
            if isinstance(instance.name, str)
            else "a nested deployment"
        )
        properties = plain(instance.body.get("properties"))
        template = properties.get("template") if isinstance(properties, dict) else None

        def not_read(reference: str, reason: str, instance: Instance = instance) -> None:
            unread.append(
                UnreadInput(reference, reason, instance.key, BicepSource.name, instance.file, instance.line)
            )

        if not isinstance(template, dict):
            link = properties.get("templateLink") if isinstance(properties, dict) else None
            shown = "a template spec" if isinstance(link, dict) and "id" in link else "a linked template"
            not_read(shown, f"{label}: aigov reads no template offline from there")
            continue
        if contains_undetermined(properties):
            not_read("an inline template", f"{label}: its template holds values known only after deployment")
            continue
        raw = properties.get("parameters")
        given = {
            name: entry.get("value", UNKNOWN) if isinstance(entry, dict) else UNKNOWN
            for name, entry in (raw.items() if isinstance(raw, dict) else ())
        }
        context = DeploymentContext(
            instance.subscription_id if isinstance(instance.subscription_id, str) else None,
            instance.resource_group if isinstance(instance.resource_group, str) else None,
            None,
        )
        shown = f"{instance.file} ({label}, its inline template)"
        folder = Path(instance.file).parent
        module = load_inline_template(
            _literal(template), shown, given, context, options, folder, evaluation.root
        )
        prefix = instance.key + "."
        resources.extend(
            prefixed(r, prefix, file=instance.file, line=instance.line) for r in module.resources
        )
        warnings.extend(module.warnings)
        files.extend(module.files)
        unread.extend(prefixed_unread(u, prefix) for u in module.unread)
    return Inventory(resources, warnings=warnings, unread=unread, files=files)


def _literal(value: Any) -> Any:
    """Evaluated Bicep data as ARM data: a string that starts with ``[`` escaped, as the compiler does."""
    if isinstance(value, dict):
        return {_literal(k): _literal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_literal(v) for v in value]
    if isinstance(value, str) and value.startswith("["):
        return "[" + value
    return value


def _parent(instance: Instance, by_name: Mapping[tuple[str, str], Instance]) -> Instance | None:
    if instance.parent is not None:
        return instance.parent
    if not isinstance(instance.full_name, str) or "/" not in instance.full_name:
        return None
    parent_type, _, _ = instance.type.rpartition("/")
    parent_name, _, _ = instance.full_name.rpartition("/")
    return by_name.get((parent_type.lower(), parent_name.lower()))


def _resource(instance: Instance, arm_type: str, parent: Instance | None) -> Resource:
    if instance.existing:
        body: dict[str, Any] = {"type": arm_type, "name": instance.name, "location": UNKNOWN}
    else:
        body = {k: plain(v) for k, v in instance.body.items()}
        body["type"] = arm_type
    name = instance.name if isinstance(instance.name, str) else UNKNOWN
    return Resource(
        key=instance.key,
        type=arm_type,
        name=name,
        body=body,
        origin=Origin(source=BicepSource.name, file=instance.file, line=instance.line, address=instance.key),
        action=Action.REFERENCE if instance.existing else Action.DEPLOY,
        subscription_id=instance.subscription_id if isinstance(instance.subscription_id, str) else UNKNOWN,
        resource_group=instance.resource_group if isinstance(instance.resource_group, str) else UNKNOWN,
        parent_key=parent.key if parent is not None and parent.type.lower() in ARM_TYPES else None,
        api_version=instance.api_version,
    )


def plain(value: Any) -> Any:
    """``value`` as plain data: a resource or module reference, or a lambda, in a body is unknown."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Instance | ModuleInstance | Closure | Namespace):
        return UNKNOWN
    return value
