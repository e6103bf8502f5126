"""Terraform plan JSON (``terraform show -json PLANFILE``) as an inventory.

What is read, and from where in the plan:

* ``resource_changes``: managed resources of the types in
  :data:`aigov.sources.azurerm.TERRAFORM_TYPES`, everything else skipped
  before any work is done on it. ``create`` / ``update`` / replace (either
  order) are evaluated; ``no-op`` resources are kept as context (parents,
  cost roll-up) but not evaluated; ``delete`` and ``read`` are dropped, as
  are deposed objects. ``after`` is merged with ``after_unknown`` so every
  value known only after apply becomes :data:`~aigov.model.UNKNOWN`.
* ``configuration``: the provider block each resource uses (its
  ``subscription_id``, a constant or a variable), and the references in a
  child's parent-id argument, which link a deployment to its account when the
  account's id is not known until apply.
* ``variables``: values of root-module variables referenced by a provider
  block (module variables are followed through the module calls).

Subscription of a resource, first that applies: ``--subscription``; the
subscription in its own id or its parent's id when known (an existing
resource); its provider block's ``subscription_id``; its parent's. Nothing
is read from the environment (no ``ARM_SUBSCRIPTION_ID``), so the result
depends on the plan alone.

Limitations: a parent referenced through a module output (a deployment in one
module, its account in another) is linked only when the account id is known
at plan time; provider blocks inside modules called with ``count`` or
``for_each`` cannot exist in Terraform, so module instances share them.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from aigov.collector import collector_paused
from aigov.errors import SourceError
from aigov.jsontext import NotFinite, json_error
from aigov.model import UNKNOWN, Action, Inventory, Origin, Resource
from aigov.sources import sniff
from aigov.sources.azurerm import (
    TERRAFORM_TYPES,
    Mapped,
    MappingError,
    address_named_by_id,
    subscription_along_parents,
)
from aigov.sources.base import Source, SourceInput, SourceOptions
from aigov.sources.json_sections import NotAnObject, load_members

SUPPORTED_MAJOR_VERSIONS: Final = frozenset({0, 1})

_ACTIONS: Final[Mapping[tuple[str, ...], Action]] = {
    ("create",): Action.CREATE,
    ("update",): Action.UPDATE,
    ("delete", "create"): Action.REPLACE,
    ("create", "delete"): Action.REPLACE,
    ("no-op",): Action.NOOP,
}
# ("delete",) and ("read",) map to nothing: a deleted resource costs nothing
# after apply, and a read is a data source.

# Address segments that are not resource types in a reference.
_NOT_RESOURCES: Final = frozenset(
    {"var", "local", "module", "data", "each", "count", "path", "terraform", "self"}
)
_REFERENCE: Final = re.compile(
    r'(?P<type>[A-Za-z][A-Za-z0-9_-]*)\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)(?:\[(?P<index>\d+|"(?:[^"\\]|\\.)*")\])?'
)
_VAR_REFERENCE: Final = re.compile(
    r'var\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)(?P<steps>(?:\[(?:\d+|"(?:[^"\\]|\\.)*")\])*)'
)
_STEP: Final = re.compile(r'\[(\d+|"(?:[^"\\]|\\.)*")\]')
_MODULE_STEP: Final = re.compile(
    r'module\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)(?:\[(?:\d+|"(?:[^"\\]|\\.)*")\])?\.?'
)

ModulePath = tuple[str, ...]  # module call names from the root, without instance keys


class TerraformPlanSource(Source):
    """Reads ``terraform show -json`` output of a saved plan."""

    name = "terraform_plan"
    description = "Terraform plan JSON (terraform show -json PLANFILE)"

    @classmethod
    def detect(cls, source_input: SourceInput) -> bool:
        return sniff.terraform_plan(source_input)

    def load(self, source_input: SourceInput, options: SourceOptions) -> Inventory:
        with collector_paused():
            return _read(source_input, options)


_WANTED_MEMBERS: Final = frozenset(
    {"format_version", "terraform_version", "variables", "resource_changes", "configuration", "errored"}
)
"""The plan members aigov reads; planned_values and prior_state (about half a plan) are skipped."""

_NOTED_MEMBERS: Final = frozenset({"planned_values", "values"})
"""Members whose presence tells a plan without changes from a state."""


def _mapped_type(kind: Any) -> bool:
    """Whether ``kind`` is a Terraform type aigov maps (a plan may hold any JSON value there)."""
    return isinstance(kind, str) and kind in TERRAFORM_TYPES


def _mapped_change(change: Any) -> bool:
    """Whether a resource change is of a type aigov maps (others are dropped as the plan is parsed)."""
    return not isinstance(change, dict) or _mapped_type(change.get("type"))


def _read(source_input: SourceInput, options: SourceOptions) -> Inventory:
    # A function of its own so the parsed plan is freed when it returns,
    # before the collector resumes (else its first pass would walk it all).
    file = source_input.name
    data = source_input.read_bytes()
    plan, members = _parse(data, file)
    _check_plan(plan, members, file)
    if "resource_changes" not in plan:
        _check_no_resources(data, plan, file)
    del data
    return _PlanReader(plan, file, options).read()


# --------------------------------------------------------------------------- parsing and checks


def _parse(data: bytes, file: str) -> tuple[dict[str, Any], frozenset[str]]:
    if not data.removeprefix(codecs.BOM_UTF8).strip():
        raise SourceError("invalid JSON: the input is empty", file=file)
    try:
        return load_members(
            data, _WANTED_MEMBERS, keep={"resource_changes": _mapped_change}, noted=_NOTED_MEMBERS
        )
    except (json.JSONDecodeError, NotFinite, RecursionError, UnicodeDecodeError) as exc:
        text = exc.doc if isinstance(exc, json.JSONDecodeError) else None  # the text it was parsed from
        raise json_error(exc, file, SourceError, text) from None
    except NotAnObject as exc:
        raise SourceError(
            f"not a Terraform plan: the JSON is a {exc.kind}, expected an object "
            "(terraform show -json PLANFILE)",
            file=file,
        ) from None


def _check_plan(plan: Mapping[str, Any], members: frozenset[str], file: str) -> None:
    version = plan.get("format_version")
    if version is None:
        raise SourceError(
            "not a Terraform plan: no format_version (expected the output of terraform show -json PLANFILE)",
            file=file,
        )
    major_text = str(version).split(".", 1)[0]
    if not isinstance(version, str) or not major_text.isdigit():
        raise SourceError(f"unreadable plan format_version {version!r}", file=file, where="format_version")
    if int(major_text) not in SUPPORTED_MAJOR_VERSIONS:
        raise SourceError(
            f"unsupported plan format_version {version}: aigov reads format versions 0.x and 1.x",
            file=file,
            where="format_version",
        )
    if "resource_changes" not in plan:
        if "values" in members and "planned_values" not in members:
            raise SourceError(
                "this is a Terraform state, not a plan: save a plan with terraform plan -out=PLANFILE "
                "and pass terraform show -json PLANFILE",
                file=file,
            )
        if "planned_values" not in members:
            raise SourceError(
                "not a Terraform plan: no resource_changes (expected terraform show -json PLANFILE)",
                file=file,
            )
        # A plan without changes omits resource_changes altogether.
    if plan.get("errored") is True:
        raise SourceError(
            "the plan is marked errored (terraform plan failed), so its changes are incomplete", file=file
        )
    changes = plan.get("resource_changes", [])
    if not isinstance(changes, list):
        raise SourceError("resource_changes is not an array", file=file, where="resource_changes")


def _check_no_resources(data: bytes, plan: Mapping[str, Any], file: str) -> None:
    """A plan without ``resource_changes`` must declare no managed resource at all.

    Terraform omits the member only when there is nothing to change or keep;
    a plan that still lists resources elsewhere has lost its changes (edited,
    or written by another tool), and reading it as empty would pass it.
    """
    planned = load_members(data, {"planned_values"})[0].get("planned_values")
    for member, module, children in (
        ("planned_values", _mapping(planned).get("root_module"), "child_modules"),
        ("configuration", _mapping(plan.get("configuration")).get("root_module"), "module_calls"),
    ):
        address = _first_managed(module, children)
        if address is not None:
            raise SourceError(
                f"no resource_changes, but {member} lists resources ({address}): the plan's changes are "
                "missing (expected terraform show -json PLANFILE)",
                file=file,
            )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _first_managed(module: Any, children: str, depth: int = 0) -> str | None:
    """The address of the first managed resource in a plan module tree (planned_values or configuration)."""
    module = _mapping(module)
    for resource in module.get("resources") or ():
        if isinstance(resource, Mapping) and resource.get("mode", "managed") == "managed":
            return str(resource.get("address") or f"{resource.get('type')}.{resource.get('name')}")
    if depth > 100:
        return None
    nested = module.get(children) or ()
    items = nested.values() if isinstance(nested, Mapping) else nested
    for child in items:
        # configuration's module_calls hold the module under "module"; planned_values' children are modules.
        inner = child.get("module", child) if isinstance(child, Mapping) else None
        found = _first_managed(inner, children, depth + 1)
        if found is not None:
            return found
    return None


# --------------------------------------------------------------------------- unknown values


def merge_unknown(after: Any, unknown: Any) -> Any:
    """``after`` with every leaf that ``after_unknown`` marks true replaced by UNKNOWN.

    Works in place on ``after`` (a freshly parsed value nothing else holds)
    and returns it, or UNKNOWN when the whole value is unknown. Markers with
    nothing unknown inside (``{}``, ``[]``, ``false``) change nothing: an
    absent or null value stays absent.
    """
    if unknown is True:
        return UNKNOWN
    if isinstance(unknown, dict):
        target = after if isinstance(after, dict) else None
        for key, marker in unknown.items():
            if marker is False or not marker:
                continue
            merged = merge_unknown(target.get(key) if target is not None else None, marker)
            if merged is None:
                continue
            if target is None:
                target = {}
            target[key] = merged
        return after if target is None else target
    if isinstance(unknown, list):
        items = after if isinstance(after, list) else None
        for i, marker in enumerate(unknown):
            if marker is False or not marker:
                continue
            current = items[i] if items is not None and i < len(items) else None
            merged = merge_unknown(current, marker)
            if merged is None:
                continue
            if items is None:
                items = []
            if i >= len(items):
                # after_unknown can describe elements `after` leaves out (all unknown).
                items.extend([None] * (i + 1 - len(items)))
            items[i] = merged
        return after if items is None else items
    return after


# --------------------------------------------------------------------------- addresses


@lru_cache(maxsize=4096)
def module_path(module_address: str) -> ModulePath:
    """``module.a["x"].module.b[0]`` -> ``("a", "b")``: the configuration path of a module instance."""
    path: list[str] = []
    pos = 0
    while pos < len(module_address):
        match = _MODULE_STEP.match(module_address, pos)
        if match is None:
            break
        path.append(match.group("name"))
        pos = match.end()
    return tuple(path)


def _index_value(text: str | None) -> int | str | None:
    if text is None:
        return None
    if text.startswith('"'):
        value = json.loads(text)
        return value if isinstance(value, str) else None
    return int(text)


@dataclass(frozen=True, slots=True)
class _ResourceReference:
    type: str
    name: str
    index: int | str | None


def _resource_reference(references: Any) -> _ResourceReference | None:
    """The first managed resource that an expression's ``references`` name."""
    if not isinstance(references, list):
        return None
    for ref in references:
        if not isinstance(ref, str):
            continue
        match = _REFERENCE.match(ref)
        if match and match.group("type") not in _NOT_RESOURCES:
            return _ResourceReference(
                match.group("type"), match.group("name"), _index_value(match.group("index"))
            )
    return None


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True, slots=True)
class _Config:
    """What the plan's configuration says, indexed once."""

    provider_configs: Mapping[str, Any]
    resources: Mapping[tuple[ModulePath, str, str], Mapping[str, Any]]  # (module path, type, name)
    modules: Mapping[ModulePath, Mapping[str, Any]]  # module path -> its module object
    calls: Mapping[ModulePath, Mapping[str, Any]]  # module path -> the module call block that made it


