"""Terraform configuration (``.tf`` files) evaluated to the resources a plan would create.

The input is a directory of ``.tf`` files (the root module) or one ``.tf``
file. What is evaluated, as Terraform would:

* **Variables**, lowest precedence first: ``default``; ``TF_VAR_<name>``
  (given in :attr:`SourceOptions.environment`: the source itself reads no
  environment); ``terraform.tfvars``; ``terraform.tfvars.json``;
  ``*.auto.tfvars`` and ``*.auto.tfvars.json`` in lexical order; each
  ``--var-file`` in the order given; each ``--var NAME=VALUE``. A variable
  with no value is UNKNOWN, not an error. Values are converted to the
  declared ``type`` (including ``optional(T, default)`` object attributes);
  command-line and environment values are literal strings for primitive or
  untyped variables and HCL for others, as in Terraform.
* **Locals** in any order (a cycle is an error naming it), **references**
  (``var``, ``local``, ``each``, ``count.index``, ``path``,
  ``terraform.workspace``, resource attributes, module outputs), and the
  expressions and functions of :mod:`aigov.sources.hcl_eval`.
* **Resource attributes**: ``azurerm_resource_group.rg.location`` is the
  referenced block's own argument; an attribute its configuration does not
  set (``id``, ``endpoint``) is unknown, yet still says which resource it
  comes from, so ``cognitive_account_id = azurerm_cognitive_account.main.id``
  links a deployment to that account instance (also through module inputs
  and outputs). Data sources are UNKNOWN.
* **count / for_each** on resources and modules, with Terraform's addresses
  (``azurerm_cognitive_deployment.chat["gpt4o"]``,
  ``module.ai[0].azurerm_search_service.s``). When the count or the
  for_each collection is unknown, the block is evaluated once, keyed
  ``[?]``, with ``count.index``/``each.*`` unknown, and a warning says so:
  its findings are then about "every instance, if any", never lost.
* **Modules** with local sources (``./``, ``../``), nested, with their inputs
  and ``providers`` maps, and registry, Git and archive modules that
  ``terraform init`` installed (``.terraform/modules/modules.json``, see
  :mod:`aigov.sources.tf_modules`). Nothing is fetched: a module not
  installed is an :class:`~aigov.model.UnreadInput` (its resources are
  unknown, an undetermined finding fails the gate) and its outputs are
  unknown.
* **Providers**: ``subscription_id`` of the ``azurerm``/``azapi`` block a
  resource uses (``provider = azurerm.prod``, inherited by modules) is its
  subscription unless ``--subscription`` overrides it.

Every resource carries its ``.tf`` file (the path as given on the command
line joined with the file's place in the tree), the block's line and its
address. Things evaluated as unknown for a reason worth knowing (a function
aigov does not evaluate, an unknown count) are :attr:`Inventory.warnings`,
surfaced as scan warnings.

Not read: ``*.tf.json`` files and ``override.tf`` / ``*_override.tf``
files, each an :attr:`Inventory.unread` input (Terraform would use them, so
the scan cannot pass without them); ``moved``/``import``/``check`` blocks
(they create nothing).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Final

from aigov.display import excerpt
from aigov.entries import entry_kind
from aigov.errors import SourceError
from aigov.jsontext import decode
from aigov.model import UNKNOWN, Action, Inventory, Origin, Resource, UnreadInput
from aigov.readfile import read_regular_text
from aigov.sources import sniff
from aigov.sources.azurerm import (
    TERRAFORM_TYPES,
    Mapped,
    MappingError,
    address_named_by_id,
    subscription_along_parents,
)
from aigov.sources.base import Source, SourceInput, SourceOptions
from aigov.sources.confine import FileRefused
from aigov.sources.hcl_eval import (
    MAX_ITEMS,
    Block,
    EvalError,
    Evaluator,
    HclSet,
    Lazy,
    Node,
    ParseError,
    UnknownRef,
    body_items,
    has_unknown,
    is_unknown,
    kids,
    line_of,
    name_of,
    parse,
    plain,
    to_bool,
    to_number,
    to_string,
    traversal,
    type_name,
)
from aigov.sources.tf_modules import MANIFEST, InstalledModule, read_manifest, same_source

MAX_FILE_BYTES: Final = 5_000_000
"""A larger ``.tf`` file is refused (parsing is linear, but this bounds its time)."""

MAX_MODULE_DEPTH: Final = 32
MAX_INSTANCES: Final = 100_000
"""Resource and module instances in one configuration, all modules together."""

_META: Final = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle", "providers", "source"})
_UNKNOWN_KEY: Final = "[?]"


class TerraformHclSource(Source):
    """Evaluates a Terraform configuration directory (or one ``.tf`` file)."""

    name = "terraform_hcl"
    description = "Terraform configuration (a directory of .tf files, or a .tf file)"

    @classmethod
    def detect(cls, source_input: SourceInput) -> bool:
        return sniff.terraform_hcl(source_input)

    def load(self, source_input: SourceInput, options: SourceOptions) -> Inventory:
        try:
            return _Loader(source_input, options).load()
        except RecursionError:
            raise SourceError(
                "expressions or references nested too deeply to evaluate", file=source_input.name
            ) from None


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True, slots=True)
class _Decl:
    """A declaration (block or attribute) and the file it is in."""

    block: Block
    file: str  # display path

    @property
    def line(self) -> int | None:
        return self.block.line


@dataclass(frozen=True, slots=True)
class _Local:
    expression: Node
    file: str


@dataclass(slots=True)
class _Config:
    """One module directory's declarations."""

    directory: Path
    display: str
    variables: dict[str, _Decl] = field(default_factory=dict)
    locals: dict[str, _Local] = field(default_factory=dict)
    resources: dict[tuple[str, str], _Decl] = field(default_factory=dict)
    data: set[tuple[str, str]] = field(default_factory=set)
    calls: dict[str, _Decl] = field(default_factory=dict)
    outputs: dict[str, _Decl] = field(default_factory=dict)
    providers: list[_Decl] = field(default_factory=list)


