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

``uniqueString()`` is ARM's own algorithm (Microsoft's MurmurHash64 variant
over the UTF-8 arguments joined with ``-``, base32 of the top 65 bits, 13
characters), checked against values Azure produced; ``guid()`` is ARM's
documented name-based UUID v5 in namespace
``11fb06fb-712d-4ddd-98c7-e71bbd588830`` over the same joined string.

Bounds keep a hostile template from hanging a scan: expressions at most
:data:`MAX_EXPRESSION` characters and :data:`MAX_DEPTH` levels deep, strings
at most :data:`MAX_STRING` characters, arrays at most :data:`MAX_ITEMS`
elements, and at most :data:`MAX_STEPS` function calls per evaluator; going
past one raises :class:`ExpressionError` that says which.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aigov.model import UNKNOWN

MAX_EXPRESSION: Final = 65536
MAX_DEPTH: Final = 64
MAX_STRING: Final = 1_000_000
MAX_ITEMS: Final = 100_000
MAX_STEPS: Final = 1_000_000


class ExpressionError(Exception):
    """The expression is invalid, or would fail at deployment (a missing parameter, an index out of range)."""


# --------------------------------------------------------------------------- opaque strings

_OPEN: Final = "\ue000"
_CLOSE: Final = "\ue001"
_SEP: Final = "\ue002"
_OPAQUE: Final = re.compile(f"{_OPEN}([^{_CLOSE}]*){_CLOSE}")


def opaque(description: str, identity: str = "") -> str:
    """A placeholder for a string known only at deployment, named ``description``.

    ``identity`` tells apart placeholders with the same description but
    different inputs (the same call in two nested templates).
    """
    return f"{_OPEN}{description}{_SEP}{identity}{_CLOSE}"


def has_opaque(value: object) -> bool:
    return isinstance(value, str) and _OPEN in value


def render(value: str) -> str:
    """A string with every placeholder shown as ``${description}``."""
    if _OPEN not in value:
        return value
    return _OPAQUE.sub(lambda m: "${" + m.group(1).split(_SEP, 1)[0] + "}", value)


def is_undetermined(value: object) -> bool:
    """UNKNOWN, or a string with a placeholder in it."""
    return value is UNKNOWN or has_opaque(value)


def finalize(value: Any) -> Any:
    """``value`` with every string holding a placeholder replaced by UNKNOWN (object keys rendered)."""
    if isinstance(value, str):
        return UNKNOWN if _OPEN in value else value
    if isinstance(value, dict):
        return {render(k): finalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finalize(v) for v in value]
    return value


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
    params: tuple[str, ...]
    body: Node
    evaluator: Evaluator


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
        return {
            "id": f"/subscriptions/{sub}",
            "subscriptionId": sub,
            "tenantId": opaque("subscription().tenantId"),
            "displayName": opaque("subscription().displayName"),
        }

    def resource_group_object(self) -> dict[str, Any]:
        sub = self.subscription_id or opaque("subscription().subscriptionId")
        name = self.resource_group or opaque("resourceGroup().name")
        return {
            "id": f"/subscriptions/{sub}/resourceGroups/{name}",
            "name": name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": self.location or opaque("resourceGroup().location"),
            "tags": UNKNOWN,
            "managedBy": UNKNOWN,
            "properties": {"provisioningState": "Succeeded"},
        }


Function = Callable[["Evaluator", list[Any], Call], Any]
"""A built-in: the evaluator, the evaluated arguments and the call (for placeholders' names)."""