def _index_configuration(configuration: Any) -> _Config:
    provider_configs: Mapping[str, Any] = {}
    resources: dict[tuple[ModulePath, str, str], Mapping[str, Any]] = {}
    modules: dict[ModulePath, Mapping[str, Any]] = {}
    calls: dict[ModulePath, Mapping[str, Any]] = {}
    if isinstance(configuration, dict):
        pc = configuration.get("provider_config")
        provider_configs = pc if isinstance(pc, dict) else {}
        stack: list[tuple[ModulePath, Any]] = [((), configuration.get("root_module"))]
        while stack:
            path, module = stack.pop()
            if not isinstance(module, dict):
                continue
            modules[path] = module
            for res in module.get("resources") or ():
                # Only the types we map: a large plan's other resources cost
                # nothing beyond this membership test.
                if isinstance(res, dict) and _mapped_type(res.get("type")) and res.get("mode") == "managed":
                    resources[(path, res["type"], str(res.get("name")))] = res
            module_calls = module.get("module_calls")
            if isinstance(module_calls, dict):
                for call_name, call in module_calls.items():
                    if isinstance(call, dict):
                        child = (*path, call_name)
                        calls[child] = call
                        stack.append((child, call.get("module")))
    return _Config(provider_configs, resources, modules, calls)


