"""Evaluate a parsed Bicep file (and the local modules it calls) to resources with real values.

What is evaluated: parameters (the value given, else the default, else
unknown; ``@allowed``, ``@minValue``/``@maxValue`` and ``@minLength``/
``@maxLength`` are checked), variables, user functions and lambdas, string
interpolation, the functions in :mod:`aigov.sources.bicep.functions` (ARM's
own, shared with the ARM evaluator through
:mod:`aigov.sources.template_functions`) and the deployment functions
below, conditions, loops over arrays, ranges and objects, nested child
resources (every one of them), ``parent:``, ``existing`` resources (kept as
context, never as new), and local modules with their parameters, to any
depth.

What stays :data:`~aigov.model.UNKNOWN`: whatever exists only at deployment
(``resourceGroup().location`` and ``.id`` unless a module is scoped to a
resource group declared in the template, ``subscription().subscriptionId``
unless ``--subscription`` is given, ``.id`` of a resource, and every
property a resource's declaration does not hold, such as
``.properties.endpoint``, ``.identity.principalId`` or
``vnet.properties.subnets[0].id``: the compiler reads those with
``reference()``, see :class:`DeployedObject`), the runtime-only functions
(``reference()``, ``listKeys()``, ``utcNow()``, ``newGuid()``, ...; one
warning per function and file), and everything computed from it. Only a
name that is not declared at all is an error. A parameter given an explicit
``null`` takes its default, as ARM does. A condition
that is unknown keeps the resource (it may be deployed: fail closed); a loop
over an unknown collection yields one instance, addressed ``[?]``, whose
loop variable is unknown. Where an unknown value decides whether an
expression runs (a ternary's branches, the right side of ``&&``/``||``), an
error that depends on values there (:class:`ValueDependentError`: a missing
property, an index past the end, ``fail()``) makes it UNKNOWN, as it may
never happen at deployment.

Registry modules (``br:``, ``br/alias:``, ``ts:``, ``ts/alias:``) and
modules that are ARM JSON templates are recorded in
:attr:`Evaluation.registry_calls`, to be read from the local module cache
and evaluated as ARM templates by :mod:`aigov.sources.bicep.registry`
(JSON modules from the scan root); their outputs are unknown here. Names
imported from a registry or a JSON file, and extension aliases, are unknown
too.

Bounds: every loop at most :data:`MAX_LOOP` items (ARM's copy limit), module
nesting at most :data:`MAX_MODULE_DEPTH`, and at most :data:`MAX_STEPS`
evaluation steps per input, so a pathological template ends with an error,
not a hang.
"""

from __future__ import annotations

import base64
import fnmatch
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from aigov.errors import SourceError
from aigov.jsontext import decode
from aigov.model import UNKNOWN
from aigov.policy import yamlio
from aigov.sources.azd import typed
from aigov.sources.bicep import ast
from aigov.sources.bicep.functions import FUNCTIONS
from aigov.sources.bicep.names import check_declared
from aigov.sources.bicep.parser import parse
from aigov.sources.bicep.registry import RegistryCall
from aigov.sources.confine import TEMPLATE_LIMIT, FileRefused, ScanRoot
from aigov.sources.template_functions import (
    UNKNOWN_INDEX,
    contains_unknown,
    is_runtime,
    resource_group_object,
    runtime_warning,
    subscription_object,
    tenant_object,
    unknown_loop_warning,
)
from aigov.sources.template_values import FunctionError, PlainSite, equal, lookup, without_comments
from aigov.sources.template_values import to_text as to_string

MAX_LOOP: Final = 800
"""ARM's limit on the number of copies of one loop."""

MAX_MODULE_DEPTH: Final = 32
MAX_STEPS: Final = 2_000_000
MAX_LOADED_FILE: Final = 1024 * 1024
"""Largest file ``loadTextContent``/``loadJsonContent`` read (ARM's own limit is lower)."""

_REGISTRY_PREFIXES: Final = ("br:", "br/", "ts:", "ts/")
_ENCODINGS: Final = {
    "utf-8": "utf-8-sig",
    "utf-16": "utf-16",
    "utf-16be": "utf-16-be",
    "iso-8859-1": "latin-1",
    "us-ascii": "ascii",
}
"""The ``encoding`` values of Bicep's load functions, as Python codecs."""
_NOT_IN_BODY: Final = frozenset({"parent", "dependson", "scope", "batchsize"})
_RESOURCE_GROUPS: Final = "microsoft.resources/resourcegroups"
_TOKEN: Final = re.compile(r"#_([A-Za-z][A-Za-z0-9]*)_#")
_WILDCARD: Final = "*"
"""The original name recorded for ``import * as ns``: the namespace itself."""


class ValueDependentError(SourceError):
    """An error that depends on the values evaluated: a missing property, an index past the end, ``fail()``.

    Where a value known only at deployment decides whether the expression
    runs (a ternary's branch, the right side of ``&&``), it may never happen,
    so it is UNKNOWN there; a name that is not declared is an error wherever
    it is.
    """


class EvalError(Exception):
    """Raised inside evaluation; converted to a SourceError with the position of the node."""


@dataclass
class Budget:
    """What one input may spend: evaluation steps, shared by the template and all its modules."""

    steps: int = 0
    limit: int = MAX_STEPS


@dataclass
class Instance:
    """One evaluated resource: an element of a loop, or the single resource of a declaration."""

    key: str
    symbol: str
    type: str  # full ARM type as written (case kept)
    api_version: str | None
    name: Any  # the leaf name: str or UNKNOWN
    full_name: Any  # 'account/deployment' for a child: str or UNKNOWN
    body: dict[str, Any]
    file: str
    line: int
    existing: bool
    parent: Instance | None
    resource_group: Any  # name: str or UNKNOWN
    subscription_id: Any  # str or UNKNOWN


@dataclass
class ModuleInstance:
    """One evaluated module call: its name and the evaluator of its file (None when unresolved)."""

    name: Any
    evaluator: FileEvaluator | None