@dataclass
class Evaluator:
    """Evaluates expressions in one template scope.

    ``parameters`` maps lower-case names to values; ``variables`` holds the
    raw ``variables`` member, evaluated on first use. ``copy`` holds the
    current indexes of the ``copy`` loops being expanded, ``loop`` the name
    of the innermost. ``unsupported`` collects the names of functions that
    evaluated to UNKNOWN because aigov does not implement them.
    """

    parameters: Mapping[str, Any]
    variables: Mapping[str, Any] = field(default_factory=dict)
    functions: Mapping[str, UserFunction] = field(default_factory=dict)
    context: DeploymentContext = field(default_factory=DeploymentContext)
    copy: Mapping[str, Any] = field(default_factory=dict)
    loop: str | None = None
    lambda_vars: Mapping[str, Any] = field(default_factory=dict)
    unsupported: set[str] = field(default_factory=set)
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

    def with_copy(self, name: str, index: Any) -> Evaluator:
        return self.derive(copy={**self.copy, name.lower(): index}, loop=name.lower())

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
                out[key] = self.value(item, expand_copy=expand_copy)
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
            self.with_copy(name, i).value(loop.get("input"), expand_copy=expand_copy) for i in range(count)
        ]

    def count(self, raw: Any, loop: str) -> Any:
        """A ``copy`` count: an int in 0..800 (ARM's limit) or UNKNOWN."""
        value = self.value(raw)
        if is_undetermined(value):
            return UNKNOWN
        if isinstance(value, bool) or not isinstance(value, int):
            raise ExpressionError(f"copy loop '{loop}': count is not an integer ({_show(value)})")
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
        if function is None:
            if name.startswith("list"):
                return UNKNOWN  # listKeys(), listSecrets(), ...: runtime values
            self.unsupported.add(node.name)
            return UNKNOWN
        return function(self, args, node)

    def user_function(self, node: Call) -> Any:
        function = self.functions.get(node.name.lower())
        if function is None:
            raise ExpressionError(f"function '{node.name}' is not defined in the template")
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
            raise ExpressionError(f"parameters() needs a parameter name, got {_show(name)}")
        key = name.lower()
        if key not in self.parameters:
            raise ExpressionError(f"parameter '{name}' is not defined in the template")
        return self.parameters[key]

    def variable(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise ExpressionError(f"variables() needs a variable name, got {_show(name)}")
        key = name.lower()
        if key in self._var_cache:
            return self._var_cache[key]
        original = self._variables_lower.get(key)
        if original is None:
            raise ExpressionError(f"variable '{name}' is not defined in the template")
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
            raise ExpressionError(f"copyIndex() offset is not an integer ({_show(offset)})")
        return index + offset

    def placeholder(self, node: Call, args: Sequence[Any]) -> str:
        """The placeholder for a call whose string result depends on values known only at deployment."""
        digest = hashlib.sha256(
            json.dumps([node.name.lower(), args], default=str, sort_keys=True).encode()
        ).hexdigest()[:16]
        return opaque(render(unparse(node)), digest)


def _is_copy_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and isinstance(v.get("name"), str) and "input" in v for v in value)
    )


def _show(value: Any) -> str:
    if value is UNKNOWN:
        return "unknown"
    if isinstance(value, str):
        return repr(render(value))
    try:
        return json.dumps(value)[:80]
    except (TypeError, ValueError):
        return type(value).__name__


def _member(target: Any, key: Any, node: Node) -> Any:
    """``target.key`` / ``target[key]``; objects match keys case-insensitively, as ARM does."""
    if target is UNKNOWN or is_undetermined(key):
        return UNKNOWN
    if isinstance(target, dict):
        if not isinstance(key, str):
            raise ExpressionError(f"an object cannot be indexed by {_show(key)}")
        if key in target:
            return target[key]
        lowered = key.lower()
        for k, v in target.items():
            if k.lower() == lowered:
                return v
        raise ExpressionError(f"property '{key}' does not exist (in {unparse(node)})")
    if isinstance(target, list):
        if isinstance(key, bool) or not isinstance(key, int):
            raise ExpressionError(f"an array cannot be indexed by {_show(key)}")
        if not 0 <= key < len(target):
            raise ExpressionError(
                f"index {key} is out of range for an array of {len(target)} (in {unparse(node)})"
            )
        return target[key]
    if has_opaque(target):
        return UNKNOWN
    raise ExpressionError(f"cannot take {_show(key)} of {_show(target)} (in {unparse(node)})")


# --------------------------------------------------------------------------- helpers for built-ins


def _arity(node: Call, args: Sequence[Any], low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not low <= len(args) <= high:
        want = str(low) if low == high else f"{low} to {high}" if high < 99 else f"at least {low}"
        raise ExpressionError(f"{node.name}() takes {want} arguments, got {len(args)}")


def _any_unknown(args: Sequence[Any]) -> bool:
    return any(a is UNKNOWN for a in args)


def _any_undetermined(args: Sequence[Any]) -> bool:
    return any(is_undetermined(a) for a in args)


def _contains_unknown(value: Any) -> bool:
    if is_undetermined(value):
        return True
    if isinstance(value, dict):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_unknown(v) for v in value)
    return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _need_int(node: Call, value: Any) -> int:
    if not _is_int(value):
        raise ExpressionError(f"{node.name}() needs an integer, got {_show(value)}")
    return int(value)


def _need_str(node: Call, value: Any) -> str:
    if not isinstance(value, str):
        raise ExpressionError(f"{node.name}() needs a string, got {_show(value)}")
    return value