_NOT_RESOLVED: Final = object()


class _Expressions:
    """Evaluates the few configuration expressions aigov needs: constants and variables."""

    def __init__(self, config: _Config, variables: Any) -> None:
        self._config = config
        self._variables: Mapping[str, Any] = variables if isinstance(variables, dict) else {}

    def value(self, expression: Any, path: ModulePath) -> Any:
        """The expression's value, or ``_NOT_RESOLVED`` when it needs more than constants and variables."""
        if not isinstance(expression, dict):
            return _NOT_RESOLVED
        if "constant_value" in expression:
            return expression["constant_value"]
        references = expression.get("references")
        if not isinstance(references, list) or not references or not isinstance(references[0], str):
            return _NOT_RESOLVED
        first = references[0]
        # Terraform lists every prefix of a traversal (var.a["x"], var.a); any
        # other reference means an expression we cannot evaluate statically.
        if not all(isinstance(r, str) and first.startswith(r) for r in references):
            return _NOT_RESOLVED
        match = _VAR_REFERENCE.fullmatch(first)
        if match is None:
            return _NOT_RESOLVED
        value = self._variable(match.group("name"), path)
        for step in _STEP.findall(match.group("steps")):
            key = _index_value(step)
            if isinstance(value, dict) and isinstance(key, str):
                value = value.get(key, _NOT_RESOLVED)
            elif isinstance(value, list) and isinstance(key, int) and key < len(value):
                value = value[key]
            else:
                return _NOT_RESOLVED
        return value

    def _variable(self, name: str, path: ModulePath) -> Any:
        if not path:
            entry = self._variables.get(name)
            return entry.get("value", _NOT_RESOLVED) if isinstance(entry, dict) else _NOT_RESOLVED
        call = self._config.calls.get(path, {})
        arguments = call.get("expressions")
        if isinstance(arguments, dict) and name in arguments:
            return self.value(arguments[name], path[:-1])
        declared = self._config.modules.get(path, {}).get("variables")
        if isinstance(declared, dict) and isinstance(declared.get(name), dict):
            return declared[name].get("default", _NOT_RESOLVED)
        return _NOT_RESOLVED


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class _Entry:
    """A mapped resource change, before parents and subscriptions are resolved."""

    address: str
    terraform_type: str
    terraform_name: str
    module_address: str
    index: int | str | None
    action: Action
    mapped: Mapped
    config: Mapping[str, Any] | None