@dataclass
class Evaluation:
    """Everything one input evaluates to."""

    root: ScanRoot  # templates read files only inside it
    environment: Mapping[str, str] = field(default_factory=dict)  # what readEnvironmentVariable() may read
    files: list[str] = field(default_factory=list)  # the files read, real paths
    instances: list[Instance] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    registry_calls: list[RegistryCall] = field(default_factory=list)
    budget: Budget = field(default_factory=Budget)
    runtime: dict[tuple[str, str], str] = field(default_factory=dict)
    """A warning per file and runtime-only function called there (``listKeys()``, ``reference()``, ...)."""

    def note_runtime(self, file: str, name: str) -> None:
        """Record that ``file`` calls ``name()``, whose value exists only at deployment."""
        self.runtime.setdefault((file, name.lower()), runtime_warning(file, name))

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the scan should say about this input: unresolved modules, runtime-only functions."""
        return (*self.unresolved, *self.runtime.values())


@dataclass(frozen=True)
class Deployment:
    """Where a file is deployed: what ``resourceGroup()`` and ``subscription()`` return there."""

    resource_group: Any = UNKNOWN  # name
    location: Any = UNKNOWN  # the resource group's location
    subscription_id: Any = UNKNOWN


class Closure:
    """A lambda or user function as a Python callable; extra arguments (an index) are ignored."""

    def __init__(self, ev: FileEvaluator, params: tuple[str, ...], body: ast.Expr, scope: Mapping[str, Any]):
        self.ev = ev
        self.params = params
        self.body = body
        self.scope = scope

    def __call__(self, *args: Any) -> Any:
        if len(args) < len(self.params):
            raise FunctionError(f"the lambda takes {len(self.params)} argument(s), got {len(args)}")
        local = dict(self.scope)
        local.update(zip(self.params, args, strict=False))
        return self.ev.eval(self.body, local)


@dataclass(frozen=True)
class Namespace:
    """``import * as ns from './x.bicep'``: ``ns.name`` is the other file's variable or function."""

    evaluator: FileEvaluator

    def member(self, name: str) -> Any:
        """The exported variable ``name``, a function as a closure, or UNKNOWN (a type is not a value)."""
        if name in self.evaluator.vars:
            return self.evaluator.var_value(name)
        if name in self.evaluator.funcs:
            func = self.evaluator.funcs[name]
            return Closure(self.evaluator, func.params, func.body, {})
        return UNKNOWN


class DeployedObject(dict[str, Any]):
    """An object read from a resource's declared body.

    The deployed resource holds more than the template declares (an
    endpoint, a principal id, the ids of its subnets): the compiler turns a
    read of it into ``reference(...)``, so a property the declaration does
    not hold is UNKNOWN, not an error.
    """


class DeployedArray(list[Any]):
    """An array read from a resource's declared body: an index past its end is UNKNOWN (deployed)."""


def deployed(value: Any) -> Any:
    """``value`` marked as read from a resource (objects and arrays; one level, deeper on access)."""
    if isinstance(value, dict) and not isinstance(value, DeployedObject):
        return DeployedObject(value)
    if isinstance(value, list) and not isinstance(value, DeployedArray):
        return DeployedArray(value)
    return value


class _Evaluating:
    """Marks a symbol whose value is being computed, to report cycles."""


_IN_PROGRESS: Final = _Evaluating()


def load_file(evaluation: Evaluation, reference: str, referrer: str, where: str) -> ast.File:
    """Parse the Bicep file ``reference`` names in ``referrer`` (at ``where``), read inside the scan root."""
    try:
        target, data = evaluation.root.read(reference, os.path.dirname(referrer), limit=TEMPLATE_LIMIT)
    except FileRefused as exc:
        raise SourceError(str(exc), file=referrer, where=where) from None
    evaluation.files.append(target)
    label = os.path.normpath(os.path.join(os.path.dirname(referrer), reference))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text (byte {exc.start + 1})", file=label) from None
    tree = parse(text, label)  # errors and origins name the file as the template wrote it
    check_declared(tree, text)
    return tree