def _check_size(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise ExpressionError(f"a string grows past {MAX_STRING} characters")
    if isinstance(value, list) and len(value) > MAX_ITEMS:
        raise ExpressionError(f"an array grows past {MAX_ITEMS} elements")
    return value


def _to_text(value: Any) -> str:
    """ARM's ``string()`` of a known value."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _equal(a: Any, b: Any) -> Any:
    """Deep equality, UNKNOWN when an undetermined value decides it."""
    if isinstance(a, str) and isinstance(b, str):
        if a == b:
            return True
        return UNKNOWN if has_opaque(a) or has_opaque(b) else False
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        return _all3(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        left = {k.lower(): v for k, v in a.items()}
        right = {k.lower(): v for k, v in b.items()}
        if left.keys() != right.keys():
            return False
        return _all3(_equal(v, right[k]) for k, v in left.items())
    return a is None and b is None


def _all3(values: Iterator[Any] | Sequence[Any]) -> Any:
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is UNKNOWN:
            unknown = True
    return UNKNOWN if unknown else True


def _compare(node: Call, args: list[Any], test: Callable[[Any, Any], bool]) -> Any:
    _arity(node, args, 2)
    a, b = args
    if is_undetermined(a) or is_undetermined(b):
        return UNKNOWN
    if (_is_int(a) or isinstance(a, float)) and (_is_int(b) or isinstance(b, float)):
        return test(a, b)
    if isinstance(a, str) and isinstance(b, str):
        return test(a, b)
    raise ExpressionError(f"{node.name}() compares two numbers or two strings, got {_show(a)} and {_show(b)}")


def _opaque_result(ev: Evaluator, node: Call, args: list[Any]) -> Any:
    """The result of a string function whose inputs are undetermined: a placeholder, or UNKNOWN."""
    if _any_unknown(args):
        return UNKNOWN
    return ev.placeholder(node, args)


# --------------------------------------------------------------------------- built-ins


def _concat(ev: Evaluator, args: list[Any], node: Call) -> Any:
    if not args:
        return ""
    if isinstance(args[0], list) or (args[0] is UNKNOWN and any(isinstance(a, list) for a in args)):
        if _any_unknown(args):
            return UNKNOWN
        out: list[Any] = []
        for a in args:
            if a is None:
                continue
            if not isinstance(a, list):
                raise ExpressionError(f"concat() of arrays got {_show(a)}")
            out.extend(a)
            _check_size(out)
        return out
    if _any_unknown(args):
        return UNKNOWN
    parts: list[str] = []
    for a in args:
        if isinstance(a, dict | list):
            raise ExpressionError(f"concat() of strings got {_show(a)}")
        parts.append(_to_text(a))
    return _check_size("".join(parts))


_FORMAT_ITEM: Final = re.compile(r"\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}")


def _format(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1, 999)
    template = args[0]
    if template is UNKNOWN:
        return UNKNOWN
    template = _need_str(node, template)
    values = args[1:]
    unknown = False

    def item(match: re.Match[str]) -> str:
        nonlocal unknown
        text = match.group(0)
        if text == "{{":
            return "{"
        if text == "}}":
            return "}"
        i = int(match.group(1))
        if i >= len(values):
            raise ExpressionError(f"format(): {{{i}}} has no argument")
        value = values[i]
        if value is UNKNOWN:
            unknown = True
            return ""
        spec = match.group(3)
        if spec and (_is_int(value) or isinstance(value, float)):
            return _number_format(value, spec)
        return _to_text(value)

    result = _FORMAT_ITEM.sub(item, template)
    return UNKNOWN if unknown else _check_size(result)


def _number_format(value: int | float, spec: str) -> str:
    kind, digits = spec[:1].upper(), spec[1:]
    places = int(digits) if digits.isdigit() else None
    if kind == "D":
        return f"{int(value):0{places or 0}d}"
    if kind == "N":
        return f"{value:,.{2 if places is None else places}f}"
    if kind == "F":
        return f"{value:.{2 if places is None else places}f}"
    if kind == "X":
        return f"{int(value):0{places or 0}{'X' if spec[0] == 'X' else 'x'}}"
    if set(spec) <= {"0"}:
        return f"{int(value):0{len(spec)}d}"
    return _to_text(value)


def _string(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    value = args[0]
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, dict | list) and _contains_unknown(value):
        return _opaque_result(ev, node, args) if not _contains_plain_unknown(value) else UNKNOWN
    return _to_text(value)


def _contains_plain_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(_contains_plain_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_plain_unknown(v) for v in value)
    return False


def _int(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    value = args[0]
    if is_undetermined(value):
        return UNKNOWN
    if _is_int(value):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise ExpressionError(f"int(): {_show(value)} is not an integer") from None
    raise ExpressionError(f"int() of {_show(value)}")


def _bool(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    value = args[0]
    if is_undetermined(value):
        return UNKNOWN
    if isinstance(value, bool):
        return value
    if _is_int(value):
        return value != 0
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ExpressionError(f"bool() of {_show(value)}")


def _json(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    value = args[0]
    if is_undetermined(value):
        return UNKNOWN
    text = _need_str(node, value)
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ExpressionError(f"json(): {_show(value)} is not valid JSON") from None


def _case(upper: bool) -> Function:
    def convert(ev: Evaluator, args: list[Any], node: Call) -> Any:
        _arity(node, args, 1)
        value = args[0]
        if is_undetermined(value):
            return _opaque_result(ev, node, args)
        text = _need_str(node, value)
        return text.upper() if upper else text.lower()

    return convert


def _replace(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 3)
    if _any_undetermined(args):
        return _opaque_result(ev, node, args)
    text, old, new = (_need_str(node, a) for a in args)
    if not old:
        raise ExpressionError("replace(): the string to replace is empty")
    if len(new) > len(old) and text.count(old) * (len(new) - len(old)) + len(text) > MAX_STRING:
        raise ExpressionError(f"a string grows past {MAX_STRING} characters")
    return text.replace(old, new)


def _substring(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1, 3)
    if _any_undetermined(args):
        return _opaque_result(ev, node, args)
    text = _need_str(node, args[0])
    start = _need_int(node, args[1]) if len(args) > 1 else 0
    length = _need_int(node, args[2]) if len(args) > 2 else len(text) - start
    if start < 0 or length < 0 or start + length > len(text):
        raise ExpressionError(
            f"substring(): start {start} and length {length} are outside a string of {len(text)} characters"
        )
    return text[start : start + length]


def _length(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    value = args[0]
    if is_undetermined(value):
        return UNKNOWN
    if isinstance(value, str | list | dict):
        return len(value)
    raise ExpressionError(f"length() of {_show(value)}")


def _empty(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    value = args[0]
    if is_undetermined(value):
        return UNKNOWN
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def _contains(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 2)
    container, item = args
    if container is UNKNOWN or item is UNKNOWN:
        return UNKNOWN
    if isinstance(container, dict):
        if is_undetermined(item):
            return UNKNOWN
        return isinstance(item, str) and item.lower() in (k.lower() for k in container)
    if isinstance(container, list):
        found = [_equal(x, item) for x in container]
        if True in found:
            return True
        return UNKNOWN if UNKNOWN in found else False
    if isinstance(container, str):
        if is_undetermined(container) or is_undetermined(item):
            return UNKNOWN
        return _to_text(item) in container
    raise ExpressionError(f"contains() of {_show(container)}")


def _deep_union(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    lower = {k.lower(): k for k in out}
    for key, value in b.items():
        existing = lower.get(key.lower())
        if existing is not None and isinstance(out[existing], dict) and isinstance(value, dict):
            out[existing] = _deep_union(out[existing], value)
            continue
        if existing is not None and existing != key:
            del out[existing]
        out[key] = value
        lower[key.lower()] = key
    return out


def _union(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1, 999)
    if _any_unknown(args):
        return UNKNOWN
    if all(isinstance(a, dict) or a is None for a in args):
        merged: dict[str, Any] = {}
        for a in args:
            if a is not None:
                merged = _deep_union(merged, a)
        return merged
    if all(isinstance(a, list) or a is None for a in args):
        out: list[Any] = []
        for a in args or ():
            for item in a or ():
                if not any(_equal(item, seen) is True for seen in out):
                    out.append(item)
        return _check_size(out)
    raise ExpressionError(f"{node.name}() needs all objects or all arrays")


def _shallow_merge(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    items = args[0]
    if items is UNKNOWN or (isinstance(items, list) and _any_unknown(items)):
        return UNKNOWN
    if not isinstance(items, list):
        raise ExpressionError(f"shallowMerge() needs an array of objects, got {_show(items)}")
    merged: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict):
            raise ExpressionError(f"shallowMerge() needs an array of objects, got {_show(item)}")
        merged.update(item)
    return merged


def _intersection(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 2, 999)
    if _any_unknown(args):
        return UNKNOWN
    if all(isinstance(a, dict) for a in args):
        first = args[0]
        return {k: v for k, v in first.items() if all(k in a and _equal(a[k], v) is True for a in args[1:])}
    if all(isinstance(a, list) for a in args):
        out: list[Any] = []
        for item in args[0]:
            if all(any(_equal(item, x) is True for x in a) for a in args[1:]) and not any(
                _equal(item, x) is True for x in out
            ):
                out.append(item)
        return out
    raise ExpressionError("intersection() needs all objects or all arrays")


def _create_array(ev: Evaluator, args: list[Any], node: Call) -> Any:
    return _check_size(list(args))


def _create_object(ev: Evaluator, args: list[Any], node: Call) -> Any:
    if len(args) % 2:
        raise ExpressionError("createObject() needs key and value pairs")
    out: dict[str, Any] = {}
    for key, value in zip(args[0::2], args[1::2], strict=True):
        if key is UNKNOWN:
            return UNKNOWN
        out[_need_str(node, key)] = value
    return out


def _array(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    value = args[0]
    if value is UNKNOWN:
        return UNKNOWN
    return value if isinstance(value, list) else [value]


def _equals(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 2)
    return _equal(args[0], args[1])


def _not(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    value = args[0]
    if is_undetermined(value):
        return UNKNOWN
    if not isinstance(value, bool):
        raise ExpressionError(f"not() of {_show(value)}")
    return not value


def _and_or(is_and: bool) -> Function:
    def combine(ev: Evaluator, args: list[Any], node: Call) -> Any:
        _arity(node, args, 1, 999)
        unknown = False
        for value in args:
            if is_undetermined(value):
                unknown = True
                continue
            if not isinstance(value, bool):
                raise ExpressionError(f"{node.name}() of {_show(value)}")
            if value is not is_and:
                return value
        return UNKNOWN if unknown else is_and

    return combine


def _coalesce(ev: Evaluator, args: list[Any], node: Call) -> Any:
    for value in args:
        if is_undetermined(value):
            return UNKNOWN
        if value is not None:
            return value
    return None


def _first_last(last: bool) -> Function:
    def pick(ev: Evaluator, args: list[Any], node: Call) -> Any:
        _arity(node, args, 1)
        value = args[0]
        if is_undetermined(value):
            return UNKNOWN
        if isinstance(value, list | str):
            if not value:
                return None if isinstance(value, list) else ""
            return value[-1] if last else value[0]
        raise ExpressionError(f"{node.name}() of {_show(value)}")

    return pick


def _take_skip(take: bool) -> Function:
    def cut(ev: Evaluator, args: list[Any], node: Call) -> Any:
        _arity(node, args, 2)
        value, count = args
        if is_undetermined(value) or is_undetermined(count):
            return UNKNOWN
        n = max(0, _need_int(node, count))
        if isinstance(value, list | str):
            return value[:n] if take else value[n:]
        raise ExpressionError(f"{node.name}() of {_show(value)}")

    return cut


def _split(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 2)
    text, delimiters = args
    if is_undetermined(text) or _contains_unknown(delimiters):
        return UNKNOWN
    text = _need_str(node, text)
    seps = [delimiters] if isinstance(delimiters, str) else delimiters
    if not isinstance(seps, list) or not all(isinstance(s, str) and s for s in seps):
        raise ExpressionError(f"split() delimiters must be non-empty strings, got {_show(delimiters)}")
    pattern = "|".join(re.escape(s) for s in seps)
    return _check_size(re.split(pattern, text))


def _join(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 2)
    items, sep = args
    if items is UNKNOWN or sep is UNKNOWN:
        return UNKNOWN
    if not isinstance(items, list):
        raise ExpressionError(f"join() needs an array, got {_show(items)}")
    if _any_unknown(items):
        return UNKNOWN
    return _check_size(_need_str(node, sep).join(_to_text(i) for i in items))


def _range(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 2)
    if _any_undetermined(args):
        return UNKNOWN
    start, count = (_need_int(node, a) for a in args)
    if not 0 <= count <= 10000:
        raise ExpressionError(f"range(): count {count} is outside 0 to 10000")
    return list(range(start, start + count))


def _copy_index(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 0, 2)
    return ev.copy_index(args)


_BASE32: Final = "abcdefghijklmnopqrstuvwxyz234567"
_M32: Final = 0xFFFFFFFF


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M32


def _fmix(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    return h ^ (h >> 16)


def murmur64(data: bytes, seed: int = 0) -> int:
    """Microsoft's 64-bit MurmurHash variant that ARM's ``uniqueString()`` uses (two 32-bit lanes)."""
    c1, c2, c3, c4 = 0x239B961B, 0xAB0E9789, 0x561CCD1B, 0x0BCAA747
    h1 = h2 = seed
    n = len(data)
    i = 0
    while i + 7 < n:
        k1 = int.from_bytes(data[i : i + 4], "little")
        k2 = int.from_bytes(data[i + 4 : i + 8], "little")
        h1 = ((_rotl(h1 ^ ((_rotl((k1 * c1) & _M32, 15) * c2) & _M32), 19) + h2) * 5 + c3) & _M32
        h2 = ((_rotl(h2 ^ ((_rotl((k2 * c2) & _M32, 17) * c1) & _M32), 13) + h1) * 5 + c4) & _M32
        i += 8
    tail = n - i
    if tail > 0:
        k1 = int.from_bytes(data[i : i + min(tail, 4)], "little")
        h1 ^= (_rotl((k1 * c1) & _M32, 15) * c2) & _M32
        if tail > 4:
            k2 = int.from_bytes(data[i + 4 : n], "little")
            h2 ^= (_rotl((k2 * c2) & _M32, 17) * c1) & _M32
    h1 ^= n & _M32
    h2 ^= n & _M32
    h1 = (h1 + h2) & _M32
    h2 = (h2 + h1) & _M32
    h1, h2 = _fmix(h1), _fmix(h2)
    h1 = (h1 + h2) & _M32
    h2 = (h2 + h1) & _M32
    return (h2 << 32) | h1


def unique_string(*values: str) -> str:
    """ARM's ``uniqueString()``: 13 base32 characters of the hash of the values joined with ``-``."""
    h = murmur64("-".join(values).encode("utf-8"))
    out = []
    for _ in range(13):
        out.append(_BASE32[h >> 59])
        h = (h << 5) & 0xFFFFFFFFFFFFFFFF
    return "".join(out)


_GUID_NAMESPACE: Final = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")


def arm_guid(*values: str) -> str:
    """ARM's ``guid()``: a name-based (v5) UUID of the values joined with ``-``."""
    return str(uuid.uuid5(_GUID_NAMESPACE, "-".join(values)))


def _hash_function(make: Callable[..., str]) -> Function:
    def hashed(ev: Evaluator, args: list[Any], node: Call) -> Any:
        _arity(node, args, 1, 999)
        if _any_undetermined(args):
            return _opaque_result(ev, node, args)
        return make(*(_need_str(node, a) for a in args))

    return hashed


def _split_type(node: Call, value: Any) -> list[str]:
    text = _need_str(node, value)
    parts = text.split("/")
    if len(parts) < 2 or not all(parts):
        raise ExpressionError(f"{node.name}(): {_show(value)} is not a resource type")
    return parts


def _id_tail(node: Call, args: list[Any]) -> str:
    """``providers/NS/T1/N1/T2/N2`` from a type and its names (names may hold placeholders)."""
    if not args:
        raise ExpressionError(f"{node.name}() needs a resource type")
    parts = _split_type(node, args[0])
    names = [_need_str(node, a) for a in args[1:]]
    types = parts[1:]
    if len(names) != len(types):
        raise ExpressionError(
            f"{node.name}(): type {args[0]!r} needs {len(types)} name segments, got {len(names)}"
        )
    segments = [f"{t}/{n}" for t, n in zip(types, names, strict=True)]
    return "/".join(["providers", parts[0], *segments])


_GUID_LIKE: Final = re.compile(r"^[0-9a-fA-F-]{36}$")


def _resource_id(ev: Evaluator, args: list[Any], node: Call) -> Any:
    if _any_unknown(args):
        return UNKNOWN
    sub: str | None = None
    group: str | None = None
    rest = list(args)
    # Optional leading subscription id and resource group name: the type is
    # the first argument with a '/' in it.
    type_at = next(
        (i for i, a in enumerate(rest) if isinstance(a, str) and "/" in a and not has_opaque(a)), 0
    )
    if type_at == 2:
        sub, group = _need_str(node, rest[0]), _need_str(node, rest[1])
    elif type_at == 1:
        group = _need_str(node, rest[0])
    rest = rest[type_at:]
    context_sub = ev.context.subscription()["subscriptionId"]
    context_group = ev.context.resource_group_object()["name"]
    sub = sub or context_sub
    group = group or context_group
    return f"/subscriptions/{sub}/resourceGroups/{group}/{_id_tail(node, rest)}"


def _subscription_resource_id(ev: Evaluator, args: list[Any], node: Call) -> Any:
    if _any_unknown(args):
        return UNKNOWN
    rest = list(args)
    sub = ev.context.subscription()["subscriptionId"]
    if rest and isinstance(rest[0], str) and "/" not in rest[0] and len(rest) % 2 == 0:
        sub = rest.pop(0)
    return f"/subscriptions/{sub}/{_id_tail(node, rest)}"


def _tenant_resource_id(ev: Evaluator, args: list[Any], node: Call) -> Any:
    if _any_unknown(args):
        return UNKNOWN
    return "/" + _id_tail(node, list(args))


def _extension_resource_id(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 3, 999)
    if _any_unknown(args):
        return UNKNOWN
    base = _need_str(node, args[0]).rstrip("/")
    return f"{base}/{_id_tail(node, list(args[1:]))}"


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
    return {"tenantId": opaque("tenant().tenantId"), "displayName": opaque("tenant().displayName")}


def _runtime(ev: Evaluator, args: list[Any], node: Call) -> Any:
    return UNKNOWN


def _try_get(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 2, 999)
    value = args[0]
    for key in args[1:]:
        if value is None:
            return None
        if value is UNKNOWN or is_undetermined(key):
            return UNKNOWN
        if isinstance(value, dict) and isinstance(key, str):
            lowered = key.lower()
            value = next((v for k, v in value.items() if k.lower() == lowered), None)
        elif isinstance(value, list) and _is_int(key):
            value = value[key] if 0 <= key < len(value) else None
        elif has_opaque(value):
            return UNKNOWN
        else:
            return None
    return value


def _items(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    value = args[0]
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, dict):
        raise ExpressionError(f"items() needs an object, got {_show(value)}")
    return [{"key": k, "value": v} for k, v in sorted(value.items(), key=lambda kv: kv[0].lower())]


def _object_keys(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    value = args[0]
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, dict):
        raise ExpressionError(f"objectKeys() needs an object, got {_show(value)}")
    return list(value)


def _arith(op: Callable[[int, int], int], name: str) -> Function:
    def compute(ev: Evaluator, args: list[Any], node: Call) -> Any:
        _arity(node, args, 2)
        if _any_undetermined(args):
            return UNKNOWN
        a, b = (_need_int(node, x) for x in args)
        if name in ("div", "mod") and b == 0:
            raise ExpressionError(f"{node.name}() by zero")
        return op(a, b)

    return compute


def _div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _mod(a: int, b: int) -> int:
    return a - b * _div(a, b)


def _min_max(pick: Callable[[list[Any]], Any]) -> Function:
    def choose(ev: Evaluator, args: list[Any], node: Call) -> Any:
        values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
        if not values:
            raise ExpressionError(f"{node.name}() of nothing")
        if _any_undetermined(values):
            return UNKNOWN
        if not all(_is_int(v) or isinstance(v, float) for v in values):
            raise ExpressionError(f"{node.name}() needs numbers")
        return pick(values)

    return choose


def _string_test(test: Callable[[str, str], Any]) -> Function:
    def check(ev: Evaluator, args: list[Any], node: Call) -> Any:
        _arity(node, args, 2)
        if _any_undetermined(args):
            return UNKNOWN
        return test(_need_str(node, args[0]), _need_str(node, args[1]))

    return check


def _trim(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    if _any_undetermined(args):
        return _opaque_result(ev, node, args)
    return _need_str(node, args[0]).strip()


def _pad_left(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 2, 3)
    if _any_undetermined(args):
        return _opaque_result(ev, node, args)
    value = args[0]
    text = _to_text(value)
    width = _need_int(node, args[1])
    if width > 16000:
        raise ExpressionError("padLeft(): total length above 16000")
    fill = _need_str(node, args[2]) if len(args) > 2 else " "
    return text.rjust(width, fill[:1] or " ")


def _base64(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    if _any_undetermined(args):
        return _opaque_result(ev, node, args)
    return base64.b64encode(_need_str(node, args[0]).encode()).decode()


def _base64_to_string(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    if _any_undetermined(args):
        return _opaque_result(ev, node, args)
    try:
        return base64.b64decode(_need_str(node, args[0]), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ExpressionError(f"base64ToString(): {_show(args[0])} is not base64 text") from None


def _flatten(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 1)
    value = args[0]
    if value is UNKNOWN or (isinstance(value, list) and _any_unknown(value)):
        return UNKNOWN
    if not isinstance(value, list) or not all(isinstance(v, list) for v in value):
        raise ExpressionError(f"flatten() needs an array of arrays, got {_show(value)}")
    return _check_size([x for v in value for x in v])


def _index_of(last: bool) -> Function:
    def find(ev: Evaluator, args: list[Any], node: Call) -> Any:
        _arity(node, args, 2)
        container, item = args
        if container is UNKNOWN or item is UNKNOWN:
            return UNKNOWN
        if isinstance(container, list):
            order = range(len(container) - 1, -1, -1) if last else range(len(container))
            for i in order:
                same = _equal(container[i], item)
                if same is UNKNOWN:
                    return UNKNOWN
                if same:
                    return i
            return -1
        if is_undetermined(container) or is_undetermined(item):
            return UNKNOWN
        text, sub = _need_str(node, container).lower(), _need_str(node, item).lower()
        return text.rfind(sub) if last else text.find(sub)

    return find


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
        raise ExpressionError(f"lambdaVariables(): no lambda variable {_show(name)}")
    return ev.lambda_vars[name.lower()]


def _apply(function: Any, node: Call, *values: Any) -> Any:
    if not isinstance(function, Lambda):
        raise ExpressionError(f"{node.name}() needs a lambda, got {_show(function)}")
    if len(function.params) > len(values) or not function.params:
        raise ExpressionError(f"{node.name}(): the lambda takes {len(function.params)} parameters")
    names = dict(zip(function.params, values, strict=False))
    scope = function.evaluator.derive(lambda_vars={**function.evaluator.lambda_vars, **names})
    return scope.evaluate(function.body)


def _sequence(node: Call, value: Any) -> list[Any] | None:
    if value is UNKNOWN:
        return None
    if not isinstance(value, list):
        raise ExpressionError(f"{node.name}() needs an array, got {_show(value)}")
    return value


def _filter(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 2)
    items = _sequence(node, args[0])
    if items is None:
        return UNKNOWN
    out = []
    for i, item in enumerate(items):
        keep = _apply(args[1], node, item, i)
        if is_undetermined(keep):
            return UNKNOWN
        if keep is True:
            out.append(item)
    return out


def _map(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 2)
    items = _sequence(node, args[0])
    if items is None:
        return UNKNOWN
    return [_apply(args[1], node, item, i) for i, item in enumerate(items)]


def _reduce(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 3)
    items = _sequence(node, args[0])
    if items is None:
        return UNKNOWN
    acc = args[1]
    for i, item in enumerate(items):
        acc = _apply(args[2], node, acc, item, i)
    return acc


def _sort(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 2)
    items = _sequence(node, args[0])
    if items is None:
        return UNKNOWN
    out: list[Any] = []
    # Insertion sort with the lambda as "a comes before b": at most a few
    # hundred items in practice, and the step budget bounds the rest.
    for item in items:
        pos = len(out)
        for j, placed in enumerate(out):
            before = _apply(args[1], node, item, placed)
            if is_undetermined(before):
                return UNKNOWN
            if before is True:
                pos = j
                break
        out.insert(pos, item)
    return out


def _to_object(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 2, 3)
    items = _sequence(node, args[0])
    if items is None:
        return UNKNOWN
    out: dict[str, Any] = {}
    for item in items:
        key = _apply(args[1], node, item)
        if is_undetermined(key):
            return UNKNOWN
        out[_need_str(node, key)] = _apply(args[2], node, item) if len(args) > 2 else item
    return out


def _map_values(ev: Evaluator, args: list[Any], node: Call) -> Any:
    _arity(node, args, 2)
    value = args[0]
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, dict):
        raise ExpressionError(f"mapValues() needs an object, got {_show(value)}")
    return {k: _apply(args[1], node, v) for k, v in value.items()}


# ------------------------------------------------------------------ special forms (lazy arguments)


def _if(ev: Evaluator, node: Call) -> Any:
    if len(node.args) != 3:
        raise ExpressionError(f"if() takes 3 arguments, got {len(node.args)}")
    condition = ev.evaluate(node.args[0])
    if is_undetermined(condition):
        yes, no = ev.evaluate(node.args[1]), ev.evaluate(node.args[2])
        return yes if _equal(yes, no) is True else UNKNOWN
    if not isinstance(condition, bool):
        raise ExpressionError(f"if() condition is not a boolean ({_show(condition)})")
    return ev.evaluate(node.args[1] if condition else node.args[2])


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
    "lambda": _lambda,
    "lambdavariables": _lambda_variables,
    "parameters": _parameters,
    "variables": _variables,
}

_FUNCTIONS: Final[Mapping[str, Function]] = {
    "concat": _concat,
    "format": _format,
    "string": _string,
    "int": _int,
    "bool": _bool,
    "json": _json,
    "tolower": _case(upper=False),
    "toupper": _case(upper=True),
    "replace": _replace,
    "substring": _substring,
    "length": _length,
    "empty": _empty,
    "contains": _contains,
    "union": _union,
    "shallowmerge": _shallow_merge,
    "intersection": _intersection,
    "createarray": _create_array,
    "createobject": _create_object,
    "array": _array,
    "equals": _equals,
    "not": _not,
    "and": _and_or(is_and=True),
    "or": _and_or(is_and=False),
    "greater": lambda ev, a, n: _compare(n, a, lambda x, y: x > y),
    "greaterorequals": lambda ev, a, n: _compare(n, a, lambda x, y: x >= y),
    "less": lambda ev, a, n: _compare(n, a, lambda x, y: x < y),
    "lessorequals": lambda ev, a, n: _compare(n, a, lambda x, y: x <= y),
    "coalesce": _coalesce,
    "first": _first_last(last=False),
    "last": _first_last(last=True),
    "take": _take_skip(take=True),
    "skip": _take_skip(take=False),
    "split": _split,
    "join": _join,
    "range": _range,
    "copyindex": _copy_index,
    "uniquestring": _hash_function(unique_string),
    "guid": _hash_function(arm_guid),
    "resourceid": _resource_id,
    "subscriptionresourceid": _subscription_resource_id,
    "tenantresourceid": _tenant_resource_id,
    "extensionresourceid": _extension_resource_id,
    "resourcegroup": _resource_group,
    "subscription": _subscription,
    "deployment": _deployment,
    "tenant": _tenant,
    "reference": _runtime,
    "utcnow": _runtime,
    "newguid": _runtime,
    "pickzones": _runtime,
    "environment": _runtime,
    "managementgroup": _runtime,
    "tryget": _try_get,
    "items": _items,
    "objectkeys": _object_keys,
    "filter": _filter,
    "map": _map,
    "reduce": _reduce,
    "sort": _sort,
    "toobject": _to_object,
    "mapvalues": _map_values,
    "add": _arith(lambda a, b: a + b, "add"),
    "sub": _arith(lambda a, b: a - b, "sub"),
    "mul": _arith(lambda a, b: a * b, "mul"),
    "div": _arith(_div, "div"),
    "mod": _arith(_mod, "mod"),
    "min": _min_max(min),
    "max": _min_max(max),
    "true": lambda ev, a, n: True,
    "false": lambda ev, a, n: False,
    "null": lambda ev, a, n: None,
    "startswith": _string_test(lambda a, b: a.lower().startswith(b.lower())),
    "endswith": _string_test(lambda a, b: a.lower().endswith(b.lower())),
    "indexof": _index_of(last=False),
    "lastindexof": _index_of(last=True),
    "trim": _trim,
    "padleft": _pad_left,
    "base64": _base64,
    "base64tostring": _base64_to_string,
    "flatten": _flatten,
}
"""Built-ins by lower-case name; arguments are evaluated before the call."""

SUPPORTED_FUNCTIONS: Final = frozenset(_FUNCTIONS) | frozenset(_SPECIAL)
