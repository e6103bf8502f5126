"""Rendering a rule's message for one finding.

``{PATH}`` is looked up in the rule's parameters first, then in ``items``,
``address`` and ``type``, then ``context.PATH``, then the resource body
(``{name}``, ``{sku.name}``, ``{tags['app.id']}``). A missing value renders
as ``(none)``, an unknown one as ``(known after apply)``, a list as
``a, b, c`` and a mapping as ``k=v, k=v``. A value the input controls (the
resource's fields, ``items``) is shown as a short excerpt with control
characters escaped (:func:`aigov.display.excerpt`). Templates are untrusted text: a
plain regular-expression substitution, never ``str.format`` (which would
allow attribute access). A placeholder that is not a valid path is left as
written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Final

from aigov import armpath
from aigov.armpath import MISSING
from aigov.display import excerpt
from aigov.errors import RuleError
from aigov.model import UNKNOWN
from aigov.policy.conditions import field_getter
from aigov.policy.context import Scope, context_getter

NONE_TEXT: Final = "(none)"
UNKNOWN_TEXT: Final = "(known after apply)"

PLACEHOLDER: Final = re.compile(r"\{([^{}\s][^{}]*)\}")


def placeholders(template: str) -> list[str]:
    """The placeholder texts in a template, in order."""
    return [m.group(1) for m in PLACEHOLDER.finditer(template)]


def format_value(value: Any) -> str:
    """How a value reads in a message."""
    if value is UNKNOWN:
        return UNKNOWN_TEXT
    if value is MISSING or value is None:
        return NONE_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={format_value(v)}" for k, v in value.items()) or NONE_TEXT
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value) or NONE_TEXT
    return str(value)


Resolver = Callable[[Scope, Mapping[str, Any], Sequence[Any]], Any]


def render(
    template: str,
    scope: Scope,
    parameters: Mapping[str, Any],
    items: Sequence[Any] = (),
) -> str:
    """The message for ``scope``'s resource; ``items`` are the forEach items that failed."""
    return render_parts(compile_message(template, frozenset(parameters)), scope, parameters, items)


def render_parts(
    parts: tuple[str | Resolver, ...],
    scope: Scope,
    parameters: Mapping[str, Any],
    items: Sequence[Any] = (),
) -> str:
    """Render a template already compiled by :func:`compile_message`."""
    return "".join(p if isinstance(p, str) else format_value(p(scope, parameters, items)) for p in parts)


@lru_cache(maxsize=1024)
def compile_message(template: str, parameter_names: frozenset[str]) -> tuple[str | Resolver, ...]:
    """The template as literal text and value resolvers, each placeholder's path parsed once."""
    parts: list[str | Resolver] = []
    pos = 0
    for match in PLACEHOLDER.finditer(template):
        try:
            path = armpath.parse(match.group(1).strip())
        except RuleError:
            continue  # not a path: left as written
        parts.append(template[pos : match.start()])
        parts.append(_resolver(path, parameter_names))
        pos = match.end()
    parts.append(template[pos:])
    return tuple(p for p in parts if p != "")


def _resolver(path: armpath.ArmPath, parameter_names: frozenset[str]) -> Resolver:
    head, rest = path.steps[0], path.steps[1:]
    if isinstance(head, str):
        if head in parameter_names:
            if not rest:
                return lambda scope, parameters, items: parameters[head]
            inner = armpath.ArmPath(path.text, rest)
            return lambda scope, parameters, items: armpath.get(parameters[head], inner)
        if not rest and head == "items":
            return _bounded(lambda scope, parameters, items: list(items))
        if not rest and head == "address":
            return _bounded(lambda scope, parameters, items: scope.resource.address)
        if not rest and head == "type":
            return lambda scope, parameters, items: scope.resource.type
        if head == "context" and rest:
            get = context_getter(armpath.ArmPath(path.text, rest))
            return lambda scope, parameters, items: get(scope)  # the user's own aigov.yaml
    if path.has_wildcard:
        return _bounded(lambda scope, parameters, items: armpath.get(scope.body, path))
    field = field_getter(path)
    return _bounded(lambda scope, parameters, items: field(scope))


def _bounded(resolver: Resolver) -> Resolver:
    """A resolver of a value the input controls, shown as a short escaped excerpt."""
    return lambda scope, parameters, items: excerpt(format_value(resolver(scope, parameters, items)))