def _display(base: str, relative: Path | str) -> str:
    joined = os.path.normpath(os.path.join(base, str(relative)))
    return PurePosixPath(Path(joined)).as_posix()


def _read_hcl(path: Path, display: str) -> Node:
    text = read_regular_text(path, MAX_FILE_BYTES, SourceError, name=display)
    try:
        return parse(text)
    except ParseError as exc:
        where = f"line {exc.line}, column {exc.column}" if exc.line else None
        raise SourceError(exc.message, file=display, where=where) from None


def _error(exc: EvalError, file: str) -> SourceError:
    return SourceError(exc.message, file=file, where=exc.where)


# --------------------------------------------------------------------------- variables' types


def _strip(node: Node) -> Node:
    while node.data == "expr_term" and len(kids(node)) == 1:
        node = kids(node)[0]
    return node


class _ConstantScope:
    """Where only constants are allowed (tfvars files, type defaults)."""

    def __init__(self, notes: list[str], file: str) -> None:
        self._notes = notes
        self._file = file

    def root(self, name: str, node: Node) -> Any:
        raise EvalError(f"variables are not allowed here ({name})", node)

    def note(self, message: str, node: Node | None) -> None:
        self._notes.append(f"{self._file}:{line_of(node) if node is not None else '?'}: {message}")


def _convert(value: Any, type_node: Node | None, evaluator: Evaluator) -> Any:
    """``value`` converted to the type constraint ``type_node`` (None: any)."""
    if type_node is None or is_unknown(value) or value is None:
        return value
    node = _strip(type_node)
    if node.data == "identifier":
        kind = name_of(node)
        if kind == "string":
            return to_string(value, node)
        if kind == "number":
            return to_number(value, node)
        if kind == "bool":
            return to_bool(value, node)
        if kind in ("list", "set", "map"):
            return _convert_collection(kind, value, None, evaluator, node)
        return value
    if node.data != "function_call":
        return value
    kind = name_of(kids(node)[0])
    arguments = [k for k in kids(node) if k.data == "arguments"]
    inner = kids(arguments[0]) if arguments else []
    if kind in ("list", "set", "map") and len(inner) == 1:
        return _convert_collection(kind, value, inner[0], evaluator, node)
    if kind == "tuple" and len(inner) == 1:
        types = kids(_strip(inner[0]))
        if not isinstance(value, list | tuple) or len(value) != len(types):
            raise EvalError(f"a tuple of {len(types)} elements is required, got {type_name(value)}", node)
        return [_convert(v, t, evaluator) for v, t in zip(value, types, strict=True)]
    if kind == "object" and len(inner) == 1:
        return _convert_object(value, _strip(inner[0]), evaluator, node)
    return value


def _convert_collection(kind: str, value: Any, element: Node | None, evaluator: Evaluator, node: Node) -> Any:
    if kind == "map":
        if isinstance(value, Lazy):
            return value
        if not isinstance(value, dict):
            raise EvalError(f"a map is required, got {type_name(value)}", node)
        return {k: _convert(v, element, evaluator) for k, v in value.items()}
    if not isinstance(value, list | tuple):
        raise EvalError(f"a {kind} is required, got {type_name(value)}", node)
    items = [_convert(v, element, evaluator) for v in value]
    if kind == "set":
        return UNKNOWN if any(has_unknown(i) for i in items) else HclSet.of(items)
    return items


def _convert_object(value: Any, spec: Node, evaluator: Evaluator, node: Node) -> Any:
    if isinstance(value, Lazy):
        return value
    if not isinstance(value, dict):
        raise EvalError(f"an object is required, got {type_name(value)}", node)
    if spec.data != "object":
        return value
    result: dict[str, Any] = {}
    for element in kids(spec):
        key_node, type_expr = kids(element)
        key = name_of(key_node)
        attribute_type = _strip(type_expr)
        optional = attribute_type.data == "function_call" and name_of(kids(attribute_type)[0]) == "optional"
        if optional:
            arguments = kids(next(k for k in kids(attribute_type) if k.data == "arguments"))
            attribute_type, default = arguments[0], arguments[1] if len(arguments) > 1 else None
            if key in value and value[key] is not None:
                result[key] = _convert(value[key], attribute_type, evaluator)
            else:
                fallback = evaluator.evaluate(default) if default is not None else None
                result[key] = _convert(fallback, attribute_type, evaluator)
        elif key in value:
            result[key] = _convert(value[key], attribute_type, evaluator)
        else:
            raise EvalError(f"attribute {key!r} is required", node)
    return result


def _parsing_is_literal(type_node: Node | None) -> bool:
    """Whether a -var / TF_VAR_ string is taken literally (untyped or primitive) or parsed as HCL."""
    if type_node is None:
        return True
    node = _strip(type_node)
    return node.data == "identifier" and name_of(node) in ("string", "number", "bool")


# --------------------------------------------------------------------------- lazy objects


class _Named(Lazy):
    """``var`` or ``local`` of one module instance."""

    def __init__(self, module: _Module, kind: str) -> None:
        self._module = module
        self._kind = kind

    def attr(self, name: str, node: Node | None) -> Any:
        if self._kind == "var":
            return self._module.variable(name, node)
        return self._module.local(name, node)