class _PlanReader:
    def __init__(self, plan: Mapping[str, Any], file: str, options: SourceOptions) -> None:
        self._plan = plan
        self._file = file
        self._options = options
        self._config = _index_configuration(plan.get("configuration"))
        self._expressions = _Expressions(self._config, plan.get("variables"))
        self._provider_subscriptions: dict[tuple[str, ModulePath], str | None] = {}

    def read(self) -> Inventory:
        entries = list(self._entries())
        parents = _link_parents(entries)
        by_key = {e.address: e for e in entries}
        return Inventory(self._resource(e, by_key, parents) for e in entries)

    def _entries(self) -> Iterator[_Entry]:
        for position, change in enumerate(self._plan.get("resource_changes") or ()):
            # The hot loop of a large plan: test the type first, so resources
            # aigov does not map cost one dict lookup.
            if not isinstance(change, dict) or not _mapped_type(change.get("type")):
                continue
            if change.get("mode", "managed") != "managed" or change.get("deposed"):
                continue
            entry = self._entry(position, change)
            if entry is not None:
                yield entry

    def _entry(self, position: int, change: Mapping[str, Any]) -> _Entry | None:
        address = change.get("address")
        where = address if isinstance(address, str) else f"resource_changes[{position}]"
        detail = change.get("change")
        if not isinstance(address, str) or not isinstance(detail, dict):
            raise SourceError("resource change without address or change", file=self._file, where=where)
        actions = detail.get("actions")
        action = _ACTIONS.get(tuple(actions)) if isinstance(actions, list) else None
        if action is None:
            return None
        terraform_type: str = change["type"]
        terraform_name = str(change.get("name"))
        module_address = change.get("module_address") or ""
        config = self._config.resources.get((module_path(module_address), terraform_type, terraform_name))
        values = merge_unknown(detail.get("after"), detail.get("after_unknown"))
        if not isinstance(values, dict):
            raise SourceError(
                "the planned values (change.after) are not an object", file=self._file, where=where
            )
        configured = _configured_attributes(config)
        try:
            mapped = TERRAFORM_TYPES[terraform_type].build(values, configured)
        except MappingError as exc:
            raise SourceError(str(exc), file=self._file, where=where) from None
        if mapped is None:
            return None
        index = change.get("index")
        return _Entry(
            address=address,
            terraform_type=terraform_type,
            terraform_name=terraform_name,
            module_address=module_address,
            index=index if isinstance(index, int | str) and not isinstance(index, bool) else None,
            action=action,
            mapped=mapped,
            config=config,
        )

    # ----------------------------------------------------------------- subscriptions

    def _provider_subscription(self, entry: _Entry) -> str | None:
        key = entry.config.get("provider_config_key") if entry.config else None
        path = module_path(entry.module_address)
        if not isinstance(key, str):
            key = entry.terraform_type.split("_", 1)[0]  # the provider's default block: azurerm, azapi
        cache_key = (key, path)
        if cache_key not in self._provider_subscriptions:
            self._provider_subscriptions[cache_key] = self._subscription_of_provider(key, path)
        return self._provider_subscriptions[cache_key]

    def _subscription_of_provider(self, key: str, path: ModulePath) -> str | None:
        configs = self._config.provider_configs
        block = configs.get(key)
        if block is None:
            # Older Terraform wrote keys such as "ai:azurerm" for providers a
            # module inherits; a module without its own block uses its
            # caller's, up to the root.
            local = key.rsplit(":", 1)[-1]
            for depth in range(len(path), -1, -1):
                prefix = ".".join(f"module.{name}" for name in path[:depth])
                block = configs.get(f"{prefix}:{local}" if prefix else local)
                if block is not None:
                    break
        if not isinstance(block, dict):
            return None
        expressions = block.get("expressions")
        if not isinstance(expressions, dict):
            return None
        owner = module_path(block["module_address"]) if isinstance(block.get("module_address"), str) else ()
        value = self._expressions.value(expressions.get("subscription_id"), owner)
        return value if isinstance(value, str) and value else None

    # ----------------------------------------------------------------- resources

    def _resource(self, entry: _Entry, by_key: Mapping[str, _Entry], parents: Mapping[str, str]) -> Resource:
        mapped = entry.mapped
        parent_key = parents.get(entry.address)
        parent = by_key.get(parent_key) if parent_key else None
        group = mapped.resource_group
        if (group is None or group is UNKNOWN) and parent is not None:
            group = parent.mapped.resource_group
        return Resource(
            key=entry.address,
            type=mapped.arm_type,
            name=mapped.name if isinstance(mapped.name, str) else UNKNOWN,
            body=mapped.body,
            origin=Origin(source=TerraformPlanSource.name, file=self._file, line=None, address=entry.address),
            action=entry.action,
            subscription_id=self._subscription(entry, by_key, parents),
            resource_group=group if group is UNKNOWN or isinstance(group, str) else None,
            parent_key=parent_key,
            api_version=mapped.api_version,
        )

    def _subscription(
        self, entry: _Entry, by_key: Mapping[str, _Entry], parents: Mapping[str, str]
    ) -> str | None:
        if self._options.subscription:
            return self._options.subscription
        found = subscription_along_parents(entry, by_key, parents, self._provider_subscription)
        return found if isinstance(found, str) else None  # a plan's provider blocks give strings or nothing


