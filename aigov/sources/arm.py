"""ARM JSON templates (hand-written or ``az bicep build`` output), evaluated to the resources they deploy.

A template is recognised by its ``$schema`` (``deploymentTemplate.json``,
``subscriptionDeploymentTemplate.json``, ``managementGroupDeploymentTemplate.json``
or ``tenantDeploymentTemplate.json``). Values come from ``--parameters FILE``
(a standard ``deploymentParameters.json`` file; a Key Vault ``reference`` is
unknown), else the parameter's ``defaultValue``; a value outside
``allowedValues`` is an error naming the parameter. Expressions are evaluated
by :mod:`aigov.sources.arm_expressions`; whatever is known only at deployment
(``reference()``, the resource group's name and location, a parameter with
no value) stays :data:`~aigov.model.UNKNOWN`, so rules come out undetermined
rather than passing.

What is read:

* ``resources`` as an array, or (``languageVersion`` 2.0) an object keyed by
  symbolic name; ``existing`` resources are references to resources deployed
  elsewhere: kept as :attr:`~aigov.model.Action.REFERENCE` context (a parent
  for their children, neither evaluated nor estimated), as in the Bicep path.
* ``condition``: false drops the resource; unknown keeps it (it is evaluated
  as deployed) and the scan warns that it may not be deployed.
* ``copy`` at resource level (``copyIndex()``, ``copyIndex('loop')``), at
  property level (``properties.copy``, also in nested objects) and in
  ``variables`` (both forms). A count known only at deployment evaluates one
  instance with its index unknown (key suffix ``[?]``, as in the Bicep path) and warns.
* Child resources nested in their parent's ``resources`` (type and name are
  joined to the parent's) and top-level children named ``account/child``,
  linked to their parent by type and name. Names made from
  ``uniqueString(resourceGroup().id)`` still link: equal placeholders are
  equal at deployment.
* Nested deployments (``Microsoft.Resources/deployments``): an inline
  ``properties.template`` evaluated in the ``inner`` scope (its own
  parameters, given by the outer template) or the ``outer`` scope (the
  outer template's parameters and variables); a ``templateLink`` with a
  ``relativePath`` or a local ``uri`` reads that file. A link to a URL or a
  template spec cannot be read offline: the scan warns that its resources
  are not included. Bicep modules compile to inner-scope nested deployments.
* ``functions`` (user-defined functions, also Bicep's ``__bicep``
  namespace); ``dependsOn`` and ``outputs`` are ignored.

Only resources of the types aigov evaluates (:data:`aigov.armtypes.ARM_TYPES`)
become :class:`~aigov.model.Resource` values; the others are skipped before
their bodies are evaluated, so an expression error in an unrelated resource
does not stop the scan. Each resource's key is its type and name interleaved
(``Microsoft.CognitiveServices/accounts/oai-${uniqueString(resourceGroup().id)}/deployments/chat``,
placeholders shown as ``${...}``), and its origin line is the line of the
resource's ``{`` in the JSON file (found by a small scanner that records
where every object starts, since :mod:`json` keeps no positions). JSON
comments (``//`` and ``/* */``), which ARM accepts, are allowed.

Warnings (unknown conditions and copy counts, unreadable linked templates,
parameters without a value, functions aigov does not implement) are returned
on the inventory and shown with the scan's results.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from aigov.armtypes import ARM_TYPES, TEMPLATE_DEPLOYMENT
from aigov.display import excerpt
from aigov.errors import SourceError
from aigov.jsontext import MAX_DEPTH, json_error, nesting_message, strict_loads
from aigov.model import UNKNOWN, Action, Inventory, Origin, Resource, UnreadInput
from aigov.readfile import DOCUMENT_LIMIT, read_regular_text
from aigov.sources import sniff
from aigov.sources.arm_expressions import (
    DeploymentContext,
    Evaluator,
    ExpressionError,
    UserFunction,
    finalize,
    has_opaque,
    opaque,
    render,
)
from aigov.sources.azd import substitute, typed
from aigov.sources.base import Source, SourceInput, SourceOptions
from aigov.sources.confine import TEMPLATE_LIMIT, FileMissing, FileRefused, ScanRoot
from aigov.sources.template_functions import UNKNOWN_INDEX, runtime_warning, unknown_loop_warning
from aigov.sources.template_values import contains_undetermined

DEPLOYMENTS_TYPE: Final = "microsoft.resources/deployments"
MAX_NESTING: Final = 32
"""Nested deployments deeper than this are an error (a linked template that links itself, say)."""

_BODY_FIELDS: Final = ("location", "kind", "sku", "tags", "properties", "identity", "zones", "plan")
_INTERESTING_PREFIXES: Final = frozenset(
    "/".join(t.split("/")[:i]) for t in ARM_TYPES for i in range(2, t.count("/") + 2)
)
"""Lower-case types aigov evaluates, and the types of their ancestors (whose children must be walked)."""

Path_ = tuple[str | int, ...]


# --------------------------------------------------------------------------- located JSON


_SKIP: Final = re.compile(r'[^"/{}\[\]:,]+')


@dataclass(frozen=True, slots=True)
class LocatedJson:
    """A parsed JSON document and where each of its objects starts."""

    value: Any
    starts: Mapping[Path_, int]  # JSON path of an object -> character offset of its '{'
    newlines: tuple[int, ...]

    def line(self, path: Path_) -> int | None:
        offset = self.starts.get(path)
        if offset is None:
            return None
        return bisect.bisect_left(self.newlines, offset) + 1


@dataclass
class _Frame:
    is_object: bool
    path: Path_
    current: str | int | None
    expect_key: bool = True


def load_located_json(text: str, file: str) -> LocatedJson:
    """Parse JSON (with ``//`` and ``/* */`` comments) and record where each object starts.

    Raises :class:`SourceError` with line and column on invalid JSON.
    """
    if not text.strip():
        raise SourceError("invalid JSON: the input is empty", file=file)
    starts: dict[Path_, int] = {}
    comments: list[tuple[int, int]] = []
    stack: list[_Frame] = []
    pos, n = 0, len(text)
    scanstring = json.decoder.scanstring  # type: ignore[attr-defined]
    try:
        while pos < n:
            skip = _SKIP.match(text, pos)
            if skip is not None:
                pos = skip.end()
                continue
            char = text[pos]
            if char == '"':
                value, pos = scanstring(text, pos + 1, True)
                if stack and stack[-1].is_object and stack[-1].expect_key:
                    stack[-1].current = value
                    stack[-1].expect_key = False
            elif char == "/":
                if text.startswith("//", pos):
                    end = text.find("\n", pos)
                    end = n if end < 0 else end
                elif text.startswith("/*", pos):
                    close = text.find("*/", pos + 2)
                    if close < 0:
                        raise json.JSONDecodeError("unterminated comment", text, pos)
                    end = close + 2
                else:
                    raise json.JSONDecodeError("Expecting value", text, pos)
                comments.append((pos, end))
                pos = end
            elif char in "{[":
                if len(stack) >= MAX_DEPTH:  # checked here, before the paths below grow quadratically
                    line = text.count("\n", 0, pos) + 1
                    column = pos - text.rfind("\n", 0, pos)
                    raise SourceError(nesting_message(), file=file, where=f"line {line}, column {column}")
                path: Path_ = ()
                if stack and stack[-1].current is not None:
                    path = (*stack[-1].path, stack[-1].current)
                if char == "{":
                    starts[path] = pos
                stack.append(_Frame(char == "{", path, None if char == "{" else 0))
                pos += 1
            elif char in "}]":
                if stack:
                    stack.pop()
                pos += 1
            elif char == ",":
                if stack:
                    frame = stack[-1]
                    if frame.is_object:
                        frame.expect_key = True
                    elif isinstance(frame.current, int):
                        frame.current += 1
                pos += 1
            else:  # ':'
                pos += 1
        if comments:
            text = _blank(text, comments)
        value = strict_loads(text)
    except (ValueError, RecursionError) as exc:  # ValueError: also an integer longer than Python converts
        raise json_error(exc, file, SourceError, text) from None
    newlines = tuple(m.start() for m in re.finditer("\n", text))
    return LocatedJson(value, starts, newlines)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with comments replaced by spaces, newlines kept so positions stay right."""
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(re.sub(r"[^\n]", " ", text[start:end]))
        last = end
    parts.append(text[last:])
    return "".join(parts)


def path_text(path: Path_) -> str:
    """``("resources", 2, "properties")`` -> ``resources[2].properties``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$-]*", step):
            out += f".{step}" if out else step
        else:
            out += f"[{json.dumps(step)}]"
    return out


# --------------------------------------------------------------------------- the source


class ArmTemplateSource(Source):
    """Reads an ARM JSON template, evaluated with its parameters."""

    name = "arm"
    description = "ARM template JSON (azuredeploy.json, az bicep build output; --parameters FILE)"

    @classmethod
    def detect(cls, source_input: SourceInput) -> bool:
        return sniff.arm_template(source_input)

    def load(self, source_input: SourceInput, options: SourceOptions) -> Inventory:
        file = source_input.name
        located = load_located_json(source_input.read_text(), file)
        document = located.value
        if not isinstance(document, dict):
            raise SourceError("not an ARM template: the JSON is not an object", file=file)
        schema = str(document.get("$schema", "")).lower()
        if "deploymentparameters.json" in schema:
            raise SourceError(
                "this is an ARM parameters file: scan the template it belongs to and give this file "
                "with --parameters",
                file=file,
            )
        reader = _Reader(options, options.scan_root(source_input.path))
        given: dict[str, Any] | None = None
        parameters_file = options.parameters_file
        if parameters_file:
            given = read_parameters_file(parameters_file, options.environment)
            reader.files.append(os.path.realpath(parameters_file))
        base = Path(source_input.path).parent if source_input.path != "-" else Path.cwd()
        try:
            reader.template(
                _Location(file, located, (), base),
                document,
                given,
                parameters_file,
                DeploymentContext(subscription_id=options.subscription),
                resource_group_scope="deploymenttemplate.json" in schema
                and "subscriptiondeploymenttemplate" not in schema
                and "managementgroupdeploymenttemplate" not in schema
                and "tenantdeploymenttemplate" not in schema,
                depth=0,
                identity="",
            )
        except RecursionError:
            raise SourceError("the template is nested too deeply to evaluate", file=file) from None
        return Inventory(
            reader.resources(),
            warnings=reader.warnings,
            unread=tuple(reader.unread.values()),
            files=reader.files,
        )


MAX_MODULE_TEMPLATE_BYTES: Final = 32 * 1024 * 1024
"""Largest cached module template read (compiled pattern modules run to a few MB)."""


def load_module_template(
    path: Path, file: str, given: Mapping[str, Any] | None, context: DeploymentContext, options: SourceOptions
) -> Inventory:
    """Evaluate a compiled template used as a module (a Bicep registry module's cached ``main.json``).

    ``given`` holds the module's parameter values by name (``None``: all
    unknown); ``context`` is where the module deploys. ``file`` names the
    template in origins and errors.
    """
    text = read_regular_text(path, MAX_MODULE_TEMPLATE_BYTES, SourceError, name=file)
    return _module_inventory(load_located_json(text, file), file, given, context, options, path.parent)


def load_inline_template(
    template: Mapping[str, Any],
    file: str,
    given: Mapping[str, Any] | None,
    context: DeploymentContext,
    options: SourceOptions,
    folder: Path,
    root: ScanRoot,
) -> Inventory:
    """Evaluate an inline ARM template, as a Bicep ``Microsoft.Resources/deployments`` resource holds it.

    Its strings are ARM expressions, as the deployment engine reads them;
    ``file`` names the template in origins and errors (lines are those of the
    template as JSON); linked templates are found from ``folder``, inside the
    scan ``root``.
    """
    text = json.dumps(template, indent=1)
    return _module_inventory(load_located_json(text, file), file, given, context, options, folder, root)


def _module_inventory(
    located: LocatedJson,
    file: str,
    given: Mapping[str, Any] | None,
    context: DeploymentContext,
    options: SourceOptions,
    folder: Path,
    root: ScanRoot | None = None,
) -> Inventory:
    document = located.value
    if not isinstance(document, dict):
        raise SourceError("not an ARM template: the JSON is not an object", file=file)
    values = None if given is None else {name.lower(): value for name, value in given.items()}
    if values is None:
        declared = document.get("parameters")
        values = {str(name).lower(): UNKNOWN for name in declared} if isinstance(declared, dict) else {}
    # A registry module's own linked templates stay inside its folder of the module cache.
    reader = _Reader(options, root if root is not None else ScanRoot(os.path.realpath(folder)))
    schema = str(document.get("$schema", "")).lower()
    try:
        reader.template(
            _Location(file, located, (), folder),
            document,
            values,
            file,
            context,
            resource_group_scope="/deploymenttemplate.json" in schema,
            depth=0,
            identity="",
        )
    except RecursionError:
        raise SourceError("the template is nested too deeply to evaluate", file=file) from None
    return Inventory(
        reader.resources(), warnings=reader.warnings, unread=tuple(reader.unread.values()), files=reader.files
    )


def read_parameters_file(path: str, environment: Mapping[str, str]) -> dict[str, Any]:
    """A ``deploymentParameters.json`` file's values by lower-case name; a Key Vault reference is UNKNOWN.

    azd's ``${VAR}`` placeholders take the values of ``environment`` (:mod:`aigov.sources.azd`).
    """
    if path.endswith(".bicepparam"):
        raise SourceError("a .bicepparam file goes with a Bicep file; scan it directly", file=path)
    text = read_regular_text(path, DOCUMENT_LIMIT, SourceError)
    located = load_located_json(text, path)
    document = located.value
    if not isinstance(document, dict) or not isinstance(document.get("parameters"), dict):
        raise SourceError(
            "not an ARM parameters file: expected an object with a 'parameters' object", file=path
        )
    values: dict[str, Any] = {}
    for name, entry in document["parameters"].items():
        where = f"line {located.line(('parameters', name)) or 1}"
        if not isinstance(entry, dict) or not ({"value", "reference"} & entry.keys()):
            raise SourceError(
                f"parameter '{name}' needs a 'value' (or a Key Vault 'reference')", file=path, where=where
            )
        values[name.lower()] = substitute(entry["value"], environment) if "value" in entry else UNKNOWN
    return values


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True)
class _Location:
    """Where a template sits: its file (parsed), the template's path in it, and the file's folder."""

    file: str
    located: LocatedJson
    path: Path_
    base: Path

    def at(self, *steps: str | int) -> Path_:
        return (*self.path, *steps)

    def line(self, path: Path_) -> int | None:
        return self.located.line(path)


@dataclass
class _Found:
    type: str  # canonical full type
    names: list[Any]  # one per type segment after the namespace: str (maybe with placeholders) or UNKNOWN
    body: dict[str, Any]
    file: str
    line: int | None
    fallback_key: str
    api_version: str | None
    subscription: Any
    resource_group: Any
    parent: _Found | None = None  # the resource this one is nested in, when emitted
    existing: bool = False  # a reference to a resource deployed elsewhere: context, not deployed here
    symbol: str | None = None  # the symbolic name (languageVersion 2.0)
    depends_on: list[Any] = field(default_factory=list)  # evaluated dependsOn entries: ids or symbolic names

    key: str = ""

    def key_text(self) -> str:
        # A loop of unknown count stands for all its instances: its address, never one name.
        unknown_loop = self.fallback_key.endswith("[?]")
        if unknown_loop or any(n is UNKNOWN or not isinstance(n, str) for n in self.names):
            return self.fallback_key
        namespace, *types = self.type.split("/")
        return "/".join([namespace, *(f"{t}/{render(n)}" for t, n in zip(types, self.names, strict=True))])


@dataclass
class _Reader:
    options: SourceOptions
    root: ScanRoot  # linked templates are read only inside it
    found: list[_Found] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    linked: set[Path] = field(default_factory=set)
    files: list[str] = field(default_factory=list)  # every file read besides the input, real paths
    unread: dict[str, UnreadInput] = field(default_factory=dict)

    def warn(self, message: str) -> None:
        if message not in self.warnings and len(self.warnings) < 200:
            self.warnings.append(message)

    def not_read(self, reference: str, reason: str, address: str, file: str, line: int | None) -> None:
        """Record a linked template the deployment would use and aigov cannot read."""
        self.unread.setdefault(
            address, UnreadInput(reference, reason, address, ArmTemplateSource.name, file, line)
        )

    # ------------------------------------------------------------------ one template

    def template(
        self,
        where: _Location,
        template: Mapping[str, Any],
        given: Mapping[str, Any] | None,
        given_from: str | None,
        context: DeploymentContext,
        *,
        resource_group_scope: bool,
        depth: int,
        identity: str,
    ) -> None:
        file = where.file
        if depth > MAX_NESTING:
            raise SourceError(f"nested deployments deeper than {MAX_NESTING} levels", file=file)
        resources = template.get("resources", [])
        if not isinstance(resources, list | dict):
            raise SourceError(
                "'resources' is neither an array nor an object", file=file, where=_where(where, "resources")
            )
        declared = template.get("parameters") or {}
        if not isinstance(declared, dict):
            raise SourceError("'parameters' is not an object", file=file, where=_where(where, "parameters"))
        variables = template.get("variables") or {}
        if not isinstance(variables, dict):
            raise SourceError("'variables' is not an object", file=file, where=_where(where, "variables"))
        evaluator = Evaluator(
            parameters={},
            variables=variables,
            functions=_user_functions(template.get("functions")),
            context=context,
            identity=identity,
        )
        evaluator.parameters = self.parameters(where, declared, given, given_from, evaluator, depth)
        self.resources_of(
            where,
            resources,
            where.at("resources"),
            evaluator,
            parent=None,
            resource_group_scope=resource_group_scope,
            depth=depth,
        )
        for name in sorted(evaluator.runtime.values()):
            self.warn(runtime_warning(file, name))
        for name in sorted(evaluator.unsupported):
            self.warn(f"{file}: function {name}() is not evaluated by aigov; values that use it are unknown")

    def parameters(
        self,
        where: _Location,
        declared: Mapping[str, Any],
        given: Mapping[str, Any] | None,
        given_from: str | None,
        evaluator: Evaluator,
        depth: int,
    ) -> dict[str, Any]:
        file = where.file
        lowered = {k.lower(): k for k in declared}
        if given is not None:
            for name in given:
                if name not in lowered:
                    raise SourceError(
                        f"parameter '{name}' is not declared in the template {file}",
                        file=given_from or file,
                        where=f"$.parameters.{name}" if given_from else None,
                    )
        values: dict[str, Any] = {}
        # Defaults may use other parameters: evaluate on demand, in order of need.
        busy: set[str] = set()

        class _Lazy(dict[str, Any]):
            def __missing__(inner, key: str) -> Any:
                if key not in lowered:
                    raise KeyError(key)
                if key in busy:
                    raise ExpressionError(f"parameter '{lowered[key]}' default refers to itself")
                busy.add(key)
                try:
                    value = resolve(key)
                finally:
                    busy.discard(key)
                inner[key] = value
                return value

            def __contains__(inner, key: object) -> bool:
                return key in lowered

        def resolve(key: str) -> Any:
            name = lowered[key]
            spec = declared[name] if isinstance(declared[name], dict) else {}
            if given is not None and key in given and not (given[key] is None and "defaultValue" in spec):
                return typed(given[key], spec.get("type"))  # an explicit null deploys the default
            kind = str(spec.get("type", "")).lower()
            if kind in ("securestring", "secureobject") and spec.get("defaultValue") in ("", {}):
                # A secret given at deployment (pipeline, Key Vault): its empty default is a placeholder.
                self.warn(
                    f"{file}: parameter '{name}' is {spec.get('type')} with an empty default: its value is "
                    "given at deployment and is unknown here (give it with --parameters)"
                )
            elif "defaultValue" in spec:
                try:
                    return evaluator.value(spec["defaultValue"])
                except ExpressionError as exc:
                    raise SourceError(
                        f"parameter '{name}' default: {exc}",
                        file=file,
                        where=_where(where, "parameters", name),
                    ) from None
            elif spec.get("nullable") is True:
                return None  # an optional parameter (Bicep's `param x string?`) given no value is null
            elif depth == 0:
                self.warn(
                    f"{file}: parameter '{name}' has no value (give it with --parameters); "
                    "values that use it are unknown"
                )
            else:
                self.warn(f"{file}: nested template parameter '{name}' is given no value; it is unknown")
            if kind in ("string", "securestring"):
                return opaque(f"parameters('{name}')", evaluator.identity)
            return UNKNOWN

        lazy = _Lazy()
        evaluator.parameters = lazy
        for key, name in lowered.items():
            value = lazy[key]
            spec = declared[name] if isinstance(declared[name], dict) else {}
            allowed = spec.get("allowedValues")
            optional = value is None and spec.get("nullable") is True  # null is valid for a nullable one
            if isinstance(allowed, list) and not optional and not contains_undetermined(value):
                candidates = value if isinstance(value, list) else [value]
                bad = [v for v in candidates if not any(_same(v, a) for a in allowed)]
                if bad:
                    origin = "the parameters file" if given is not None and key in given else "its default"
                    raise SourceError(
                        f"parameter '{name}': {json.dumps(bad[0])} (from {origin}) is not one of the allowed "
                        f"values {', '.join(json.dumps(a) for a in allowed)}",
                        file=file,
                        where=_where(where, "parameters", name),
                    )
            values[key] = value
        return values

    # ------------------------------------------------------------------ resources

    def resources_of(
        self,
        where: _Location,
        resources: list[Any] | dict[str, Any],
        path: Path_,
        evaluator: Evaluator,
        *,
        parent: _Found | None,
        resource_group_scope: bool,
        depth: int,
        parent_type: str | None = None,
        parent_names: list[Any] | None = None,
    ) -> None:
        entries: list[tuple[str | int, Any]] = (
            list(resources.items()) if isinstance(resources, dict) else list(enumerate(resources))
        )
        for step, raw in entries:
            resource_path = (*path, step)
            if not isinstance(raw, dict):
                raise SourceError(
                    "a resource is not an object", file=where.file, where=_where_path(where, resource_path)
                )
            if "import" in raw:
                continue  # an extension's resource (languageVersion 2.0): not an ARM resource
            self.resource(
                where,
                raw,
                resource_path,
                evaluator,
                parent=parent,
                resource_group_scope=resource_group_scope,
                depth=depth,
                parent_type=parent_type,
                parent_names=parent_names,
            )

    def resource(
        self,
        where: _Location,
        raw: Mapping[str, Any],
        path: Path_,
        evaluator: Evaluator,
        *,
        parent: _Found | None,
        resource_group_scope: bool,
        depth: int,
        parent_type: str | None,
        parent_names: list[Any] | None,
    ) -> None:
        file = where.file
        line = where.line(path)
        loop = raw.get("copy")
        instances: list[tuple[Evaluator, str]] = [(evaluator, "")]
        if isinstance(loop, dict):
            loop_name = str(loop.get("name") or "copy")
            try:
                count = evaluator.count(loop.get("count"), loop_name)
            except ExpressionError as exc:
                raise SourceError(
                    f"{path_text((*path, 'copy', 'count'))}: {exc}",
                    file=file,
                    where=_where_path(where, (*path, "copy")),
                ) from None
            if count is UNKNOWN:
                self.warn(
                    unknown_loop_warning(f"{file}:{line}", f"copies of {path_text(path[len(where.path) :])}")
                )
                instances = [(evaluator.with_copy(loop_name, UNKNOWN), UNKNOWN_INDEX)]
            else:
                instances = [(evaluator.with_copy(loop_name, i), f"[{i}]") for i in range(count)]
        for scope, suffix in instances:
            condition = self._eval(scope, raw.get("condition", True), where, (*path, "condition"))
            if condition is False:
                continue
            raw_type = self._eval(scope, raw.get("type"), where, (*path, "type"))
            if not isinstance(raw_type, str) or ("/" not in raw_type and parent_type is None):
                raise SourceError(
                    f"resource type {json.dumps(finalize(raw_type), default=str)} is not a resource type",
                    file=file,
                    where=_where_path(where, (*path, "type")),
                )
            full_type = (
                f"{parent_type}/{raw_type}"
                if parent_type is not None and not raw_type.lower().startswith(parent_type.lower() + "/")
                else raw_type
            )
            lower_type = full_type.lower()
            if lower_type == DEPLOYMENTS_TYPE and raw.get("existing") is True:
                continue  # a deployment made elsewhere: nothing of it is deployed here
            if lower_type == DEPLOYMENTS_TYPE:
                if condition is not True:
                    self.warn(
                        f"{file}:{line}: nested deployment {path_text(path[len(where.path) :])} runs only if "
                        "its condition holds, which is known only at deployment; its resources are evaluated "
                        "as deployed"
                    )
                self.nested(
                    where,
                    raw,
                    path,
                    scope,
                    depth=depth,
                    suffix=suffix,
                    resource_group_scope=resource_group_scope,
                )
                continue
            interesting = lower_type in ARM_TYPES
            has_children = isinstance(raw.get("resources"), list) and bool(raw["resources"])
            if not interesting and not (has_children and lower_type in _INTERESTING_PREFIXES):
                continue
            names = self._names(scope, raw, path, where, full_type, parent_names)
            found: _Found | None = None
            if interesting:
                found = self._found(scope, raw, path, where, full_type, names, suffix, parent)
                found.resource_group = (
                    scope.context.resource_group_object()["name"] if resource_group_scope else None
                )
                if condition is not True and not found.existing:
                    self.warn(
                        f"{file}:{line}: {found.key_text()} is deployed only if its condition "
                        f"{_short(raw.get('condition'))} holds, which is known only at deployment; "
                        "it is evaluated as deployed"
                    )
                self.found.append(found)
            if has_children:
                self.resources_of(
                    where,
                    raw["resources"],
                    (*path, "resources"),
                    scope,
                    parent=found,
                    resource_group_scope=resource_group_scope,
                    depth=depth,
                    parent_type=full_type,
                    parent_names=names,
                )

    def _names(
        self,
        scope: Evaluator,
        raw: Mapping[str, Any],
        path: Path_,
        where: _Location,
        full_type: str,
        parent_names: list[Any] | None,
    ) -> list[Any]:
        segments = full_type.count("/")
        name = self._eval(scope, raw.get("name"), where, (*path, "name"))
        if name is UNKNOWN:
            own: list[Any] = [UNKNOWN]
        elif isinstance(name, str):
            own = split_name(name)
        else:
            raise SourceError(
                f"resource name {json.dumps(name, default=str)[:80]} is not a string",
                file=where.file,
                where=_where_path(where, (*path, "name")),
            )
        if parent_names is not None and len(own) < segments:
            own = [*parent_names, *own]
        if len(own) != segments:
            if name is UNKNOWN:
                return [UNKNOWN] * segments
            raise SourceError(
                f"resource name {json.dumps(render(name))} has {len(own)} segments; type {full_type} needs "
                f"{segments}",
                file=where.file,
                where=_where_path(where, (*path, "name")),
            )
        return own

    def _found(
        self,
        scope: Evaluator,
        raw: Mapping[str, Any],
        path: Path_,
        where: _Location,
        full_type: str,
        names: list[Any],
        suffix: str,
        parent: _Found | None,
    ) -> _Found:
        canonical = ARM_TYPES[full_type.lower()]
        body: dict[str, Any] = {"name": names[-1], "type": canonical}
        existing = raw.get("existing") is True
        if existing:
            # The deployed resource's body is not in the template (as in the Bicep path).
            body["location"] = UNKNOWN
        else:
            for key in _BODY_FIELDS:
                if key in raw:
                    body[key] = self._eval(
                        scope, raw[key], where, (*path, key), expand_copy=key == "properties"
                    )
        api = self._eval(scope, raw.get("apiVersion"), where, (*path, "apiVersion"))
        return _Found(
            type=canonical,
            names=names,
            body=body,
            file=where.file,
            line=where.line(path),
            fallback_key=f"{path_text(path)}{suffix}",
            api_version=api if isinstance(api, str) and not has_opaque(api) else None,
            subscription=scope.context.subscription()["subscriptionId"],
            resource_group=None,
            parent=parent,
            existing=existing,
            symbol=path[-1] if isinstance(path[-1], str) else None,
            depends_on=self._depends_on(scope, raw.get("dependsOn")),
        )

    def _depends_on(self, scope: Evaluator, raw: Any) -> list[Any]:
        """The ``dependsOn`` entries as far as they evaluate (they only help link a child to its parent)."""
        if not isinstance(raw, list):
            return []
        out: list[Any] = []
        for entry in raw:
            try:
                out.append(scope.value(entry))
            except ExpressionError:
                continue  # an entry that does not evaluate offline links nothing; it is no error here
        return out

    def _eval(
        self, scope: Evaluator, raw: Any, where: _Location, path: Path_, *, expand_copy: bool = False
    ) -> Any:
        try:
            return scope.value(raw, expand_copy=expand_copy)
        except ExpressionError as exc:
            raise SourceError(
                f"{path_text(path)}: {exc}", file=where.file, where=_where_path(where, path[:-1])
            ) from None

    # ------------------------------------------------------------------ nested deployments

    def nested(
        self,
        where: _Location,
        raw: Mapping[str, Any],
        path: Path_,
        scope: Evaluator,
        *,
        depth: int,
        suffix: str,
        resource_group_scope: bool,
    ) -> None:
        file = where.file
        line = where.line(path)
        properties = raw.get("properties")
        if not isinstance(properties, dict):
            raise SourceError(
                "a nested deployment has no properties", file=file, where=_where_path(where, path)
            )
        name = self._eval(scope, raw.get("name"), where, (*path, "name"))
        label = f"'{render(name)}'" if isinstance(name, str) else path_text(path[len(where.path) :])
        label += suffix
        sub = self._eval(scope, raw.get("subscriptionId"), where, (*path, "subscriptionId"))
        group = self._eval(scope, raw.get("resourceGroup"), where, (*path, "resourceGroup"))
        outer_context = scope.context
        context = DeploymentContext(
            subscription_id=sub if isinstance(sub, str) else outer_context.subscription_id,
            resource_group=group if isinstance(group, str) else outer_context.resource_group,
            location=outer_context.location if not isinstance(group, str) else None,
        )
        if sub is UNKNOWN or group is UNKNOWN:
            self.warn(f"{file}:{line}: the target of nested deployment {label} is known only at deployment")
        rg_scope = raw.get("resourceGroup") is not None or resource_group_scope
        identity = f"{scope.identity}/{render(name) if isinstance(name, str) else label}{suffix}"
        options = properties.get("expressionEvaluationOptions")
        mode = self._eval(scope, options.get("scope") if isinstance(options, dict) else None, where, path)
        inline = properties.get("template")
        link = properties.get("templateLink")
        if isinstance(inline, dict):
            inner_where = _Location(file, where.located, (*path, "properties", "template"), where.base)
            if isinstance(mode, str) and mode.lower() == "inner":
                given = self._nested_parameters(scope, properties, where, path)
                self.template(
                    inner_where,
                    inline,
                    given,
                    file,
                    context,
                    resource_group_scope=rg_scope,
                    depth=depth + 1,
                    identity=identity,
                )
            else:
                # Outer scope: the nested template's resources see the outer
                # template's parameters and variables, not its own.
                outer = scope.derive(context=context)
                self.resources_of(
                    inner_where,
                    inline.get("resources") or [],
                    inner_where.at("resources"),
                    outer,
                    parent=None,
                    resource_group_scope=rg_scope,
                    depth=depth + 1,
                )
            return
        if isinstance(link, dict):
            linked = self._linked_file(scope, link, where, path, label, f"{TEMPLATE_DEPLOYMENT}{identity}")
            if linked is None:
                return
            target, real, data = linked
            text = data.decode("utf-8-sig", errors="replace")
            located = load_located_json(text, str(target))
            if not isinstance(located.value, dict):
                raise SourceError("not an ARM template: the JSON is not an object", file=str(target))
            given = self._nested_parameters(scope, properties, where, path)
            self.linked.add(real)
            try:
                self.template(
                    _Location(str(target), located, (), target.parent),
                    located.value,
                    given,
                    file,
                    context,
                    resource_group_scope=rg_scope,
                    depth=depth + 1,
                    identity=identity,
                )
            finally:
                self.linked.discard(real)
            return
        raise SourceError(
            "a nested deployment has neither properties.template nor properties.templateLink",
            file=file,
            where=_where_path(where, path),
        )

    def _linked_file(
        self,
        scope: Evaluator,
        link: Mapping[str, Any],
        where: _Location,
        path: Path_,
        label: str,
        address: str,
    ) -> tuple[Path, Path, bytes] | None:
        """The linked template's path as written, its real path and its bytes; None when it cannot be read."""
        file = where.file
        line = where.line(path)
        relative = self._eval(scope, link.get("relativePath"), where, (*path, "properties", "templateLink"))
        uri = self._eval(scope, link.get("uri"), where, (*path, "properties", "templateLink"))
        candidate = relative if isinstance(relative, str) else uri
        if isinstance(candidate, str) and not has_opaque(candidate) and "://" not in candidate:
            try:
                real = Path(self.root.resolve(candidate, str(where.base)))
                if real in self.linked:
                    raise SourceError(
                        f"linked template {candidate} links itself", file=file, where=f"line {line}"
                    )
                _, data = self.root.read(candidate, str(where.base), limit=TEMPLATE_LIMIT)
            except FileMissing:
                self.not_read(
                    excerpt(candidate), f"nested deployment {label}: no such file", address, file, line
                )
                return None
            except FileRefused as exc:
                raise SourceError(f"linked template: {exc}", file=file, where=f"line {line}") from None
            self.files.append(str(real))
            return where.base / candidate, real, data
        shown = render(candidate) if isinstance(candidate, str) else "a template spec or an unknown location"
        if candidate is None and link.get("id") is not None:
            shown = "a template spec"
        self.not_read(
            shown,
            f"nested deployment {label}: aigov reads no template offline from there",
            address,
            file,
            line,
        )
        return None

    def _nested_parameters(
        self, scope: Evaluator, properties: Mapping[str, Any], where: _Location, path: Path_
    ) -> dict[str, Any]:
        if properties.get("parametersLink") is not None:
            self.warn(
                f"{where.file}:{where.line(path)}: a nested deployment's parametersLink cannot be read; "
                "its parameters are unknown"
            )
        raw = properties.get("parameters") or {}
        if not isinstance(raw, dict):
            raise SourceError(
                "a nested deployment's parameters are not an object",
                file=where.file,
                where=_where_path(where, path),
            )
        given: dict[str, Any] = {}
        for name, entry in raw.items():
            at = (*path, "properties", "parameters", name)
            if isinstance(entry, dict) and "value" in entry:
                given[name.lower()] = self._eval(
                    scope, entry["value"], where, (*at, "value"), expand_copy=True
                )
            elif isinstance(entry, dict) and isinstance(entry.get("copy"), list):
                # The array form: {"copy": [{"name": "value", "count": ..., "input": ...}]}.
                value = self._eval(scope, {"copy": entry["copy"]}, where, (*at, "copy"), expand_copy=True)
                given[name.lower()] = value.get("value", UNKNOWN) if isinstance(value, dict) else UNKNOWN
            else:
                given[name.lower()] = UNKNOWN  # a Key Vault reference
        return given

    # ------------------------------------------------------------------ results

    def resources(self) -> list[Resource]:
        seen: dict[str, int] = {}
        for found in self.found:
            key = found.key_text()
            count = seen.get(key.lower(), 0) + 1
            seen[key.lower()] = count
            found.key = key if count == 1 else f"{key}#{count}"
        by_name: dict[tuple[str, tuple[str, ...]], str] = {}
        for found in self.found:
            if all(isinstance(n, str) for n in found.names):
                by_name.setdefault((found.type.lower(), tuple(n.lower() for n in found.names)), found.key)
        by_symbol = {found.symbol: found.key for found in self.found if found.symbol is not None}
        types = {found.key: found.type.lower() for found in self.found}
        out: list[Resource] = []
        for found in self.found:
            parent_key = found.parent.key if found.parent is not None else None
            parent_type, parent_names = found.type.lower(), found.names
            # The nearest ancestor the template holds: an online deployment's endpoint is not a
            # resource aigov evaluates, so its workspace is the parent it is priced and tagged under.
            while parent_key is None and parent_type.count("/") > 1:
                parent_names = parent_names[:-1]
                parent_type = parent_type.rsplit("/", 1)[0]
                if all(isinstance(n, str) for n in parent_names):
                    parent_key = by_name.get((parent_type, tuple(n.lower() for n in parent_names)))
                else:
                    # The name is known only at deployment: the child depends on its parent, as ARM requires.
                    parent_key = _depended_parent(found, parent_type, by_name, by_symbol, types)
                    break
            leaf = finalize(found.names[-1])
            out.append(
                Resource(
                    key=found.key,
                    type=found.type,
                    name=leaf if isinstance(leaf, str) else UNKNOWN,
                    body=finalize(found.body),
                    origin=Origin(ArmTemplateSource.name, found.file, found.line, found.key),
                    action=Action.REFERENCE if found.existing else Action.DEPLOY,
                    subscription_id=finalize(found.subscription),
                    resource_group=finalize(found.resource_group),
                    parent_key=parent_key,
                    api_version=found.api_version,
                )
            )
        return out


def _depended_parent(
    found: _Found,
    parent_type: str,
    by_name: Mapping[tuple[str, tuple[str, ...]], str],
    by_symbol: Mapping[str, str],
    types: Mapping[str, str],
) -> str | None:
    """The key of the one resource of ``parent_type`` that ``found`` depends on, if there is exactly one."""
    keys: set[str] = set()
    for entry in found.depends_on:
        if not isinstance(entry, str):
            continue
        if entry in by_symbol:
            key = by_symbol[entry]
        else:
            _, marker, tail = entry.rpartition("/providers/")
            if not marker:
                continue
            namespace, *pairs = tail.split("/")
            if len(pairs) % 2 or not pairs:
                continue
            dep_type = "/".join([namespace, *pairs[0::2]]).lower()
            found_key = by_name.get((dep_type, tuple(n.lower() for n in pairs[1::2])))
            if found_key is None:
                continue
            key = found_key
        if types.get(key) == parent_type:
            keys.add(key)
    return keys.pop() if len(keys) == 1 else None


def split_name(name: str) -> list[str]:
    """A resource name split at ``/``, ignoring any ``/`` inside a placeholder."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in name:
        if char == "\ue000":
            depth += 1
        elif char == "\ue001":
            depth -= 1
        if char == "/" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _user_functions(raw: Any) -> dict[str, UserFunction]:
    out: dict[str, UserFunction] = {}
    if not isinstance(raw, list):
        return out
    for namespace in raw:
        if not isinstance(namespace, dict) or not isinstance(namespace.get("members"), dict):
            continue
        prefix = str(namespace.get("namespace", ""))
        for name, member in namespace["members"].items():
            if not isinstance(member, dict):
                continue
            params = tuple(str(p.get("name")) for p in member.get("parameters") or [] if isinstance(p, dict))
            output = member.get("output")
            value = output.get("value") if isinstance(output, dict) else None
            out[f"{prefix}.{name}".lower()] = UserFunction(params, value)
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _short(raw: Any) -> str:
    text = raw if isinstance(raw, str) else json.dumps(raw, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _where(where: _Location, *steps: str | int) -> str:
    return _where_path(where, where.at(*steps))


def _where_path(where: _Location, path: Path_) -> str:
    probe = path
    while probe and where.line(probe) is None:
        probe = probe[:-1]
    line = where.line(probe) or 1
    return f"line {line}"