class _ResourceObject(Lazy):
    """One resource instance: its configured arguments, everything else unknown (computed)."""

    def __init__(self, module: _Module, decl: _Decl, instance: _Instance) -> None:
        self._module = module
        self._decl = decl
        self._instance = instance

    def attr(self, name: str, node: Node | None) -> Any:
        return self._module.resource_attribute(self._decl, self._instance, name)


class _NestedBlock(Lazy):
    """One nested block of a resource (``identity[0]``): its configured arguments, the rest computed.

    The provider fills in what the configuration does not set
    (``identity[0].principal_id``), so reading it is unknown, not an error.
    """

    def __init__(self, values: Mapping[str, Any], address: str, path: str) -> None:
        self._values = values
        self._address = address  # the resource instance's
        self._path = path  # the block's, within the resource: identity[0]

    def attr(self, name: str, node: Node | None) -> Any:
        if name in self._values:
            return _computed_blocks(self._values[name], self._address, f"{self._path}.{name}")
        return UnknownRef(self._address, f"{self._path}.{name}")

    def materialize(self) -> Any:
        return UNKNOWN  # the provider adds attributes: the whole block is not known


def _computed_blocks(value: Any, address: str, path: str) -> Any:
    """Nested blocks (a list of objects) as :class:`_NestedBlock` values; anything else unchanged."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [_NestedBlock(v, address, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


class _Outputs(Lazy):
    """A module instance's outputs."""

    def __init__(self, module: _Module) -> None:
        self._module = module

    def attr(self, name: str, node: Node | None) -> Any:
        return self._module.output(name, node)


class _ByName(Lazy):
    """``azurerm_x`` (resources of a type by name) or ``module`` (calls by name)."""

    def __init__(self, module: _Module, kind: str, resource_type: str = "") -> None:
        self._module = module
        self._kind = kind
        self._type = resource_type

    def attr(self, name: str, node: Node | None) -> Any:
        if self._kind == "module":
            return self._module.module_value(name, node)
        return self._module.resource_value(self._type, name, node)


# --------------------------------------------------------------------------- instances


@dataclass(frozen=True, slots=True)
class _Instance:
    """One expansion of a block with count or for_each (``key`` None without either)."""

    key: Any  # None, an int (count), a str (for_each) or UNKNOWN
    value: Any  # each.value (for_each)
    mode: str  # "single", "count", "for_each"
    address: str

    def symbols(self) -> dict[str, Any]:
        if self.mode == "count":
            return {"count": {"index": self.key}}
        if self.mode == "for_each":
            return {"each": {"key": self.key, "value": self.value}}
        return {}


def _key_text(key: Any) -> str:
    if key is UNKNOWN:
        return _UNKNOWN_KEY
    if isinstance(key, int):
        return f"[{key}]"
    return "[" + json.dumps(key, ensure_ascii=False) + "]"


class _Scope:
    """The names an expression in one module instance (and block instance) can see."""

    def __init__(self, module: _Module, file: str, instance: _Instance | None = None) -> None:
        self.module = module
        self.file = file
        self.instance = instance

    def root(self, name: str, node: Node) -> Any:
        module = self.module
        if name == "var":
            return _Named(module, "var")
        if name == "local":
            return _Named(module, "local")
        if name in ("each", "count"):
            symbols = self.instance.symbols() if self.instance else {}
            if name not in symbols:
                raise EvalError(f"{name} is only available in a block that sets {name}", node)
            return symbols[name]
        if name == "path":
            return {"module": module.config.display, "root": module.loader.root_display, "cwd": "."}
        if name == "terraform":
            return {"workspace": "default"}
        if name in ("data", "self"):
            return UNKNOWN
        if name == "module":
            return _ByName(module, "module")
        if any(t == name for t, _ in module.config.resources):
            return _ByName(module, "resource", name)
        raise EvalError(f"unknown name {name!r} (no variable, local or resource of that name)", node)

    def note(self, message: str, node: Node | None) -> None:
        line = line_of(node) if node is not None else None
        self.module.loader.warn(f"{self.file}:{line}: {message}" if line else f"{self.file}: {message}")

    def evaluate(self, node: Node, symbols: Mapping[str, Any] | None = None) -> Any:
        env = dict(self.instance.symbols()) if self.instance else {}
        if symbols:
            env.update(symbols)
        try:
            return Evaluator(self).evaluate(node, env)
        except EvalError as exc:
            raise _error(exc, self.file) from None


# --------------------------------------------------------------------------- module instances


@dataclass(frozen=True, slots=True)
class _Call:
    """How a module instance was called: the call block, in the caller's scope."""

    decl: _Decl
    caller: _Module
    instance: _Instance