def _configured_attributes(config: Mapping[str, Any] | None) -> frozenset[str] | None:
    if config is None:
        return None
    expressions = config.get("expressions")
    return frozenset(expressions) if isinstance(expressions, dict) else frozenset()


def _link_parents(entries: list[_Entry]) -> dict[str, str]:
    """Each child's parent address: by the parent id when known, else through the configuration."""
    by_id: dict[str, str] = {}
    by_type_name: dict[tuple[str, str], list[_Entry]] = {}
    instances = _Instances()
    for e in entries:
        if e.mapped.own_id:
            by_id[e.mapped.own_id.lower()] = e.address
        if isinstance(e.mapped.name, str):
            by_type_name.setdefault((e.mapped.arm_type.lower(), e.mapped.name.lower()), []).append(e)
        instances.add(e)

    parents: dict[str, str] = {}
    for e in entries:
        parent_id = e.mapped.parent_id
        parent: str | None = None
        if isinstance(parent_id, str):
            parent = by_id.get(parent_id.lower()) or address_named_by_id(parent_id, by_type_name)
        if parent is None:
            parent = _parent_from_configuration(e, instances)
        if parent is not None and parent != e.address:
            parents[e.address] = parent
    return parents


class _Instances:
    """The instances of each resource block in each module instance, also by instance key.

    Looking a parent up by key is one dict lookup: with a scan of the block's
    instances instead, every ``for_each`` deployment walked every account
    instance of its module, quadratic in the instances of a large plan.
    """

    def __init__(self) -> None:
        self._blocks: dict[tuple[str, str, str], list[_Entry]] = {}
        self._keyed: dict[tuple[str, str, str, int | str], list[_Entry]] = {}

    def add(self, entry: _Entry) -> None:
        block = (entry.module_address, entry.terraform_type, entry.terraform_name)
        self._blocks.setdefault(block, []).append(entry)
        if entry.index is not None:
            self._keyed.setdefault((*block, entry.index), []).append(entry)

    def of_block(self, module_address: str, terraform_type: str, name: str) -> list[_Entry]:
        """Every instance of a block in one module instance."""
        return self._blocks.get((module_address, terraform_type, name), [])

    def keyed(self, module_address: str, terraform_type: str, name: str, index: int | str) -> list[_Entry]:
        """The instances of a block with key ``index`` (one, unless the plan repeats an address)."""
        return self._keyed.get((module_address, terraform_type, name, index), [])


def _parent_from_configuration(entry: _Entry, instances: _Instances) -> str | None:
    """The parent the child's parent-id argument refers to, within the same module instance."""
    attribute = TERRAFORM_TYPES[entry.terraform_type].parent_attribute
    if attribute is None or entry.config is None:
        return None
    expressions = entry.config.get("expressions")
    expression = expressions.get(attribute) if isinstance(expressions, dict) else None
    reference = _resource_reference(expression.get("references")) if isinstance(expression, dict) else None
    if reference is None:
        return None
    block = (entry.module_address, reference.type, reference.name)
    if reference.index is not None:
        chosen = instances.keyed(*block, reference.index)
    else:
        candidates = instances.of_block(*block)
        if len(candidates) == 1:
            chosen = candidates
        elif entry.index is not None:
            # count/for_each on both sides (`accounts[each.key].id`): the
            # instance with the same key is the one the reference means.
            chosen = instances.keyed(*block, entry.index)
        else:
            chosen = []
    return chosen[0].address if len(chosen) == 1 else None