class FileEvaluator:
    """Evaluates one Bicep file with given parameter values; modules get evaluators of their own."""

    def __init__(
        self,
        tree: ast.File,
        *,
        file: str,
        inputs: Mapping[str, Any],
        prefix: str,
        deployment: Deployment,
        evaluation: Evaluation,
        stack: tuple[str, ...] = (),
        strict_inputs: bool = False,
    ) -> None:
        self.tree = tree
        self.file = file
        self.inputs = dict(inputs)
        self.prefix = prefix
        self.deployment = deployment
        self.evaluation = evaluation
        self.stack = (*stack, os.path.normcase(os.path.abspath(file)))
        self.strict_inputs = strict_inputs  # a module: a required parameter without a value is an error
        self.params: dict[str, ast.Param] = {}
        self.vars: dict[str, ast.Var] = {}
        self.funcs: dict[str, ast.Func] = {}
        self.outputs: dict[str, ast.Output] = {}
        self.resources: dict[str, tuple[ast.ResourceDecl, str | None]] = {}  # symbol -> (decl, parent symbol)
        self.modules: dict[str, ast.ModuleDecl] = {}
        self.imports: dict[str, tuple[ast.Import, str]] = {}
        self.values: dict[str, Any] = {}
        self.module_values: dict[str, Any] = {}
        self.instances: dict[str, list[Instance]] = {}
        self.using: ast.Using | None = None
        for statement in tree.statements:
            self._declare(statement)

    # ----------------------------------------------------------------- declarations

    def _declare(self, statement: ast.Statement) -> None:
        if isinstance(statement, ast.Param):
            self.params[statement.name] = statement
        elif isinstance(statement, ast.Var):
            self.vars[statement.name] = statement
        elif isinstance(statement, ast.Func):
            self.funcs[statement.name] = statement
        elif isinstance(statement, ast.Output):
            self.outputs[statement.name] = statement
        elif isinstance(statement, ast.ResourceDecl):
            self._declare_resource(statement, None)
        elif isinstance(statement, ast.ModuleDecl):
            self.modules[statement.name] = statement
        elif isinstance(statement, ast.Import):
            if statement.originals or statement.extension:
                for name, original in zip(
                    statement.names, statement.originals or statement.names, strict=True
                ):
                    self.imports[name] = (statement, original)
            elif statement.names:
                self.imports[statement.names[0]] = (statement, _WILDCARD)  # import * as ns
        elif isinstance(statement, ast.Using):
            self.using = statement

    def _declare_resource(self, decl: ast.ResourceDecl, parent: str | None) -> None:
        symbol = decl.name if parent is None else f"{parent}::{decl.name}"
        self.resources[symbol] = (decl, parent)
        body = decl.value.body if isinstance(decl.value, ast.For) else decl.value
        if isinstance(body, ast.Object):
            for entry in body.entries:
                if isinstance(entry, ast.ResourceDecl):
                    self._declare_resource(entry, symbol)

    # ----------------------------------------------------------------- errors

    def error(self, node: ast.Node, message: str, kind: type[SourceError] = SourceError) -> SourceError:
        return kind(message, file=self.file, where=f"line {node.line}, column {node.col}")

    def step(self, node: ast.Node) -> None:
        budget = self.evaluation.budget
        budget.steps += 1
        if budget.steps > budget.limit:
            raise self.error(
                node, f"evaluation stopped after {budget.limit} steps (a loop or recursion too large)"
            )

    # ----------------------------------------------------------------- the whole file

    def run(self) -> None:
        """Evaluate every resource and module of the file (outputs only when a caller reads them)."""
        for name in self.params:
            self.param_value(name)
        for symbol in self.resources:
            self.resource_instances(symbol)
        for name in self.modules:
            self.module_value(name)

    # ----------------------------------------------------------------- symbols

    def param_value(self, name: str) -> Any:
        cached = self.values.get(f"param:{name}")
        if cached is _IN_PROGRESS:
            raise self.error(self.params[name], f"parameter '{name}' refers to itself")
        if f"param:{name}" in self.values:
            return cached
        decl = self.params[name]
        self.values[f"param:{name}"] = _IN_PROGRESS
        if name in self.inputs and not (self.inputs[name] is None and decl.default is not None):
            value = typed(self.inputs[name], decl.type.name if decl.type else None)
        elif decl.default is not None and (token := _pipeline_token(decl.default)) is not None:
            value = self.evaluation.environment.get(token, UNKNOWN)
            if value is UNKNOWN:
                self.evaluation.runtime.setdefault(
                    (self.file, f"#_{token}_#"),
                    f"{self.file}: parameter '{name}' defaults to the pipeline token '#_{token}_#', replaced "
                    f"before deployment; its value is unknown (set {token} and pass it with --env {token})",
                )
        elif decl.default is not None and _secure_placeholder(decl):
            # A secret given at deployment (pipeline, Key Vault): its empty default is a placeholder.
            value = UNKNOWN
            self.evaluation.runtime.setdefault(
                (self.file, f"@secure {name}"),
                f"{self.file}: parameter '{name}' is @secure() with an empty default: its value is given at "
                "deployment and is unknown here (give it with --parameters)",
            )
        elif decl.default is not None:
            # No value, or an explicit null: ARM deploys the default then.
            value = self.eval(decl.default, {})
        elif self.strict_inputs and not (decl.type and decl.type.nullable):
            raise self.error(decl, f"parameter '{name}' has no value: the module call does not give it")
        else:
            value = None if decl.type and decl.type.nullable else UNKNOWN
        self._check_param(decl, value)
        self.values[f"param:{name}"] = value
        return value

    def _check_param(self, decl: ast.Param, value: Any) -> None:
        if value is UNKNOWN or value is None:
            return
        for decorator in decl.decorators:
            name = decorator.name.lower()
            if name == "allowed" and decorator.args:
                allowed = self.eval(decorator.args[0], {})
                if not isinstance(allowed, list) or contains_unknown(allowed):
                    continue
                values = (
                    value
                    if isinstance(value, list) and not any(isinstance(a, list) for a in allowed)
                    else [value]
                )
                for item in values:
                    if contains_unknown(item):
                        continue
                    if not any(equal(item, a) is True for a in allowed):
                        shown = ", ".join(to_string(a) for a in allowed)
                        raise self.error(
                            decl,
                            f"parameter '{decl.name}': {to_string(item)!r} is not an allowed value ({shown})",
                        )
            elif name in ("minvalue", "maxvalue") and decorator.args and isinstance(value, int):
                bound = self.eval(decorator.args[0], {})
                if isinstance(bound, int) and (value < bound if name == "minvalue" else value > bound):
                    word = "below the minimum" if name == "minvalue" else "above the maximum"
                    raise self.error(decl, f"parameter '{decl.name}': {value} is {word} {bound}")
            elif name in ("minlength", "maxlength") and decorator.args and isinstance(value, str | list):
                bound = self.eval(decorator.args[0], {})
                size = len(value)
                if isinstance(bound, int) and (size < bound if name == "minlength" else size > bound):
                    word = "shorter than" if name == "minlength" else "longer than"
                    raise self.error(decl, f"parameter '{decl.name}': length {size} is {word} {bound}")
        literals = decl.type.literals if decl.type is not None and decl.type.name != "array" else ()
        if literals and not any(equal(value, a) is True for a in literals):
            shown = ", ".join(to_string(a) for a in literals)
            raise self.error(decl, f"parameter '{decl.name}': {to_string(value)!r} is not one of {shown}")

    def var_value(self, name: str) -> Any:
        key = f"var:{name}"
        if key in self.values:
            value = self.values[key]
            if value is _IN_PROGRESS:
                raise self.error(self.vars[name], f"variable '{name}' refers to itself")
            return value
        self.values[key] = _IN_PROGRESS
        value = self.eval(self.vars[name].value, {})
        self.values[key] = value
        return value

    def output_value(self, name: str) -> Any:
        key = f"output:{name}"
        if key in self.values:
            value = self.values[key]
            if value is _IN_PROGRESS:
                raise self.error(self.outputs[name], f"output '{name}' refers to itself")
            return value
        self.values[key] = _IN_PROGRESS
        value = self.eval(self.outputs[name].value, {})
        self.values[key] = value
        return value

    def outputs_value(self) -> dict[str, Any]:
        return {name: self.output_value(name) for name in self.outputs}

    def lookup_symbol(self, node: ast.Ref, local: Mapping[str, Any]) -> Any:
        name = node.name
        if name in local:
            return local[name]
        if name in self.params:
            return self.param_value(name)
        if name in self.vars:
            return self.var_value(name)
        if name in self.resources:
            return self.resource_value(name)
        if name in self.modules:
            return self.module_value(name)
        if name in self.imports:
            return self.imported(node, name)
        # A nested resource's own symbol, used inside its parent's declaration.
        nested = [s for s in self.resources if s.endswith(f"::{name}")]
        if len(nested) == 1:
            return self.resource_value(nested[0])
        raise self.error(node, f"'{name}' is not declared")

    def imported(self, node: ast.Node, name: str) -> Any:
        statement, name = self.imports[name]
        if statement.extension or statement.path.startswith(_REGISTRY_PREFIXES) or _is_json(statement.path):
            return UNKNOWN  # an extension, or an import aigov does not read: known at deployment
        other = self._load_relative(node, statement.path)
        evaluator = FileEvaluator(
            other,
            file=other.path,
            inputs={},
            prefix=self.prefix,
            deployment=self.deployment,
            evaluation=Evaluation(
                root=self.evaluation.root,
                environment=self.evaluation.environment,
                files=self.evaluation.files,
                budget=self.evaluation.budget,
            ),
            stack=self.stack,
        )
        namespace = Namespace(evaluator)
        return namespace if name == _WILDCARD else namespace.member(name)

    def _load_relative(self, node: ast.Node, path: str) -> ast.File:
        target = os.path.normpath(os.path.join(os.path.dirname(self.file), path))
        if os.path.normcase(os.path.abspath(target)) in self.stack:
            raise self.error(node, f"'{path}' refers back to a file that refers to it (a cycle)")
        if len(self.stack) > MAX_MODULE_DEPTH:
            raise self.error(node, f"modules nested more than {MAX_MODULE_DEPTH} deep")
        return load_file(self.evaluation, path, self.file, f"line {node.line}, column {node.col}")

    # ----------------------------------------------------------------- resources

    def resource_value(self, symbol: str) -> Any:
        decl, _ = self.resources[symbol]
        instances = self.resource_instances(symbol)
        if isinstance(decl.value, ast.For):
            return list(instances)
        return instances[0] if instances else UNKNOWN

    def resource_instances(self, symbol: str) -> list[Instance]:
        if symbol in self.instances:
            return self.instances[symbol]
        decl, parent_symbol = self.resources[symbol]
        marker = f"resource:{symbol}"
        if self.values.get(marker) is _IN_PROGRESS:
            raise self.error(decl, f"resource '{decl.name}' depends on itself")
        self.values[marker] = _IN_PROGRESS
        out = self._evaluate_resource(decl, symbol, parent_symbol)
        self.instances[symbol] = out
        self.values[marker] = None
        self.evaluation.instances.extend(out)
        return out

    def _evaluate_resource(
        self, decl: ast.ResourceDecl, symbol: str, parent_symbol: str | None
    ) -> list[Instance]:
        parent: Instance | None = None
        if parent_symbol is not None:
            parents = self.resource_instances(parent_symbol)
            if not parents:  # the parent is not deployed (false condition): nor are its children
                return []
            parent = parents[0]
        if decl.condition is not None:
            condition = self.eval(decl.condition, {})
            if condition is False:
                return []
            self._want_bool(decl.condition, condition, "the resource condition")
        address = self.prefix + symbol
        out: list[Instance] = []
        if isinstance(decl.value, ast.For):
            for key_suffix, local in self.loop(decl.value):
                if key_suffix == UNKNOWN_INDEX:
                    self._unknown_loop(decl, f"instances of resource '{address}'")
                out.append(self._instance(decl, decl.value.body, local, address + key_suffix, parent))
        else:
            out.append(self._instance(decl, decl.value, {}, address, parent))
        return out

    def _unknown_loop(self, node: ast.Node, what: str) -> None:
        warning = unknown_loop_warning(f"{self.file}:{node.line}", what)
        self.evaluation.runtime.setdefault((self.file, warning), warning)

    def loop(self, node: ast.For, outer: Mapping[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
        """The iterations of a loop as (address suffix, loop variables); filters applied.

        ``outer`` holds the variables in scope where the loop stands (an enclosing
        loop's item, a lambda's parameters): its collection and filter may use them.
        """
        outer = outer or {}
        iterable = self.eval(node.iterable, outer)
        if iterable is UNKNOWN:
            return [(UNKNOWN_INDEX, dict.fromkeys((k for k in (node.item, node.index) if k), UNKNOWN))]
        if not isinstance(iterable, list):
            raise self.error(node.iterable, f"a loop needs an array, got {_kind(iterable)}")
        if len(iterable) > MAX_LOOP:
            raise self.error(node, f"the loop has {len(iterable)} items; ARM allows at most {MAX_LOOP}")
        out: list[tuple[str, dict[str, Any]]] = []
        for index, item in enumerate(iterable):
            local: dict[str, Any] = {}
            if node.item:
                local[node.item] = item
            if node.index:
                local[node.index] = index
            if node.condition is not None:
                keep = self.eval(node.condition, {**outer, **local})
                if keep is False:
                    continue
                self._want_bool(node.condition, keep, "the loop filter")
            out.append((f"[{index}]", local))
        return out

    def _want_bool(self, node: ast.Node, value: Any, what: str) -> None:
        if value is not UNKNOWN and not isinstance(value, bool):
            raise self.error(node, f"{what} must be true or false, got {_kind(value)}")

    def _instance(
        self,
        decl: ast.ResourceDecl,
        body_node: ast.Expr,
        local: dict[str, Any],
        key: str,
        parent: Instance | None,
    ) -> Instance:
        if not isinstance(body_node, ast.Object):
            raise self.error(body_node, "a resource's value must be an object")
        raw_type, _, api_version = decl.type.partition("@")
        body = self.eval_object(body_node, local, skip=_NOT_IN_BODY)
        if body is UNKNOWN:
            body = {"name": UNKNOWN}
        explicit_parent = self._parent_of(body_node, local)
        if explicit_parent is not None:
            parent = explicit_parent
        if parent is not None and "/" not in raw_type.strip("/"):
            full_type = f"{parent.type}/{raw_type}"
            api_version = api_version or (parent.api_version or "")
        else:
            full_type = raw_type
        name = body.get("name", UNKNOWN)
        if parent is not None:
            leaf = name
            full_name = UNKNOWN if UNKNOWN in (parent.full_name, name) else f"{parent.full_name}/{name}"
        elif isinstance(name, str) and "/" in name:
            full_name = name
            leaf = name.rsplit("/", 1)[1]
        elif name is UNKNOWN:
            # 'name: '${account.name}/chat'' with the account's name unknown: the leaf is still 'chat'.
            full_name, leaf = UNKNOWN, self._known_leaf(body_node, local)
        else:
            full_name = leaf = name
        arm_body = {k: v for k, v in body.items() if k.lower() not in _NOT_IN_BODY}
        arm_body["type"] = full_type
        arm_body["name"] = leaf
        return Instance(
            key=key,
            symbol=decl.name,
            type=full_type,
            api_version=api_version or None,
            name=leaf,
            full_name=full_name,
            body=arm_body,
            file=self.file,
            line=decl.line,
            existing=decl.existing,
            parent=parent,
            resource_group=self.deployment.resource_group,
            subscription_id=self.deployment.subscription_id,
        )

    def _known_leaf(self, body_node: ast.Object, local: dict[str, Any]) -> Any:
        """The leaf of a ``parent/child`` name written as a string when only the parent part is unknown."""
        written = next(
            (e.value for e in body_node.entries if isinstance(e, ast.Property) and e.key == "name"), None
        )
        if not isinstance(written, ast.Interpolated):
            return UNKNOWN
        parts = written.parts
        last_slash = max((i for i, p in enumerate(parts) if isinstance(p, str) and "/" in p), default=-1)
        if last_slash < 0:
            return UNKNOWN
        head = str(parts[last_slash]).rsplit("/", 1)[1]
        tail = ast.Interpolated(written.line, written.col, (head, *parts[last_slash + 1 :]))
        leaf = self.eval(tail, local)
        return leaf if isinstance(leaf, str) and leaf else UNKNOWN

    def _parent_of(self, body_node: ast.Object, local: dict[str, Any]) -> Instance | None:
        for entry in body_node.entries:
            if isinstance(entry, ast.Property) and entry.key == "parent":
                value = self.eval(entry.value, local)
                if isinstance(value, Instance):
                    return value
                if value is UNKNOWN:
                    return None
                raise self.error(entry.value, f"'parent' must be a resource, got {_kind(value)}")
        return None

    # ----------------------------------------------------------------- modules

    def module_value(self, name: str) -> Any:
        key = f"module:{name}"
        if key in self.module_values:
            cached = self.module_values[key]
            if cached is _IN_PROGRESS:
                raise self.error(self.modules[name], f"module '{name}' depends on itself")
            return cached
        self.module_values[key] = _IN_PROGRESS
        decl = self.modules[name]
        value: Any
        if decl.condition is not None:
            condition = self.eval(decl.condition, {})
            if condition is False:
                self.module_values[key] = UNKNOWN
                return UNKNOWN
            self._want_bool(decl.condition, condition, "the module condition")
        if isinstance(decl.value, ast.For):
            loop = self.loop(decl.value)
            if loop and loop[0][0] == UNKNOWN_INDEX:
                self._unknown_loop(decl, f"instances of module '{self.prefix}module.{name}'")
            value = [
                self._module_instance(decl, decl.value.body, local, f"{self.prefix}module.{name}{suffix}.")
                for suffix, local in loop
            ]
        else:
            value = self._module_instance(decl, decl.value, {}, f"{self.prefix}module.{name}.")
        self.module_values[key] = value
        return value

    def _module_instance(
        self, decl: ast.ModuleDecl, body_node: ast.Expr, local: dict[str, Any], prefix: str
    ) -> ModuleInstance:
        if not isinstance(body_node, ast.Object):
            raise self.error(body_node, "a module's value must be an object")
        body = self.eval_object(body_node, local, skip=frozenset({"dependson"}))
        name = body.get("name", UNKNOWN) if isinstance(body, dict) else UNKNOWN
        if decl.path.startswith(_REGISTRY_PREFIXES) or _is_json(decl.path):
            # Read later (aigov.sources.bicep.registry): a registry module from the local module
            # cache, an ARM JSON module as the template it is; outputs stay unknown.
            target = self._module_deployment(body.get("scope") if isinstance(body, dict) else None)
            self.evaluation.registry_calls.append(
                RegistryCall(
                    decl.path,
                    decl.name,
                    prefix,
                    self.file,
                    decl.line,
                    decl.col,
                    body.get("params", {}) if isinstance(body, dict) else UNKNOWN,
                    target.subscription_id,
                    target.resource_group,
                    target.location,
                )
            )
            return ModuleInstance(name, None)
        tree = self._load_relative(decl, decl.path)
        params = body.get("params", {}) if isinstance(body, dict) else UNKNOWN
        if params is UNKNOWN:
            inputs: dict[str, Any] = {}
            unknown_inputs = True
        elif isinstance(params, dict):
            inputs = dict(params)
            unknown_inputs = False
        else:
            raise self.error(body_node, f"'params' must be an object, got {_kind(params)}")
        deployment = self._module_deployment(body.get("scope") if isinstance(body, dict) else None)
        evaluator = FileEvaluator(
            tree,
            file=tree.path,
            inputs=inputs,
            prefix=prefix,
            deployment=deployment,
            evaluation=self.evaluation,
            stack=self.stack,
            strict_inputs=not unknown_inputs,
        )
        if unknown_inputs:
            evaluator.inputs = dict.fromkeys(evaluator.params, UNKNOWN)
        for given in inputs:
            if given not in evaluator.params:
                raise self.error(body_node, f"module '{decl.name}': '{decl.path}' has no parameter '{given}'")
        evaluator.run()
        return ModuleInstance(name, evaluator)

    def _module_deployment(self, scope: Any) -> Deployment:
        if isinstance(scope, Instance) and scope.type.lower() == _RESOURCE_GROUPS:
            return Deployment(
                scope.name, scope.body.get("location", UNKNOWN), self.deployment.subscription_id
            )
        if isinstance(scope, dict) and str(scope.get("type", "")).lower() == _RESOURCE_GROUPS:
            return Deployment(
                scope.get("name", UNKNOWN), scope.get("location", UNKNOWN), self.deployment.subscription_id
            )
        if scope is None:
            return self.deployment
        return Deployment(UNKNOWN, UNKNOWN, self.deployment.subscription_id)

    # ----------------------------------------------------------------- expressions

    def eval(self, node: ast.Expr, local: Mapping[str, Any]) -> Any:
        self.step(node)
        try:
            return self._eval(node, local)
        except FunctionError as exc:
            raise self.error(node, str(exc), ValueDependentError) from None
        except EvalError as exc:
            raise self.error(node, str(exc), ValueDependentError) from None
        except RecursionError:
            raise self.error(node, "expression nested too deeply to evaluate") from None

    def _eval(self, node: ast.Expr, local: Mapping[str, Any]) -> Any:
        if isinstance(node, ast.Literal):
            return node.value
        if isinstance(node, ast.Ref):
            return self.lookup_symbol(node, local)
        if isinstance(node, ast.Interpolated):
            parts: list[str] = []
            for part in node.parts:
                if isinstance(part, str):
                    parts.append(part)
                    continue
                value = self.eval(part, local)
                if contains_unknown(value):
                    return UNKNOWN
                parts.append(to_string(value))
            return "".join(parts)
        if isinstance(node, ast.Object):
            return self.eval_object(node, local)
        if isinstance(node, ast.Array):
            items: list[Any] = []
            for item in node.items:
                if isinstance(item, ast.Spread):
                    spread = self.eval(item.value, local)
                    if spread is UNKNOWN:
                        return UNKNOWN
                    if not isinstance(spread, list):
                        raise self.error(
                            item, f"only an array can be spread into an array, got {_kind(spread)}"
                        )
                    items.extend(spread)
                else:
                    items.append(self.eval(item, local))
            return items
        if isinstance(node, ast.Member):
            return self.member(
                node, self.eval(node.target, local), node.name, node.safe or _safe_chain(node.target)
            )
        if isinstance(node, ast.Index):
            return self.index(node, local)
        if isinstance(node, ast.ChildRef):
            return self.child_ref(node)
        if isinstance(node, ast.Call):
            return self.call(node, local)
        if isinstance(node, ast.Unary):
            value = self.eval(node.operand, local)
            if value is UNKNOWN:
                return UNKNOWN
            if node.op == "!":
                if not isinstance(value, bool):
                    raise EvalError(f"'!' needs a bool, got {_kind(value)}")
                return not value
            if not _is_int(value):
                raise EvalError(f"'-' needs an int, got {_kind(value)}")
            return -value
        if isinstance(node, ast.NonNull):
            return self.eval(node.operand, local)
        if isinstance(node, ast.Binary):
            return self.binary(node, local)
        if isinstance(node, ast.Ternary):
            condition = self.eval(node.condition, local)
            if condition is UNKNOWN:
                then = self._guarded(node.then, local)
                otherwise = self._guarded(node.otherwise, local)
                return then if equal(then, otherwise) is True else UNKNOWN
            if not isinstance(condition, bool):
                raise self.error(node.condition, f"a condition must be true or false, got {_kind(condition)}")
            return self.eval(node.then if condition else node.otherwise, local)
        if isinstance(node, ast.Lambda):
            return Closure(self, node.params, node.body, dict(local))
        if isinstance(node, ast.For):
            out: list[Any] = []
            for suffix, loop_local in self.loop(node, local):
                if suffix == UNKNOWN_INDEX:
                    return UNKNOWN  # an array whose length is known only at deployment, as ARM's copy gives
                out.append(self.eval(node.body, {**local, **loop_local}))
            return out
        raise EvalError(f"cannot evaluate {type(node).__name__}")  # pragma: no cover - every node is handled

    def _guarded(self, node: ast.Expr, local: Mapping[str, Any]) -> Any:
        """An operand a value known only at deployment may keep from running: its value errors are UNKNOWN."""
        try:
            return self.eval(node, local)
        except ValueDependentError:
            return UNKNOWN

    def eval_object(
        self, node: ast.Object, local: Mapping[str, Any], skip: frozenset[str] = frozenset()
    ) -> Any:
        out: dict[str, Any] = {}
        unknown = False
        for entry in node.entries:
            if isinstance(entry, ast.ResourceDecl):
                continue  # a nested child resource: a resource of its own
            if isinstance(entry, ast.Spread):
                spread = self.eval(entry.value, local)
                if spread is UNKNOWN:
                    unknown = True
                    continue
                if not isinstance(spread, dict):
                    raise self.error(
                        entry, f"only an object can be spread into an object, got {_kind(spread)}"
                    )
                out.update(spread)
                continue
            key = entry.key if isinstance(entry.key, str) else self.eval(entry.key, local)
            if key is UNKNOWN:
                unknown = True
                continue
            if not isinstance(key, str):
                raise self.error(entry, f"a property name must be a string, got {_kind(key)}")
            if key.lower() in skip:
                continue
            out[key] = self.eval(entry.value, local)
        return UNKNOWN if unknown else out

    def member(self, node: ast.Node, target: Any, name: str, safe: bool) -> Any:
        if target is UNKNOWN:
            return UNKNOWN
        if target is None:
            if safe:
                return None
            raise self.error(
                node,
                f"cannot read '{name}' of null (use '.?{name}' for an optional value)",
                ValueDependentError,
            )
        if isinstance(target, Instance):
            return _resource_member(target, name)
        if isinstance(target, Namespace):
            return target.member(name)
        if isinstance(target, ModuleInstance):
            if name == "name":
                return target.name
            if name == "outputs":
                return target.evaluator.outputs_value() if target.evaluator else UNKNOWN
            return UNKNOWN
        if isinstance(target, dict):
            found, value = lookup(target, name)
            if isinstance(target, DeployedObject):
                return deployed(value) if found else UNKNOWN
            if found:
                return value
            if safe:
                return None
            shown = ", ".join(sorted(target)) or "none"
            raise self.error(
                node, f"the object has no property '{name}' (it has: {shown})", ValueDependentError
            )
        if isinstance(target, list) and target and all(isinstance(t, Instance) for t in target):
            raise self.error(node, f"'{name}' of a resource loop: index it first ([i].{name})")
        raise self.error(node, f"cannot read '{name}' of {_kind(target)}")

    def index(self, node: ast.Index, local: Mapping[str, Any]) -> Any:
        target = self.eval(node.target, local)
        index = self.eval(node.index, local)
        safe = node.safe or _safe_chain(node.target)
        if target is UNKNOWN or index is UNKNOWN:
            return UNKNOWN
        if target is None and safe:
            return None
        if isinstance(index, str):
            return self.member(node, target, index, safe)
        if isinstance(target, list) and _is_int(index):
            position = len(target) - index if node.from_end else index  # arr[^1] is the last item
            if 0 <= position < len(target):
                item = target[position]
                return deployed(item) if isinstance(target, DeployedArray) else item
            if isinstance(target, DeployedArray) or _is_collection(target):
                # The deployed array (or resource collection) is read at deployment:
                # the compiler does not check the index, nor can aigov.
                return UNKNOWN
            if safe:
                return None
            shown = f"^{index}" if node.from_end else index
            raise self.error(
                node, f"index {shown} is outside the array (length {len(target)})", ValueDependentError
            )
        raise self.error(node, f"cannot index {_kind(target)} with {_kind(index)}")

    def child_ref(self, node: ast.ChildRef) -> Any:
        path: list[str] = [node.name]
        target: ast.Expr = node.target
        while isinstance(target, ast.ChildRef):
            path.append(target.name)
            target = target.target
        if not isinstance(target, ast.Ref):
            raise self.error(node, "'::' must follow a resource symbol")
        symbol = "::".join([target.name, *reversed(path)])
        if symbol not in self.resources:
            # Inside a parent's body its children are named without the parent: 'child::grandchild'.
            nested = [s for s in self.resources if s.endswith(f"::{symbol}")]
            if len(nested) != 1:
                raise self.error(node, f"'{symbol}' is not a declared nested resource")
            symbol = nested[0]
        return self.resource_value(symbol)

    def binary(self, node: ast.Binary, local: Mapping[str, Any]) -> Any:
        op = node.op
        left = self.eval(node.left, local)
        if op == "&&":
            if left is False:
                return False
            right = self._after(left, node.right, local)
            if right is False:
                return False
            if left is UNKNOWN or right is UNKNOWN:
                return UNKNOWN
            return self._bool_operand(node, left) and self._bool_operand(node, right)
        if op == "||":
            if left is True:
                return True
            right = self._after(left, node.right, local)
            if right is True:
                return True
            if left is UNKNOWN or right is UNKNOWN:
                return UNKNOWN
            return self._bool_operand(node, left) or self._bool_operand(node, right)
        if op == "??":
            if left is UNKNOWN:
                return UNKNOWN
            return self.eval(node.right, local) if left is None else left
        right = self.eval(node.right, local)
        if op in ("==", "!="):
            result = equal(left, right)
            return result if result is UNKNOWN else (result if op == "==" else not result)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        if op in ("=~", "!~"):
            if not (isinstance(left, str) and isinstance(right, str)):
                raise EvalError(f"'{op}' compares strings, got {_kind(left)} and {_kind(right)}")
            same = left.lower() == right.lower()
            return same if op == "=~" else not same
        if op in ("<", "<=", ">", ">="):
            if not ((_is_int(left) and _is_int(right)) or (isinstance(left, str) and isinstance(right, str))):
                raise EvalError(f"'{op}' compares ints or strings, got {_kind(left)} and {_kind(right)}")
            return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
        if not (_is_int(left) and _is_int(right)):
            raise EvalError(f"'{op}' needs ints, got {_kind(left)} and {_kind(right)}")
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if right == 0:
            raise EvalError("division by zero (the deployment fails on it too)")
        quotient = abs(left) // abs(right) * (1 if (left >= 0) == (right >= 0) else -1)
        return quotient if op == "/" else left - quotient * right

    def _after(self, left: Any, right: ast.Expr, local: Mapping[str, Any]) -> Any:
        """The right operand of ``&&``/``||``: guarded when the left one is unknown."""
        return self._guarded(right, local) if left is UNKNOWN else self.eval(right, local)

    def _bool_operand(self, node: ast.Node, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.error(node, f"'{getattr(node, 'op', '')}' needs bools, got {_kind(value)}")
        return value

    # ----------------------------------------------------------------- calls

    def call(self, node: ast.Call, local: Mapping[str, Any]) -> Any:
        name = node.name
        if node.target is not None:
            namespace = node.target
            is_namespace = (
                isinstance(namespace, ast.Ref)
                and namespace.name in ("az", "sys")
                and namespace.name not in local
                and namespace.name not in self.params
                and namespace.name not in self.vars
                and namespace.name not in self.resources
            )
            if not is_namespace:
                target = self.eval(namespace, local)
                if isinstance(target, Namespace):
                    function = target.member(name)
                    if not isinstance(function, Closure):
                        raise self.error(node, f"'{name}' is not a function of the imported file")
                    return function(*[self.eval(a, local) for a in node.args])
                if isinstance(target, Instance | ModuleInstance) or target is UNKNOWN:
                    # listKeys(), getSecret(), ...: values of the deployed resource.
                    self.evaluation.note_runtime(self.file, name)
                    return UNKNOWN
                raise self.error(node, f"'{name}()' cannot be called on {_kind(target)}")
        if name in local and isinstance(local[name], Closure):
            return local[name](*[self.eval(a, local) for a in node.args])
        if name in self.funcs:
            func = self.funcs[name]
            args = [self.eval(a, local) for a in node.args]
            if len(args) != len(func.params):
                raise self.error(node, f"{name}() takes {len(func.params)} argument(s), got {len(args)}")
            return Closure(self, func.params, func.body, {})(*args)
        if name in self.imports:
            imported = self.imported(node, name)
            if isinstance(imported, Closure):
                return imported(*[self.eval(a, local) for a in node.args])
            return UNKNOWN
        if is_runtime(name):
            self.evaluation.note_runtime(self.file, name)
            return UNKNOWN
        if name.lower() == "nameof":
            return _nameof(self, node)
        special = _DEPLOYMENT_FUNCTIONS.get(name.lower())
        if special is not None:
            return special(self, node, [self.eval(a, local) for a in node.args])
        function = FUNCTIONS.get(name.lower())
        if function is None:
            raise self.error(node, f"unknown function '{name}'")
        args = [self.eval(a, local) for a in node.args]
        d = self.deployment
        return function(PlainSite(name, d.subscription_id, d.resource_group), args)

    def resource_group(self, node: ast.Node, args: list[Any]) -> Any:
        d = self.deployment
        if args:  # resourceGroup([subscriptionId,] name): another group, whose location is its own
            sub = args[0] if len(args) > 1 else d.subscription_id
            return resource_group_object(sub, args[-1], UNKNOWN, _unknown)
        return resource_group_object(d.subscription_id, d.resource_group, d.location, _unknown)

    def subscription(self, node: ast.Node, args: list[Any]) -> Any:
        return subscription_object(args[0] if args else self.deployment.subscription_id, _unknown)

    def directory_info(self, node: ast.Node, args: list[Any]) -> Any:
        """``loadDirectoryFileInfo(path, [pattern])``: the files of a folder, as the compiler lists them."""
        if not args or not isinstance(args[0], str) or (len(args) > 1 and not isinstance(args[1], str)):
            raise self.error(
                node, "loadDirectoryFileInfo() needs a folder path string (and a pattern string)"
            )
        relative = os.path.normpath(args[0]).replace(os.sep, "/")
        try:
            folder = self.evaluation.root.resolve(args[0], os.path.dirname(self.file))
        except FileRefused as exc:
            raise self.error(node, f"loadDirectoryFileInfo(): {exc}") from None
        pattern = args[1] if len(args) > 1 else "*"
        try:
            names = [n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n))]
        except OSError:
            raise self.error(node, f"'{args[0]}' is not a folder (looked for {folder})") from None
        chosen = sorted((n for n in names if fnmatch.fnmatchcase(n, pattern)), key=str.lower)
        return [
            {"relativePath": f"{relative}/{n}", "baseName": n, "extension": os.path.splitext(n)[1]}
            for n in chosen
        ]

    def _decode(self, node: ast.Node, data: bytes, encoding: Any) -> str:
        """A loaded file's text in one of the encodings Bicep's load functions take (default UTF-8)."""
        if encoding is None:
            return data.decode("utf-8-sig", errors="replace")
        codec = _ENCODINGS.get(str(encoding).lower())
        if codec is None:
            shown = ", ".join(_ENCODINGS)
            raise self.error(node, f"encoding {encoding!r} is not one Bicep reads ({shown})")
        return data.decode(codec, errors="replace").removeprefix("\ufeff")

    def load_content(self, node: ast.Node, args: list[Any], kind: str) -> Any:
        if not args or not isinstance(args[0], str):
            raise self.error(node, f"{kind}() needs a file path string")
        try:
            target, data = self.evaluation.root.read(
                args[0], os.path.dirname(self.file), limit=MAX_LOADED_FILE
            )
        except FileRefused as exc:
            raise self.error(node, f"{kind}(): {exc}") from None
        self.evaluation.files.append(target)
        if kind == "loadFileAsBase64":
            return base64.b64encode(data).decode()
        # loadTextContent(path, encoding); the others (path, filter, encoding).
        at = 1 if kind == "loadTextContent" else 2
        encoding = args[at] if len(args) > at else None
        text = self._decode(node, data, encoding)
        if kind == "loadTextContent":
            return text

        language = "YAML" if kind == "loadYamlContent" else "JSON"

        def invalid(message: str, **_: object) -> SourceError:
            return self.error(node, f"'{args[0]}' is not valid {language}: {message}")

        if kind == "loadYamlContent":
            value, _ = yamlio.loads(text, target, invalid)
        else:
            value = decode(without_comments(text), target, invalid)  # comments allowed, as Bicep reads it
        if len(args) > 1 and isinstance(args[1], str) and args[1] not in ("$", ""):
            selected = _json_path(value, args[1])
            if selected is None:
                raise self.error(node, f"the path {args[1]!r} selects nothing in '{args[0]}'")
            return selected
        return value


_PATH_STEP: Final = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\[\*\]|\.\*")


def _json_path(value: Any, path: str) -> Any:
    """A load function's JSONPath filter: names, indexes and wildcards; a filter expression is UNKNOWN.

    One match is the value, a wildcard gives the array of matches, and None
    means the path selects nothing.
    """
    text = path.strip().removeprefix("$")
    if text and not text.startswith((".", "[")):
        text = "." + text
    found: list[Any] = [value]
    many = False
    at = 0
    while at < len(text):
        step = _PATH_STEP.match(text, at)
        if step is None:
            return UNKNOWN  # a filter such as [?(@.price > 3)]: not evaluated
        at = step.end()
        name, index, quoted = step.group(1), step.group(2), step.group(3)
        following: list[Any] = []
        for item in found:
            if name is not None or quoted is not None:
                if isinstance(item, dict):
                    hit, child = lookup(item, name if name is not None else quoted)
                    if hit:
                        following.append(child)
            elif index is not None:
                if isinstance(item, list) and int(index) < len(item):
                    following.append(item[int(index)])
            else:
                many = True
                following.extend(
                    item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
                )
        found = following
    if many:
        return found
    return found[0] if found else None


def _environment_variable(environment: Mapping[str, str], args: list[Any]) -> Any:
    """``readEnvironmentVariable(name, [default])``: a variable the user passed in (--env), else unknown."""
    if args and isinstance(args[0], str) and args[0] in environment:
        return environment[args[0]]
    return args[1] if len(args) > 1 else UNKNOWN


def _nameof(ev: FileEvaluator, node: ast.Call) -> str:
    """``nameof(x)``: the last name in ``x`` (``nameof(account.properties.sku)`` is ``'sku'``)."""
    if len(node.args) != 1:
        raise ev.error(node, f"nameof() takes 1 argument, got {len(node.args)}")
    target = node.args[0]
    if isinstance(target, ast.NonNull):
        target = target.operand
    if isinstance(target, ast.Ref | ast.Member | ast.ChildRef):
        return target.name
    index = target.index if isinstance(target, ast.Index) else None
    if isinstance(index, ast.Literal) and isinstance(index.value, str):
        return index.value
    raise ev.error(node, "nameof() needs a symbol or a property name")


_DeploymentFn = Callable[[FileEvaluator, ast.Node, list[Any]], Any]

_DEPLOYMENT_FUNCTIONS: Final[dict[str, _DeploymentFn]] = {
    "resourcegroup": FileEvaluator.resource_group,
    "subscription": FileEvaluator.subscription,
    "tenant": lambda ev, node, args: tenant_object(_unknown),
    "managementgroup": lambda ev, node, args: UNKNOWN,
    "deployment": lambda ev, node, args: {"name": UNKNOWN, "location": UNKNOWN, "properties": UNKNOWN},
    "environment": lambda ev, node, args: UNKNOWN,
    "managementgroupresourceid": lambda ev, node, args: UNKNOWN,
    "loadtextcontent": lambda ev, node, args: ev.load_content(node, args, "loadTextContent"),
    "loadjsoncontent": lambda ev, node, args: ev.load_content(node, args, "loadJsonContent"),
    "loadyamlcontent": lambda ev, node, args: ev.load_content(node, args, "loadYamlContent"),
    "loadfileasbase64": lambda ev, node, args: ev.load_content(node, args, "loadFileAsBase64"),
    "loaddirectoryfileinfo": lambda ev, node, args: ev.directory_info(node, args),
    "readenvironmentvariable": lambda ev, node, args: _environment_variable(ev.evaluation.environment, args),
    "getsecret": lambda ev, node, args: UNKNOWN,
    "externalinput": lambda ev, node, args: UNKNOWN,
}


def _resource_member(instance: Instance, name: str) -> Any:
    lowered = name.lower()
    if lowered == "name":
        # The name as declared: 'vnet/subnet' for a child named with a slash, as the compiler gives it.
        return instance.name if instance.parent is not None else instance.full_name
    if lowered == "type":
        return instance.type
    if lowered == "apiversion":
        return instance.api_version
    if lowered == "id":
        return UNKNOWN
    if instance.existing:
        return UNKNOWN
    found, value = lookup(instance.body, name)
    # A property the template does not set is the deployed resource's: known only then.
    return deployed(value) if found else UNKNOWN


def _is_collection(value: list[Any]) -> bool:
    """Whether ``value`` is a resource or module loop's instances."""
    return bool(value) and all(isinstance(v, Instance | ModuleInstance) for v in value)


def _is_json(path: str) -> bool:
    """Whether a module or import path names an ARM JSON template rather than a Bicep file."""
    return path.lower().endswith(".json")


def _safe_chain(node: ast.Expr) -> bool:
    """Whether ``node`` is part of a chain with a safe access (``a.?b.c``: null propagates)."""
    while isinstance(node, ast.Member | ast.Index | ast.NonNull):
        if isinstance(node, ast.Member | ast.Index) and node.safe:
            return True
        node = node.target if not isinstance(node, ast.NonNull) else node.operand
    return False


def _secure_placeholder(decl: ast.Param) -> bool:
    """Whether ``decl`` is a ``@secure()`` parameter whose default is empty (``''`` or ``{}``)."""
    if not any(d.name.lower() == "secure" for d in decl.decorators):
        return False
    default = decl.default
    if isinstance(default, ast.Literal):
        return bool(default.value == "")
    return isinstance(default, ast.Object) and not default.entries


def _pipeline_token(default: ast.Expr) -> str | None:
    """The token's name when a parameter's default is a pipeline token such as ``'#_namePrefix_#'``.

    The Azure Verified Modules test pipeline replaces such tokens in the file
    before it deploys; the value exists only there (or where ``--env NAME``
    gives it), like azd's ``${NAME}``: never the token's own text, which would
    fail length and name checks that pass at deployment.
    """
    if isinstance(default, ast.Literal) and isinstance(default.value, str):
        found = _TOKEN.fullmatch(default.value)
        return found[1] if found else None
    return None


def _unknown(what: str) -> Any:
    """A value known only at deployment: in the Bicep path, UNKNOWN whatever it is."""
    return UNKNOWN


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    if value is UNKNOWN:
        return "an unknown value"
    if isinstance(value, Instance):
        return "a resource"
    if isinstance(value, ModuleInstance):
        return "a module"
    if isinstance(value, Closure):
        return "a lambda"
    if isinstance(value, Namespace):
        return "an imported namespace"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int):
        return "an int"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__