class _Module:
    """One instance of a module: its configuration, address, inputs and providers."""

    def __init__(
        self,
        loader: _Loader,
        config: _Config,
        address: str,
        call: _Call | None,
        providers: dict[str, tuple[_Module, _Decl]],
        depth: int,
    ) -> None:
        self.loader = loader
        self.config = config
        self.address = address  # "" for the root, else module.a["x"].module.b
        self.call = call
        self.depth = depth
        self._variables: dict[str, Any] = {}
        self._locals: dict[str, Any] = {}
        self._instances: dict[tuple[str, str], list[_Instance] | None] = {}
        self._attributes: dict[tuple[str, str], Any] = {}
        self._children: dict[str, list[_Module] | None] = {}
        self.providers = dict(providers)
        for decl in config.providers:  # a module's own provider blocks (legacy) win
            self.providers[_provider_key(decl, self)] = (self, decl)

    def prefix(self) -> str:
        return f"{self.address}." if self.address else ""

    @property
    def manifest_key(self) -> str:
        """The module's call path as ``terraform init`` records it: call names joined by dots."""
        if self.call is None:
            return ""
        parent, name = self.call.caller.manifest_key, self.call.decl.block.labels[0]
        return f"{parent}.{name}" if parent else name

    def label(self, what: str) -> str:
        return f"{self.prefix()}{what}"

    # ----------------------------------------------------------------- variables and locals

    def variable(self, name: str, node: Node | None) -> Any:
        if name not in self._variables:
            decl = self.config.variables.get(name)
            if decl is None:
                raise EvalError(f"no variable {name!r} is declared in {self.config.display}", node)
            with self.loader.guard(self.label(f"var.{name}"), decl.file, decl.line):
                self._variables[name] = self._variable_value(name, decl)
        return self._variables[name]

    def _variable_value(self, name: str, decl: _Decl) -> Any:
        attributes, _ = body_items(decl.block.body)
        type_attribute = attributes.get("type")
        type_node = type_attribute.expression if type_attribute else None
        scope = _Scope(self, decl.file)
        default = scope.evaluate(attributes["default"].expression) if "default" in attributes else None
        has_default = "default" in attributes
        nullable_attribute = attributes.get("nullable")
        nullable = True
        if nullable_attribute is not None:
            nullable = scope.evaluate(nullable_attribute.expression) is not False
        value: Any
        if self.call is None:
            given = self.loader.root_value(name, type_node, decl)
            value = given if given is not _ABSENT else (default if has_default else UNKNOWN)
        else:
            arguments, _ = body_items(self.call.decl.block.body)
            if name in arguments:
                caller_scope = _Scope(self.call.caller, self.call.decl.file, self.call.instance)
                value = caller_scope.evaluate(arguments[name].expression)
            elif has_default:
                value = default
            else:
                self.loader.warn(
                    f"{self.call.decl.file}:{self.call.decl.line}: {self.address}: "
                    f"input {name!r} is not set and has no default; it is unknown"
                )
                value = UNKNOWN
        if value is None and not nullable and has_default:
            value = default
        try:
            return _convert(value, type_node, Evaluator(scope))
        except EvalError as exc:
            raise SourceError(
                f"variable {name!r}: {exc.message}", file=decl.file, where=f"line {decl.line}"
            ) from None

    def local(self, name: str, node: Node | None) -> Any:
        if name not in self._locals:
            declared = self.config.locals.get(name)
            if declared is None:
                raise EvalError(f"no local value {name!r} is declared in {self.config.display}", node)
            with self.loader.guard(self.label(f"local.{name}"), declared.file, line_of(declared.expression)):
                self._locals[name] = _Scope(self, declared.file).evaluate(declared.expression)
        return self._locals[name]

    def output(self, name: str, node: Node | None) -> Any:
        decl = self.config.outputs.get(name)
        if decl is None:
            raise EvalError(f"{self.address} has no output {name!r}", node)
        attributes, _ = body_items(decl.block.body)
        if "value" not in attributes:
            return None
        with self.loader.guard(self.label(f"output.{name}"), decl.file, decl.line):
            return _Scope(self, decl.file).evaluate(attributes["value"].expression)

    # ----------------------------------------------------------------- resources

    def instances(self, resource_type: str, name: str) -> list[_Instance]:
        key = (resource_type, name)
        if key not in self._instances:
            decl = self.config.resources[key]
            with self.loader.guard(self.label(f"{resource_type}.{name}"), decl.file, decl.line):
                self._instances[key] = self.loader.expand(
                    self, decl, f"{self.prefix()}{resource_type}.{name}"
                )
        result = self._instances[key]
        assert result is not None
        return result

    def resource_value(self, resource_type: str, name: str, node: Node | None) -> Any:
        decl = self.config.resources.get((resource_type, name))
        if decl is None:
            raise EvalError(f"no resource {resource_type}.{name} is declared in {self.config.display}", node)
        instances = self.instances(resource_type, name)
        return _collection(instances, lambda i: _ResourceObject(self, decl, i))

    def resource_attribute(self, decl: _Decl, instance: _Instance, name: str) -> Any:
        cache_key = (instance.address, name)
        if cache_key not in self._attributes:
            attributes, blocks = body_items(decl.block.body)
            scope = _Scope(self, decl.file, instance)
            with self.loader.guard(f"{instance.address}.{name}", decl.file, decl.line):
                if name in attributes and name not in _META:
                    value = scope.evaluate(attributes[name].expression)
                elif any(b.type == name for b in blocks) or any(
                    b.type == "dynamic" and b.labels[:1] == (name,) for b in blocks
                ):
                    blocks_value = block_values(scope, decl.block.body).get(name, [])
                    value = _computed_blocks(blocks_value, instance.address, name)
                else:
                    # Computed by the provider: unknown, but known to come from this instance.
                    value = UnknownRef(instance.address, name)
            self._attributes[cache_key] = value
        return self._attributes[cache_key]

    # ----------------------------------------------------------------- modules

    def children(self, call_name: str) -> list[_Module] | None:
        """The instances of a module call; None when its source is not local (not evaluated)."""
        if call_name not in self._children:
            decl = self.config.calls[call_name]
            with self.loader.guard(self.label(f"module.{call_name}"), decl.file, decl.line):
                self._children[call_name] = self.loader.instantiate(self, call_name, decl)
        return self._children[call_name]

    def module_value(self, call_name: str, node: Node | None) -> Any:
        if call_name not in self.config.calls:
            raise EvalError(f"no module {call_name!r} is called in {self.config.display}", node)
        children = self.children(call_name)
        if children is None:
            return UNKNOWN
        instances = [c.call.instance for c in children if c.call is not None]
        by_instance = {c.call.instance.address: c for c in children if c.call is not None}
        return _collection(instances, lambda i: _Outputs(by_instance[i.address]))


