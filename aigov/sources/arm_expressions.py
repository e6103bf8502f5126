"""The ARM template expression language: parse ``[...]`` strings and evaluate them statically.

A template string that starts with ``[`` and ends with ``]`` is an
expression (``[[`` escapes a literal ``[``): function calls, string literals
in single quotes (``''`` is a quote), integers, property access ``.name`` and
indexing ``[expr]``. :func:`parse` turns one into a small tree and
:class:`Evaluator` computes its value from the template's parameters and
variables, the current ``copy`` loop indexes and the deployment context.

What cannot be known before deployment is never guessed:

* ``reference()``, ``list*()``, ``utcNow()``, ``newGuid()``, ``pickZones()``
  and functions aigov does not implement evaluate to
  :data:`~aigov.model.UNKNOWN` (the latter recorded in
  :attr:`Evaluator.unsupported` so the source can name them).
* The deployment context (``resourceGroup()``, ``subscription()``,
  ``deployment()``, ``tenant()``) and parameters without a value are
  *opaque strings*: placeholders (see :func:`opaque`) that concatenation
  and ``format()`` carry through exactly and that any other function turns
  into a new placeholder named after the call. Two equal opaque strings are
  equal at deployment, which is what links ``format('{0}/chat',
  variables('account'))`` to its account when the account's name is
  ``uniqueString(resourceGroup().id)``. Comparisons, lengths and lookups on
  them are unknown, and :func:`finalize` turns every remaining opaque string
  into ``UNKNOWN`` before a value reaches a rule.

The functions ARM shares with Bicep (string, array, object, comparison,
``uniqueString()``, ``guid()``, ``resourceId()``, lambdas' ``filter()``/
``map()``/...) are :mod:`aigov.sources.template_functions`, which the Bicep
evaluator calls too; this module keeps what is ARM's alone: the expression
syntax, ``parameters()``, ``variables()``, ``copyIndex()``, ``lambda()``/
``lambdaVariables()``, the lazy ``if()``, ``and()`` and ``or()`` (they stop
at the argument that decides, as ARM does), user-defined functions and the
deployment context.

Bounds keep a hostile template from hanging a scan: expressions at most
:data:`MAX_EXPRESSION` characters and :data:`MAX_DEPTH` levels deep, strings
at most :data:`MAX_STRING` characters, arrays at most :data:`MAX_ITEMS`
elements, and at most :data:`MAX_STEPS` function calls per evaluator; going
past one raises :class:`ExpressionError` that says which.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aigov.model import UNKNOWN
from aigov.sources.template_functions import FUNCTIONS as SHARED_FUNCTIONS
from aigov.sources.template_functions import (
    RUNTIME_FUNCTIONS,
    arm_guid,
    is_runtime,
    murmur64,
    resource_group_object,
    subscription_object,
    tenant_object,
    unique_string,
)
from aigov.sources.template_values import (
    MAX_ITEMS,
    MAX_STRING,
    FunctionError,
    equal,
    finalize,
    has_opaque,
    is_undetermined,
    opaque,
    render,
    show,
)

__all__ = [
    "MAX_ITEMS",
    "MAX_STRING",
    "arm_guid",
    "finalize",
    "has_opaque",
    "is_undetermined",
    "murmur64",
    "opaque",
    "render",
    "unique_string",
]

MAX_EXPRESSION: Final = 65536
MAX_DEPTH: Final = 64
MAX_STEPS: Final = 1_000_000


class ExpressionError(FunctionError):
    """The expression is invalid, or would fail at deployment (a missing parameter, an index out of range)."""


class UndefinedName(ExpressionError):
    """A parameter, variable or function the template does not define: wrong wherever it is."""


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True, slots=True)
class Literal:
    value: str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # as written: concat, __bicep.myFunc
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Property:
    target: Node
    name: str


@dataclass(frozen=True, slots=True)
class Index:
    target: Node
    index: Node


Node = Literal | Call | Property | Index


def unparse(node: Node) -> str:
    """The expression as ARM text (without the enclosing brackets)."""
    if isinstance(node, Literal):
        if isinstance(node.value, str):
            return "'" + node.value.replace("'", "''") + "'"
        return json.dumps(node.value)
    if isinstance(node, Call):
        return f"{node.name}({', '.join(unparse(a) for a in node.args)})"
    if isinstance(node, Property):
        return f"{unparse(node.target)}.{node.name}"
    return f"{unparse(node.target)}[{unparse(node.index)}]"


def is_expression(value: object) -> bool:
    """Whether a template string is an expression (``[...]`` but not the ``[[`` escape)."""
    return (
        isinstance(value, str)
        and len(value) >= 2
        and value[0] == "["
        and value[-1] == "]"
        and not value.startswith("[[")
    )


_TOKEN: Final = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*+')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
      | (?P<punct>[()\[\],.])
      | (?P<bad>\S)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:  # trailing whitespace only
            break
        kind = match.lastgroup or "bad"
        value = match.group(kind)
        if kind == "bad":
            if value == "'":
                raise ExpressionError(f"unterminated string at character {match.start(kind) + 2}")
            raise ExpressionError(f"unexpected character {value!r} at character {match.start(kind) + 2}")
        out.append(_Tok(kind, value, match.start(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, offset: int = 0) -> _Tok | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def take(self, text: str | None = None) -> _Tok:
        tok = self.peek()
        if tok is None:
            want = f"'{text}'" if text else "more"
            raise ExpressionError(f"the expression ends where {want} was expected")
        if text is not None and tok.text != text:
            raise ExpressionError(f"expected '{text}' at character {tok.pos + 2}, found {tok.text!r}")
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.toks:
            raise ExpressionError("empty expression")
        node = self.expression(0)
        extra = self.peek()
        if extra is not None:
            raise ExpressionError(f"unexpected {extra.text!r} at character {extra.pos + 2}")
        return node

    def expression(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested more than {MAX_DEPTH} levels deep")
        node = self.primary(depth)
        while True:
            tok = self.peek()
            if tok is not None and tok.text == ".":
                self.i += 1
                name = self.take()
                if name.kind != "name":
                    raise ExpressionError(f"expected a property name at character {name.pos + 2}")
                node = Property(node, name.text)
            elif tok is not None and tok.text == "[":
                self.i += 1
                index = self.expression(depth + 1)
                self.take("]")
                node = Index(node, index)
            else:
                return node

    def primary(self, depth: int) -> Node:
        tok = self.take()
        if tok.kind == "string":
            return Literal(tok.text[1:-1].replace("''", "'"))
        if tok.kind == "number":
            return Literal(float(tok.text) if "." in tok.text else int(tok.text))
        if tok.kind != "name":
            raise ExpressionError(f"unexpected {tok.text!r} at character {tok.pos + 2}")
        name = tok.text
        # A user-defined function is namespace.name(...).
        after, after2, after3 = self.peek(), self.peek(1), self.peek(2)
        if (
            after is not None
            and after.text == "."
            and after2 is not None
            and after2.kind == "name"
            and after3 is not None
            and after3.text == "("
        ):
            self.i += 2
            name = f"{name}.{after2.text}"
        nxt = self.peek()
        if nxt is None or nxt.text != "(":
            lowered = name.lower()
            if lowered in ("true", "false"):
                return Literal(lowered == "true")
            if lowered == "null":
                return Literal(None)
            raise ExpressionError(f"'{name}' at character {tok.pos + 2} is not a function call")
        self.i += 1
        args: list[Node] = []
        if self.peek() is not None and self.peek().text == ")":  # type: ignore[union-attr]
            self.i += 1
            return Call(name, ())
        while True:
            args.append(self.expression(depth + 1))
            sep = self.take()
            if sep.text == ")":
                return Call(name, tuple(args))
            if sep.text != ",":
                raise ExpressionError(f"expected ',' or ')' at character {sep.pos + 2}, found {sep.text!r}")


_PARSED: dict[str, Node] = {}


def parse(text: str) -> Node:
    """The tree of an expression's inner text (the part between the outer brackets)."""
    cached = _PARSED.get(text)
    if cached is not None:
        return cached
    if len(text) > MAX_EXPRESSION:
        raise ExpressionError(f"expression longer than {MAX_EXPRESSION} characters")
    node = _Parser(text).parse()
    if len(_PARSED) < 50_000:
        _PARSED[text] = node
    return node


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Lambda:
    """A ``lambda()`` value; calling it evaluates the body with the arguments as lambda variables."""

    params: tuple[str, ...]
    body: Node
    evaluator: Evaluator

    def __call__(self, *values: Any) -> Any:
        if len(self.params) > len(values) or not self.params:
            raise ExpressionError(f"the lambda takes {len(self.params)} parameters, got {len(values)}")
        names = dict(zip(self.params, values, strict=False))
        scope = self.evaluator.derive(lambda_vars={**self.evaluator.lambda_vars, **names})
        return scope.evaluate(self.body)


@dataclass(frozen=True, slots=True)
class UserFunction:
    """A template's ``functions`` member: evaluated with its own arguments only."""

    params: tuple[str, ...]
    output: Any  # the raw ``output.value``


@dataclass
class DeploymentContext:
    """What the deployment itself supplies: known values where the user gave them, else placeholders."""

    subscription_id: str | None = None
    resource_group: str | None = None
    location: str | None = None

    def subscription(self) -> dict[str, Any]:
        sub = self.subscription_id or opaque("subscription().subscriptionId")
        return subscription_object(sub, opaque)

    def resource_group_object(self) -> dict[str, Any]:
        sub = self.subscription_id or opaque("subscription().subscriptionId")
        name = self.resource_group or opaque("resourceGroup().name")
        return resource_group_object(sub, name, self.location or opaque("resourceGroup().location"), opaque)


Function = Callable[["Evaluator", list[Any], Call], Any]
"""A built-in: the evaluator, the evaluated arguments and the call (for placeholders' names)."""


@dataclass
class Evaluator:
    """Evaluates expressions in one template scope.

    ``parameters`` maps lower-case names to values; ``variables`` holds the
    raw ``variables`` member, evaluated on first use. ``copy`` holds the
    current indexes of the ``copy`` loops being expanded, ``loop`` the name
    of the innermost. ``unsupported`` collects the names of functions that
    evaluated to UNKNOWN because aigov does not implement them, ``runtime``
    those of functions whose value exists only at deployment
    (:func:`~aigov.sources.template_functions.is_runtime`).
    """

    parameters: Mapping[str, Any]
    variables: Mapping[str, Any] = field(default_factory=dict)
    functions: Mapping[str, UserFunction] = field(default_factory=dict)
    context: DeploymentContext = field(default_factory=DeploymentContext)
    copy: Mapping[str, Any] = field(default_factory=dict)
    loop: str | None = None
    lambda_vars: Mapping[str, Any] = field(default_factory=dict)
    unsupported: set[str] = field(default_factory=set)
    runtime: dict[str, str] = field(default_factory=dict)  # lower-case name -> as first written
    identity: str = ""  # tells this scope's placeholders apart from another nested template's
    _steps: list[int] = field(default_factory=lambda: [0])
    _var_cache: dict[str, Any] = field(default_factory=dict)
    _var_busy: set[str] = field(default_factory=set)
    _variables_lower: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._variables_lower = {k.lower(): k for k in self.variables if k != "copy"}
        loops = self.variables.get("copy")
        if isinstance(loops, list):
            for item in loops:
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    self._variables_lower.setdefault(item["name"].lower(), item["name"])

    # ------------------------------------------------------------------ derived scopes

    def derive(self, **changes: Any) -> Evaluator:
        """A scope sharing this one's variables cache, step budget and notes, with ``changes``."""
        values: dict[str, Any] = {
            "parameters": self.parameters,
            "variables": self.variables,
            "functions": self.functions,
            "context": self.context,
            "copy": self.copy,
            "loop": self.loop,
            "lambda_vars": self.lambda_vars,
            "unsupported": self.unsupported,
            "runtime": self.runtime,
            "identity": self.identity,
            "_steps": self._steps,
        }
        values.update(changes)
        child = Evaluator(**values)
        if "variables" not in changes and "parameters" not in changes:
            # Variables cannot use copyIndex() outside their own loops, so a
            # loop iteration shares the template's cache.
            child._var_cache = self._var_cache
            child._var_busy = self._var_busy
        return child

    def with_copy(self, name: str, index: Any, *, resource: bool = True) -> Evaluator:
        """A scope inside iteration ``index`` of loop ``name``.

        An unnamed ``copyIndex()`` means the resource's own loop, so a
        property or variable loop (``resource=False``) becomes its meaning
        only where there is no resource loop.
        """
        loop = name.lower() if resource or self.loop is None else self.loop
        return self.derive(copy={**self.copy, name.lower(): index}, loop=loop)

    # ------------------------------------------------------------------ entry points

    def value(self, raw: Any, *, expand_copy: bool = False) -> Any:
        """Evaluate a template value: expressions in strings, recursively in arrays and objects.

        With ``expand_copy``, an object's ``copy`` member (property iteration)
        becomes the arrays it describes.
        """
        if isinstance(raw, str):
            return self.string(raw)
        if isinstance(raw, dict):
            out: dict[str, Any] = {}
            for key, item in raw.items():
                if key == "copy" and expand_copy and _is_copy_list(item):
                    for loop in item:
                        out[loop["name"]] = self.copy_array(loop, expand_copy=True)
                    continue
                # A property name may be an expression too (Bicep's '${name}': value compiles to one),
                # and '[[' escapes a literal one as in a value.
                name = self.string(key)
                if name is UNKNOWN or not isinstance(name, str):
                    if name is UNKNOWN:
                        return UNKNOWN
                    raise ExpressionError(f"a property name must be a string, got {show(name)}")
                out[name] = self.value(item, expand_copy=expand_copy)
            return out
        if isinstance(raw, list):
            return [self.value(item, expand_copy=expand_copy) for item in raw]
        return raw

    def string(self, raw: str) -> Any:
        if is_expression(raw):
            return self.evaluate(parse(raw[1:-1]))
        if raw.startswith("[["):
            return raw[1:]
        return raw

    def copy_array(self, loop: Mapping[str, Any], *, expand_copy: bool) -> Any:
        """The array a ``{name, count, input}`` loop (property or variable iteration) describes."""
        name = str(loop["name"])
        count = self.count(loop.get("count"), name)
        if count is UNKNOWN:
            return UNKNOWN
        return [
            self.with_copy(name, i, resource=False).value(loop.get("input"), expand_copy=expand_copy)
            for i in range(count)
        ]

    def count(self, raw: Any, loop: str) -> Any:
        """A ``copy`` count: an int in 0..800 (ARM's limit) or UNKNOWN."""
        value = self.value(raw)
        if is_undetermined(value):
            return UNKNOWN
        if isinstance(value, bool) or not isinstance(value, int):
            raise ExpressionError(f"copy loop '{loop}': count is not an integer ({show(value)})")
        if not 0 <= value <= 800:
            raise ExpressionError(f"copy loop '{loop}': count {value} is outside ARM's limit of 0 to 800")
        return value

    def evaluate(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Property):
            return _member(self.evaluate(node.target), node.name, node)
        target = self.evaluate(node.target)
        index = self.evaluate(node.index)
        return _member(target, index, node)

    def call(self, node: Call) -> Any:
        self._steps[0] += 1
        if self._steps[0] > MAX_STEPS:
            raise ExpressionError(f"the template needs more than {MAX_STEPS} function calls to evaluate")
        name = node.name.lower()
        special = _SPECIAL.get(name)
        if special is not None:
            return special(self, node)
        if "." in name:
            return self.user_function(node)
        args = [self.evaluate(a) for a in node.args]
        function = _FUNCTIONS.get(name)
        if function is not None:
            return function(self, args, node)
        if is_runtime(name):
            self.runtime.setdefault(name, node.name)
            return UNKNOWN
        shared = SHARED_FUNCTIONS.get(name)
        if shared is None:
            self.unsupported.add(node.name)
            return UNKNOWN
        try:
            return shared(_Site(self, node), args)
        except ExpressionError:
            raise
        except FunctionError as exc:
            raise ExpressionError(str(exc)) from None

    def user_function(self, node: Call) -> Any:
        function = self.functions.get(node.name.lower())
        if function is None:
            raise UndefinedName(f"function '{node.name}' is not defined in the template")
        if len(node.args) != len(function.params):
            raise ExpressionError(
                f"function '{node.name}' takes {len(function.params)} arguments, got {len(node.args)}"
            )
        args = [self.evaluate(a) for a in node.args]
        scope = self.derive(
            parameters={p.lower(): v for p, v in zip(function.params, args, strict=True)},
            variables={},
            copy={},
            loop=None,
            lambda_vars={},
        )
        return scope.value(function.output)

    # ------------------------------------------------------------------ names

    def parameter(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise ExpressionError(f"parameters() needs a parameter name, got {show(name)}")
        key = name.lower()
        if key not in self.parameters:
            raise UndefinedName(f"parameter '{name}' is not defined in the template")
        return self.parameters[key]

    def variable(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise ExpressionError(f"variables() needs a variable name, got {show(name)}")
        key = name.lower()
        if key in self._var_cache:
            return self._var_cache[key]
        original = self._variables_lower.get(key)
        if original is None:
            raise UndefinedName(f"variable '{name}' is not defined in the template")
        if key in self._var_busy:
            raise ExpressionError(f"variable '{name}' refers to itself")
        self._var_busy.add(key)
        try:
            scope = self.derive(copy={}, loop=None, lambda_vars={}) if self.copy else self
            scope._var_cache, scope._var_busy = self._var_cache, self._var_busy
            if original in self.variables:
                value = scope.value(self.variables[original], expand_copy=True)
            else:
                loop = next(
                    item
                    for item in self.variables["copy"]
                    if isinstance(item, dict) and str(item.get("name", "")).lower() == key
                )
                value = scope.copy_array(loop, expand_copy=True)
        finally:
            self._var_busy.discard(key)
        self._var_cache[key] = value
        return value

    def copy_index(self, args: list[Any]) -> Any:
        loop: str | None = None
        offset: Any = 0
        for arg in args:
            if isinstance(arg, str):
                loop = arg.lower()
            else:
                offset = arg
        if loop is None:
            loop = self.loop
        if loop is None or loop not in self.copy:
            where = f"loop '{loop}'" if loop else "a copy loop"
            raise ExpressionError(f"copyIndex() used outside {where}")
        index = self.copy[loop]
        if index is UNKNOWN or is_undetermined(offset):
            return UNKNOWN
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise ExpressionError(f"copyIndex() offset is not an integer ({show(offset)})")
        return index + offset

    def placeholder(self, node: Call, args: Sequence[Any]) -> str:
        """The placeholder for a call whose string result depends on values known only at deployment."""
        digest = hashlib.sha256(
            json.dumps([node.name.lower(), args], default=str, sort_keys=True).encode()
        ).hexdigest()[:16]
        return opaque(render(unparse(node)), digest)


class _Site:
    """Where a shared function is called: placeholders named after the call, the deployment's scope."""

    __slots__ = ("ev", "node")

    def __init__(self, ev: Evaluator, node: Call) -> None:
        self.ev = ev
        self.node = node

    @property
    def name(self) -> str:
        return self.node.name

    def placeholder(self, args: Sequence[Any]) -> Any:
        return self.ev.placeholder(self.node, args)

    def scope(self) -> tuple[Any, Any]:
        context = self.ev.context
        return context.subscription()["subscriptionId"], context.resource_group_object()["name"]


def _is_copy_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and isinstance(v.get("name"), str) and "input" in v for v in value)
    )


def _member(target: Any, key: Any, node: Node) -> Any:
    """``target.key`` / ``target[key]``; objects match keys case-insensitively, as ARM does."""
    if target is UNKNOWN or is_undetermined(key):
        return UNKNOWN
    if isinstance(target, dict):
        if not isinstance(key, str):
            raise ExpressionError(f"an object cannot be indexed by {show(key)}")
        if key in target:
            return target[key]
        lowered = key.lower()
        for k, v in target.items():
            if k.lower() == lowered:
                return v
        raise ExpressionError(f"property '{key}' does not exist (in {unparse(node)})")
    if isinstance(target, list):
        if isinstance(key, bool) or not isinstance(key, int):
            raise ExpressionError(f"an array cannot be indexed by {show(key)}")
        if not 0 <= key < len(target):
            raise ExpressionError(
                f"index {key} is out of range for an array of {len(target)} (in {unparse(node)})"
            )
        return target[key]
    if has_opaque(target):
        return UNKNOWN
    raise ExpressionError(f"cannot take {show(key)} of {show(target)} (in {unparse(node)})")


# --------------------------------------------------------------------------- ARM-only functions


def _copy_index(ev: Evaluator, args: list[Any], node: Call) -> Any:
    if len(args) > 2:
        raise ExpressionError(f"copyIndex() takes 0 to 2 arguments, got {len(args)}")
    return ev.copy_index(args)


_BASE32: Final = "abcdefghijklmnopqrstuvwxyz234567"


def _resource_group(ev: Evaluator, args: list[Any], node: Call) -> Any:
    if args:
        return UNKNOWN  # another group's properties: known at deployment only
    return ev.context.resource_group_object()


def _subscription(ev: Evaluator, args: list[Any], node: Call) -> Any:
    if args:
        return UNKNOWN
    return ev.context.subscription()


def _deployment(ev: Evaluator, args: list[Any], node: Call) -> Any:
    return {
        "name": opaque("deployment().name", ev.identity),
        "location": opaque("deployment().location", ev.identity),
        "properties": UNKNOWN,
    }


def _tenant(ev: Evaluator, args: list[Any], node: Call) -> Any:
    return tenant_object(opaque)


def _runtime(ev: Evaluator, args: list[Any], node: Call) -> Any:
    return UNKNOWN


# ------------------------------------------------------------------ lambdas (languageVersion 2.0)


def _lambda(ev: Evaluator, node: Call) -> Any:
    if not node.args:
        raise ExpressionError("lambda() needs a body")
    params: list[str] = []
    for arg in node.args[:-1]:
        if not isinstance(arg, Literal) or not isinstance(arg.value, str):
            raise ExpressionError("lambda() parameter names must be string literals")
        params.append(arg.value.lower())
    return Lambda(tuple(params), node.args[-1], ev)


def _lambda_variables(ev: Evaluator, node: Call) -> Any:
    if len(node.args) != 1:
        raise ExpressionError("lambdaVariables() takes 1 argument")
    name = ev.evaluate(node.args[0])
    if not isinstance(name, str) or name.lower() not in ev.lambda_vars:
        raise ExpressionError(f"lambdaVariables(): no lambda variable {show(name)}")
    return ev.lambda_vars[name.lower()]


# ------------------------------------------------------------------ special forms (lazy arguments)


def _if(ev: Evaluator, node: Call) -> Any:
    if len(node.args) != 3:
        raise ExpressionError(f"if() takes 3 arguments, got {len(node.args)}")
    condition = ev.evaluate(node.args[0])
    if is_undetermined(condition):
        yes, no = _guarded(ev, node.args[1]), _guarded(ev, node.args[2])
        return yes if equal(yes, no) is True else UNKNOWN
    if not isinstance(condition, bool):
        raise ExpressionError(f"if() condition is not a boolean ({show(condition)})")
    return ev.evaluate(node.args[1] if condition else node.args[2])


def _and_or(is_and: bool) -> Callable[[Evaluator, Call], Any]:
    """``and()``/``or()``: ARM stops at the first argument that decides (``and(contains(x, 'a'), x.a)``)."""

    def combine(ev: Evaluator, node: Call) -> Any:
        name = "and" if is_and else "or"
        if not node.args:
            raise ExpressionError(f"{name}() takes at least 1 argument")
        unknown = False
        for arg in node.args:
            # After an unknown argument this one may never run at deployment.
            value = _guarded(ev, arg) if unknown else ev.evaluate(arg)
            if is_undetermined(value):
                unknown = True
                continue
            if not isinstance(value, bool):
                raise ExpressionError(f"{name}() of {show(value)}")
            if value is not is_and:
                return value
        return UNKNOWN if unknown else is_and

    return combine


def _guarded(ev: Evaluator, node: Node) -> Any:
    """An argument that a value known only at deployment may keep from running (an ``if()`` branch).

    Its errors (a missing property, an index past the end, ``fail()``) may
    never happen, so they make it UNKNOWN; a name the template does not
    define is wrong wherever it is.
    """
    try:
        return ev.evaluate(node)
    except UndefinedName:
        raise
    except ExpressionError:
        return UNKNOWN


def _parameters(ev: Evaluator, node: Call) -> Any:
    if len(node.args) != 1:
        raise ExpressionError("parameters() takes 1 argument")
    return ev.parameter(ev.evaluate(node.args[0]))


def _variables(ev: Evaluator, node: Call) -> Any:
    if len(node.args) != 1:
        raise ExpressionError("variables() takes 1 argument")
    return ev.variable(ev.evaluate(node.args[0]))


_SPECIAL: Final[Mapping[str, Callable[[Evaluator, Call], Any]]] = {
    "if": _if,
    "and": _and_or(is_and=True),
    "or": _and_or(is_and=False),
    "lambda": _lambda,
    "lambdavariables": _lambda_variables,
    "parameters": _parameters,
    "variables": _variables,
}

_FUNCTIONS: Final[Mapping[str, Function]] = {
    "copyindex": _copy_index,
    "resourcegroup": _resource_group,
    "subscription": _subscription,
    "deployment": _deployment,
    "tenant": _tenant,
    "environment": _runtime,
    "managementgroup": _runtime,
    "managementgroupresourceid": _runtime,  # the deployment's management group: known only there
}
"""ARM's own built-ins by lower-case name (the rest are :data:`template_functions.FUNCTIONS`)."""

SUPPORTED_FUNCTIONS: Final = (
    frozenset(_FUNCTIONS) | frozenset(SHARED_FUNCTIONS) | frozenset(_SPECIAL) | RUNTIME_FUNCTIONS
)