def _collection(instances: list[_Instance], make: Any) -> Any:
    """What a reference to a block with count/for_each evaluates to: one object, a list or a map."""
    if not instances:
        return []
    mode = instances[0].mode
    if mode == "single":
        return make(instances[0])
    if any(i.key is UNKNOWN for i in instances):
        return UNKNOWN
    if mode == "count":
        return [make(i) for i in instances]
    return {i.key: make(i) for i in instances}


def block_values(scope: _Scope, body: Node, symbols: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A block's arguments evaluated, nested blocks as lists of mappings (as in plan JSON)."""
    attributes, blocks = body_items(body)
    values: dict[str, Any] = {}
    for name, attribute in attributes.items():
        if name not in _META:
            values[name] = scope.evaluate(attribute.expression, symbols)
    for block in blocks:
        if block.type in ("lifecycle", "provisioner", "connection"):
            continue
        if block.type == "dynamic" and len(block.labels) == 1:
            values.setdefault(block.labels[0], [])
            expanded = _dynamic(scope, block, symbols)
            if expanded is UNKNOWN:
                values[block.labels[0]] = UNKNOWN
            elif values[block.labels[0]] is not UNKNOWN:
                values[block.labels[0]].extend(expanded)
            continue
        current = values.setdefault(block.type, [])
        if isinstance(current, list):
            current.append(block_values(scope, block.body, symbols))
    return values


def _dynamic(scope: _Scope, block: Block, symbols: Mapping[str, Any] | None) -> Any:
    attributes, blocks = body_items(block.body)
    content = next((b for b in blocks if b.type == "content"), None)
    if "for_each" not in attributes or content is None:
        raise SourceError(
            "a dynamic block needs for_each and content", file=scope.file, where=f"line {block.line}"
        )
    iterator = block.labels[0]
    if "iterator" in attributes:
        iterator = name_of(attributes["iterator"].expression)
    collection = scope.evaluate(attributes["for_each"].expression, symbols)
    if is_unknown(collection):
        return UNKNOWN
    if isinstance(collection, dict):
        pairs = [(k, collection[k]) for k in sorted(collection)]
    elif isinstance(collection, list | tuple):
        pairs = (
            list(enumerate(collection))
            if not isinstance(collection, HclSet)
            else [(v, v) for v in collection]
        )
    else:
        raise SourceError(
            f"dynamic block for_each over a {type_name(collection)}",
            file=scope.file,
            where=f"line {block.line}",
        )
    out = []
    for key, value in pairs:
        local = dict(symbols or {})
        local[iterator] = {"key": key, "value": value}
        out.append(block_values(scope, content.body, local))
    return out


def _provider_key(decl: _Decl, module: _Module) -> str:
    attributes, _ = body_items(decl.block.body)
    name = decl.block.labels[0] if decl.block.labels else "?"
    if "alias" in attributes:
        alias = _Scope(module, decl.file).evaluate(attributes["alias"].expression)
        if isinstance(alias, str):
            return f"{name}.{alias}"
    return name


_ABSENT: Final = object()


# --------------------------------------------------------------------------- the loader


@dataclass(frozen=True, slots=True)
class _Entry:
    """A mapped resource instance, before parents and subscriptions are resolved."""

    address: str
    module: _Module
    decl: _Decl
    terraform_type: str
    mapped: Mapped
    parent_ref: Any  # the raw parent-id value: UnknownRef, str, UNKNOWN or None


class _Loader:
    def __init__(self, source_input: SourceInput, options: SourceOptions) -> None:
        self.input = source_input
        self.options = options
        path = Path(source_input.path)
        if source_input.is_dir:
            self.root_dir, self.root_display, self.only = path, source_input.name, None
        else:
            parent = os.path.dirname(source_input.path) or "."
            self.root_dir, self.root_display, self.only = path.parent, parent, path.name
        self._warnings: list[str] = []
        self._unread: dict[str, UnreadInput] = {}
        self._installed: Mapping[str, InstalledModule] | None = None
        self._configs: dict[Path, _Config] = {}
        self._active: list[str] = []
        self._instance_count = 0
        self._root_values: dict[str, Any] | None = None
        self.root: _Module | None = None
        self.scan_root = options.scan_root(source_input.path)  # local modules are read only inside it
        self.files: list[str] = []  # every file read, real paths

    # ----------------------------------------------------------------- bookkeeping

    def warn(self, message: str) -> None:
        if message not in self._warnings:
            self._warnings.append(message)

    def not_read(self, reference: str, reason: str, address: str, file: str, line: int | None) -> None:
        """Record an input Terraform would read and aigov cannot: its resources are unknown."""
        self._unread.setdefault(
            address, UnreadInput(reference, reason, address, TerraformHclSource.name, file, line)
        )

    def installed(self) -> Mapping[str, InstalledModule]:
        if self._installed is None:
            self._installed = read_manifest(self.root_dir, self.root_display)
            if self._installed:
                self.files.append(os.path.realpath(self.root_dir / MANIFEST))
        return self._installed

    @contextmanager
    def guard(self, label: str, file: str, line: int | None) -> Iterator[None]:
        """Evaluate ``label`` once at a time: re-entering it is a reference cycle."""
        if label in self._active:
            cycle = [*self._active[self._active.index(label) :], label]
            raise SourceError(
                "reference cycle: " + " -> ".join(cycle), file=file, where=f"line {line}" if line else None
            )
        self._active.append(label)
        try:
            yield
        finally:
            self._active.pop()

    # ----------------------------------------------------------------- configuration

    def config(self, directory: Path, display: str, only: str | None = None) -> _Config:
        key = directory.resolve() / (only or "")
        if key in self._configs:
            return self._configs[key]
        config = _Config(directory, display)
        files = [directory / only] if only else sorted(directory.glob("*.tf"))
        if not only:
            for extra in sorted(directory.glob("*.tf.json")):
                shown = _display(display, extra.name)
                self.not_read(shown, "aigov does not read .tf.json files", shown, shown, None)
        for file in files:
            file_display = _display(display, file.name) if not only else self.input.name
            if entry_kind(file, file_display) == "directory":
                continue
            if file.name == "override.tf" or file.name.endswith("_override.tf"):
                self.not_read(file_display, "override files are not merged", file_display, file_display, None)
                continue
            self._declare(config, _read_hcl(file, file_display), file_display)
        self.files.extend(os.path.realpath(f) for f in files)
        self._configs[key] = config
        return config

    def _declare(self, config: _Config, body: Node, file: str) -> None:
        try:
            _, blocks = body_items(body)
        except EvalError as exc:
            raise _error(exc, file) from None
        for block in blocks:
            decl = _Decl(block, file)
            labels = block.labels
            where = f"line {block.line}"
            if block.type in ("resource", "data") and len(labels) == 2:
                key = (labels[0], labels[1])
                if block.type == "data":
                    config.data.add(key)
                    continue
                if key in config.resources:
                    raise SourceError(
                        f"resource {labels[0]}.{labels[1]} is declared twice", file=file, where=where
                    )
                config.resources[key] = decl
            elif block.type in ("variable", "module", "output") and len(labels) == 1:
                table = {"variable": config.variables, "module": config.calls, "output": config.outputs}[
                    block.type
                ]
                if labels[0] in table:
                    raise SourceError(f"{block.type} {labels[0]!r} is declared twice", file=file, where=where)
                table[labels[0]] = decl
            elif block.type == "locals" and not labels:
                try:
                    attributes, _ = body_items(block.body)
                except EvalError as exc:
                    raise _error(exc, file) from None
                for name, attribute in attributes.items():
                    if name in config.locals:
                        raise SourceError(
                            f"local value {name!r} is declared twice",
                            file=file,
                            where=f"line {attribute.line}",
                        )
                    config.locals[name] = _Local(attribute.expression, file)
            elif block.type == "provider" and len(labels) == 1:
                config.providers.append(decl)
            elif block.type in ("resource", "data", "variable", "module", "output", "provider"):
                raise SourceError(f"{block.type} block with {len(labels)} labels", file=file, where=where)

    # ----------------------------------------------------------------- root variables

    def root_value(self, name: str, type_node: Node | None, decl: _Decl) -> Any:
        values = self._root_variables()
        if name not in values:
            return _ABSENT
        raw, literal_ok, origin = values[name]
        if isinstance(raw, str) and literal_ok:
            if _parsing_is_literal(type_node):
                return raw
            try:
                body = parse(f"_ = {raw}")
                expression = kids(kids(body)[0])[1]
                return Evaluator(_ConstantScope(self._warnings, origin)).evaluate(expression)
            except (ParseError, EvalError, IndexError):
                raise SourceError(
                    f"variable {name!r}: the value is not a valid HCL expression", file=origin
                ) from None
        return raw

    def _root_variables(self) -> dict[str, tuple[Any, bool, str]]:
        """Each root variable's value, by precedence: (value, is-a-raw-string, where from)."""
        if self._root_values is not None:
            return self._root_values
        values: dict[str, tuple[Any, bool, str]] = {}
        for key, text in sorted(self.options.environment.items()):
            if key.startswith("TF_VAR_") and len(key) > len("TF_VAR_"):
                values[key[len("TF_VAR_") :]] = (text, True, f"environment {key}")
        files: list[tuple[Path, str]] = []
        for name in ("terraform.tfvars", "terraform.tfvars.json"):
            if os.path.lexists(self.root_dir / name):
                files.append((self.root_dir / name, _display(self.root_display, name)))
        autos = sorted(
            p.name for p in self.root_dir.iterdir() if p.name.endswith((".auto.tfvars", ".auto.tfvars.json"))
        )
        files.extend((self.root_dir / n, _display(self.root_display, n)) for n in autos)
        files.extend((Path(f), f) for f in self.options.var_files)
        declared = self.config(self.root_dir, self.root_display, self.only).variables
        for path, display in files:
            for name, value in self._tfvars(path, display).items():
                if name not in declared:
                    self.warn(f"{display}: value for undeclared variable {name!r} is ignored")
                values[name] = (value, False, display)
        for name, text in self.options.variables.items():
            if name not in declared:
                raise SourceError(f"--var {name}: the root module declares no variable {name!r}")
            values[name] = (text, True, f"--var {name}")
        self._root_values = values
        return values

    def _tfvars(self, path: Path, display: str) -> dict[str, Any]:
        if not os.path.lexists(path):
            raise SourceError("no such variables file", file=display)
        if entry_kind(path, display) == "directory":
            raise SourceError("is a directory, not a regular file", file=display)
        self.files.append(os.path.realpath(path))
        if path.name.endswith(".json"):
            text = read_regular_text(path, MAX_FILE_BYTES, SourceError, name=display)
            data = decode(text, display, SourceError)
            if not isinstance(data, dict):
                raise SourceError("a JSON variables file must be an object", file=display)
            return data
        body = _read_hcl(path, display)
        evaluator = Evaluator(_ConstantScope(self._warnings, display))
        try:
            attributes, blocks = body_items(body)
            if blocks:
                raise EvalError("a variables file holds name = value lines only, not blocks", blocks[0].node)
            return {name: evaluator.evaluate(a.expression) for name, a in attributes.items()}
        except EvalError as exc:
            raise _error(exc, display) from None

    # ----------------------------------------------------------------- expansion

    def expand(self, module: _Module, decl: _Decl, base: str) -> list[_Instance]:
        """The instances of a resource or module block: its count / for_each evaluated."""
        attributes, _ = body_items(decl.block.body)
        scope = _Scope(module, decl.file)
        where = f"line {decl.line}"
        if "count" in attributes and "for_each" in attributes:
            raise SourceError("count and for_each cannot both be set", file=decl.file, where=where)
        if "count" in attributes:
            count = scope.evaluate(attributes["count"].expression)
            if is_unknown(count):
                self.warn(
                    f"{decl.file}:{decl.line}: {base}: count is unknown; evaluated as one instance {base}[?]"
                )
                return [_Instance(UNKNOWN, None, "count", base + _UNKNOWN_KEY)]
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise SourceError(
                    f"count must be a whole number >= 0, got {count!r}", file=decl.file, where=where
                )
            self._count(count, decl)
            return [_Instance(i, None, "count", f"{base}[{i}]") for i in range(count)]
        if "for_each" in attributes:
            collection = scope.evaluate(attributes["for_each"].expression)
            if isinstance(collection, dict):
                pairs = [(k, collection[k]) for k in sorted(collection)]
            elif isinstance(collection, HclSet) and all(isinstance(v, str) for v in collection):
                pairs = [(v, v) for v in collection]
            elif is_unknown(collection):
                pairs = []
            else:
                raise SourceError(
                    f"for_each must be a map or a set of strings, got a {type_name(collection)}"
                    + (" (use toset() for a list)" if isinstance(collection, list) else ""),
                    file=decl.file,
                    where=where,
                )
            if is_unknown(collection):
                self.warn(
                    f"{decl.file}:{decl.line}: {base}: for_each is unknown; "
                    f"evaluated as one instance {base}[?]"
                )
                return [_Instance(UNKNOWN, UNKNOWN, "for_each", base + _UNKNOWN_KEY)]
            self._count(len(pairs), decl)
            return [_Instance(k, v, "for_each", base + _key_text(k)) for k, v in pairs]
        self._count(1, decl)
        return [_Instance(None, None, "single", base)]

    def _count(self, added: int, decl: _Decl) -> None:
        self._instance_count += added
        if self._instance_count > min(MAX_INSTANCES, MAX_ITEMS):
            raise SourceError(
                f"more than {MAX_INSTANCES} resource and module instances; not evaluated",
                file=decl.file,
                where=f"line {decl.line}",
            )

    def instantiate(self, caller: _Module, call_name: str, decl: _Decl) -> list[_Module] | None:
        attributes, _ = body_items(decl.block.body)
        where = f"line {decl.line}"
        label = caller.label(f"module.{call_name}")
        shown = excerpt(label)  # a mangled name may hold a newline: messages stay one line
        if "source" not in attributes:
            raise SourceError(f"{shown} has no source", file=decl.file, where=where)
        source = _Scope(caller, decl.file).evaluate(attributes["source"].expression)
        if not isinstance(source, str):
            raise SourceError(f"{shown}: source must be a string", file=decl.file, where=where)
        if caller.depth >= MAX_MODULE_DEPTH:
            raise SourceError(
                f"{shown}: modules nested more than {MAX_MODULE_DEPTH} deep", file=decl.file, where=where
            )
        if source.startswith(("./", "../")):
            directory = caller.config.directory / source
            display = _display(caller.config.display, source)
            missing = f"{shown}: module directory {excerpt(display)} not found"
            reference, base = source, str(caller.config.directory)
        else:
            key = f"{caller.manifest_key}.{call_name}" if caller.manifest_key else call_name
            module = self.installed().get(key)
            if module is None or not same_source(source, module.source):
                why = "not installed" if module is None else f"installed from {module.source}"
                self.not_read(
                    f"module source {source}", f"{why}; run terraform init", label, decl.file, decl.line
                )
                return None
            directory, display = module.directory, module.display
            missing = f"{shown}: installed module directory {excerpt(display)} not found (run terraform init)"
            reference, base = str(directory), "."
        try:
            # A local source, or an installed module's folder (modules.json is the repository's too).
            self.scan_root.resolve(reference, base)
        except FileRefused as exc:
            raise SourceError(f"{shown}: module source {exc}", file=decl.file, where=where) from None
        if not directory.is_dir():
            raise SourceError(missing, file=decl.file, where=where)
        config = self.config(directory, display)
        providers = self._module_providers(caller, decl)
        children = []
        for instance in self.expand(caller, decl, label):
            children.append(
                _Module(
                    self, config, instance.address, _Call(decl, caller, instance), providers, caller.depth + 1
                )
            )
        return children

    def _module_providers(self, caller: _Module, decl: _Decl) -> dict[str, tuple[_Module, _Decl]]:
        attributes, _ = body_items(decl.block.body)
        if "providers" not in attributes:
            return {k: v for k, v in caller.providers.items() if "." not in k}
        mapping: dict[str, tuple[_Module, _Decl]] = {}
        node = _strip(attributes["providers"].expression)
        for element in kids(node) if node.data == "object" else []:
            key_node, value_node = kids(element)
            key = traversal(_strip(kids(key_node)[0]) if kids(key_node) else key_node)
            value = traversal(_strip(value_node))
            if key and value:
                target = caller.providers.get(".".join(str(s) for s in value))
                if target is not None:
                    mapping[".".join(str(s) for s in key)] = target
        return mapping

    # ----------------------------------------------------------------- the walk

    def load(self) -> Inventory:
        root_config = self.config(self.root_dir, self.root_display, self.only)
        root = _Module(self, root_config, "", None, {}, 0)
        self.root = root
        self._root_variables()
        entries: list[_Entry] = []
        self._walk(root, entries)
        return Inventory(
            self._resources(entries),
            warnings=tuple(self._warnings),
            unread=tuple(self._unread.values()),
            files=self.files,
        )

    def _walk(self, module: _Module, entries: list[_Entry]) -> None:
        for (resource_type, name), decl in module.config.resources.items():
            mapping = TERRAFORM_TYPES.get(resource_type)
            if mapping is None:
                continue
            for instance in module.instances(resource_type, name):
                entry = self._entry(module, decl, resource_type, instance, mapping.parent_attribute)
                if entry is not None:
                    entries.append(entry)
        for call_name in module.config.calls:
            for child in module.children(call_name) or ():
                self._walk(child, entries)

    def _entry(
        self,
        module: _Module,
        decl: _Decl,
        resource_type: str,
        instance: _Instance,
        parent_attribute: str | None,
    ) -> _Entry | None:
        scope = _Scope(module, decl.file, instance)
        with self.guard(instance.address, decl.file, decl.line):
            values = block_values(scope, decl.block.body)
        attributes, blocks = body_items(decl.block.body)
        configured = frozenset(
            [a for a in attributes if a not in _META]
            + [b.labels[0] if b.type == "dynamic" and b.labels else b.type for b in blocks]
        )
        try:
            mapped = TERRAFORM_TYPES[resource_type].build(plain(values), configured)
        except MappingError as exc:
            raise SourceError(str(exc), file=decl.file, where=f"line {decl.line}") from None
        if mapped is None:
            return None
        parent_ref = values.get(parent_attribute) if parent_attribute else None
        return _Entry(instance.address, module, decl, resource_type, mapped, parent_ref)

    # ----------------------------------------------------------------- resources

    def _resources(self, entries: list[_Entry]) -> list[Resource]:
        by_address = {e.address: e for e in entries}
        by_type_name: dict[tuple[str, str], list[_Entry]] = {}
        for e in entries:
            if isinstance(e.mapped.name, str):
                by_type_name.setdefault((e.mapped.arm_type.lower(), e.mapped.name.lower()), []).append(e)
        parents: dict[str, str] = {}
        for e in entries:
            linked = _parent_of(e, by_address, by_type_name)
            if linked is not None and linked != e.address:
                parents[e.address] = linked
        resources = []
        for e in entries:
            parent_key = parents.get(e.address)
            parent = by_address.get(parent_key) if parent_key else None
            group = e.mapped.resource_group
            if (group is None or group is UNKNOWN) and parent is not None:
                group = parent.mapped.resource_group
            resources.append(
                Resource(
                    key=e.address,
                    type=e.mapped.arm_type,
                    name=e.mapped.name if isinstance(e.mapped.name, str) else UNKNOWN,
                    body=e.mapped.body,
                    origin=Origin(
                        source=TerraformHclSource.name, file=e.decl.file, line=e.decl.line, address=e.address
                    ),
                    action=Action.DEPLOY,
                    subscription_id=self._subscription(e, by_address, parents),
                    resource_group=group if group is UNKNOWN or isinstance(group, str) else None,
                    parent_key=parent_key,
                    api_version=e.mapped.api_version,
                )
            )
        return resources

    def _subscription(
        self, entry: _Entry, by_address: Mapping[str, _Entry], parents: Mapping[str, str]
    ) -> Any:
        if self.options.subscription:
            return self.options.subscription
        return subscription_along_parents(entry, by_address, parents, self._provider_subscription)

    def _provider_subscription(self, entry: _Entry) -> Any:
        attributes, _ = body_items(entry.decl.block.body)
        key = entry.terraform_type.split("_", 1)[0]
        if "provider" in attributes:
            steps = traversal(_strip(attributes["provider"].expression))
            if steps:
                key = ".".join(str(s) for s in steps)
        found = entry.module.providers.get(key)
        if found is None:
            return None
        module, decl = found
        provider_attributes, _ = body_items(decl.block.body)
        if "subscription_id" not in provider_attributes:
            return None
        value = _Scope(module, decl.file).evaluate(provider_attributes["subscription_id"].expression)
        if isinstance(value, str) and value:
            return value
        return UNKNOWN if is_unknown(value) else None


def _parent_of(
    entry: _Entry, by_address: Mapping[str, _Entry], by_type_name: Mapping[tuple[str, str], list[_Entry]]
) -> str | None:
    ref = entry.parent_ref
    if isinstance(ref, UnknownRef):
        return ref.address if ref.address in by_address else None
    if isinstance(ref, str):
        return address_named_by_id(ref, by_type_name)
    return None
